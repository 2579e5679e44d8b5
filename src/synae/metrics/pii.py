"""PII-like values in text: an extensible registry of patterns (``metrics.md`` privacy section).

A :class:`PiiPattern` is a regular expression plus a ``normalise`` function that returns the value's
canonical form, or ``None`` when the match is not a valid value (a failed checksum). Built-in kinds,
tried in registry order (a match overlapping an earlier kind's match in the same text is dropped):

- ``url_credentials``: ``scheme://user:password@host`` (kept verbatim);
- ``email``: case-folded;
- ``iban``: 2 letters, 2 check digits, 11–30 alphanumerics (spaces allowed), valid ISO 13616 mod-97
  checksum; canonical = upper case without spaces;
- ``card``: 13–19 digits (spaces or hyphens allowed) passing the Luhn checksum; canonical = digits;
- ``ipv6`` / ``ipv4``: valid addresses (:mod:`ipaddress`), canonical = compressed form;
- ``phone``: digit groups with separators, starting with ``+`` or ``(`` or having at least 10 digits,
  7–15 digits in all; canonical = ``+`` (if present) and the digits.

Add a kind with :func:`register_pattern`. A pattern may carry a ``prefilter``: a cheap necessary
condition on the whole text (e.g. "contains a digit"); when it is false the regex is not run, so
results are those of the regex alone, only faster (most texts hold no PII-like value).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PiiPattern:
    """One kind of PII-like value."""

    kind: str
    regex: re.Pattern[str]
    normalise: Callable[[str], str | None]
    prefilter: Callable[[str], object] | None = None  # falsy ⇒ ``regex`` cannot match the text


@dataclass(frozen=True)
class PiiMatch:
    """One PII-like value found in a text: its kind, canonical value and character span."""

    kind: str
    value: str
    start: int
    end: int


PATTERNS: dict[str, PiiPattern] = {}


def register_pattern(pattern: PiiPattern) -> PiiPattern:
    """Add a kind (unique name); it is tried after the kinds registered before it."""
    if pattern.kind in PATTERNS:
        raise ValueError(f"PII kind {pattern.kind!r} is already registered")
    PATTERNS[pattern.kind] = pattern
    return pattern


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum: doubling every second digit from the right, the digit sum is ≡ 0 (mod 10)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616: the first 4 characters moved to the end, letters as 10–35, the number ≡ 1 (mod 97)."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _iban(text: str) -> str | None:
    value = text.replace(" ", "").upper()
    return value if 15 <= len(value) <= 34 and iban_valid(value) else None


def _card(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    return digits if 13 <= len(digits) <= 19 and luhn_valid(digits) else None


def _ip(text: str) -> str | None:
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return None


def _phone(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15 or (text[0] not in "+(" and len(digits) < 10):
        return None
    return ("+" if text.startswith("+") else "") + digits


# Prefilters: each regex below matches only texts holding the literal / character class named.
_has_digit = re.compile(r"\d").search  # the same ``\d`` as the patterns (Unicode decimal digits)


def _has_two_colons(text: str) -> bool:
    return text.count(":") >= 2


register_pattern(PiiPattern(
    "url_credentials", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]+:[^\s/@]+@[^\s/]+"), lambda s: s,
    lambda text: "://" in text))
register_pattern(PiiPattern(
    "email", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    str.casefold, lambda text: "@" in text))
register_pattern(PiiPattern("iban", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"), _iban, _has_digit))
register_pattern(PiiPattern("card", re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"), _card,
                            _has_digit))
register_pattern(PiiPattern(
    "ipv6", re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])"), _ip,
    _has_two_colons))
register_pattern(PiiPattern("ipv4", re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"), _ip,
                            _has_digit))
register_pattern(PiiPattern(
    "phone", re.compile(r"(?<![\w+])(?:\+|\()?\d{1,4}\)?(?:[ .-]?\(?\d{2,4}\)?){2,5}(?!\w)"), _phone,
    _has_digit))


def find_pii(text: str) -> tuple[PiiMatch, ...]:
    """Every PII-like value of ``text``, in order of position (see the module docstring)."""
    found: list[PiiMatch] = []
    verdicts: dict[Callable[[str], object], bool] = {}  # a prefilter shared by kinds runs once
    for pattern in PATTERNS.values():
        test = pattern.prefilter
        if test is not None:
            if test not in verdicts:
                verdicts[test] = bool(test(text))
            if not verdicts[test]:
                continue
        for match in pattern.regex.finditer(text):
            start, end = match.span()
            if any(start < f.end and f.start < end for f in found):
                continue
            value = pattern.normalise(match.group())
            if value is not None:
                found.append(PiiMatch(pattern.kind, value, start, end))
    return tuple(sorted(found, key=lambda f: f.start))
