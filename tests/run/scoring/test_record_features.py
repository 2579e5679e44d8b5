"""Record features: picklable, and the same whether computed on a whole list or on batches whose
results are joined (what an executor's map does)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from synae.config import load_config
from synae.metrics.features import DatasetFeatures
from synae.run.executors import LocalExecutor, PerItem
from synae.run.inputs.data import load_dataset
from synae.run.scoring.evaluation import Evaluator


def test_batched_record_features_equal_the_whole_list(bench_data: Path) -> None:
    real = load_dataset(bench_data / "t1" / "t1_attraction_turns_with_output.csv")
    config = load_config(embedding={"model": "lexical"})
    build = Evaluator(real, config, progress=False).record_features
    trajs = real.trajectories
    whole = build(trajs)
    copy = pickle.loads(pickle.dumps(build))  # what a worker receives
    batches = [trajs[s:s + 7] for s in range(0, len(trajs), 7)]
    joined = DatasetFeatures.concat(LocalExecutor().map_batches(PerItem(copy), batches, batch_size=2), "")
    assert joined.n == whole.n == len(trajs) and len(batches) > 3
    assert joined.calls == whole.calls and joined.unparsable_code == whole.unparsable_code
    assert joined.categorical == whole.categorical and joined.ad_labels == whole.ad_labels
    assert np.array_equal(joined.output_row, whole.output_row)
    assert np.array_equal(joined.output_tokens, whole.output_tokens)
    for name, ragged in whole.numeric.items():
        assert np.array_equal(joined.numeric[name].values, ragged.values)
        assert np.array_equal(joined.numeric[name].offsets, ragged.offsets)
    assert whole.numeric and whole.categorical and any(whole.calls)


def test_pii_is_looked_for_only_in_views_whose_pii_echo_is_selected() -> None:
    """Finding PII is most of the privacy features' cost and only ``pii_echo`` reads it: the other
    privacy metrics leave it uncomputed (``None``), and a selected ``pii_echo`` still finds and
    matches the e-mail address its synthetic set repeats."""
    import pytest

    from synae.metrics.privacy import pii_echo
    from synae.schema import Dataset, Message, Trajectory

    def traj(i: int, text: str) -> Trajectory:
        return Trajectory(id=f"t{i}", messages=[Message(role="user", content=text)], output=f"done {i}")

    real = Dataset([traj(i, f"mail ann{i}@example.com about {i}") for i in range(6)], name="real")
    syn = Dataset([traj(i, f"write to ann{i}@example.com again") for i in range(3)], name="syn")
    config = load_config(None, preset="generic", embedding={"model": "lexical"})
    copies = Evaluator(real, config, metric_patterns="privacy.*.exact_copies", progress=False)
    views = copies.features(syn).privacy
    assert views is not None and all(v.pii is None for v in views.views.values())
    with pytest.raises(ValueError, match="not computed"):
        pii_echo(views.views["instructions"], views.views["instructions"])
    echo = Evaluator(real, config, metric_patterns="privacy.instructions.pii_echo", progress=False)
    report = echo.evaluate(syn)
    assert report.metrics["privacy.instructions.pii_echo"].value == 1.0
    assert echo.real_features.privacy is not None
    assert echo.real_features.privacy.views["instructions"].pii is not None
