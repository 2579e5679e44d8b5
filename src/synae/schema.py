"""The canonical trajectory schema and its JSON Lines reader/writer (``docs/method.md`` §1.1).

One trajectory per line; messages are OpenAI-chat compatible (``system``/``user``/``assistant``/
``tool``; assistant ``tool_calls`` carry JSON-string ``arguments``; ``tool`` results carry
``tool_call_id``), plus ``id``, ``output``, ``attributes``, ``tools``, ``environment`` and
``metadata``. Unknown fields are kept and written back, so reading and writing round-trips
losslessly. Fields that were absent in the input stay absent in the output.

Files stream: :func:`iter_jsonl` yields one trajectory at a time and :func:`write_jsonl` writes one
line at a time, so a large file is never held twice in memory.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import pydantic_core
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from synae.errors import DataError
from synae.files import atomic_write, data_stem

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


def json_loads(text: str) -> Any:
    """``json.loads(text)``: the same value, or the same error. pydantic-core's parser reads it first
    (about 4× faster on a small object); what that parser refuses — every malformed text, and a few
    that ``json.loads`` accepts: a lone surrogate escape such as ``"\\ud800"``, nesting deeper than
    its 200 levels — is left to ``json.loads``, which decides as it always did."""
    try:
        return pydantic_core.from_json(text)
    except ValueError:
        return json.loads(text)


class FunctionCall(BaseModel):
    """``function`` part of a tool call: the callee name and a JSON object string of arguments."""

    model_config = ConfigDict(extra="allow")
    name: str
    arguments: str = "{}"

    @field_validator("arguments", mode="before")
    @classmethod
    def _object_to_string(cls, value: Any) -> Any:
        """Arguments given as a JSON object are stored as its JSON text (``json.dumps``, non-ASCII
        kept); ``json.loads`` of the stored string gives the object back."""
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value

    def parsed_arguments(self) -> dict[str, Any]:
        """Arguments as a dict (``{}`` when the string is not a JSON object)."""
        try:
            value = json_loads(self.arguments)
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}


class ToolCall(BaseModel):
    """One OpenAI ``tool_calls`` entry."""

    model_config = ConfigDict(extra="allow")
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall

    @property
    def name(self) -> str:
        return self.function.name


class Message(BaseModel):
    """One chat message. ``code`` (assistant) keeps the verbatim Python the calls were parsed from."""

    model_config = ConfigDict(extra="allow")
    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    code: str | None = None
    metadata: dict[str, Any] | None = None


MAX_NESTING = 100  # levels of lists/objects in a record's free-form fields (serialising stops near 250)
SHALLOW_TEXT = "shallow_text"  # validation context key: the JSON text cannot nest MAX_NESTING deep


def shallow_json(text: str) -> bool:
    """Whether the JSON ``text`` certainly nests at most :data:`MAX_NESTING` levels: each level opens
    with a ``{`` or ``[`` of the text (those inside strings only add to the count), so a text with at
    most that many of them cannot nest deeper and needs no walk of the parsed value."""
    return text.count("{") + text.count("[") <= MAX_NESTING


def nesting_depth(value: Any, limit: int = MAX_NESTING) -> int:
    """How many levels of lists/dicts ``value`` nests (0 for a scalar), counted without recursion and
    stopping as soon as the depth exceeds ``limit`` (then ``limit + 1`` is returned)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, (list, tuple)):
            depth += 1
            if depth > limit:
                return limit + 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in item if isinstance(child, (dict, list, tuple)))
    return deepest


class Trajectory(BaseModel):
    """One record of a dataset: a multi-turn conversation with tool calls and a final output.

    Its free-form fields (``attributes``, ``tools``, ``environment``, ``metadata``, message metadata
    and unknown fields) may nest at most :data:`MAX_NESTING` levels: a record nested deeper is
    invalid (a :class:`DataError` naming it from the readers, skippable with ``--skip-invalid``)
    instead of breaking serialisation, fingerprints or environments later."""

    model_config = ConfigDict(extra="allow")
    id: str
    messages: list[Message]
    output: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)  # a fresh dict per record, never a deep copy
    tools: list[dict[str, Any]] | None = None
    environment: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bounded_nesting(self, info: ValidationInfo) -> Trajectory:
        if info.context is not None and info.context.get(SHALLOW_TEXT):
            return self  # the caller counted too few brackets in the JSON text to nest this deep
        fields = {"attributes": self.attributes, "tools": self.tools, "environment": self.environment,
                  "metadata": self.metadata, **(self.model_extra or {})}
        fields.update({f"messages[{i}].metadata": m.metadata
                       for i, m in enumerate(self.messages) if m.metadata})
        for name, value in fields.items():
            if value is not None and nesting_depth(value) > MAX_NESTING:
                raise ValueError(f"{name} is nested more than {MAX_NESTING} levels deep")
        return self

    def to_json(self) -> str:
        """One canonical JSONL line (without the newline); fields absent on input stay absent."""
        return self.model_dump_json(exclude_unset=True)

    def to_json_bytes(self) -> bytes:
        """:meth:`to_json` as UTF-8 bytes, serialised straight to bytes (what a digest reads)."""
        return self.__pydantic_serializer__.to_json(self, exclude_unset=True)


CHAT_MESSAGE_KEYS = frozenset({"role", "content", "tool_calls", "tool_call_id", "name"})


def to_chat_messages(messages: Iterable[Message]) -> list[dict[str, Any]]:
    """Messages as plain OpenAI chat dicts: synae extensions (``code``, ``metadata``) stripped."""
    out = []
    for m in messages:
        d = {k: v for k, v in m.model_dump(exclude_none=True).items() if k in CHAT_MESSAGE_KEYS}
        d.setdefault("content", None)
        out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# Schema validation (docs/method.md §1.1): structural problems of a single trajectory.


@dataclass
class SchemaIssues:
    """Errors make a trajectory unusable; warnings are kept for the user to see."""

    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, message)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def check_trajectory(traj: Trajectory) -> SchemaIssues:
    """Structural checks of ``docs/method.md`` §1.1 (not the validity pillar).

    Errors: empty ``id``; ``tool_calls`` on a non-assistant message; ``arguments`` not a JSON
    object string; a ``tool`` message whose ``tool_call_id`` matches no earlier call. Warnings: no
    user message; assistant calls without results (unless ``metadata.tool_results == "absent"``);
    an empty ``output``. (Duplicate ids are checked by the reader, across trajectories.)
    """
    issues = SchemaIssues()
    if not traj.id:
        issues.errors.append(("id", "empty id"))
    seen_calls: set[str] = set()
    answered: set[str] = set()
    has_user = False
    for i, msg in enumerate(traj.messages):
        where = f"messages[{i}]"
        if msg.role == "user":
            has_user = True
        if msg.tool_calls is not None:
            if msg.role != "assistant":
                issues.errors.append((f"{where}.tool_calls", f"tool_calls on a '{msg.role}' message"))
                continue
            for j, call in enumerate(msg.tool_calls):
                try:
                    args = pydantic_core.from_json(call.function.arguments)
                except ValueError as exc:
                    issues.errors.append((f"{where}.tool_calls[{j}].function.arguments",
                                          f"not valid JSON ({exc})"))
                    continue
                if not isinstance(args, dict):
                    issues.errors.append((f"{where}.tool_calls[{j}].function.arguments",
                                          "must encode a JSON object"))
                seen_calls.add(call.id)
        if msg.role == "tool":
            if msg.tool_call_id is None or msg.tool_call_id not in seen_calls:
                issues.errors.append((f"{where}.tool_call_id",
                                      f"{msg.tool_call_id!r} matches no earlier tool call"))
            else:
                answered.add(msg.tool_call_id)
    if not has_user:
        issues.warnings.append(("messages", "no user message"))
    if traj.metadata.get("tool_results") != "absent" and seen_calls - answered:
        issues.warnings.append(("messages", f"{len(seen_calls - answered)} tool call(s) without results"))
    if traj.output is not None and not traj.output.strip():
        issues.warnings.append(("output", "output is present but empty"))
    return issues


# --------------------------------------------------------------------------------------------
# Datasets


@dataclass
class Dataset:
    """An ordered collection of trajectories plus where they came from.

    ``warnings`` collects per-record schema warnings (``"<location>: <field>: <message>"``);
    ``n_skipped`` counts records dropped by ``skip_invalid``; ``embeddings`` holds precomputed
    vectors per text view read from side files (``{"transcript": rows × d array, …}``, see
    :mod:`synae.run.inputs.precomputed`).
    """

    trajectories: list[Trajectory]
    name: str = "dataset"
    source: str | None = None
    format: str = "canonical"
    warnings: list[str] = field(default_factory=list)
    n_skipped: int = 0
    skipped: list[str] = field(default_factory=list)
    embeddings: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.trajectories)

    def __iter__(self) -> Iterator[Trajectory]:
        return iter(self.trajectories)

    def __getitem__(self, index: int) -> Trajectory:
        return self.trajectories[index]

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSONL serialisation (order-sensitive), as hex."""
        digest = hashlib.sha256()
        for traj in self.trajectories:
            digest.update(traj.to_json_bytes())
            digest.update(b"\n")
        return digest.hexdigest()

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "format": self.format,
                "n": len(self.trajectories), "fingerprint": self.fingerprint(),
                "n_skipped": self.n_skipped}


def describe_validation_error(exc: ValidationError) -> tuple[str, str]:
    """(field, message) of a validation error's first problem (field ``record`` when it has none)."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    return loc or "record", err.get("msg", "invalid value")


def validated(data: dict[str, Any] | Callable[[], Trajectory], *, source: str, location: str) -> Trajectory:
    """``Trajectory.model_validate(data)`` (or ``data()`` when it builds one): a validation error becomes
    a :class:`DataError` naming ``source``, ``location`` and the field."""
    try:
        return data() if callable(data) else Trajectory.model_validate(data)
    except ValidationError as exc:
        fld, msg = describe_validation_error(exc)
        raise DataError(msg, source=source, location=location, field=fld) from None


def parse_trajectory(line: str, *, source: str, location: str) -> Trajectory:
    """Parse and schema-check one canonical JSON line; raises :class:`DataError` on any error."""
    return _parse_checked(line, source=source, location=location)[0]


def _parse_checked(line: str, *, source: str, location: str) -> tuple[Trajectory, SchemaIssues]:
    """:func:`parse_trajectory` that also returns the schema issues (checked once per line)."""
    try:
        traj = Trajectory.model_validate_json(line, context={SHALLOW_TEXT: shallow_json(line)})
    except ValidationError as exc:
        fld, msg = describe_validation_error(exc)
        if exc.errors()[0].get("type") == "json_invalid":
            raise DataError(f"malformed JSON ({msg})", source=source, location=location) from None
        raise DataError(msg, source=source, location=location, field=fld) from None
    issues = check_trajectory(traj)
    if issues.errors:
        fld, msg = issues.errors[0]
        raise DataError(msg, source=source, location=f"{location} (id {traj.id!r})", field=fld)
    return traj, issues


def iter_jsonl(path: str | Path, *, skip_invalid: bool = False,
               dataset: Dataset | None = None) -> Iterator[Trajectory]:
    """Stream trajectories from a canonical JSONL(.gz) file.

    Blank lines are ignored; a UTF-8 byte-order mark is accepted. Bytes that are not UTF-8 and
    duplicate ids are errors of their line. With ``skip_invalid`` a bad record is skipped and
    counted on ``dataset`` (when given) instead of raising.
    """
    src = str(path)
    seen: set[str] = set()
    for lineno, raw in iter_raw_lines(path):
        location = f"line {lineno}"
        try:
            line = decode_line(raw, source=src, location=location)
            traj, issues = _parse_checked(line, source=src, location=location)
            if traj.id in seen:
                raise DataError(f"duplicate id {traj.id!r}", source=src, location=location, field="id")
        except DataError as exc:
            if not skip_invalid:
                raise
            if dataset is not None:
                dataset.n_skipped += 1
                dataset.skipped.append(str(exc))
            continue
        seen.add(traj.id)
        if dataset is not None:
            for fld, msg in issues.warnings:
                dataset.warnings.append(f"{location} (id {traj.id!r}): {fld}: {msg}")
        yield traj


BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ReadLimits:
    """Size budgets of reading an input file (``inputs.max_record_bytes``,
    ``inputs.max_decompressed_bytes``). A record (a JSON Lines line, a JSON array element, a CSV
    row) over ``max_record_bytes`` is an error of that record — never read whole into memory for
    JSON Lines; a ``.gz`` file that decompresses to more than ``max_decompressed_bytes`` is an
    error of the file (a gzip bomb ends there, not in a ``MemoryError``)."""

    max_record_bytes: int = 16 * 2**20
    max_decompressed_bytes: int = 16 * 2**30


class OverBudgetError(DataError):
    """An input over a :class:`ReadLimits` budget: a record too large, a ``.gz`` file that
    decompresses too far. Format detection passes it on (it is no sign of another format)."""


_READ_LIMITS: ContextVar[ReadLimits | None] = ContextVar("synae_read_limits", default=None)


def read_limits() -> ReadLimits:
    """The :class:`ReadLimits` in force (the defaults unless :func:`set_read_limits` was called)."""
    return _READ_LIMITS.get() or ReadLimits()


def set_read_limits(limits: ReadLimits) -> None:
    """Use ``limits`` for every read that follows in this context (the command line sets them from
    the config once per command)."""
    _READ_LIMITS.set(limits)


@contextmanager
def reading_limits(limits: ReadLimits) -> Iterator[None]:
    """Use ``limits`` for the reads inside the ``with`` block (the Python API's way)."""
    token = _READ_LIMITS.set(limits)
    try:
        yield
    finally:
        _READ_LIMITS.reset(token)


class _Decompressed(io.RawIOBase):
    """A gzip stream that raises :class:`DataError` once it has produced more than ``limit`` bytes."""

    def __init__(self, path: Path, limit: int) -> None:
        self._inner = gzip.open(path, "rb")  # noqa: SIM115 (closed by close())
        self._path = path
        self._limit = limit
        self._total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n: int = self._inner.readinto(buffer)
        self._total += n
        if self._total > self._limit:
            raise OverBudgetError(f"decompresses to more than {self._limit} bytes "
                                  "(inputs.max_decompressed_bytes): a gzip bomb, or raise the limit",
                                  source=str(self._path))
        return n

    def close(self) -> None:
        self._inner.close()
        super().close()


def open_input(path: Path) -> IO[bytes]:
    """``path`` opened for reading bytes; a ``.gz`` file decompressed, within
    :attr:`ReadLimits.max_decompressed_bytes`."""
    if path.suffix.lower() == ".gz":
        return io.BufferedReader(_Decompressed(path, read_limits().max_decompressed_bytes))
    return open(path, "rb")


class OversizedLine(bytes):
    """What :func:`iter_raw_lines` yields (empty bytes) for a line over the record budget: its size
    was counted while skipping it, and :func:`decode_line` raises for it, so the error belongs to
    that line (``skip_invalid`` skips it)."""

    size: int


def _oversized(size: int) -> OversizedLine:
    marker = OversizedLine()
    marker.size = size
    return marker


def _skip_line(fh: IO[bytes]) -> int:
    """Consume the rest of a line (in 1 MiB pieces, never held whole); returns its length."""
    n = 0
    while True:
        piece = fh.readline(1 << 20)
        n += len(piece)
        if not piece or piece.endswith(b"\n"):
            return n


def iter_raw_lines(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, bytes) of every non-blank line of a JSON Lines(.gz) file, a leading
    UTF-8 byte-order mark removed; a file without any record raises :class:`DataError`.

    Lines stay bytes so that a line that is not UTF-8 is an error of that line only
    (:func:`decode_line`), which ``skip_invalid`` can skip. A line longer than
    :attr:`ReadLimits.max_record_bytes` is read no further than that and yielded as an
    :class:`OversizedLine` (an error of that line, the same way).
    """
    path = Path(path)
    any_record = False
    limit = read_limits().max_record_bytes
    try:
        with open_input(path) as fh:
            lineno = 0
            while line := fh.readline(limit + 1):
                lineno += 1
                if len(line) > limit and not line.endswith(b"\n"):
                    any_record = True
                    yield lineno, _oversized(len(line) + _skip_line(fh))
                    continue
                if lineno == 1 and line.startswith(BOM):
                    line = line[len(BOM):]
                if line.strip():
                    any_record = True
                    yield lineno, line
    except (gzip.BadGzipFile, EOFError) as exc:
        raise DataError(f"cannot read gzip file ({exc})", source=str(path)) from None
    if not any_record:
        raise DataError("file is empty (no JSON records)", source=str(path))


def oversized(size: int, *, source: str, location: str) -> OverBudgetError:
    """The error of a record of ``size`` bytes over :attr:`ReadLimits.max_record_bytes`."""
    limit = read_limits().max_record_bytes
    return OverBudgetError(f"record is {size} bytes, over the limit of {limit} (inputs.max_record_bytes)",
                     source=source, location=location)


def decode_line(raw: bytes, *, source: str, location: str) -> str:
    """``raw`` decoded as UTF-8; :class:`DataError` naming the first bad byte otherwise (or the size
    of an :class:`OversizedLine`)."""
    if isinstance(raw, OversizedLine):
        raise oversized(raw.size, source=source, location=location)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                        "re-encode the file as UTF-8", source=source, location=location) from None


def read_jsonl(path: str | Path, *, skip_invalid: bool = False, name: str | None = None) -> Dataset:
    """Read a whole canonical JSONL file into a :class:`Dataset` (streaming, one copy in memory)."""
    path = Path(path)
    dataset = Dataset(trajectories=[], name=name or data_stem(path), source=str(path))
    with gc_paused():
        dataset.trajectories = list(iter_jsonl(path, skip_invalid=skip_invalid, dataset=dataset))
    return dataset


_freezing = False  # inside the gc_relaxed scope that owns freezing: gc_paused freezes what it leaves alive


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many acyclic objects are created.

    Loading allocates millions of small objects; every collection would rescan the growing heap
    (≈3x slower loading at 100,000 trajectories). Parsed trajectories hold no reference cycles, so
    nothing is lost by collecting once afterwards.

    Inside a :func:`gc_relaxed` scope the objects still alive at the end are also frozen
    (:func:`gc.freeze`): the first collection after the pause would otherwise scan every one of them
    (a streamed chunk's survivors: about 7 % of a streamed ``evaluate``'s CPU time), and later ones
    again as they age. Frozen objects are still freed by reference counting; cycles among them wait
    for the scope's end, which unfreezes them (a 20,000 × 20,000 ``evaluate`` leaves about 1,400
    unreachable objects to collect then).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _freezing:
            gc.freeze()
        if enabled:
            gc.enable()


RELAXED_GC_THRESHOLDS = (100_000, 50, 1_000)  # gen0 allocations, gen0 runs per gen1, gen1 per gen2


@contextmanager
def gc_relaxed() -> Iterator[None]:
    """Let the cyclic garbage collector run rarely (:data:`RELAXED_GC_THRESHOLDS` instead of
    Python's 700/10/10), restoring the thresholds afterwards; usable as a decorator.

    A command that builds features for many trajectories holds millions of live container objects
    (per-record lists and tuples); at the default thresholds every few hundred allocations start a
    collection and the older generations are rescanned again and again (about a sixth of a streamed
    ``evaluate``'s CPU time). Cycles are still collected, just after more allocations.

    Within the scope, :func:`gc_paused` freezes what it leaves alive, and the scope unfreezes
    everything at its end (:func:`gc.unfreeze`). Only the outermost scope does so, and only when
    nothing was frozen before it opened: someone else's frozen objects are left as they were (and
    nothing more is frozen then)."""
    global _freezing
    before = gc.get_threshold()
    owner = not _freezing and gc.get_freeze_count() == 0
    gc.set_threshold(*RELAXED_GC_THRESHOLDS)
    if owner:
        _freezing = True
    try:
        yield
    finally:
        if owner:
            _freezing = False
            gc.unfreeze()
        gc.set_threshold(*before)


def write_jsonl(trajectories: Iterable[Trajectory], path: str | Path) -> int:
    """Write trajectories as canonical JSONL(.gz), one line each; returns the number written.

    The file appears only when every trajectory was written (:func:`synae.files.atomic_write`): an
    error midway (e.g. raised by the ``trajectories`` iterator) leaves no file at ``path``.
    """
    path = Path(path)
    n = 0
    with atomic_write(path, "wb") as raw:
        sink: IO[bytes] = (gzip.GzipFile(fileobj=raw, mode="wb")  # type: ignore[assignment]
                           if path.suffix == ".gz" else raw)
        fh = io.TextIOWrapper(sink, encoding="utf-8", newline="\n")
        for traj in trajectories:
            fh.write(traj.to_json())
            fh.write("\n")
            n += 1
        fh.flush()
        fh.detach()  # ``raw`` is closed by atomic_write
        if sink is not raw:
            sink.close()
    return n


def dumps_strict(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` that refuses NaN/Infinity (standard JSON only)."""
    return json.dumps(value, allow_nan=False, ensure_ascii=False, **kwargs)
