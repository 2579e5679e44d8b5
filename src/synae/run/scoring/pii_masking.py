"""PII masking of the texts a report shows (``report_data`` in the results JSON and the HTML page).

A detected value is replaced by ``«kind»`` (:data:`PII_MASK`, e.g. ``«email»``, ``«api_key»``):

- every value :func:`synae.metrics.pii.find_display_pii` finds (the privacy metrics' kinds and the
  display-only kinds: URL secrets, API keys, US SSNs), in a real or a synthetic text alike;
- and wherever the canonical form of an *echoed* value (:func:`echoed_pii`: found in texts of both
  sets) occurs literally, case-insensitive, which catches an echoed value in a context the patterns
  skip.

A value of a kind no pattern detects is not masked. Trajectory ids are masked the same way; an id
that held PII is shown masked and suffixed with its 1-based position in its set (``«email»#3``), so
shown ids stay distinct (:func:`shown_ids`). ``PiiMask(raw=True)`` masks nothing: the explicit
opt-in of a private report (``output.show_pii``). :func:`mask_notes` masks the rest of a results
file's free text (warnings, reasons, notes) before it is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from synae.metrics.pii import find_display_pii, find_pii
from synae.results import ComparisonResults, EvaluationReport
from synae.schema import Trajectory

PII_MASK = "«{kind}»"  # what a detected PII value is replaced by
PII_LABEL = re.compile(r"«[a-z0-9_]+»")  # a mask in a stored text

Replacement = tuple[int, int, str]  # (start, end, mask) of one masked value in a text


def trajectory_texts(t: Trajectory) -> Iterator[str]:
    """Every text of a trajectory the report may show: message contents, tool-call arguments, code,
    the output and string attributes (list items included)."""
    for m in t.messages:
        yield m.content or ""
        yield from (c.function.arguments or "" for c in m.tool_calls or ())
        yield m.code or ""
    yield t.output or ""
    for value in t.attributes.values():
        yield from (v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))


def echoed_pii(real: Iterable[Trajectory], synthetic: Iterable[Trajectory]) -> dict[str, str]:
    """The PII-like values (canonical form → kind; the privacy metrics' kinds) found in some text of
    both sets (:func:`trajectory_texts`; any text, so a superset of what ``pii_echo`` counts within
    one view)."""
    real_values = {m.value for t in real for text in trajectory_texts(t) for m in find_pii(text)}
    return {m.value: m.kind for t in synthetic for text in trajectory_texts(t) for m in find_pii(text)
            if m.value in real_values}


@dataclass
class PiiMask:
    """Replaces by ``«kind»`` every value :func:`~synae.metrics.pii.find_display_pii` finds in a text
    and every literal occurrence (case-insensitive) of a canonical form of ``echoed`` (canonical
    form → kind); ``raw``: mask nothing (a private report)."""

    echoed: Mapping[str, str] = field(default_factory=dict)
    raw: bool = False

    def __post_init__(self) -> None:
        self._kinds = {value.casefold(): kind for value, kind in self.echoed.items()}
        values = sorted(self._kinds, key=len, reverse=True)  # the longest alternative wins
        self._literal = re.compile("|".join(map(re.escape, values)), re.IGNORECASE) if values else None

    def replacements(self, text: str) -> list[Replacement]:
        """The masked values of ``text`` as (start, end, mask), in order, non-overlapping."""
        if self.raw or not text:
            return []
        found = [(m.start, m.end, PII_MASK.format(kind=m.kind)) for m in find_display_pii(text)]
        for hit in self._literal.finditer(text) if self._literal is not None else ():
            start, end = hit.span()
            if not any(start < e and s < end for s, e, _ in found):
                found.append((start, end, PII_MASK.format(kind=self._kinds[hit.group().casefold()])))
        return sorted(found)

    def masked(self, text: str) -> tuple[str, list[Replacement]]:
        """``text`` with its values masked, and the replacements made (original offsets)."""
        reps = self.replacements(text)
        pieces, pos = [], 0
        for start, end, mask in reps:
            pieces += [text[pos:start], mask]
            pos = end
        return "".join([*pieces, text[pos:]]), reps

    def apply(self, text: str | None) -> str | None:
        return None if text is None else self.masked(text)[0]


def shown_ids(ids: Sequence[str], mask: PiiMask) -> dict[str, str]:
    """The ids of one set that ``mask`` changes → how they are shown: masked, then ``#`` and the
    1-based position in the set (masked ids stay distinct; unchanged ids are left out)."""
    out: dict[str, str] = {}
    for i, tid in enumerate(ids):
        masked = mask.apply(tid)
        if masked != tid:
            out[tid] = f"{masked}#{i + 1}"
    return out


def remap(pos: int, reps: Sequence[Replacement], end: bool) -> int:
    """Offset ``pos`` of the original text in the masked text; a position inside a masked value moves
    to the mask's start (a range's start) or end (a range's end, ``end=True``)."""
    delta = 0
    for start, stop, mask in reps:
        if pos >= stop:
            delta += len(mask) - (stop - start)
        elif pos > start:
            return start + delta + (len(mask) if end else 0)
        else:
            break
    return pos + delta


NOTE_KEYS = frozenset({"warnings", "reason", "reasons", "note", "notes", "first"})  # free text


def _mask_notes_in(value: Any, mask: PiiMask, note: bool = False) -> Any:
    """``value`` with every string under a :data:`NOTE_KEYS` key (at any depth) masked."""
    if isinstance(value, str):
        return mask.apply(value) if note else value
    if isinstance(value, list):
        return [_mask_notes_in(v, mask, note) for v in value]
    if isinstance(value, dict):
        return {k: _mask_notes_in(v, mask, note or k in NOTE_KEYS) for k, v in value.items()}
    return value


def mask_notes(result: EvaluationReport | ComparisonResults, show_pii: bool = False) -> None:
    """Mask, in place, the free text of a results object outside ``report_data`` (already masked when
    built), which may quote data — a trajectory id in a warning, a record in a skipped-record reason,
    a value in a metric's reason: the run's and each member's ``warnings``, ``notes`` and ``skipped``
    reasons, each metric's ``reason``, ``warnings`` and notes in its ``details``, and the reasons in
    ``aggregates``. Nothing with ``show_pii``."""
    if show_pii:
        return
    mask = PiiMask()
    members = list(result.members.values()) if isinstance(result, ComparisonResults) else []
    for r in (result, *members):
        for name in ("warnings", "notes", "skipped"):
            if getattr(r, name, None):
                setattr(r, name, _mask_notes_in(getattr(r, name), mask, note=True))
        if r.aggregates:
            r.aggregates = _mask_notes_in(r.aggregates, mask)
        for m in getattr(r, "metrics", {}).values():
            m.reason, m.warnings = mask.apply(m.reason), [mask.apply(w) or "" for w in m.warnings]
            m.details = _mask_notes_in(m.details, mask)
