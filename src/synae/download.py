"""Fetch the benchmark files from their public sources (``synae download``).

- ``bfcl`` — raw files of ``bfcl_eval/data`` in the gorilla GitHub repository →
  ``bfcl/BFCL_v4_multi_turn_base.json``, ``bfcl/possible_answer/…``, ``bfcl/func_doc/*.json``;
- ``acp`` — the test splits of the Hugging Face dataset ``ibm-research/acp_bench`` →
  ``acp/acp_app_bool.parquet``, ``acp/acp_prog_bool.parquet`` and ``acp/acp_app_prog.csv`` (the two
  concatenated, applicability first);
- ``t1`` — ``ToolDrivenDataset/attraction`` of the Hugging Face dataset ``capitalone/T1`` (file list
  from the Hub API) → ``t1/raw/<split>/<file>``: the original splits only; the research's derived
  files (turn-level, augmented, classification) are not published.

``base_url`` replaces the source's base address (a mirror, or a loopback server in tests). Files are
streamed to a temporary name and renamed when complete (:mod:`synae.files`), so an interrupted
download (an error, Ctrl-C, ``SIGTERM``) leaves no partial file behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from synae.errors import SynaeError
from synae.files import atomic_write

if TYPE_CHECKING:  # imported where a download runs: other commands of the CLI never load httpx
    import httpx

BFCL_BASE = ("https://raw.githubusercontent.com/ShishirPatil/gorilla/main/"
             "berkeley-function-call-leaderboard/bfcl_eval/data/")
ACP_BASE = "https://huggingface.co/datasets/ibm-research/acp_bench/resolve/main/"
HF_BASE = "https://huggingface.co/"
T1_REPO = "capitalone/T1"
T1_FOLDER = "ToolDrivenDataset/attraction"
T1_SPLITS = ("train", "validation", "test")
BFCL_DOCS = ("gorilla_file_system.json", "math_api.json", "message_api.json", "posting_api.json",
             "ticket_api.json", "trading_bot.json", "travel_booking.json", "vehicle_control.json")
BFCL_FILES: tuple[tuple[str, str], ...] = (
    ("BFCL_v4_multi_turn_base.json", "bfcl/BFCL_v4_multi_turn_base.json"),
    ("possible_answer/BFCL_v4_multi_turn_base.json", "bfcl/possible_answer/BFCL_v4_multi_turn_base.json"),
    *((f"multi_turn_func_doc/{name}", f"bfcl/func_doc/{name}") for name in BFCL_DOCS),
)
ACP_FILES: tuple[tuple[str, str], ...] = (
    ("acp_app_bool/test.parquet", "acp/acp_app_bool.parquet"),
    ("acp_prog_bool/test.parquet", "acp/acp_prog_bool.parquet"),
)
TIMEOUT_SECONDS, CONNECT_TIMEOUT_SECONDS = 60.0, 15.0


@dataclass
class DownloadResult:
    """The files written (absolute paths), in download order."""

    benchmark: str
    files: list[Path]


def _base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def fetch(client: httpx.Client, url: str, target: Path) -> Path:
    """Stream ``url`` to ``target`` through a temporary file (:func:`synae.files.atomic_write`:
    removed on any failure and on ``SIGTERM``); HTTP, network and file-system errors → SynaeError."""
    import httpx

    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise SynaeError(f"download failed: {url} returned HTTP {response.status_code}")
            with atomic_write(target, "wb") as fh:
                for chunk in response.iter_bytes():
                    fh.write(chunk)
    except httpx.HTTPError as exc:
        raise SynaeError(f"download failed: {url}: {exc}") from None
    except OSError as exc:
        raise SynaeError(f"cannot write {target}: {exc.strerror}") from None
    return target


def file_name(path: object, listing: str) -> str:
    """The last part of a listed file's ``path`` as a safe file name; a name that is empty, ``.``,
    ``..``, or holds a NUL or backslash (which would write over the split's folder or outside it)
    is a :class:`SynaeError` naming the listing."""
    name = PurePosixPath(path).name if isinstance(path, str) else ""
    if name in ("", ".", "..") or "\0" in name or "\\" in name:
        raise SynaeError(f"cannot list the T1 files: unusable file name {path!r} in {listing}")
    return name


def _fetch_all(client: httpx.Client, base: str, files: tuple[tuple[str, str], ...], dest: Path) -> list[Path]:
    return [fetch(client, base + remote, dest / local) for remote, local in files]


def download_bfcl(client: httpx.Client, dest: Path, base_url: str | None) -> list[Path]:
    return _fetch_all(client, _base(base_url or BFCL_BASE), BFCL_FILES, dest)


def download_acp(client: httpx.Client, dest: Path, base_url: str | None) -> list[Path]:
    """The two test splits, then ``acp_app_prog.csv`` built from them (applicability first)."""
    from synae.adapters import load_dataset
    from synae.adapters.export import write_acp_csv

    files = _fetch_all(client, _base(base_url or ACP_BASE), ACP_FILES, dest)
    combined = dest / "acp" / "acp_app_prog.csv"
    trajectories = [t for path in files for t in load_dataset(path, "acp")]
    write_acp_csv(trajectories, combined)
    return [*files, combined]


def download_t1(client: httpx.Client, dest: Path, base_url: str | None) -> list[Path]:
    """The T1 attraction splits, listed through the Hub API (``api/datasets/<repo>/tree/...``)."""
    import httpx

    base = _base(base_url or HF_BASE)
    files = []
    for split in T1_SPLITS:
        listing = f"{base}api/datasets/{T1_REPO}/tree/main/{T1_FOLDER}/{split}"
        try:
            response = client.get(listing)
        except httpx.HTTPError as exc:
            raise SynaeError(f"download failed: {listing}: {exc}") from None
        if response.status_code != 200:
            raise SynaeError(f"cannot list the T1 files: {listing} returned HTTP {response.status_code}. "
                             f"Fetch {T1_FOLDER} of the Hugging Face dataset {T1_REPO} manually.")
        try:
            entries = [e["path"] for e in response.json() if e.get("type") == "file"]
        except (ValueError, TypeError, KeyError):
            raise SynaeError(f"cannot list the T1 files: unexpected reply from {listing}") from None
        for path in entries:
            url = f"{base}datasets/{T1_REPO}/resolve/main/{path}"
            files.append(fetch(client, url, dest / "t1" / "raw" / split / file_name(path, listing)))
    if not files:
        raise SynaeError(f"no T1 files found under {T1_FOLDER} of {T1_REPO}")
    return files


@dataclass(frozen=True)
class Source:
    """One downloadable data set: its name and the function that fetches it into a folder."""

    name: str
    fetch: Callable[[httpx.Client, Path, str | None], list[Path]]


SOURCES: tuple[Source, ...] = (Source("bfcl", download_bfcl), Source("acp", download_acp),
                               Source("t1", download_t1))
BENCHMARKS: tuple[str, ...] = tuple(s.name for s in SOURCES)


def download(benchmark: str, dest: str | Path, *, base_url: str | None = None,
             client: httpx.Client | None = None) -> DownloadResult:
    """Download ``benchmark`` (``bfcl``, ``acp`` or ``t1``) into ``dest`` (see the module docstring)."""
    key = benchmark.strip().lower()
    source = next((s for s in SOURCES if s.name == key), None)
    if source is None:
        raise SynaeError(f"unknown benchmark {benchmark!r} (expected one of {', '.join(BENCHMARKS)})")
    dest = Path(dest).resolve()
    if dest.exists() and not dest.is_dir():
        raise SynaeError(f"{dest}: --dest is not a folder")
    import httpx

    own = client is None
    http = client or httpx.Client(timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
                                  follow_redirects=True,
                                  headers={"User-Agent": "synae-download"})
    try:
        return DownloadResult(key, source.fetch(http, dest, base_url))
    finally:
        if own:
            http.close()
