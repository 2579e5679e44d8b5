"""``synae generate``: one generation run from a resolved :class:`~synae.config.Config`
(``docs/method.md``).

The generators take a preset *object* (their hooks, :class:`synae.generate.hooks.GeneratorPreset`)
and never a benchmark name; this module resolves it once — ``config.preset`` when set, else the
preset the data names (:func:`synae.presets.detect_preset`, ``generic`` when none) — and passes it
to every step: the sweep values (``--param`` text, or the preset's research grid), the sweep
itself, the optional completion with an agent model (``docs/method.md`` §8.8), and the output format
and files. LLM clients come from :func:`synae.run.factory.llm_client`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synae.config import Config
from synae.errors import ConfigError
from synae.generate.llm_support import LLMOptions
from synae.generate.output import WrittenSet, check_out, resolve_format, write_generated
from synae.generate.registry import Generated, Method, get_method
from synae.generate.sweep import parse_values, run_sweep
from synae.presets import Preset, detect_preset, get_preset
from synae.run.commands import required
from synae.run.inputs.data import load_dataset
from synae.schema import Dataset


def resolve_preset(dataset: Dataset, name: str | None) -> Preset:
    """The preset called ``name``, else the one ``dataset`` names (``generic`` when none does)."""
    return get_preset(name or detect_preset(dataset))


def generator_llm(config: Config) -> LLMOptions:
    """The generator model (``generate.model``, ``temperature``, ``max_tokens``) with a client for
    ``config.llm``."""
    from synae.run.factory import llm_client

    g = config.generate
    return LLMOptions(model=g.model or "", temperature=g.temperature, max_tokens=g.max_tokens,
                      settings=config.llm, client=llm_client(config))


def method_options(config: Config) -> dict[str, Any]:
    """The keyword options of ``synae generate`` for the method's function (unset ones are ``None``
    and dropped by :func:`synae.generate.sweep.run_sweep`)."""
    g = config.generate
    return {"seed": config.seed, "mode": config.mode, "target": g.target, "attribute": g.attribute,
            "frac": g.frac, "replace": g.replace, "dup_indices": g.dup_indices, "examples": g.examples,
            "n_out": g.n_out, "condition_on": g.condition_on, "llm_at_p0": g.llm_at_p0,
            "drop_empty": g.drop_empty}


def generate_sets(method: Method, dataset: Dataset, values: list[Any], preset: Preset, *,
                  options: dict[str, Any], llm: LLMOptions | None = None,
                  complete_with: str | None = None) -> list[Generated]:
    """Run ``method`` on ``dataset`` for every value; ``llm`` (required by LLM methods and by
    ``complete_with``) is the generator model. With ``complete_with``, every generated set gets its
    tool calls and outputs from that agent model, which runs the preset's agent loop with the real
    trajectories as sources (``docs/method.md`` §8.8; unchanged for a preset whose agent only answers);
    the sidecar records ``completion.model``, ``completion.n_failed`` (trajectories with agent errors,
    also ``counts.n_completion_failures``) and the first failures (id, error)."""
    options = dict(options)
    if method.llm:
        options["llm"] = llm
    items = run_sweep(method, dataset, values, options=options, preset=preset)
    if complete_with:
        from synae.generate.completion import MAX_LISTED_FAILURES, complete, completion_failures

        if llm is None:
            raise ConfigError("completion with an agent model needs the LLM options (llm=)")
        for item in items:
            item.dataset = complete(item.dataset, complete_with, llm=llm, preset=preset,
                                    sources=dataset.trajectories)
            failures = completion_failures(item.dataset)
            item.meta["completion"] = {"model": complete_with, "n_failed": len(failures),
                                       "failures": failures[:MAX_LISTED_FAILURES]}
            item.meta["counts"]["n_completion_failures"] = len(failures)
    return items


@dataclass
class GenerationRun:
    """What one ``synae generate`` wrote."""

    method: Method
    preset: Preset
    input: Path
    n_in: int
    format: str
    written: list[WrittenSet]
    manifest: Path | None
    completed_with: str | None = None
    completions: list[dict[str, Any]] | None = None  # per written set: its sidecar's ``completion``

    @property
    def instructions_only(self) -> bool:
        """Whether the generated trajectories hold instructions only: an LLM method without
        completion, on a preset whose agent adds more than the final answer (not ACP)."""
        return self.method.llm and not self.completed_with and not self.preset.agent_loop.answers_only

    def summary(self) -> dict[str, Any]:
        """The run as JSON-ready data (``synae generate --json``)."""
        return {"method": self.method.name, "benchmark": self.preset.name, "input": str(self.input),
                "n_in": self.n_in, "format": self.format,
                "manifest": str(self.manifest) if self.manifest else None,
                "datasets": [{"name": w.name, "value": w.value, "files": [str(f) for f in w.files],
                              "sidecar": str(w.sidecar), "counts": w.counts,
                              "completion": self.completions[i] if self.completions else None}
                             for i, w in enumerate(self.written)]}


def generate_command(config: Config) -> GenerationRun:
    """``synae generate``: read ``inputs.real``, generate ``generate.method`` for every
    ``generate.param`` value (default: the research grid) and write the sets to ``output.out`` in
    ``output.format`` (default: from the suffix of ``out``)."""
    g, i = config.generate, config.inputs
    method = get_method(required(g.method, "generate.method", "METHOD"))
    input_path = Path(required(i.real, "inputs.real", "--input"))
    out = Path(required(config.output.out, "output.out", "--out"))
    dataset = load_dataset(input_path, i.format, answers=i.answers, preset=config.preset, sort=i.sort,
                           skip_invalid=i.skip_invalid, output_from=i.output_from)
    preset = resolve_preset(dataset, config.preset)
    fmt = resolve_format(preset, out, config.output.format)
    values = parse_values(method, g.param, preset)
    check_out(out, len(values))  # before any request: one file cannot hold a sweep
    llm = generator_llm(config) if method.llm or g.complete_with else None
    items = generate_sets(method, dataset, values, preset, options=method_options(config), llm=llm,
                          complete_with=g.complete_with)
    written, manifest = write_generated(items, out, fmt, preset)
    return GenerationRun(method=method, preset=preset, input=input_path, n_in=len(dataset), format=fmt,
                         written=written, manifest=manifest, completed_with=g.complete_with,
                         completions=[item.meta.get("completion") or {} for item in items])
