"""Record features: picklable, and the same whether computed on a whole list or on batches whose
results are joined (what an executor's map does)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from synae.config import load_config
from synae.metrics.features import DatasetFeatures
from synae.run.data import load_dataset
from synae.run.evaluation import Evaluator
from synae.run.executors import LocalExecutor, PerItem


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
