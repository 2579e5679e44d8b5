"""LLM-judge validity and a small downstream run against a real OpenAI-compatible endpoint.

Two phases, each with its own :class:`synae.llm.client.LLMClient` (fresh reply cache in a temporary
folder, so every request really reaches the endpoint):

1. **Validity with the judge** (what ``synae validate --validity llm`` runs): ``--n`` real
   trajectories that the preset's rule checkers find valid, plus an invalidated copy of them made by
   :func:`synae.generate.invalidate.invalidate` (v = 1: ACP answers flipped yes ↔ no, BFCL
   single-quoted literals → ``'invalid'``). Labels by construction: every original is valid, a copy
   is invalid exactly when the generator modified it (``metadata.generation.modified``). The judge
   (:func:`synae.run.validity.run_validity`, checker ``llm``) sees the 2·n trajectories; agreement
   with the labels is :func:`synae.validity.agreement.agreement` (coverage = scored / labelled,
   accuracy, F1 with "valid" positive, Cohen's κ; undefined values print as ``-``).
2. **Downstream**: the model as agent (:class:`synae.downstream.agents.ModelAgent`, native tool
   calling; tool calls sent as JSON text are parsed too) on the same n originals, one run, the
   preset's default (rule-based) scorers (:func:`synae.run.downstream.evaluate_dataset`).

Reported per phase: HTTP calls, cached (identical requests in flight or already answered), failed,
retries, refused optional parameters (``response_format`` on llama.cpp), calls/s = HTTP calls /
wall seconds, and seconds per call: mean, p50 and p95 over the timed HTTP attempts (linear
interpolation between order statistics, numpy's default), each attempt timed from send to parsed
reply by :class:`TimedClient` (the client itself keeps no per-request timings); when no attempt was
timed, wall / calls only. Unscored items: judge verdicts with ``valid = None`` (unparseable reply,
failed request) and downstream scores with ``success = None``.

    python benchmarks/bench_real_llm.py --base-url http://127.0.0.1:8080/v1 --model local \\
        [--api-key KEY] [--benchmark acp|bfcl] [--n 20] [--concurrency 2] [--timeout 300] \\
        [--no-structured-output] [--seed 123]
    python benchmarks/bench_real_llm.py --loopback [--benchmark bfcl]

``--loopback`` is a smoke check of the script itself, not a model measurement: it starts the test
server of ``tests/helpers/openai_server.py`` on 127.0.0.1 with ``flavor="llama.cpp"`` (JSON-schema
``response_format`` refused with HTTP 500, tool calls sent as JSON text) and a scripted responder
(:class:`LoopbackResponder`) that answers by rule, then stops it at the end.

Data: ACP from ``$SYNAE_DATA_DIR/acp/acp_app_prog.csv``; BFCL multi-turn base from the installed
``bfcl-eval`` package (no data folder needed). Figures: docs/benchmarks/llm.md.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from synae.config import Config, JudgeSettings, LLMSettings
from synae.datapaths import example_input
from synae.errors import SynaeError
from synae.generate.invalidate import invalidate
from synae.llm.client import LLMClient
from synae.presets import Preset, get_preset
from synae.run.data import load_dataset
from synae.run.downstream import evaluate_dataset
from synae.run.factory import agents
from synae.run.validity import rule_checkers, run_validity
from synae.schema import Dataset, Trajectory
from synae.validity.agreement import agreement, construction_labels
from synae.validity.prompts import SYSTEM_MESSAGE
from synae.views import turns

TESTS = Path(__file__).resolve().parents[1] / "tests"
BENCHMARKS = ("acp", "bfcl")
LOOPBACK_MODEL = "loopback"
_SECTION = re.compile(r"^## (.+?)\n(.*?)(?=\n\n## |\n\nAnswer \(yes/no\):|\Z)", re.MULTILINE | re.DOTALL)


class TimedClient(LLMClient):
    """:class:`LLMClient` that records the wall seconds of every HTTP attempt (``attempt_seconds``):
    from sending the request to the parsed reply or the error, retried attempts included, cache hits
    excluded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attempt_seconds: list[float] = []

    async def _send_once(self, http: httpx.AsyncClient,
                         payload: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
        start = time.perf_counter()
        try:
            return await super()._send_once(http, payload)
        finally:
            self.attempt_seconds.append(time.perf_counter() - start)


# ------------------------------------------------------------------------------------------------
# Data


def valid_trajectories(preset: Preset, n: int) -> list[Trajectory]:
    """The first ``n`` trajectories of the benchmark's example file that every rule checker of the
    preset finds valid (``SystemExit`` when fewer exist)."""
    path, sort = example_input(preset.name, "invalidate")
    data = load_dataset(path, sort=sort)
    ok = [True] * len(data)
    for checker in rule_checkers(preset):
        for i, verdict in enumerate(checker.check_all(data.trajectories)):
            ok[i] = ok[i] and verdict.valid is True
    chosen = [t for t, good in zip(data.trajectories, ok, strict=True) if good][:n]
    if len(chosen) < n:
        raise SystemExit(f"{path}: only {len(chosen)} rule-valid trajectories, --n {n} asked")
    return chosen


def labelled_set(valid: list[Trajectory], preset: Preset,
                 seed: int) -> tuple[list[Trajectory], dict[str, bool]]:
    """``valid`` followed by its invalidated copy (v = 1), and the construction labels of both."""
    copy = invalidate(Dataset(trajectories=valid, name="valid"), 1.0, preset=preset, seed=seed).trajectories
    labels = {t.id: True for t in valid} | construction_labels(copy)
    return valid + copy, labels


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


def validity_phase(config: Config, preset: Preset, trajectories: list[Trajectory], labels: dict[str, bool],
                   cache_dir: Path) -> dict[str, Any]:
    client = new_client(config, cache_dir)
    start = time.perf_counter()
    run = run_validity(trajectories, preset, config, "llm", client=client, progress=False)
    wall = time.perf_counter() - start
    targets = {}
    for target, by_kind in run.verdicts.items():
        verdicts = by_kind["judge"]
        targets[target] = agreement(verdicts, labels) | {
            "unscored": sum(v.valid is None for v in verdicts), "n": len(verdicts),
            "n_invalid_labels": sum(labels.get(v.trajectory_id) is False for v in verdicts)}
    return {"stats": call_stats(client, wall), "targets": targets}


def downstream_phase(config: Config, preset: Preset, references: list[Trajectory], model: str,
                     cache_dir: Path) -> dict[str, Any]:
    client = new_client(config, cache_dir)
    [agent] = agents([model], config, client)
    start = time.perf_counter()
    result = evaluate_dataset(Dataset(trajectories=references, name=preset.name), [agent], preset, runs=1)
    wall = time.perf_counter() - start
    outcome = result.agents[agent.name].runs[0]
    targets = {t: outcome.counts(t) | {"rate": outcome.rate(t), "scorer": result.scorers[t]}
               for t in result.targets}
    return {"stats": call_stats(client, wall), "targets": targets}


# ------------------------------------------------------------------------------------------------
# Output


def _num(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def print_stats(title: str, stats: dict[str, Any]) -> None:
    print(f"{title}: {stats['calls']} HTTP calls in {stats['wall_s']:.2f} s = "
          f"{_num(stats['calls_per_s'], '.2f')} calls/s; cached {stats['cached']}, failed {stats['failed']}, "
          f"retries {stats['retries']}, refused parameter re-sends {stats['rejected']} "
          f"({', '.join(stats['refused']) or 'none'}); tokens {stats['prompt_tokens']} prompt / "
          f"{stats['completion_tokens']} completion")
    if stats["timed"]:
        print(f"  seconds per call over {stats['timed']} timed attempts: mean {stats['mean_s']:.3f}, "
              f"p50 {stats['p50_s']:.3f}, p95 {stats['p95_s']:.3f}; wall / calls "
              f"{_num(stats['wall_per_call_s'])}")
    else:
        print(f"  seconds per call (wall / calls, no per-request timings): {_num(stats['wall_per_call_s'])}")


def report(args: argparse.Namespace, base_url: str, model: str, validity: dict[str, Any],
           downstream: dict[str, Any]) -> None:
    mode = ("LOOPBACK SMOKE RUN (scripted server, not a model measurement)" if args.loopback
            else "real endpoint")
    print(f"bench_real_llm: {mode}\nendpoint {base_url}, model {model!r}, benchmark {args.benchmark}, "
          f"n {args.n}, concurrency {args.concurrency}, timeout {args.timeout:g} s, structured output "
          f"{'off' if args.no_structured_output else 'on'}, seed {args.seed}\n")
    print_stats("validity (judge)", validity["stats"])
    for target, a in validity["targets"].items():
        print(f"  {target}: {a['n']} verdicts ({a['n_invalid_labels']} labelled invalid), unscored "
              f"{a['unscored']}; coverage {_num(a['coverage'])}, accuracy {_num(a['accuracy'])}, "
              f"F1(valid) {_num(a['f1_valid'])}, kappa {_num(a['kappa'])} "
              f"(tp {a['tp']}, tn {a['tn']}, fp {a['fp']}, fn {a['fn']})")
    print()
    print_stats("downstream (agent, 1 run)", downstream["stats"])
    for target, c in downstream["targets"].items():
        print(f"  {target} ({c['scorer']}): success {c['success']}, failure {c['failure']}, unscored "
              f"{c['unscored']}; success rate {_num(c['rate'])}")


# ------------------------------------------------------------------------------------------------
# Entry point


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--model", help="model name sent in every request (judge and agent)")
    parser.add_argument("--api-key", default=None, help="API key (default: $OPENAI_API_KEY, none if unset)")
    parser.add_argument("--benchmark", choices=BENCHMARKS, default="acp")
    parser.add_argument("--n", type=int, default=20, help="valid real trajectories (judge sees 2·n)")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per HTTP attempt")
    parser.add_argument("--no-structured-output", action="store_true",
                        help="do not ask the judge for JSON via response_format")
    parser.add_argument("--seed", type=int, default=123, help="seed of the invalidation")
    parser.add_argument("--loopback", action="store_true",
                        help="smoke check against the scripted loopback server (no model)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    if not args.loopback and not (args.base_url and args.model):
        parser.error("--base-url and --model are required (or --loopback)")
    return args


def run(args: argparse.Namespace, base_url: str, model: str, preset: Preset, valid: list[Trajectory],
        labelled: list[Trajectory], labels: dict[str, bool]) -> None:
    llm = LLMSettings(base_url=base_url, api_key=args.api_key, concurrency=args.concurrency,
                      timeout=args.timeout)
    judge = JudgeSettings(model=model, structured_output=not args.no_structured_output)
    config = Config(llm=llm, judge=judge, preset=preset.name, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="bench_real_llm_") as tmp:
        validity = validity_phase(config, preset, labelled, labels, Path(tmp) / "validity")
        downstream = downstream_phase(config, preset, valid, model, Path(tmp) / "downstream")
    report(args, base_url, model, validity, downstream)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    preset = get_preset(args.benchmark)
    try:
        valid = valid_trajectories(preset, args.n)
        labelled, labels = labelled_set(valid, preset, args.seed)
        if not args.loopback:
            run(args, args.base_url, args.model, preset, valid, labelled, labels)
            return 0
        sys.path.insert(0, str(TESTS))
        from helpers.openai_server import ScriptedOpenAIServer

        responder = LoopbackResponder.from_references(valid)
        with ScriptedOpenAIServer(responder=responder, flavor="llama.cpp") as server:
            run(args, server.base_url, args.model or LOOPBACK_MODEL, preset, valid, labelled, labels)
    except SynaeError as exc:
        print(f"bench_real_llm: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
