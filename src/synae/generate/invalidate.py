"""``invalidate`` — make a fraction v of trajectories invalid (``generation.md`` §3).

Instructions stay untouched; what changes depends on the benchmark and ``target``:

- **T1, tool_calls** (§3.1): in the plan text, ``state="…"`` and ``city="…"`` get a different ontology
  value and every listed ``type=[…]`` a different type (one ``rng.choice`` per replaced value, in
  that order, per selected row in drawn order).
- **T1, output** (§3.2): each type of the plan's first ``type=[…]`` is replaced in the output text
  (case-insensitive, whole words, sequentially) by a different drawn type.
- **BFCL, tool_calls** (§3.3): every single-quoted literal of every call string becomes ``'invalid'``;
  ``tool_calls`` are re-parsed from the new text.
- **ACP, answer** (§3.4): the answer is flipped ``yes`` ↔ ``no``.

Selection, with a fresh ``default_rng(seed)`` per v: T1 always ``rng.choice(n, size=int(v·n),
replace=False)``; BFCL/ACP in the reference profile ``rng.choice(ids, size=int(n·v))`` *with*
replacement (duplicate draws collapse, fewer rows change), in the default profile without. Output
keeps the input order; T1 keeps its ids, BFCL/ACP rows become ``invalidate_frac{v}_{i}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from synae.errors import ConfigError
from synae.generate.common import (
    GenMode,
    check_fraction,
    check_mode,
    derive,
    detect_benchmark,
    frac_tag,
    make_dataset,
    new_rng,
    provenance,
)
from synae.generate.textedit import code_messages, replace_word, set_code
from synae.schema import Dataset, Trajectory

METHOD = "invalidate"
TARGETS: dict[str, tuple[str, ...]] = {"t1": ("tool_calls", "output"), "bfcl": ("tool_calls",),
                                       "acp": ("answer",)}
DEFAULT_TARGET = {"t1": "tool_calls", "bfcl": "tool_calls", "acp": "answer"}

_TYPE_LIST = re.compile(r"type=\[([^\]]*)\]")
_QUOTED = re.compile(r'"([^"]*)"')
_SINGLE_QUOTED = re.compile(r"'[^']*'")


@dataclass(frozen=True)
class T1Vocabulary:
    """Sorted distinct ontology values (plain code-point order), the replacement pools of §3.1."""

    states: list[str]
    cities: list[str]
    types: list[str]

    @classmethod
    def from_values(cls, states: Sequence[str], cities: Sequence[str], types: Sequence[str]) -> T1Vocabulary:
        return cls(sorted(set(states)), sorted(set(cities)), sorted(set(types)))


def t1_vocabulary() -> T1Vocabulary:
    """The vocabularies of ``t1/ontology_attractions.csv`` (through the T1 preset)."""
    from synae.presets.t1 import load_ontology

    onto = load_ontology()
    return T1Vocabulary.from_values(onto.states, onto.cities, onto.types)


def select_positions(n: int, v: float, *, with_replacement: bool, rng: np.random.Generator) -> list[int]:
    """Selected positions in drawn order (duplicates collapsed, first draw kept).

    ``int(v · n)`` draws (truncation of the IEEE product); with replacement the same position can be
    drawn twice and is then selected once.
    """
    size = int(v * n)
    if with_replacement:
        drawn = rng.choice(n, size=size).tolist()
    else:
        drawn = rng.choice(n, size=size, replace=False).tolist()
    return list(dict.fromkeys(int(p) for p in drawn))


def _draw_other(rng: np.random.Generator, pool: Sequence[str], current: str) -> str:
    """``rng.choice([u in pool if u ≠ current])`` — one uniform draw of a different value."""
    return str(rng.choice([u for u in pool if u != current]))


def corrupt_t1_plan(codes: list[str], rng: np.random.Generator, vocab: T1Vocabulary) -> list[str]:
    """§3.1 on the plan text of one trajectory (one string per tool-call message, in order).

    The first ``state="X"`` (over all strings, in order) decides X; a state ≠ X is drawn and every
    ``state="…"`` becomes it; then the same for ``city``; then each type t of the first
    ``type=[…]`` gets a drawn type ≠ t and every ``type=[…]`` becomes the list of drawn types.
    """
    for key, pool in (("state", vocab.states), ("city", vocab.cities)):
        pattern = re.compile(key + r'="([^"]*)"')
        first = next((m for code in codes if (m := pattern.search(code))), None)
        if first is None:
            continue
        new = f'{key}="{_draw_other(rng, pool, first.group(1))}"'
        codes = [pattern.sub(lambda _m, new=new: new, code) for code in codes]
    first = next((m for code in codes if (m := _TYPE_LIST.search(code))), None)
    if first is not None:
        drawn = [_draw_other(rng, vocab.types, t) for t in _QUOTED.findall(first.group(1))]
        new = "type=[" + ", ".join(f'"{t}"' for t in drawn) + "]"
        codes = [_TYPE_LIST.sub(lambda _m: new, code) for code in codes]
    return codes


def corrupt_t1_output(output: str | None, plan: str, rng: np.random.Generator,
                      types: Sequence[str]) -> str | None:
    """§3.2: replace, in the output, each type of the plan's first ``type=[…]`` by a drawn other type.

    No type list → nothing drawn. Replacements are sequential (a later one can act on text an
    earlier one produced — the reference behaviour).
    """
    first = _TYPE_LIST.search(plan)
    if first is None:
        return output
    for current in _QUOTED.findall(first.group(1)):
        new = _draw_other(rng, types, current)
        if output is not None:
            output = replace_word(output, current, new)
    return output


def blank_single_quoted(code: str) -> str:
    """§3.3 on one message's code: in every call string (line), each ``'…'`` becomes ``'invalid'``."""
    return "\n".join(_SINGLE_QUOTED.sub("'invalid'", line) for line in code.split("\n"))


def _flip(answer: str | None) -> str | None:
    flips = {"yes": "no", "no": "yes"}
    if answer is None or answer.strip().lower() not in flips:
        return None
    return flips[answer.strip().lower()]


Transform = Callable[[Trajectory, Trajectory, np.random.Generator], str | None]


def _t1_tool_calls(vocab: T1Vocabulary) -> Transform:
    def apply(source: Trajectory, out: Trajectory, rng: np.random.Generator) -> str | None:
        messages = code_messages(out)
        old = [code for _turn, _msg, code in messages]
        new = corrupt_t1_plan(old, rng, vocab)
        for (turn, msg, _code), code in zip(messages, new, strict=True):
            set_code(msg, code, turn=turn)
        return "arguments replaced by other ontology values" if new != old else None
    return apply


def _t1_output(vocab: T1Vocabulary) -> Transform:
    def apply(source: Trajectory, out: Trajectory, rng: np.random.Generator) -> str | None:
        plan = "\n".join(code for _turn, _msg, code in code_messages(source))
        new = corrupt_t1_output(out.output, plan, rng, vocab.types)
        changed = new != out.output
        out.output = new
        return "attraction types in the output replaced" if changed else None
    return apply


def _bfcl_tool_calls(source: Trajectory, out: Trajectory, rng: np.random.Generator) -> str | None:
    n_changed = 0
    for turn, msg, code in code_messages(out):
        new = blank_single_quoted(code)
        if new != code:
            n_changed += len(_SINGLE_QUOTED.findall(code))
            set_code(msg, new, turn=turn, per_line=True)
    return f"{n_changed} single-quoted literal(s) replaced by 'invalid'" if n_changed else None


def _acp_answer(source: Trajectory, out: Trajectory, rng: np.random.Generator) -> str | None:
    flipped = _flip(out.output)
    if flipped is None:
        return None
    out.output = flipped
    return f"answer flipped to {flipped}"


def invalidate(dataset: Dataset, v: float = 0.5, *, target: str | None = None, seed: int | None = 123,
               mode: GenMode = "default", preset: str | None = None,
               vocabulary: T1Vocabulary | None = None) -> Dataset:
    """Invalidated copy of ``dataset``: a fraction ``v`` of rows selected, each transformed.

    ``target`` defaults per benchmark (T1 ``tool_calls``, BFCL ``tool_calls``, ACP ``answer``; ACP
    also accepts ``output``). ``metadata.generation.modified`` records whether the row really
    changed (a selected row can stay unchanged, e.g. a T1 output that never names its type), so the
    validity rate by construction is #unmodified / n.
    """
    check_mode(mode)
    frac = check_fraction("v", v)
    bench = detect_benchmark(dataset, preset)
    target = target or DEFAULT_TARGET[bench]
    if bench == "acp" and target == "output":
        target = "answer"
    if target not in TARGETS[bench]:
        raise ConfigError(f"invalidate --target {target!r} is not defined for {bench}; "
                          f"choose {', '.join(TARGETS[bench])}")
    transform: Transform
    if bench == "t1":
        vocab = vocabulary or t1_vocabulary()
        transform = _t1_tool_calls(vocab) if target == "tool_calls" else _t1_output(vocab)
    else:
        transform = _bfcl_tool_calls if bench == "bfcl" else _acp_answer
    with_replacement = bench != "t1" and mode == "reference"
    rng = new_rng(seed)
    selected = select_positions(len(dataset), frac, with_replacement=with_replacement, rng=rng)
    tag = f"{METHOD}_frac{frac_tag(v)}"
    params = {"v": v, "target": target, "benchmark": bench,
              "selection": "with_replacement" if with_replacement else "without_replacement"}
    out: list[Trajectory] = []
    for pos, traj in enumerate(dataset):
        new_id = None if bench == "t1" else f"{tag}_{pos}"
        out.append(derive(traj, new_id=new_id, generation={}))
    for pos in selected:  # drawn order: T1 transforms continue the same rng
        modification = transform(dataset[pos], out[pos], rng)
        out[pos].metadata["generation"] = provenance(
            METHOD, params, seed, source=dataset[pos], position=pos, modified=modification is not None,
            modification=modification, selected=True)
    chosen = set(selected)
    for pos, traj in enumerate(out):
        if pos not in chosen:
            traj.metadata["generation"] = provenance(METHOD, params, seed, source=dataset[pos],
                                                     position=pos, modified=False, selected=False)
    return make_dataset(out, name=tag, source=dataset)
