"""What each per-record feature column takes, in bytes per trajectory, for the records of
``bench_inspect.py`` read as a streamed input (figures in docs/benchmarks/scale.md).

    python benchmarks/bench_feature_sizes.py              # 20,000 trajectories
    python benchmarks/bench_feature_sizes.py --n 100000

The real set's features (:meth:`synae.run.scoring.evaluation.Evaluator.features`, generic preset, the
metrics of ``bench_evaluate_stream.py``: no embeddings) are sized recursively: ``sys.getsizeof`` of
every Python object reachable from a column, once each, and ``nbytes`` of every array. Prints one
JSON row per column (and per privacy view and categorical attribute), in bytes per trajectory.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_evaluate_stream import DEFAULT_METRICS
from bench_inspect import write_data

from synae.config import load_config
from synae.run.commands import open_input
from synae.run.scoring.evaluation import Evaluator


def deep_size(obj: Any, seen: set[int]) -> int:
    """Bytes of ``obj`` and everything reachable from it not in ``seen`` (arrays: ``nbytes``)."""
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        size += sum(deep_size(x, seen) for x in obj)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        size += deep_size(vars(obj), seen)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "real.jsonl"
        write_data(path, args.n, args.seed)
        config = load_config(inputs={"real": path}, preset="generic")
        feats = Evaluator(open_input(path, config), config, metric_patterns=DEFAULT_METRICS,
                          progress=False).real_features
    n, seen = feats.n, set[int]()
    columns = ["calls", "numeric", "categorical", "ad_labels", "output_row", "output_tokens", "privacy"]
    sizes = {c: deep_size(getattr(feats, c), seen) / n for c in columns}
    for column, size in sizes.items():
        print(json.dumps({"n": n, "column": column, "bytes_per_trajectory": round(size)}))
    print(json.dumps({"n": n, "column": "total", "bytes_per_trajectory": round(sum(sizes.values()))}))
    for target, view in (feats.privacy.views.items() if feats.privacy else ()):
        print(json.dumps({"n": n, "column": f"privacy.{target}",
                          "token_keys": round(view.token_key.nbytes / n),
                          "token_hashes": round(view.tokens.values.nbytes / n) if view.tokens else None,
                          "pii": round(deep_size(view.pii, set()) / n) if view.pii is not None else None}))
    for attr, labels in feats.categorical.items():
        print(json.dumps({"n": n, "column": f"categorical.{attr}", "bytes_per_trajectory":
                          round(deep_size(labels, set()) / n)}))


if __name__ == "__main__":
    main()
