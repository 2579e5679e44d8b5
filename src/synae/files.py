"""Atomic file writes: every output synae writes appears whole or not at all.

:func:`atomic_write` opens a temporary file in the target's folder and renames it over the target
only when the ``with`` block ends without an error, so an interrupted run never leaves a truncated
file that would load as a smaller valid one. A target that is an existing directory is rejected
before any work (:func:`check_output_path`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal, overload

from synae.errors import ConfigError, DataError


def check_input_file(path: str | Path, what: str = "file") -> Path:
    """``path`` as a :class:`Path` when it is a regular file that can be read; otherwise a
    :class:`DataError` naming it and saying what it is instead: ``{what} not found``, ``is a
    directory``, ``is not a regular file (a FIFO/device/socket)`` — a FIFO or a device would block
    or never end — or ``cannot be read (permission denied)``."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataError(f"{what} not found", source=str(path)) from None
    except OSError as exc:
        raise DataError(f"cannot open {what} ({exc.strerror})", source=str(path)) from None
    if stat.S_ISDIR(mode):
        raise DataError(f"is a directory, not a {what}; give the {what}'s path", source=str(path))
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "not a file")
        raise DataError(f"is not a regular file ({kind}); give a regular {what}", source=str(path))
    if not os.access(path, os.R_OK):
        raise DataError(f"cannot open {what} (permission denied)", source=str(path))
    return path


def check_output_path(path: str | Path) -> Path:
    """``path`` as a :class:`Path`; :class:`ConfigError` when it names an existing directory."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; give a file path for the output")
    return path


@overload
def atomic_write(path: str | Path, mode: Literal["w"] = "w", *, encoding: str = "utf-8",
                 newline: str | None = None) -> contextlib.AbstractContextManager[IO[str]]: ...
@overload
def atomic_write(path: str | Path, mode: Literal["wb"], *, encoding: str = "utf-8",
                 newline: str | None = None) -> contextlib.AbstractContextManager[IO[bytes]]: ...
def atomic_write(path: str | Path, mode: str = "w", *, encoding: str = "utf-8",
                 newline: str | None = None) -> contextlib.AbstractContextManager[IO[str]] | \
        contextlib.AbstractContextManager[IO[bytes]]:
    """A file object for ``path`` that replaces the target atomically when the block succeeds.

    Parent folders are created. On any exception (or ``KeyboardInterrupt``) the temporary file is
    removed and the target is left as it was.
    """
    return _atomic(check_output_path(path), mode, encoding, newline)


@contextlib.contextmanager
def _atomic(path: Path, mode: str, encoding: str, newline: str | None) -> Iterator[IO]:  # type: ignore[type-arg]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if "b" in mode:
            handle: IO = os.fdopen(fd, mode)  # type: ignore[type-arg]
        else:
            handle = os.fdopen(fd, mode, encoding=encoding, newline=newline)
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_write(path, "w", encoding=encoding) as handle:
        handle.write(text)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, "wb") as handle:
        handle.write(data)
