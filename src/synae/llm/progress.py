"""Progress of long stages on stderr: a rich bar on a terminal, log lines otherwise.

:class:`CallProgress` is the bar of a batch of LLM calls (done / cached / failed counts).
:class:`LogProgress` is what a stage prints when stderr is not a terminal (CI logs, ``nohup``,
a pipe): one line at the start, one each time another ~10 % of the items is done, one at the end,
each with items done / total, the rate (items per second) and the estimated time left (remaining
items ÷ rate so far).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class LogProgress:
    """Plain-text progress lines (see the module doc); ``step`` is the share of items between lines."""

    def __init__(self, total: int, label: str, *, step: float = 0.1, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self._step = max(1, int(total * step))
        self._next = self._step
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._start = clock()

    def _line(self, text: str) -> None:
        print(f"{self.label}: {text}", file=self._stream, flush=True)

    def start(self) -> None:
        self._start = self._clock()
        self._line(f"started, {self.total} items")

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.done >= self._next and self.done < self.total:
            elapsed = max(self._clock() - self._start, 1e-9)
            rate = self.done / elapsed
            eta = (self.total - self.done) / rate
            self._line(f"{self.done}/{self.total} ({100 * self.done / self.total:.0f} %), "
                       f"{rate:.1f} items/s, ETA {eta:.0f} s")
            while self._next <= self.done:
                self._next += self._step

    def finish(self) -> None:
        elapsed = self._clock() - self._start
        rate = self.done / elapsed if elapsed > 0 else float("inf")
        self._line(f"done, {self.done}/{self.total} items in {elapsed:.1f} s ({rate:.1f} items/s)")


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
            self._log = LogProgress(total, self._description)
        elif enabled and total > 0:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                console=console, transient=False,
            )
        self._task: TaskID | None = None

    def _counts_text(self) -> str:
        parts = [f"done {self.counts['done']}", f"cached {self.counts['cached']}",
                 f"failed {self.counts['failed']}"]
        if self.counts["estimated"]:
            parts.append(f"dry-run {self.counts['estimated']}")
        return " · ".join(parts)

    def __enter__(self) -> CallProgress:
        if self._log is not None:
            self._log.start()
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=self.total,
                                                 counts=self._counts_text())
        return self

    def advance(self, outcome: str) -> None:
        self.counts[outcome] += 1
        if self._log is not None:
            self._log.advance()
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, counts=self._counts_text())

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._log is not None:
            self._log.finish()
        if self._progress is not None:
            self._progress.stop()
