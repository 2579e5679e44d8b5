"""PII-like values in text: an extensible registry of patterns (``docs/method.md`` §3.9).

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

Display-only kinds (:data:`DISPLAY_PATTERNS`, :func:`register_display_pattern`) are masked in the
texts a report shows but never counted by the privacy metrics (so adding one changes no metric):

- ``url_secret``: a secret-looking URL parameter, ``?token=…``, ``&api_key=…``, ``#access_token=…``
  (the names in :data:`URL_SECRET_NAMES`, any case; the parameter and its value up to ``&``, ``#``
  or a space);
- ``api_key``: vendor key formats — ``sk-…`` (16+ characters holding a run of 16+ letters and digits
  with at least 2 of each), Stripe ``sk_live_…``/``pk_test_…``/``rk_live_…``, GitHub
  ``ghp_…``/``gho_…``/``ghu_…``/``ghs_…``/``ghr_…``/``github_pat_…``, AWS ``AKIA…``/``ASIA…``
  (+16), Slack ``xox[abprs]-…``, Google ``AIza…`` (+35), JSON web tokens (``eyJ….eyJ….…``) and
  ``Bearer <token>`` (20+ characters, letters and digits);
- ``ssn``: a US social security number ``ddd-dd-dddd`` with a valid area (not 000, 666 or 9xx),
  group (not 00) and serial (not 0000); canonical = the 9 digits.

:func:`find_display_pii` runs every display-only kind and every kind of :data:`PATTERNS`, and merges
overlapping matches into one (the kind of the earliest-registered, display-only first), so a masked
text keeps no part of a value.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
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


PATTERNS: dict[str, PiiPattern] = {}  # the privacy metrics' kinds (and the report's)
DISPLAY_PATTERNS: dict[str, PiiPattern] = {}  # kinds the report masks but no metric counts


def register_pattern(pattern: PiiPattern, registry: dict[str, PiiPattern] | None = None) -> PiiPattern:
    """Add a kind (a name unique across both registries) to ``registry`` (default
    :data:`PATTERNS`); it is tried after the kinds registered there before it."""
    if pattern.kind in PATTERNS or pattern.kind in DISPLAY_PATTERNS:
        raise ValueError(f"PII kind {pattern.kind!r} is already registered")
    (PATTERNS if registry is None else registry)[pattern.kind] = pattern
    return pattern


def register_display_pattern(pattern: PiiPattern) -> PiiPattern:
    """Add a display-only kind: masked in reports, not counted by the privacy metrics."""
    return register_pattern(pattern, DISPLAY_PATTERNS)


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


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """A US SSN's parts as issued: area not 000, 666 or 900–999, group not 00, serial not 0000."""
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _ssn(text: str) -> str | None:
    area, group, serial = text.split("-")
    return area + group + serial if ssn_valid(area, group, serial) else None


_KEY_RUN = re.compile(r"[A-Za-z0-9]{16,}")


def secret_like(token: str) -> bool:
    """A run of 16+ letters and digits holding at least 2 of each (random key material, not words
    such as ``sk-learn-compatible-models``)."""
    return any(sum(c.isdigit() for c in run) >= 2 and sum(c.isalpha() for c in run) >= 2
               for run in _KEY_RUN.findall(token))


def _api_key(text: str) -> str | None:
    """The key as written; ``sk-`` keys and bearer tokens must look random (:func:`secret_like`)."""
    loose = text.startswith("sk-") or text[:6].casefold() == "bearer"
    return None if loose and not secret_like(text) else text


URL_SECRET_NAMES = ("access_token", "refresh_token", "id_token", "token", "api_key", "api-key", "apikey",
                    "key", "client_secret", "secret", "password", "passwd", "pwd", "auth", "signature",
                    "sig", "session_id", "sessionid", "session")
_API_KEY_PREFIXES = ("sk", "_live_", "_test_", "gh", "github_pat_", "AKIA", "ASIA", "xox", "AIza", "eyJ",
                     "earer")


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


register_display_pattern(PiiPattern(
    "url_secret",
    re.compile(r"(?<=[?&#;])(?:" + "|".join(map(re.escape, URL_SECRET_NAMES)) + r")=[^&#\s\"'<>]+",
               re.IGNORECASE),
    lambda s: s, lambda text: "=" in text))
register_display_pattern(PiiPattern(
    "api_key",
    re.compile(r"\b(?:sk-[A-Za-z0-9_-]{16,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"
               r"|gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{22,}|(?:AKIA|ASIA)[A-Z0-9]{16}\b"
               r"|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[A-Za-z0-9_-]{35}"
               r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
               r"|[Bb]earer\s+[A-Za-z0-9._~+/-]{20,}=*)"),
    _api_key, lambda text: any(p in text for p in _API_KEY_PREFIXES)))
register_display_pattern(PiiPattern("ssn", re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])"), _ssn,
                                    _has_digit))


def _matches(text: str, patterns: Iterable[PiiPattern]) -> Iterable[PiiMatch]:
    """Every valid match of each pattern in turn (a prefilter shared by kinds runs once)."""
    verdicts: dict[Callable[[str], object], bool] = {}
    for pattern in patterns:
        test = pattern.prefilter
        if test is not None:
            if test not in verdicts:
                verdicts[test] = bool(test(text))
            if not verdicts[test]:
                continue
        for match in pattern.regex.finditer(text):
            value = pattern.normalise(match.group())
            if value is not None:
                yield PiiMatch(pattern.kind, value, *match.span())


def find_pii(text: str) -> tuple[PiiMatch, ...]:
    """Every PII-like value of ``text`` (kinds of :data:`PATTERNS`), in order of position; a match
    overlapping an earlier kind's is dropped (see the module docstring)."""
    found: list[PiiMatch] = []
    for m in _matches(text, PATTERNS.values()):
        if not any(m.start < f.end and f.start < m.end for f in found):
            found.append(m)
    return tuple(sorted(found, key=lambda f: f.start))


def find_display_pii(text: str) -> tuple[PiiMatch, ...]:
    """Every value a report masks: the kinds of :data:`DISPLAY_PATTERNS` and :data:`PATTERNS`, in order
    of position, overlapping matches merged into one span (the kind and value of the earliest
    registered kind among them, display-only first)."""
    order = {kind: i for i, kind in enumerate([*DISPLAY_PATTERNS, *PATTERNS])}
    merged: list[PiiMatch] = []
    for m in sorted(_matches(text, [*DISPLAY_PATTERNS.values(), *PATTERNS.values()]),
                    key=lambda m: (m.start, order[m.kind])):
        last = merged[-1] if merged else None
        if last is None or m.start >= last.end:
            merged.append(m)
            continue
        first = last if order[last.kind] <= order[m.kind] else m
        merged[-1] = PiiMatch(first.kind, first.value, last.start, max(last.end, m.end))
    return tuple(merged)
