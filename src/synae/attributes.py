"""Attribute extractors: stored fields, keyword vocabularies, regular expressions and numeric
attributes (turn counts, whitespace-token lengths, tool-call counts).

Keyword matching (``docs/method.md`` §2.9) for a term t and a text s:

- ``substring`` (reference profile): ``t.lower() in s.lower()``;
- ``word`` (default profile): a case-insensitive occurrence of t whose preceding and following
  characters are not word characters (letter, digit, underscore) or are the string boundary —
  works for multi-word terms and terms with punctuation ("St. Louis");
- ``regex_word`` (stored T1 labels, ``docs/method.md`` §1.4): the regular expression ``\\b<t>\\b``,
  case-sensitive.

Multi-label results list every matching term in vocabulary order; first-match returns the first
matching term in vocabulary order. Both are deterministic. ``fallback`` (``"Other"``) is used when
nothing matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from synae.errors import DataError
from synae.schema import Trajectory
from synae.views import InstructionRoles, is_response, text_sequence, turns

MatchMode = Literal["word", "substring", "regex_word"]
OTHER = "Other"
NONE = "None"


@dataclass(frozen=True)
class KeywordVocabulary:
    """An ordered list of terms and how a term matches a text."""

    terms: tuple[str, ...]
    mode: MatchMode = "word"
    case_sensitive: bool = False

    @cached_property
    def _patterns(self) -> list[re.Pattern[str]]:
        flags = 0 if self.case_sensitive else re.IGNORECASE
        if self.mode == "regex_word":
            return [re.compile(rf"\b{re.escape(t)}\b", flags) for t in self.terms]
        return [re.compile(rf"(?<!\w){re.escape(t)}(?!\w)", flags) for t in self.terms]

    @cached_property
    def _folded(self) -> list[str]:
        return [t if self.case_sensitive else t.lower() for t in self.terms]

    @cached_property
    def _ascii_folded(self) -> list[str | None]:
        return [f if t.isascii() else None for t, f in zip(self.terms, self._folded, strict=True)]

    def _hits(self, text: str) -> Iterator[str]:
        """Matching terms in vocabulary order. In the regex modes a cheap substring test skips terms
        that provably cannot match: the term itself must occur when case-sensitive; when
        case-insensitive, an ASCII term's lower case must occur in an ASCII text's lower case (for
        non-ASCII text, Unicode case folding can match differently spelt characters, so the regex
        alone decides)."""
        if self.mode == "substring":
            folded = text if self.case_sensitive else text.lower()
            yield from (t for t, f in zip(self.terms, self._folded, strict=True) if f in folded)
            return
        if self.case_sensitive:
            needles: Sequence[str | None] = self.terms
            hay = text
        elif text.isascii():
            needles, hay = self._ascii_folded, text.lower()
        else:
            needles, hay = [None] * len(self.terms), ""
        for t, p, needle in zip(self.terms, self._patterns, needles, strict=True):
            if (needle is None or needle in hay) and p.search(text):
                yield t

    def matches(self, text: str) -> list[str]:
        """Every matching term, in vocabulary order."""
        return list(self._hits(text))

    def first(self, text: str) -> str | None:
        """The first matching term in vocabulary order, or ``None``."""
        return next(self._hits(text), None)

    def labels(self, text: str, *, multi: bool = True, fallback: str = OTHER) -> list[str]:
        """Multi-label (all matches) or first-match labels; ``[fallback]`` when nothing matches."""
        if multi:
            return self.matches(text) or [fallback]
        first = self.first(text)
        return [first if first is not None else fallback]


@dataclass(frozen=True)
class RegexAttribute:
    """The first match of ``pattern`` (group ``group``) in a text, else ``None``."""

    pattern: str
    group: int | str = 0
    flags: int = 0
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", re.compile(self.pattern, self.flags))

    def extract(self, text: str) -> str | None:
        match = self._compiled.search(text)
        return match.group(self.group) if match else None


@dataclass(frozen=True)
class RuleAttribute:
    """The label of the first (needle, label) rule whose needle is a case-sensitive substring."""

    rules: tuple[tuple[str, str], ...]

    def extract(self, text: str) -> str | None:
        return next((label for needle, label in self.rules if needle in text), None)


def field_value(traj: Trajectory, path: str) -> Any:
    """A stored value by dotted path (``attributes.group``, ``environment.kind``); ``None`` if absent."""
    first, *rest = path.split(".")
    value: Any = getattr(traj, first, None)
    for part in rest:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def field_scalar(traj: Trajectory, path: str) -> Any:
    """The scalar at the dotted ``path`` of ``traj`` (``None`` when absent); a list or object is a
    :class:`DataError` naming the trajectory and the field."""
    value = field_value(traj, path)
    if isinstance(value, (list, dict)):
        raise DataError(f"an attribute field must hold a number, string or boolean, not a "
                        f"{type(value).__name__}", location=f"trajectory {traj.id!r}", field=path)
    return value


# --------------------------------------------------------------------------------------------
# Numeric attributes (docs/method.md §3.3)


def token_count(text: str | None) -> int:
    """Whitespace tokens (``str.split()``); ``None``/empty → 0."""
    return len(text.split()) if text else 0


@dataclass(frozen=True)
class TextTokenCounts:
    """Whitespace-token counts of one trajectory's user messages and responses (in message order),
    and its structured tool calls (:func:`n_tool_calls`), from one pass over its messages: the
    numeric attributes of the text sequence without building it. The text sequence under ``roles``
    is the user messages, plus the responses with ``user+responses``; its transcript renders each as
    a ``"{role}: {content}"`` line, so its token count is one ``role:`` token per message plus the
    messages' tokens. :func:`n_user_turns` is ``len(user)``."""

    user: list[int]
    responses: list[int]
    tool_calls: int = 0

    @classmethod
    def of(cls, traj: Trajectory) -> TextTokenCounts:
        user: list[int] = []
        responses: list[int] = []
        calls = 0
        for m in traj.messages:
            if m.role == "user":
                user.append(token_count(m.content))
                continue
            if m.tool_calls and m.role == "assistant":
                calls += len(m.tool_calls)
            if is_response(m):
                responses.append(token_count(m.content))
        return cls(user, responses, calls)

    def n_turns(self, roles: InstructionRoles) -> int:
        """:func:`n_turns`: messages of the text sequence."""
        return len(self.user) + (len(self.responses) if roles == "user+responses" else 0)

    def transcript_tokens(self, roles: InstructionRoles) -> int:
        """``token_count(instruction_transcript(traj, roles))``."""
        tokens = sum(self.user) + (sum(self.responses) if roles == "user+responses" else 0)
        return self.n_turns(roles) + tokens


def n_turns(traj: Trajectory, roles: InstructionRoles = "user+responses") -> int:
    """Messages of the text sequence restricted to ``roles``."""
    return len(text_sequence(traj, roles))


def n_user_turns(traj: Trajectory) -> int:
    return sum(1 for m in traj.messages if m.role == "user")


def tool_calls_per_turn(traj: Trajectory) -> list[int]:
    """Structured tool calls per user turn (a leading span before the first user counts as a turn)."""
    return [sum(len(m.tool_calls or ()) for m in t.messages if m.role == "assistant") for t in turns(traj)]


def n_tool_calls(traj: Trajectory) -> int:
    """Structured tool calls of the whole trajectory."""
    return sum(len(m.tool_calls or ()) for m in traj.messages if m.role == "assistant")


def bucket(value: float, bounds: Sequence[tuple[float, str]], last: str) -> str:
    """The label of the first ``(upper_bound, label)`` with ``value <= upper_bound``, else ``last``."""
    return next((label for upper, label in bounds if value <= upper), last)
