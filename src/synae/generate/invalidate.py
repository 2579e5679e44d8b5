"""``invalidate`` — make a fraction v of trajectories invalid (``docs/method.md`` §8.4).

Instructions stay untouched; what changes is the preset's :class:`Invalidation` for ``target``
(its ``invalidation`` hook; ``invalidation_targets`` lists them, the default first):

- **T1, tool_calls** (§8.4): in the plan text, ``state="…"`` and ``city="…"`` get a different ontology
  value and every listed ``type=[…]`` a different type (one ``rng.choice`` per replaced value, in
  that order, per selected row in drawn order).
- **T1, output** (§8.4): each type of the plan's first ``type=[…]`` is replaced in the output text
  (case-insensitive, whole words, sequentially) by a different drawn type.
- **BFCL, tool_calls** (§8.4): every single-quoted literal of every call string becomes ``'invalid'``;
  ``tool_calls`` are re-parsed from the new text.
- **ACP, answer** (§8.4): the answer is flipped ``yes`` ↔ ``no``.
- **Generic, output** (:func:`output_transform`): one ``rng.integers(3)`` picks the mode —
  ``swap`` (the output of another trajectory, drawn uniformly from the distinct other outputs in
  first-appearance order), ``truncate`` (the first ⌊w/2⌋ of w ≥ 2 words) or ``garble`` (words
  permuted by ``rng.permutation`` and each reversed); a mode that cannot apply falls through to the
  next one (swap → truncate → garble). No output → nothing drawn, unchanged.
- **Generic, tool_calls** (:func:`tool_call_transform`): ``rng.integers(3)`` picks the mode, then
  ``rng.integers(#calls)`` the call (assistant calls in message order) — ``drop_call`` (the call and
  its result message removed), ``swap_name`` (the name becomes another tool of ``tools``, drawn
  uniformly from the other names sorted; none → ``corrupt_argument``) or ``corrupt_argument`` (an
  argument drawn uniformly gets a value its JSON-schema type rejects, see :func:`wrong_value`; a
  call without arguments gets the undeclared argument ``unexpected_argument``). No call → nothing
  drawn, unchanged. The mode is recorded in ``metadata.generation.invalidation_mode``.

Selection, with a fresh ``default_rng(seed)`` per v: ``rng.choice(n, size=int(v·n), replace=False)``,
except that an invalidation with ``reference_with_replacement`` (BFCL/ACP) draws
``rng.choice(ids, size=int(n·v))`` *with* replacement in the reference profile (duplicate draws
collapse, fewer rows change). Output keeps the input order; presets with ``generation_keeps_ids``
(T1) keep the ids, other rows become ``invalidate_frac{v}_{i}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from synae.errors import ConfigError
from synae.generate.common import (
    GenMode,
    SourcePreset,
    check_fraction,
    check_mode,
    derive,
    frac_tag,
    make_dataset,
    new_rng,
    provenance,
)
from synae.generate.textedit import code_messages, replace_word, set_code
from synae.schema import Dataset, Message, Trajectory
from synae.toolcalls import render_call

METHOD = "invalidate"
OUTPUT_MODES = ("swap", "truncate", "garble")
CALL_MODES = ("drop_call", "swap_name", "corrupt_argument")
UNEXPECTED_ARGUMENT = "unexpected_argument"

_TYPE_LIST = re.compile(r"type=\[([^\]]*)\]")
_QUOTED = re.compile(r'"([^"]*)"')
_SINGLE_QUOTED = re.compile(r"'[^']*'")


@dataclass(frozen=True)
class T1Vocabulary:
    """Sorted distinct ontology values (plain code-point order), the replacement pools of §8.4."""

    states: list[str]
    cities: list[str]
    types: list[str]

    @classmethod
    def from_values(cls, states: Sequence[str], cities: Sequence[str], types: Sequence[str]) -> T1Vocabulary:
        return cls(sorted(set(states)), sorted(set(cities)), sorted(set(types)))


def t1_vocabulary() -> T1Vocabulary:
    """The vocabularies of ``t1/ontology_attractions.csv`` (through the T1 preset)."""
    from synae.envs.t1_ontology import load_ontology

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


def _constant(text: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement that inserts ``text`` literally."""
    return lambda _m: text


def _draw_other(rng: np.random.Generator, pool: Sequence[str], current: str) -> str:
    """``rng.choice([u in pool if u ≠ current])`` — one uniform draw of a different value."""
    return str(rng.choice([u for u in pool if u != current]))


def corrupt_t1_plan(codes: list[str], rng: np.random.Generator, vocab: T1Vocabulary) -> list[str]:
    """§8.4 on the plan text of one trajectory (one string per tool-call message, in order).

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
        codes = [pattern.sub(_constant(new), code) for code in codes]
    first = next((m for code in codes if (m := _TYPE_LIST.search(code))), None)
    if first is not None:
        drawn = [_draw_other(rng, vocab.types, t) for t in _QUOTED.findall(first.group(1))]
        new = "type=[" + ", ".join(f'"{t}"' for t in drawn) + "]"
        codes = [_TYPE_LIST.sub(lambda _m: new, code) for code in codes]
    return codes


def corrupt_t1_output(output: str | None, plan: str, rng: np.random.Generator,
                      types: Sequence[str]) -> str | None:
    """§8.4: replace, in the output, each type of the plan's first ``type=[…]`` by a drawn other type.

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
    """§8.4 on one message's code: in every call string (line), each ``'…'`` becomes ``'invalid'``."""
    return "\n".join(_SINGLE_QUOTED.sub("'invalid'", line) for line in code.split("\n"))


def _flip(answer: str | None) -> str | None:
    flips = {"yes": "no", "no": "yes"}
    if answer is None or answer.strip().lower() not in flips:
        return None
    return flips[answer.strip().lower()]


@dataclass(frozen=True)
class Change:
    """A modification that also names its mode (recorded as ``invalidation_mode``)."""

    description: str
    mode: str


Transform = Callable[[Trajectory, Trajectory, np.random.Generator], "str | Change | None"]


@dataclass(frozen=True)
class Invalidation:
    """What a preset's ``invalidation`` hook returns: the target's name as recorded, the transform
    (source, output copy, rng) → modification or ``None`` when unchanged, and whether the reference
    profile selects with replacement."""

    target: str
    transform: Transform
    reference_with_replacement: bool = False


class InvalidatePreset(SourcePreset, Protocol):
    """What ``invalidate`` reads of a preset."""

    def invalidation_targets(self, trajectories: Sequence[Trajectory]) -> tuple[str, ...]:
        """The ``invalidate`` targets on this data, the default first."""
        ...

    def invalidation(self, target: str, trajectories: Sequence[Trajectory], *,
                     vocabulary: Any = None) -> Invalidation:
        """The transform of ``target`` (``KeyError`` for a target the preset does not define)."""
        ...


def t1_tool_calls(vocab: T1Vocabulary) -> Transform:
    """§8.4 as a transform."""
    def apply(source: Trajectory, out: Trajectory, rng: np.random.Generator) -> str | None:
        messages = code_messages(out)
        old = [code for _turn, _msg, code in messages]
        new = corrupt_t1_plan(old, rng, vocab)
        for (turn, msg, _code), code in zip(messages, new, strict=True):
            set_code(msg, code, turn=turn)
        return "arguments replaced by other ontology values" if new != old else None
    return apply


def t1_output(vocab: T1Vocabulary) -> Transform:
    """§8.4 as a transform."""
    def apply(source: Trajectory, out: Trajectory, rng: np.random.Generator) -> str | None:
        plan = "\n".join(code for _turn, _msg, code in code_messages(source))
        new = corrupt_t1_output(out.output, plan, rng, vocab.types)
        changed = new != out.output
        out.output = new
        return "attraction types in the output replaced" if changed else None
    return apply


def bfcl_tool_calls(source: Trajectory, out: Trajectory, rng: np.random.Generator) -> str | None:
    """§8.4 as a transform (draws nothing)."""
    n_changed = 0
    for turn, msg, code in code_messages(out):
        new = blank_single_quoted(code)
        if new != code:
            n_changed += len(_SINGLE_QUOTED.findall(code))
            set_code(msg, new, turn=turn, per_line=True)
    return f"{n_changed} single-quoted literal(s) replaced by 'invalid'" if n_changed else None


def flip_answer(source: Trajectory, out: Trajectory, rng: np.random.Generator) -> str | None:
    """§8.4 as a transform (draws nothing): a yes/no output flipped."""
    flipped = _flip(out.output)
    if flipped is None:
        return None
    out.output = flipped
    return f"answer flipped to {flipped}"


# --------------------------------------------------------------------------------------------
# Generic data


def _garble(text: str, rng: np.random.Generator) -> str:
    """Words permuted (``rng.permutation``) and each reversed; ``"~"`` prepended if that changes
    nothing (e.g. one palindrome)."""
    words = text.split()
    order = rng.permutation(len(words)).tolist()
    garbled = " ".join(words[i][::-1] for i in order)
    return garbled if garbled != text else "~" + text


def output_transform(trajectories: Sequence[Trajectory]) -> Transform:
    """The generic output invalidation (module docstring); ``trajectories`` give the swap pool."""
    pool = list(dict.fromkeys(t.output for t in trajectories if t.output))

    def apply(source: Trajectory, out: Trajectory, rng: np.random.Generator) -> Change | None:
        current = out.output
        if not current:
            return None
        mode = OUTPUT_MODES[int(rng.integers(len(OUTPUT_MODES)))]
        others = [o for o in pool if o != current]
        words = current.split()
        if mode == "swap" and others:
            out.output = others[int(rng.integers(len(others)))]
            return Change("output replaced by another trajectory's output", "swap")
        if mode in ("swap", "truncate") and len(words) >= 2:
            out.output = " ".join(words[: len(words) // 2])
            return Change(f"output truncated to {len(words) // 2} of {len(words)} words", "truncate")
        out.output = _garble(current, rng)
        return Change("output garbled (words shuffled and reversed)", "garble")
    return apply


def _tool_schemas(traj: Trajectory) -> dict[str, dict[str, Any]]:
    """Declared tool name → its JSON-schema ``parameters`` (``{}`` when it has none)."""
    out: dict[str, dict[str, Any]] = {}
    for tool in traj.tools or ():
        function = tool.get("function", tool) if isinstance(tool, dict) else {}
        name = function.get("name")
        if isinstance(name, str):
            params = function.get("parameters")
            out[name] = params if isinstance(params, dict) else {}
    return out


def wrong_value(spec: dict[str, Any], current: Any) -> Any:
    """A value the JSON schema ``spec`` rejects: an enum → ``"invalid_value"`` (a string not in
    it); ``string`` → the number ``-1``; ``integer``/``number``/``boolean``/``array``/``object`` →
    the string ``"invalid"``; no type → ``-1`` for a string value, else ``"invalid"``."""
    enum = spec.get("enum")
    if isinstance(enum, list) and enum:
        candidate = "invalid_value"
        while candidate in enum:
            candidate += "_"
        return candidate
    kind = spec.get("type")
    if kind == "string" or (kind is None and isinstance(current, str)):
        return -1
    return "invalid"


def _corrupt_argument(msg: Message, index: int, schema: dict[str, Any], rng: np.random.Generator) -> str:
    assert msg.tool_calls is not None
    function = msg.tool_calls[index].function
    arguments = function.parsed_arguments()
    keys = list(arguments)
    if keys:
        key = keys[int(rng.integers(len(keys)))]
        spec = (schema.get("properties") or {}).get(key)
        arguments[key] = wrong_value(spec if isinstance(spec, dict) else {}, arguments[key])
        detail = f"argument {key!r} of {function.name} set to {arguments[key]!r} against its schema"
    else:
        arguments[UNEXPECTED_ARGUMENT] = "invalid"
        detail = f"undeclared argument {UNEXPECTED_ARGUMENT!r} added to {function.name}"
    function.arguments = json.dumps(arguments, ensure_ascii=False)
    return detail


def _drop_call(out: Trajectory, msg: Message, index: int) -> str:
    assert msg.tool_calls is not None
    call = msg.tool_calls.pop(index)
    if not msg.tool_calls:
        msg.tool_calls = None
    out.messages = [m for m in out.messages
                    if not (m.role == "tool" and m.tool_call_id is not None and m.tool_call_id == call.id)
                    and not (m is msg and not msg.tool_calls and not (msg.content or "").strip())]
    return f"call {call.function.name} dropped (with its result)"


def tool_call_transform(source: Trajectory, out: Trajectory, rng: np.random.Generator) -> Change | None:
    """The generic tool-call invalidation (module docstring)."""
    calls = [(msg, k) for msg in out.messages if msg.role == "assistant"
             for k in range(len(msg.tool_calls or ()))]
    if not calls:
        return None
    mode = CALL_MODES[int(rng.integers(len(CALL_MODES)))]
    msg, index = calls[int(rng.integers(len(calls)))]
    assert msg.tool_calls is not None
    schemas = _tool_schemas(out)
    name = msg.tool_calls[index].function.name
    if mode == "drop_call":
        detail = _drop_call(out, msg, index)
    else:
        others = sorted(n for n in schemas if n != name)
        if mode == "swap_name" and others:
            new = others[int(rng.integers(len(others)))]
            msg.tool_calls[index].function.name = new
            detail = f"call {name} renamed to the declared tool {new}"
        else:
            mode = "corrupt_argument"
            detail = _corrupt_argument(msg, index, schemas.get(name, {}), rng)
    if msg.code is not None:
        msg.code = "\n".join(render_call(c.function.name, c.function.parsed_arguments())
                             for c in msg.tool_calls or ())
    return Change(detail, mode)


def invalidate(dataset: Dataset, v: float = 0.5, *, preset: InvalidatePreset, target: str | None = None,
               seed: int | None = 123, mode: GenMode = "default", vocabulary: T1Vocabulary | None = None
               ) -> Dataset:
    """Invalidated copy of ``dataset``: a fraction ``v`` of rows selected, each transformed.

    ``target`` defaults to the preset's first ``invalidation_targets`` (T1 ``tool_calls``, BFCL
    ``tool_calls``, ACP ``answer`` — which also accepts ``output`` —, generic ``tool_calls`` when
    the data has calls, else ``output``). ``metadata.generation.modified`` records whether the row
    really changed (a selected row can stay unchanged, e.g. a T1 output that never names its type),
    so the validity rate by construction is #unmodified / n. ``vocabulary`` replaces the T1
    ontology pools.
    """
    check_mode(mode)
    frac = check_fraction("v", v)
    targets = preset.invalidation_targets(dataset.trajectories)
    if target is None and not targets:
        raise ConfigError(f"{dataset.source or dataset.name}: nothing to invalidate "
                          "(no tool calls and no outputs)")
    chosen = target or targets[0]
    try:
        invalidation = preset.invalidation(chosen, dataset.trajectories, vocabulary=vocabulary)
    except KeyError:
        raise ConfigError(f"invalidate --target {chosen!r} is not defined for {preset.name}; "
                          f"choose {', '.join(targets) or 'nothing (no tool calls, no outputs)'}") from None
    with_replacement = invalidation.reference_with_replacement and mode == "reference"
    rng = new_rng(seed)
    selected = select_positions(len(dataset), frac, with_replacement=with_replacement, rng=rng)
    tag = f"{METHOD}_frac{frac_tag(v)}"
    params = {"v": v, "target": invalidation.target, "benchmark": preset.name,
              "selection": "with_replacement" if with_replacement else "without_replacement"}
    out: list[Trajectory] = []
    for pos, traj in enumerate(dataset):
        new_id = None if preset.generation_keeps_ids else f"{tag}_{pos}"
        out.append(derive(traj, new_id=new_id, generation={}))
    for pos in selected:  # drawn order: transforms continue the same rng
        change = invalidation.transform(dataset[pos], out[pos], rng)
        extra = {"invalidation_mode": change.mode} if isinstance(change, Change) else {}
        modification = change.description if isinstance(change, Change) else change
        out[pos].metadata["generation"] = provenance(
            METHOD, params, seed, source=dataset[pos], position=pos, modified=modification is not None,
            modification=modification, selected=True, **extra)
    chosen_positions = set(selected)
    for pos, traj in enumerate(out):
        if pos not in chosen_positions:
            traj.metadata["generation"] = provenance(METHOD, params, seed, source=dataset[pos],
                                                     position=pos, modified=False, selected=False)
    return make_dataset(out, name=tag, source=dataset)
