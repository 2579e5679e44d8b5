"""What the privacy metrics add to ``evaluate`` (figures in docs/benchmarks/privacy.md).

    python benchmarks/bench_privacy.py                # n = 10 000 real × 10 000 synthetic
    python benchmarks/bench_privacy.py --n 100000     # the target size: 100 000 × 100 000

Generates n real and n synthetic chat trajectories (seeded): 1–2 user turns of 20–60 words drawn
from a Zipf-weighted vocabulary, 1–3 tool calls with JSON arguments, their tool results, an assistant
reply and an output sentence; about 3 % of the real ones carry an e-mail address or a phone number.
Into the synthetic set it plants leaks: copies of real trajectories (1 %), a 15-word span copied from
a real user turn (2 %), a real PII value (2 %) and fresh PII values (2 %). Vectors are precomputed
(random unit 384-d float32, a copy carries its source's vectors; :mod:`synae.run.inputs.precomputed`), so
no model runs; the KND turn pairs go through the lexical embedder (``embedding.model = lexical``).

Then, in one process, two fresh :class:`~synae.run.scoring.evaluation.Evaluator` instances (nothing shared:
each builds both sides' features) run ``evaluate``: every planned metric minus ``privacy.*``
(``without``), then every planned metric (``with``). The privacy share is
(t_with − t_without) / t_without, over ``evaluate``'s whole wall time (fastest of the repeats), also
computed from the process's CPU time. Prints one JSON object with both wall and CPU times, the
shares, the stage timings of each run, every privacy metric's own time
(``report.timings["metric:<id>"]``) and value, and the time of the privacy features alone (built
once more after the timed runs); ``--repeat`` alternates the two runs that many times.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from typing import Any

import numpy as np

DIM = 384
TOOLS = {  # tool name → its parameters (kind of value)
    "search_flights": {"origin": "word", "destination": "word", "date": "date", "passengers": "int"},
    "search_hotels": {"city": "word", "check_in": "date", "nights": "int", "max_price": "int"},
    "book_hotel": {"hotel_id": "id", "guest_name": "words", "nights": "int"},
    "get_weather": {"city": "word", "date": "date"},
    "find_restaurants": {"city": "word", "cuisine": "word", "price_level": "int"},
    "reserve_table": {"restaurant_id": "id", "time": "time", "party_size": "int"},
    "convert_currency": {"amount": "int", "source": "word", "target": "word"},
    "lookup_order": {"order_id": "id"},
    "cancel_order": {"order_id": "id", "reason": "words"},
    "send_message": {"recipient": "word", "body": "words"},
    "search_products": {"query": "words", "limit": "int", "sort": "word"},
    "get_directions": {"origin": "words", "destination": "words", "mode": "word"},
}
RATES = {"copy": 0.01, "span": 0.02, "echo": 0.02, "fresh_pii": 0.02}  # planted leaks in D′
REAL_PII = 0.03  # share of real trajectories with a PII value
SPAN_WORDS = 15


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


class Words:
    """A Zipf-weighted vocabulary of pronounceable pseudo-words (seeded)."""

    def __init__(self, rng: np.random.Generator, size: int = 6000) -> None:
        syllables = np.array([c + v for c in "bcdfghklmnprstvz" for v in "aeiou"])
        lengths = rng.integers(1, 4, size=size)
        self.words = np.array(sorted({"".join(rng.choice(syllables, size=k)) for k in lengths}))
        rng.shuffle(self.words)
        weights = 1.0 / np.arange(1, self.words.size + 1) ** 1.05
        self.cdf = np.cumsum(weights) / weights.sum()

    def draw(self, rng: np.random.Generator, lo: int, hi: int) -> list[str]:
        picks = np.searchsorted(self.cdf, rng.random(int(rng.integers(lo, hi + 1))), side="right")
        out: list[str] = self.words[np.minimum(picks, self.words.size - 1)].tolist()
        return out

    def text(self, rng: np.random.Generator, lo: int, hi: int) -> str:
        """A turn of ``lo``–``hi`` words in sentences of 5–14 words ending with ``.``, ``?`` or ``!``,
        some words followed by a comma."""
        out = self.draw(rng, lo, hi)
        end = 0
        while end < len(out):
            end += int(rng.integers(5, 15))
            out[min(end, len(out)) - 1] += str(rng.choice([".", ".", "?", "!"]))
        for i in np.nonzero(rng.random(len(out)) < 0.05)[0]:
            if out[i][-1].isalnum():
                out[i] += ","
        out[0] = out[0].capitalize()
        return " ".join(out)


def _value(kind: str, rng: np.random.Generator, words: Words) -> Any:
    if kind == "int":
        return int(rng.integers(1, 500))
    if kind == "date":
        return f"2025-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
    if kind == "time":
        return f"{int(rng.integers(10, 23))}:{rng.choice(['00', '15', '30', '45'])}"
    if kind == "id":
        return f"{rng.choice(['A', 'B', 'H', 'R'])}{int(rng.integers(10_000, 99_999))}"
    if kind == "word":
        return words.draw(rng, 1, 1)[0]
    return " ".join(words.draw(rng, 2, 6))


def fresh_pii(rng: np.random.Generator, words: Words) -> str:
    """A new e-mail address or phone number."""
    if rng.random() < 0.5:
        name = ".".join(words.draw(rng, 2, 2))
        return f"{name}{int(rng.integers(1, 999))}@{words.draw(rng, 1, 1)[0]}.example.com"
    return f"+1 {int(rng.integers(200, 999))} {int(rng.integers(200, 999))} {int(rng.integers(1000, 9999))}"


def trajectory(rng: np.random.Generator, words: Words, tid: str, user_text: str | None = None) -> Any:
    """One chat trajectory (see the module docstring); ``user_text`` replaces the first user turn."""
    from synae.schema import FunctionCall, Message, ToolCall, Trajectory

    names = list(TOOLS)
    first = user_text if user_text is not None else words.text(rng, 20, 60)
    messages = [Message(role="system", content="You are a helpful travel and shopping assistant."),
                Message(role="user", content=first)]
    calls, results = [], []
    for j in range(int(rng.integers(1, 4))):
        name = names[int(rng.integers(0, len(names)))]
        args = {p: _value(kind, rng, words) for p, kind in TOOLS[name].items()}
        calls.append(ToolCall(id=f"{tid}-c{j}", function=FunctionCall(name=name, arguments=json.dumps(args))))
        found = [" ".join(words.draw(rng, 2, 5)) for _ in range(int(rng.integers(1, 4)))]
        results.append(Message(role="tool", tool_call_id=f"{tid}-c{j}", name=name,
                               content=json.dumps({"status": "ok", "results": found})))
    messages += [Message(role="assistant", tool_calls=calls), *results,
                 Message(role="assistant", content=words.text(rng, 10, 30))]
    if rng.random() < 0.5:
        messages += [Message(role="user", content=words.text(rng, 20, 60)),
                     Message(role="assistant", content=words.text(rng, 10, 30))]
    output = words.text(rng, 8, 25)
    return Trajectory(id=tid, messages=messages, output=output)


def _with_pii(text: str, value: str, rng: np.random.Generator) -> str:
    tokens = text.split(" ")
    at = int(rng.integers(0, len(tokens) + 1))
    return " ".join([*tokens[:at], "contact", value, *tokens[at:]])


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def make_sets(n: int, seed: int) -> tuple[Any, Any, dict[str, int]]:
    """The real and the synthetic :class:`~synae.schema.Dataset` and the planted leak counts."""
    from synae.schema import Dataset

    rng = np.random.default_rng(seed)
    words = Words(rng)
    real_trajs, real_pii = [], []
    for i in range(n):
        text = words.text(rng, 20, 60)
        if rng.random() < REAL_PII:
            value = fresh_pii(rng, words)
            real_pii.append(value)
            text = _with_pii(text, value, rng)
        real_trajs.append(trajectory(rng, words, f"real-{i}", text))
    real = Dataset(real_trajs, name="real")
    real.embeddings = {"transcript": unit_vectors(rng, n), "output": unit_vectors(rng, n)}

    syn_trajs = []
    syn_t, syn_o = unit_vectors(rng, n), unit_vectors(rng, n)
    planted = dict.fromkeys(RATES, 0)
    kinds = rng.choice([*RATES, "none"], size=n, p=[*RATES.values(), 1 - sum(RATES.values())])
    for i, kind in enumerate(kinds):
        tid = f"syn-{i}"
        if kind == "copy":
            src = int(rng.integers(0, n))
            syn_trajs.append(real_trajs[src].model_copy(update={"id": tid}))
            syn_t[i], syn_o[i] = real.embeddings["transcript"][src], real.embeddings["output"][src]
        else:
            text = words.text(rng, 20, 60)
            if kind == "span":
                source = (real_trajs[int(rng.integers(0, n))].messages[1].content or "").split(" ")
                at = int(rng.integers(0, max(len(source) - SPAN_WORDS, 0) + 1))
                text = " ".join([*text.split(" ")[:10], *source[at:at + SPAN_WORDS], *text.split(" ")[10:]])
            elif kind == "echo" and real_pii:
                text = _with_pii(text, real_pii[int(rng.integers(0, len(real_pii)))], rng)
            elif kind == "fresh_pii":
                text = _with_pii(text, fresh_pii(rng, words), rng)
            syn_trajs.append(trajectory(rng, words, tid, text))
        planted[kind] = planted.get(kind, 0) + 1
    syn = Dataset(syn_trajs, name="synthetic")
    syn.embeddings = {"transcript": syn_t, "output": syn_o}
    planted.pop("none", None)
    return real, syn, planted


def head(dataset: Any, n: int) -> Any:
    """The first ``n`` trajectories of ``dataset`` with their vectors (every trajectory has an output)."""
    from synae.schema import Dataset

    out = Dataset(dataset.trajectories[:n], name=dataset.name)
    out.embeddings = {view: vectors[:n] for view, vectors in dataset.embeddings.items()}
    return out


def privacy_features_s(real: Any, syn: Any) -> float:
    """Wall time of :func:`synae.metrics.privacy.privacy_features` on both sets (every target)."""
    from synae.metrics.privacy import privacy_features

    start = time.perf_counter()
    privacy_features(real.trajectories)
    privacy_features(syn.trajectories)
    return time.perf_counter() - start


def timed_evaluate(real: Any, syn: Any, metric_ids: list[str]) -> tuple[float, float, Any]:
    """``evaluate`` of a fresh evaluator on ``metric_ids`` (its own features, nothing memoised): wall
    seconds, CPU seconds of the process (all threads; less disturbed by other processes on a shared
    machine than wall time) and the report."""
    from synae.config import Config
    from synae.run.scoring.evaluation import Evaluator

    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    with Evaluator(real, Config(embedding={"model": "lexical"}), metric_patterns=metric_ids,
                   progress=False) as ev:
        report = ev.evaluate(syn)
    return time.perf_counter() - start, time.process_time() - cpu, report


def progress(message: str) -> None:
    """A line on stderr (the JSON result goes to stdout at the end), so a long run shows where it is."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="real and synthetic trajectories (each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="alternate without/with this many times")
    args = parser.parse_args()

    from synae.config import Config
    from synae.presets import detect_preset, get_preset
    from synae.run.scoring.evaluation import planned_metrics

    t0 = time.perf_counter()
    progress(f"generating {args.n:,} real and {args.n:,} synthetic trajectories")
    real, syn, planted = make_sets(args.n, args.seed)
    generate_s = time.perf_counter() - t0
    progress(f"generated in {generate_s:.0f} s")
    preset = get_preset(detect_preset(real.trajectories))
    every = planned_metrics(preset, Config(embedding={"model": "lexical"}), real.trajectories)
    without = [m for m in every if not m.startswith("privacy.")]
    timed_evaluate(head(real, 300), head(syn, 300), every)  # warm-up: imports, first calls
    runs: dict[str, list[float]] = {"without": [], "with": []}
    cpu: dict[str, list[float]] = {"without": [], "with": []}
    reports: dict[str, Any] = {}
    for _ in range(args.repeat):
        for label, ids in (("without", without), ("with", every)):
            progress(f"evaluate {label} privacy ({len(ids)} metrics)")
            seconds, cpu_seconds, reports[label] = timed_evaluate(real, syn, ids)
            progress(f"evaluate {label} privacy: {seconds:.1f} s wall, {cpu_seconds:.1f} s CPU")
            runs[label].append(seconds)
            cpu[label].append(cpu_seconds)
    t_with, t_without = min(runs["with"]), min(runs["without"])
    c_with, c_without = min(cpu["with"]), min(cpu["without"])
    rep = reports["with"]
    privacy = {k.removeprefix("metric:"): round(v, 3) for k, v in rep.timings.items()
               if k.startswith("metric:privacy.")}
    stages = {label: {k: round(v, 2) for k, v in r.timings.items() if not k.startswith("metric:")}
              for label, r in reports.items()}
    print(json.dumps({
        "bench": "privacy", "n": args.n, "seed": args.seed, "preset": preset.name,
        "n_metrics": {"with": len(every), "without": len(without)}, "planted": planted,
        "generate_s": round(generate_s, 1),
        "evaluate_s": {k: [round(s, 2) for s in v] for k, v in runs.items()},
        "cpu_s": {k: [round(s, 2) for s in v] for k, v in cpu.items()},
        "privacy_share": round((t_with - t_without) / t_without, 4),
        "privacy_share_cpu": round((c_with - c_without) / c_without, 4),
        "privacy_features_s": round(privacy_features_s(real, syn), 2),
        "privacy_metrics_s": round(sum(privacy.values()), 2), "per_metric_s": privacy,
        "stages": stages,
        "values": {m: r.value for m, r in rep.metrics.items() if m.startswith("privacy.")},
        "statuses": {m: r.status for m, r in rep.metrics.items() if r.status != "ok"},
        "peak_rss_gb": round(peak_rss_gb(), 2)}, indent=1), flush=True)


if __name__ == "__main__":
    main()
