"""The LLM paths of synae against a real OpenAI-compatible endpoint: judge calibration, the model as
agent, and the blankfill / fewshot generators — per benchmark (ACP, BFCL, T1 from
``$SYNAE_DATA_DIR``, and a generic chat set).

Each phase of each benchmark has its own :class:`TimedClient` with a fresh reply cache (a temporary
folder), so every request really reaches the endpoint. Per benchmark, over the first ``--pool`` real
trajectories (the generic set: the seeded weather/calendar chat records of
``tests/cli/test_user_data.py``):

1. **Judge calibration** — :func:`synae.run.scoring.judge_calibration.calibrate` (what ``synae judge
   calibrate`` runs) with ``calibration_items = --n``: per validity target, n rule-valid originals
   and their invalidated copies; coverage, accuracy, F1 (valid positive), Cohen's κ with its
   bootstrap interval, the invalidation curve and its slope; unscored share = 1 − coverage.
2. **Downstream** — the model as agent (:func:`synae.run.factory.agents`, native tool calling;
   tool calls sent as JSON text are parsed too) on the first n rule-valid originals, one run, the
   preset's default scorers (:func:`synae.run.scoring.downstream.evaluate_dataset`; where the default is the
   equivalence judge — T1 and generic outputs — the same model judges); success rate per target
   (success / scored).
3. **blankfill** (p = 0.5) and **fewshot** (k = 3, fixed examples, n outputs) on the same n
   originals, ``--max-tokens`` per reply; parse rate = 1 − (outputs with
   ``metadata.generation.parse_error``) / outputs, and the outputs marked ``duplicate_of`` an earlier
   one.

Reported per phase: HTTP calls, cached, failed, retries, refused optional parameters
(``response_format`` on llama.cpp), calls/s = HTTP calls / wall seconds, seconds per call (mean,
p50, p95 over the timed HTTP attempts; linear interpolation between order statistics; wall / calls
when none was timed). A phase that raises is reported with its error and the run goes on.

    python benchmarks/bench_real_llm.py --base-url http://127.0.0.1:8080/v1 --model local \\
        [--benchmarks acp bfcl t1 generic] [--n 10] [--pool 60] [--concurrency 1] [--timeout 600] \\
        [--max-tokens 256] [--phases calibration downstream blankfill fewshot] [--json OUT.json] \\
        [--api-key KEY] [--no-structured-output] [--seed 123]
    python benchmarks/bench_real_llm.py --loopback [--benchmarks acp bfcl]

``--loopback`` is a smoke check of the script itself, not a model measurement: it starts the test
server of ``tests/helpers/openai_server.py`` on 127.0.0.1 with ``flavor="llama.cpp"`` (JSON-schema
``response_format`` refused with HTTP 500, tool calls sent as JSON text) and a scripted responder
(:class:`LoopbackResponder`) that answers by rule, then stops it at the end.

``scripts/local-llm.sh serve`` serves the model the figures in docs/benchmarks/llm.md come from.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from synae.config import Config, JudgeSettings, LLMSettings, ValiditySettings
from synae.datapaths import example_input
from synae.errors import SynaeError
from synae.generate import LLMOptions, blankfill, fewshot
from synae.llm.client import LLMClient
from synae.presets import Preset, get_preset
from synae.run.factory import agents, equivalence_judge
from synae.run.inputs.data import load_dataset
from synae.run.scoring.downstream import evaluate_dataset
from synae.run.scoring.judge_calibration import calibrate, rule_valid
from synae.schema import Dataset, Trajectory
from synae.validity.prompts import SYSTEM_MESSAGE
from synae.views import turns

TESTS = Path(__file__).resolve().parents[1] / "tests"
BENCHMARKS = ("acp", "bfcl", "t1", "generic")
FILE_BENCHMARKS = ("acp", "bfcl", "t1")  # read from the example data; the generic set is built
PHASES = ("calibration", "downstream", "blankfill", "fewshot")
LOOPBACK_MODEL = "loopback"
_SECTION = re.compile(r"^## (.+?)\n(.*?)(?=\n\n## |\n\nAnswer \(yes/no\):|\Z)", re.MULTILINE | re.DOTALL)


class TimedClient(LLMClient):
    """:class:`LLMClient` that records the wall seconds of every HTTP attempt (``attempt_seconds``):
    from sending the request to the parsed reply or the error, retried attempts included, cache hits
    excluded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attempt_seconds: list[float] = []

    async def _send_once(self, http: httpx.AsyncClient, payload: dict[str, Any],
                         *args: Any) -> tuple[Any, dict[str, Any] | None]:
        start = time.perf_counter()
        try:
            return await super()._send_once(http, payload, *args)
        finally:
            self.attempt_seconds.append(time.perf_counter() - start)


# ------------------------------------------------------------------------------------------------
# Data


def real_set(benchmark: str, pool: int, folder: Path, seed: int) -> list[Trajectory]:
    """The first ``pool`` real trajectories of a benchmark's example file, or ``pool`` records of the
    generic chat set (written to ``folder`` as OpenAI chat JSONL and read back like a user's file)."""
    if benchmark in FILE_BENCHMARKS:
        path, sort = example_input(benchmark, "invalidate")
        return load_dataset(path, sort=sort).trajectories[:pool]
    sys.path.insert(0, str(TESTS))
    from cli.test_user_data import build_real, write_jsonl

    path = write_jsonl(build_real(pool, seed), folder / "generic_chat.jsonl")
    return load_dataset(path).trajectories


# ------------------------------------------------------------------------------------------------
# Loopback responder


def _sections(prompt: str) -> dict[str, str]:
    """``## title`` → text of a judge prompt (:mod:`synae.validity.prompts`); the first section of a
    title wins (the prompt ends with its own ``## Question`` after the material)."""
    found: dict[str, str] = {}
    for match in _SECTION.finditer(prompt):
        found.setdefault(match.group(1), match.group(2).strip())
    return found


@dataclass
class LoopbackResponder:
    """Scripted replies of the loopback smoke run, by rule:

    - judge requests (system message :data:`synae.validity.prompts.SYSTEM_MESSAGE`; read from the
      first user message, so a repair turn gets the same answer): ACP — ``yes`` when the proposed
      answer equals the answer the real data gives for that context and question, else ``no``;
      BFCL — ``no`` when the tool calls contain the literal ``'invalid'``, else ``yes``; any other
      prompt — ``unsure`` (unparseable, left unscored);
    - agent requests with tools (BFCL): after a user message, that turn's reference calls as tool
      calls (the llama.cpp flavour sends them as JSON text); after tool results, ``Done.``;
    - other agent requests (ACP): the real answer of the question the user message ends with.
    """

    answers: dict[str, str]  # ACP: user text (context, question, cue) → yes/no
    turn_calls: dict[str, list[tuple[str, dict[str, Any]]]]  # BFCL: user text → the turn's calls

    @classmethod
    def from_references(cls, references: list[Trajectory]) -> LoopbackResponder:
        answers: dict[str, str] = {}
        turn_calls: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for traj in references:
            users = [m.content or "" for m in traj.messages if m.role == "user"]
            if users and traj.output:
                answers.setdefault(_acp_key(users[0]), traj.output.strip().lower())
            for turn in turns(traj):
                if turn.user is not None and turn.user.content:
                    turn_calls.setdefault(turn.user.content, [
                        (c.function.name, c.function.parsed_arguments())
                        for m in turn.tool_call_messages for c in m.tool_calls or ()])
        return cls(answers, turn_calls)

    def __call__(self, body: dict[str, Any]) -> Any:
        from helpers.openai_server import Reply

        messages = body.get("messages") or []
        if messages and messages[0].get("content") == SYSTEM_MESSAGE:
            return self.judge(str(messages[1].get("content") or ""))
        last = messages[-1] if messages else {}
        if body.get("tools"):
            if last.get("role") == "tool":
                return "Done."
            calls = self.turn_calls.get(str(last.get("content") or ""))
            return Reply.tools(*calls) if calls else "I cannot do that with these tools."
        return self.answers.get(_acp_key(str(last.get("content") or "")), "unsure")

    def judge(self, prompt: str) -> str:
        sections = _sections(prompt)
        if "Proposed answer" in sections:
            key = _acp_key(f"{sections.get('Context', '')}\n{sections.get('Question', '')}")
            gold = self.answers.get(key)
            if gold is None:
                return "unsure"
            return "yes" if sections["Proposed answer"].lower() == gold else "no"
        if "Tool calls" in sections:
            return "no" if "'invalid'" in sections["Tool calls"] else "yes"
        return "unsure"


def _acp_key(text: str) -> str:
    """An ACP user text without the answer cue and blank lines (judge and agent prompts agree on it)."""
    return "\n".join(line.strip() for line in text.split("\n")
                     if line.strip() and line.strip() != "Only answer yes or no.")


# ------------------------------------------------------------------------------------------------
# Measurement


def call_stats(client: TimedClient, wall: float) -> dict[str, Any]:
    """Usage counters, calls/s and seconds per call (see the module docstring) of one phase."""
    u = client.usage
    times = np.asarray(client.attempt_seconds, dtype=float)
    out: dict[str, Any] = {"calls": u.calls, "cached": u.cached, "failed": u.failed, "retries": u.retries,
                           "rejected": u.rejected, "refused": sorted(client.rejected_parameters),
                           "wall_s": wall, "calls_per_s": u.calls / wall if wall > 0 else None,
                           "wall_per_call_s": wall / u.calls if u.calls else None,
                           "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
                           "timed": len(times)}
    if len(times):
        out |= {"mean_s": float(times.mean()), "p50_s": float(np.percentile(times, 50)),
                "p95_s": float(np.percentile(times, 95))}
    return out


def new_client(config: Config, cache_dir: Path) -> TimedClient:
    """A timed client for ``config.llm`` with its reply cache in ``cache_dir`` (the factory's limits)."""
    settings = config.llm.model_copy(update={"cache_dir": cache_dir})
    return TimedClient(settings, progress=False, breaker_threshold=settings.breaker_threshold,
                       deadline=settings.deadline)


@dataclass
class Phase:
    """One phase's inputs: the config, the preset, the real pool, its first n rule-valid
    originals, the model and the folder for the phase's reply cache."""

    config: Config
    preset: Preset
    real: list[Trajectory]
    originals: list[Trajectory]
    model: str
    max_tokens: int
    cache_dir: Path


def calibration_phase(ph: Phase, client: TimedClient) -> dict[str, Any]:
    record = calibrate(ph.real, ph.preset, ph.config, client)
    keys = ("n_real", "n_rule_valid", "overall", "targets", "skipped_targets", "warnings")
    return {"record": {k: record[k] for k in keys}}


def downstream_phase(ph: Phase, client: TimedClient) -> dict[str, Any]:
    [agent] = agents([ph.model], ph.config, client)
    data = Dataset(trajectories=ph.originals, name=ph.preset.name)
    result = evaluate_dataset(data, [agent], ph.preset, runs=1, judge=equivalence_judge(ph.config, client))
    outcome = result.agents[agent.name].runs[0]
    return {"targets": {t: outcome.counts(t) | {"rate": outcome.rate(t), "scorer": result.scorers[t]}
                        for t in result.targets}}


def _generated(out: Dataset) -> dict[str, Any]:
    gens = [t.metadata.get("generation") or {} for t in out]
    errors = [str(g["parse_error"]) for g in gens if g.get("parse_error")]
    return {"n": len(gens), "parse_errors": len(errors),
            "parse_rate": 1 - len(errors) / len(gens) if gens else None,
            "duplicates": sum(g.get("duplicate_of") is not None for g in gens),
            "error_kinds": dict(Counter(e.split(":")[0][:60] for e in errors).most_common(5))}


def _llm(ph: Phase, client: TimedClient) -> LLMOptions:
    return LLMOptions(model=ph.model, max_tokens=ph.max_tokens, settings=ph.config.llm, client=client)


def blankfill_phase(ph: Phase, client: TimedClient) -> dict[str, Any]:
    data = Dataset(trajectories=ph.originals, name=ph.preset.name)
    return _generated(blankfill(data, 0.5, preset=ph.preset, llm=_llm(ph, client), seed=ph.config.seed))


def fewshot_phase(ph: Phase, client: TimedClient) -> dict[str, Any]:
    data = Dataset(trajectories=ph.originals, name=ph.preset.name)
    return _generated(fewshot(data, 3, preset=ph.preset, llm=_llm(ph, client), n_out=len(ph.originals),
                              seed=ph.config.seed))


RUNNERS: dict[str, Callable[[Phase, TimedClient], dict[str, Any]]] = {
    "calibration": calibration_phase, "downstream": downstream_phase, "blankfill": blankfill_phase,
    "fewshot": fewshot_phase}


def run_phase(name: str, ph: Phase) -> dict[str, Any]:
    """One phase with its own timed client; an exception becomes ``error`` (the run goes on)."""
    client = new_client(ph.config, ph.cache_dir / name)
    start = time.perf_counter()
    try:
        out = RUNNERS[name](ph, client)
    except Exception as exc:
        out = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(limit=3)}
    return out | {"stats": call_stats(client, time.perf_counter() - start)}


# ------------------------------------------------------------------------------------------------
# Output


def _num(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def print_stats(title: str, stats: dict[str, Any]) -> None:
    print(f"{title}: {stats['calls']} HTTP calls in {stats['wall_s']:.1f} s = "
          f"{_num(stats['calls_per_s'], '.3f')} calls/s; cached {stats['cached']}, failed {stats['failed']}, "
          f"retries {stats['retries']}, refused parameter re-sends {stats['rejected']} "
          f"({', '.join(stats['refused']) or 'none'}); tokens {stats['prompt_tokens']} prompt / "
          f"{stats['completion_tokens']} completion")
    if stats["timed"]:
        print(f"  seconds per call over {stats['timed']} timed attempts: mean {stats['mean_s']:.2f}, "
              f"p50 {stats['p50_s']:.2f}, p95 {stats['p95_s']:.2f}; wall / calls "
              f"{_num(stats['wall_per_call_s'], '.2f')}")
    else:
        print("  seconds per call (wall / calls, no per-request timings): "
              f"{_num(stats['wall_per_call_s'], '.2f')}")


def _agreement(name: str, a: dict[str, Any]) -> str:
    interval = a.get("kappa_interval")
    span = f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else ""
    unscored = None if a["coverage"] is None else 1 - a["coverage"]
    return (f"  {name}: {a['n_labelled']} labelled, unscored share {_num(unscored, '.2f')}; accuracy "
            f"{_num(a['accuracy'], '.2f')}, F1(valid) {_num(a['f1_valid'], '.2f')}, "
            f"kappa {_num(a['kappa'], '.2f')}{span} "
            f"(tp {a['tp']}, fn {a['fn']}, fp {a['fp']}, tn {a['tn']})")


def print_phase(name: str, result: dict[str, Any]) -> None:
    print_stats(name, result["stats"])
    if "error" in result:
        print(f"  FAILED: {result['error']}")
        return
    if name == "calibration":
        record = result["record"]
        print(f"  {record['n_rule_valid']} of {record['n_real']} real trajectories rule-valid")
        for target, a in record["targets"].items():
            print(_agreement(target, a))
            curve = a["curve"]
            points = ", ".join(f"{p['v']:g}: {_num(p['judged_rate'], '.2f')} "
                               f"({_num(p['construction_rate'], '.2f')})" for p in curve["points"])
            print(f"    curve (judged, by construction): {points}; slope {_num(curve['slope'], '.2f')} "
                  f"(perfect judge {_num(curve['construction_slope'], '.2f')})")
            if a["unscored_reasons"]:
                print(f"    unscored: {a['unscored_reasons']}")
        print(_agreement("pooled", record["overall"]))
        for target, why in record["skipped_targets"].items():
            print(f"  {target} skipped: {why}")
    elif name == "downstream":
        for target, c in result["targets"].items():
            print(f"  {target} ({c['scorer']}): success {c['success']}, failure {c['failure']}, unscored "
                  f"{c['unscored']}; success rate {_num(c['rate'])}")
    else:
        print(f"  {result['n']} outputs, parse errors {result['parse_errors']} (parse rate "
              f"{_num(result['parse_rate'], '.2f')}), duplicates {result['duplicates']}; "
              f"{result['error_kinds']}")


# ------------------------------------------------------------------------------------------------
# Entry point


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--model", help="model name sent in every request (judge, agent, generator)")
    parser.add_argument("--api-key", default=None, help="API key (default: $OPENAI_API_KEY, none if unset)")
    parser.add_argument("--benchmarks", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    parser.add_argument("--n", type=int, default=10, help="rule-valid originals per target and phase")
    parser.add_argument("--pool", type=int, default=60, help="real trajectories read per benchmark")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per HTTP attempt")
    parser.add_argument("--max-tokens", type=int, default=256, help="tokens per generator reply")
    parser.add_argument("--no-structured-output", action="store_true",
                        help="do not ask the judge for JSON via response_format")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    parser.add_argument("--loopback", action="store_true",
                        help="smoke check against the scripted loopback server (no model)")
    args = parser.parse_args(argv)
    if args.n < 2:
        parser.error("--n must be at least 2")
    if not args.loopback and not (args.base_url and args.model):
        parser.error("--base-url and --model are required (or --loopback)")
    return args


def run_benchmark(args: argparse.Namespace, base_url: str, model: str, benchmark: str,
                  folder: Path) -> dict[str, Any]:
    preset = get_preset(benchmark)
    llm = LLMSettings(base_url=base_url, api_key=args.api_key, concurrency=args.concurrency,
                      timeout=args.timeout)
    judge = JudgeSettings(model=model, structured_output=not args.no_structured_output)
    config = Config(llm=llm, judge=judge, preset=preset.name, seed=args.seed,
                    validity=ValiditySettings(calibration_items=args.n))
    real = real_set(benchmark, args.pool, folder, args.seed)
    originals = rule_valid(real, preset, config)[: args.n]
    phase = Phase(config, preset, real, originals, model, args.max_tokens, folder / benchmark)
    print(f"\n=== {benchmark}: {len(real)} real trajectories read, {len(originals)} rule-valid "
          "originals used", flush=True)
    results = {}
    for name in args.phases:
        results[name] = run_phase(name, phase)
        print_phase(name, results[name])
        sys.stdout.flush()
    return results


def run(args: argparse.Namespace, base_url: str, model: str) -> dict[str, Any]:
    mode = ("LOOPBACK SMOKE RUN (scripted server, not a model measurement)" if args.loopback
            else "real endpoint")
    print(f"bench_real_llm: {mode}\nendpoint {base_url}, model {model!r}, n {args.n}, pool {args.pool}, "
          f"concurrency {args.concurrency}, timeout {args.timeout:g} s, generator max tokens "
          f"{args.max_tokens}, "
          f"structured output {'off' if args.no_structured_output else 'on'}, seed {args.seed}", flush=True)
    out: dict[str, Any] = {"endpoint": base_url, "model": model,
                           "args": {k: str(v) for k, v in vars(args).items()}}
    with tempfile.TemporaryDirectory(prefix="bench_real_llm_") as tmp:
        for benchmark in args.benchmarks:
            out[benchmark] = run_benchmark(args, base_url, model, benchmark, Path(tmp))
            if args.json is not None:
                args.json.write_text(json.dumps(out, indent=1, default=str) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if not args.loopback:
            run(args, args.base_url, args.model)
            return 0
        sys.path.insert(0, str(TESTS))
        from helpers.openai_server import ScriptedOpenAIServer

        references: list[Trajectory] = []
        with tempfile.TemporaryDirectory() as tmp:
            for benchmark in args.benchmarks:
                references += real_set(benchmark, args.pool, Path(tmp), args.seed)
        responder = LoopbackResponder.from_references(references)
        with ScriptedOpenAIServer(responder=responder, flavor="llama.cpp") as server:
            run(args, server.base_url, args.model or LOOPBACK_MODEL)
    except SynaeError as exc:
        print(f"bench_real_llm: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
