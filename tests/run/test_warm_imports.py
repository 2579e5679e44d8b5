"""A warm ``synae evaluate`` (every text's vector in the embedding cache) imports no heavy library
that no selected metric or output needs: not scipy.stats, torch, sentence-transformers, scikit-learn
or matplotlib, nor httpx without an LLM call, nor the modules of presets it does not use (a child
process, so that this process's imports do not count)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helpers.stream_records import records
from synae.config import EmbeddingSettings, load_config
from synae.embed import get_embedder, make_pipeline
from synae.run.inputs.data import load_dataset
from synae.run.scoring.evaluation import Evaluator
from synae.schema import write_jsonl

HEAVY = ("scipy.stats", "torch", "sentence_transformers", "sklearn", "matplotlib", "httpx",
         "synae.presets.t1", "synae.presets.bfcl", "synae.presets.acp")  # a generic run: no benchmark preset
CHILD = """
import json, sys
from synae.cli.app import main
sys.argv = ["synae", "evaluate", "--real", sys.argv[1], "--synthetic", sys.argv[2], "--out", sys.argv[3]]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps([m for m in {heavy!r} if m in sys.modules]))
"""


class CachedOnly:
    """MiniLM's identity (model id, window, dimension) with seeded vectors: fills the cache exactly
    as the real model would key it, without loading the model."""

    cacheable = True

    def __init__(self) -> None:
        model = get_embedder("minilm")
        self.name, self.model_id, self.window = model.name, model.model_id, model.window
        self.dimension = model.dimension

    def tokenize(self, texts: Sequence[str]) -> list[list[Any]]:
        return [t.split() for t in texts]

    def detokenize(self, tokens: Sequence[Any]) -> str:
        return " ".join(tokens)

    def encode(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        return np.random.default_rng(len(texts)).standard_normal((len(texts), self.dimension or 384))


def test_warm_evaluate_imports_no_heavy_library(tmp_path: Path) -> None:
    real, syn = tmp_path / "real.jsonl", tmp_path / "syn.jsonl"
    write_jsonl(records("r", 20), real)
    write_jsonl(records("s", 15), syn)
    settings = EmbeddingSettings(cache_dir=tmp_path / "cache" / "embeddings")
    pipeline = make_pipeline(settings, CachedOnly(), progress=False)
    ev = Evaluator(load_dataset(real), load_config(None, embedding={"cache_dir": settings.cache_dir}),
                   embedder=pipeline, progress=False)
    ev.evaluate(load_dataset(syn))
    out = tmp_path / "results.json"
    env = {**os.environ, "SYNAE_CACHE_DIR": str(tmp_path / "cache")}
    child = subprocess.run([sys.executable, "-c", CHILD.format(heavy=HEAVY), str(real), str(syn), str(out)],
                           capture_output=True, text=True, env=env, timeout=120)
    assert child.returncode == 0, child.stderr[-2000:]
    assert json.loads(child.stdout.strip().splitlines()[-1]) == []
    results = json.loads(out.read_text())
    assert results["embedder"]["stats"]["n_embedded"] == 0  # warm: every vector from the cache
    assert results["metrics"]["fidelity.instructions.fid"]["status"] == "ok"


RULES_ONLY = ("jsonschema", "asyncio", "httpx", "rich", "yaml", "synae.llm.client", "synae.validity.judge",
              "synae.envs.t1", "synae.envs.bfcl", "synae.validity.rules.t1", "synae.validity.rules.bfcl",
              "synae.downstream.loop", "scipy.stats", "torch", "matplotlib")
LIBRARY_CHILD = """
import json, sys
from pathlib import Path
from synae.config import load_config
from synae.run import commands
config = load_config(inputs={{"real": Path(sys.argv[1]), "synthetic": [Path(sys.argv[2])]}},
                     evaluation={{"select": "fidelity.tool_calls.*,privacy.*.exact_copies,validity.*"}},
                     validity={{"checker": "rules"}}, preset="generic")
report = commands.evaluate_command(config, progress=False)
assert report.metrics["validity.output.rate"].status == "ok", report.metrics["validity.output.rate"]
print(json.dumps([m for m in {heavy!r} if m in sys.modules]))
"""


def test_rule_validity_from_the_library_imports_no_llm_stack_jsonschema_or_yaml(tmp_path: Path) -> None:
    """A rule-validity run from the library (no CLI, no config file, no tool parameters to validate)
    imports neither the LLM client (nor asyncio, httpx, rich) nor jsonschema nor PyYAML, nor the
    checkers and environments of the T1 and BFCL presets."""
    real, syn = tmp_path / "real.jsonl", tmp_path / "syn.jsonl"
    write_jsonl(records("r", 12), real)
    write_jsonl(records("s", 9), syn)
    code = LIBRARY_CHILD.format(heavy=RULES_ONLY)
    child = subprocess.run([sys.executable, "-c", code, str(real), str(syn)], capture_output=True, text=True,
                           timeout=120)
    assert child.returncode == 0, child.stderr[-2000:]
    assert json.loads(child.stdout.strip().splitlines()[-1]) == []
