"""Progress of long stages on stderr: a rich bar on a terminal, log lines otherwise.

:class:`CallProgress` is the bar of a batch of LLM calls (done / cached / failed counts, requests
per second, time left). :class:`LogProgress` is what a stage prints when stderr is not a terminal
(CI logs, ``nohup``, a pipe): one line at the start, one each time another ~10 % of the items is
done or ``every`` seconds (30) have passed since the last line (a slow server still shows signs of
life), one at the end, each with items done / total, the rate (items per second so far) and the
estimated time left (remaining items ÷ rate so far). :class:`StageProgress` shows the same lines (or a
bar) for long stages that make no LLM call: bootstrap resamples, noise-floor splits, ``compare``'s sets.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

LOG_EVERY = 30.0  # seconds between log lines at most (while items finish)


class LogProgress:
    """Plain-text progress lines (see the module doc); ``step`` is the share of items between lines,
    ``every`` the most seconds between lines, ``unit`` what an item is called."""

    def __init__(self, total: int, label: str, *, step: float = 0.1, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, unit: str = "items",
                 every: float = LOG_EVERY) -> None:
        self.total = total
        self.label = label
        self.unit = unit
        self.done = 0
        self._step = max(1, int(total * step))
        self._next = self._step
        self._every = every
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._start = clock()
        self._last_line = self._start

    def _line(self, text: str) -> None:
        print(f"{self.label}: {text}", file=self._stream, flush=True)

    def start(self) -> None:
        self._start = self._last_line = self._clock()
        self._line(f"started, {self.total} {self.unit}")

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = self._clock()
        due = self.done >= self._next or now - self._last_line >= self._every
        if due and self.done < self.total:
            rate = self.done / max(now - self._start, 1e-9)
            eta = (self.total - self.done) / rate
            self._line(f"{self.done}/{self.total} ({100 * self.done / self.total:.0f} %), "
                       f"{rate:.{2 if rate < 1 else 1}f} {self.unit}/s, ETA {eta:.0f} s")
            self._last_line = now
            while self._next <= self.done:
                self._next += self._step

    def finish(self) -> None:
        elapsed = self._clock() - self._start
        rate = self.done / elapsed if elapsed > 0 else float("inf")
        self._line(f"done, {self.done}/{self.total} {self.unit} in {elapsed:.1f} s "
                   f"({rate:.{2 if rate < 1 else 1}f} {self.unit}/s)")


class CallProgress:
    """Context manager; call :meth:`advance` once per finished request (``"done"``, ``"cached"``,
    ``"failed"`` or ``"estimated"`` for dry runs). Disabled → does nothing; stderr not a terminal →
    :class:`LogProgress` lines instead of a bar."""

    def __init__(self, total: int, description: str = "", *, enabled: bool = True) -> None:
        self.total = total
        self.counts = {"done": 0, "cached": 0, "failed": 0, "estimated": 0}
        self._progress: Progress | None = None
        self._log: LogProgress | None = None
        self._description = description or "LLM calls"
        console = Console(stderr=True)
        if enabled and total > 0 and not console.is_terminal:
            self._log = LogProgress(total, self._description, unit="requests")
        elif enabled and total > 0:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"), TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=console, transient=False,
            )
        self._task: TaskID | None = None
        self._start = time.monotonic()

    def _rate_text(self) -> str:
        """Requests finished per second so far (cached ones included)."""
        finished = sum(self.counts.values())
        return f"{finished / max(time.monotonic() - self._start, 1e-9):.2f} req/s" if finished else ""

    def _counts_text(self) -> str:
        parts = [f"done {self.counts['done']}", f"cached {self.counts['cached']}",
                 f"failed {self.counts['failed']}"]
        if self.counts["estimated"]:
            parts.append(f"dry-run {self.counts['estimated']}")
        return " · ".join(parts)

    def __enter__(self) -> CallProgress:
        if self._log is not None:
            self._log.start()
        self._start = time.monotonic()
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=self.total,
                                                 counts=self._counts_text(), rate="")
        return self

    def advance(self, outcome: str) -> None:
        self.counts[outcome] += 1
        if self._log is not None:
            self._log.advance()
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, counts=self._counts_text(), rate=self._rate_text())

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._log is not None:
            self._log.finish()
        if self._progress is not None:
            self._progress.stop()


class StageProgress:
    """Context manager for a long stage without LLM calls (bootstrap resamples, noise-floor splits,
    the sets of ``compare``): :class:`LogProgress` lines on stderr when it is not a terminal (CI logs,
    a pipe), a transient bar on a terminal, nothing when disabled or ``total`` is 0. Call
    :meth:`advance` once per finished item."""

    def __init__(self, total: int, label: str, *, unit: str = "items", enabled: bool = True,
                 stream: TextIO | None = None) -> None:
        console = Console(stderr=True)
        on = enabled and total > 0
        self._log = (LogProgress(total, label, unit=unit, stream=stream)
                     if on and (stream is not None or not console.is_terminal) else None)
        self._bar = (Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                              TextColumn(unit), TimeElapsedColumn(), console=console, transient=True)
                     if on and self._log is None else None)
        self._task: TaskID | None = None
        self._total = total

    def __enter__(self) -> StageProgress:
        if self._log is not None:
            self._log.start()
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task("", total=self._total)
        return self

    def advance(self, n: int = 1) -> None:
        if self._log is not None:
            self._log.advance(n)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=n)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._log is not None and exc_type is None:
            self._log.finish()
        if self._bar is not None:
            self._bar.stop()
