"""A rich progress bar for batches of LLM calls: done / cached / failed counts, on stderr."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class CallProgress:
    """Context manager; call :meth:`advance` once per finished request (``"done"``, ``"cached"``,
    ``"failed"`` or ``"estimated"`` for dry runs). Disabled → does nothing."""

    def __init__(self, total: int, description: str = "", *, enabled: bool = True) -> None:
        self.total = total
        self.counts = {"done": 0, "cached": 0, "failed": 0, "estimated": 0}
        self._progress: Progress | None = None
        self._description = description or "LLM calls"
        if enabled and total > 0:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                console=Console(stderr=True), transient=False,
            )
        self._task = None

    def _counts_text(self) -> str:
        parts = [f"done {self.counts['done']}", f"cached {self.counts['cached']}",
                 f"failed {self.counts['failed']}"]
        if self.counts["estimated"]:
            parts.append(f"dry-run {self.counts['estimated']}")
        return " · ".join(parts)

    def __enter__(self) -> CallProgress:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=self.total,
                                                 counts=self._counts_text())
        return self

    def advance(self, outcome: str) -> None:
        self.counts[outcome] += 1
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, counts=self._counts_text())

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
