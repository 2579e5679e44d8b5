"""Exceptions shared by every synae module.

Errors about input data always say where the problem is (file, line or record, field) so that a
user can fix the input without guessing.
"""

from __future__ import annotations


class SynaeError(Exception):
    """Base class of every error synae raises on purpose."""


class DataError(SynaeError):
    """Bad input data: a malformed line, a missing column, an unknown role, a wrong type.

    ``source`` is the file (or dataset name), ``location`` the line/record/row (e.g. ``"line 3"``),
    ``field`` the offending field when known.
    """

    def __init__(self, message: str, *, source: str | None = None, location: str | None = None,
                 field: str | None = None) -> None:
        self.message = message
        self.source = source
        self.location = location
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = ": ".join(p for p in (self.source, self.location) if p)
        what = f"field '{self.field}': {self.message}" if self.field else self.message
        return f"{where}: {what}" if where else what


class ConfigError(SynaeError):
    """An invalid configuration value or combination of options."""


class LLMFatalError(SynaeError):
    """An LLM endpoint that cannot serve the run at all (bad key, unknown model, unreachable or
    silent endpoint, deadline passed): the run stops at once instead of ending with every LLM item
    unscored. The message says what happened and how much was done; replies already received stay
    cached, so a re-run resumes where this one stopped. ``kind``: ``auth``, ``model_not_found``,
    ``not_found``, ``unreachable``, ``breaker``, ``deadline`` or ``all_unscored``."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


class ExecutorError(SynaeError):
    """The compute executor failed during a run (a Ray embedding actor died again after its one
    retry): the run stops with one clear message and no results (exit code 5)."""


class MissingDependencyError(SynaeError):
    """An optional dependency is not installed; the message carries the install hint."""

    def __init__(self, package: str, extra_hint: str) -> None:
        super().__init__(f"{package} is not installed. Install it with: {extra_hint}")
