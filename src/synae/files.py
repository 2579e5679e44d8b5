"""Atomic file writes: every output synae writes appears whole or not at all.

:func:`atomic_write` opens a temporary file in the target's folder and renames it over the target
only when the ``with`` block ends without an error, so an interrupted run never leaves a truncated
file that would load as a smaller valid one. The file ends with the mode a plain ``open(path, "w")``
would give (:func:`plain_open_mode`: ``0o666`` less the umask, or the replaced file's own), not the
temporary file's ``0o600``. A target that is an existing directory is rejected
before any work (:func:`check_output_path`); :func:`check_writable` also rejects an output under a
file or where nothing can be written (a read-only file system), before a command starts its work.

Temporary files (``.<name>.<random>.tmp``) are removed when their write fails, at interpreter exit
and on ``SIGTERM``/``SIGHUP`` (the previous handler then runs, or the signal's default action), so
only ``kill -9`` or a power cut can leave one behind. :func:`commit_files` writes several files of
one output folder as one commit (see there).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import stat
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import IO, Any, Literal, overload

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


DATA_SUFFIXES = frozenset({".jsonl", ".json", ".ndjson", ".csv", ".tsv", ".parquet", ".pq", ".gz", ".txt"})


def data_stem(path: Path) -> str:
    """The file name without its data extensions (:data:`DATA_SUFFIXES`, any case), stripped from
    the right: ``os_0.3.jsonl.gz`` → ``os_0.3``, ``run.v2.csv`` → ``run.v2``; a name that is nothing
    but such extensions (``.jsonl``) is kept whole."""
    name = path.name
    while (suffix := Path(name).suffix) and suffix.lower() in DATA_SUFFIXES and len(name) > len(suffix):
        name = name[: -len(suffix)]
    return name


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


# Temporary files being written (absolute names), removed at exit or on a cleanup signal.
_LIVE_TEMPS: set[str] = set()
_CLEANUP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_previous_handlers: dict[int, Any] = {}
_exit_hook: list[bool] = []


def remove_temporary_files() -> None:
    """Remove every temporary file of a write still in progress (exit and signal clean-up)."""
    for tmp in list(_LIVE_TEMPS):
        _discard(tmp)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    remove_temporary_files()
    previous = _previous_handlers.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL)  # the default action: end the process by this signal
    os.kill(os.getpid(), signum)


def _install_cleanup() -> None:
    """Register :func:`remove_temporary_files` at exit, and on ``SIGTERM``/``SIGHUP`` when called
    from the main thread (only it may set handlers) for a signal not ignored by the process."""
    if not _exit_hook:
        atexit.register(remove_temporary_files)
        _exit_hook.append(True)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in _CLEANUP_SIGNALS:
        current = signal.getsignal(signum)
        if signum in _previous_handlers or current in (signal.SIG_IGN, None) or current is _on_signal:
            continue
        _previous_handlers[signum] = current
        signal.signal(signum, _on_signal)


def _discard(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    _LIVE_TEMPS.discard(tmp)


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it where the system shows it (Linux:
    ``Umask:`` in ``/proc/self/status``); elsewhere set to ``0o077`` and restored at once, under a
    lock — a file another thread creates in between gets the stricter mask, never a looser one."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def plain_open_mode(path: Path) -> int:
    """The permission bits ``open(path, "w")`` would leave: an existing file's own, else
    ``0o666 & ~umask`` (:func:`current_umask`). Atomic writes give the temporary file these bits
    before it is renamed (``mkstemp`` creates it ``0o600``)."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(path.stat().st_mode)
    return 0o666 & ~current_umask()


@contextlib.contextmanager
def _temp_file(path: Path, mode: str, encoding: str, newline: str | None) -> Iterator[tuple[IO, str]]:  # type: ignore[type-arg]
    """A temporary file beside ``path`` and its name, flushed to disk when the block ends; removed
    when the block fails, else left (registered for clean-up) for :func:`_rename`. A path that cannot
    be created (under a file, a read-only file system) is the :class:`ConfigError` of
    :func:`check_writable`, whichever command writes it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _install_cleanup()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        check_writable(path)
        raise ConfigError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    _LIVE_TEMPS.add(tmp)
    try:
        os.fchmod(fd, plain_open_mode(path))
        if "b" in mode:
            handle: IO = os.fdopen(fd, mode)  # type: ignore[type-arg]
        else:
            handle = os.fdopen(fd, mode, encoding=encoding, newline=newline)
        with handle:
            yield handle, tmp
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _discard(tmp)
        raise


def _rename(tmp: str, path: Path) -> None:
    try:
        os.replace(tmp, path)
    finally:
        _discard(tmp)  # after a successful rename there is nothing left to remove


@contextlib.contextmanager
def _atomic(path: Path, mode: str, encoding: str, newline: str | None) -> Iterator[IO]:  # type: ignore[type-arg]
    with _temp_file(path, mode, encoding, newline) as (handle, tmp):
        yield handle
    _rename(tmp, path)


def commit_files(contents: Mapping[Path, str]) -> list[Path]:
    """Write several files of one output (``results.json`` and ``report.html`` of ``compare``) as
    one commit: every file is first written whole to its temporary name; then the previous files of
    these names are removed, and the new ones renamed into place. Killed at any moment (even by
    ``kill -9``), the folder never holds a file of the previous run beside a file of this one: it
    holds the previous set, part of the previous set, part of the new set, or the new set (and at
    worst a temporary file). Returns the paths, in the order given."""
    paths = {check_output_path(path): text for path, text in contents.items()}
    temps: dict[Path, str] = {}
    try:
        for path, text in paths.items():
            with _temp_file(path, "w", "utf-8", None) as (handle, tmp):
                handle.write(text)
            temps[path] = tmp
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        for path, tmp in temps.items():
            _rename(tmp, path)
    finally:
        for tmp in temps.values():
            _discard(tmp)
    return list(paths)


def _cache_disabled(what: str, where: Path, why: str) -> None:
    warnings.warn(f"{what} disabled: cannot write to {where} ({why}); the run goes on without it",
                  RuntimeWarning, stacklevel=3)


def cache_dir_usable(root: str | Path, what: str) -> bool:
    """Whether the cache folder ``root`` can be written (:func:`check_writable`), checked before a
    cache is used; otherwise one :class:`RuntimeWarning` (``{what} disabled: …``) and ``False``: a
    cache only saves work, so a run goes on without it rather than failing."""
    try:
        check_writable(root, folder=True)
    except ConfigError as exc:
        _cache_disabled(what, Path(root), str(exc))
        return False
    return True


def write_or_disable(write: Callable[[], None], what: str, where: Path) -> bool:
    """Run ``write`` (one cache write); when the disk refuses it (full, read-only, not a folder: an
    :class:`OSError`) warn once as :func:`cache_dir_usable` does and return ``False`` — the caller
    drops its cache and keeps the result it was about to store. ``True`` when written."""
    try:
        write()
    except OSError as exc:
        _cache_disabled(what, where, str(exc))
        return False
    return True


def check_writable(path: str | Path, *, folder: bool = False) -> Path:
    """``path`` — an output file, or with ``folder`` an output folder — when it can be written;
    called before a command does any work. :class:`ConfigError` when the path (for a file) is an
    existing directory or (for a folder) an existing file, when a part of it is a file ("under a
    file"), or when its nearest existing folder refuses a new file (a read-only file system, no
    permission: probed by creating and removing a temporary file there)."""
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise ConfigError(f"{path}: exists and is not a folder; give a folder for the output")
    existing = path if folder else check_output_path(path).parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{path}: cannot be created: {existing} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".synae-write-check.", dir=existing)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be written: {existing} refuses new files "
                          f"({exc.strerror}; a read-only file system or no permission)") from None
    os.close(fd)
    os.unlink(probe)
    return path


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_write(path, "w", encoding=encoding) as handle:
        handle.write(text)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, "wb") as handle:
        handle.write(data)
