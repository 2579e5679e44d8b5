"""Chat records: canonical JSONL (``docs/method.md`` §1.1), OpenAI chat records and ShareGPT records.

Every reader takes a :class:`~synae.adapters.common.Source`: a JSON Lines file (streamed), a file
holding one JSON array, a CSV/Parquet table with a ``messages`` (or ``conversations``) column — JSON
text or nested values — or in-memory records (a list of dicts, a pandas DataFrame, a Hugging Face
``datasets`` object). Each form gives the same trajectories as its JSON Lines twin.

**OpenAI chat** records are ``{"messages": [...], "tools": [...]}`` (the fine-tuning format)::

    {"messages": [{"role": "user", "content": "Weather in Oslo?"},
                  {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                   "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]},
                  {"role": "tool", "tool_call_id": "c1", "content": "rain"},
                  {"role": "assistant", "content": "It rains in Oslo."}]}

Tool-call ``arguments`` may be a JSON string or an object (stored as its JSON text). ``tools`` and
``messages`` may be JSON text. Ids are the 0-based record position (``"0"``, ``"1"``, …) unless a record
has an ``id``. Other keys (``output``, ``attributes``, ``metadata``, …) are kept as in the canonical
schema. A message's ``content`` key is always present (``null`` when absent).

**ShareGPT** records hold ``conversations``: ``[{"from": …, "value": …}]`` with ``from`` one of
``human``/``user``, ``gpt``/``assistant``, ``system``, ``function_call`` (the value is a JSON object
``{"name", "arguments"}`` or a list of them: one assistant message with those tool calls, ids
``call_<user turn>_<k>``) and ``observation``/``tool`` (a tool message answering the next unanswered
call). A top-level ``system`` string becomes the first message; ``tools`` (JSON text or a list of
function definitions, wrapped as ``{"type": "function", "function": …}`` when bare) are kept.

**Output** (``output_from``, :func:`~synae.adapters.common.apply_output_from`): by default
(``last-assistant``) a record without an ``output`` field gets the content of its final assistant
answer as output.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from synae.adapters.common import (
    Source,
    Thunk,
    apply_output_from,
    build_dataset,
    drop_nulls,
    is_json_array,
    iter_checked,
    iter_records,
    json_cell,
    json_object,
)
from synae.errors import DataError
from synae.schema import Dataset, Trajectory, iter_jsonl, validated

SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "system": "system", "function_call": "assistant", "observation": "tool", "tool": "tool"}


def load_canonical(source: Source, *, skip_invalid: bool = False, name: str | None = None,
                   output_from: str = "last-assistant") -> Dataset:
    """Canonical records; a JSON Lines(.gz) file streams through :func:`synae.schema.iter_jsonl`."""
    path = source.path
    if path is None or source.tabular or is_json_array(path):
        return _load_records(source, fmt="canonical", skip_invalid=skip_invalid, name=name,
                             output_from=output_from, convert=_canonical_record)
    dataset = Dataset(trajectories=[], name=name or source.default_name, source=source.label)
    dataset.trajectories = [apply_output_from(t, output_from, has_field="output" in t.model_fields_set)
                            for t in iter_jsonl(path, skip_invalid=skip_invalid, dataset=dataset)]
    return dataset


def load_openai(source: Source, *, skip_invalid: bool = False, name: str | None = None,
                output_from: str = "last-assistant") -> Dataset:
    """OpenAI chat records: ``messages`` (+ optional ``tools``); ids by record position."""
    return _load_records(source, fmt="openai", skip_invalid=skip_invalid, name=name, output_from=output_from,
                         convert=_openai_record)


def load_sharegpt(source: Source, *, skip_invalid: bool = False, name: str | None = None,
                  output_from: str = "last-assistant") -> Dataset:
    """ShareGPT records (``conversations`` of ``from``/``value`` turns); ids by record position."""
    return _load_records(source, fmt="sharegpt", skip_invalid=skip_invalid, name=name,
                         output_from=output_from, convert=_sharegpt_record)


# (record, tabular=, position=, src=, location=) → a dict for Trajectory.model_validate
Converter = Callable[..., dict[str, Any]]


def _load_records(source: Source, *, fmt: str, skip_invalid: bool, name: str | None, output_from: str,
                  convert: Converter) -> Dataset:
    return build_dataset(_thunks(source, output_from, convert), path=source, fmt=fmt, name=name,
                         skip_invalid=skip_invalid)


def _thunks(source: Source, output_from: str, convert: Converter) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every record of ``source``; ids by record position."""
    for position, (location, get) in enumerate(iter_records(source)):
        def make(get: Any = get, position: int = position, location: str = location) -> Trajectory:
            return _trajectory(get(), convert, source=source, position=position, location=location,
                               output_from=output_from)

        yield location, make


def _trajectory(record: dict[str, Any], convert: Converter, *, source: Source, position: int, location: str,
                output_from: str | None) -> Trajectory:
    data = convert(record, tabular=source.tabular, position=position, src=source.label, location=location)
    if source.arrow:
        data = {k: drop_nulls(v) if k in ("messages", "tools") else v for k, v in data.items()}
    for msg in data["messages"]:
        if isinstance(msg, dict):
            msg.setdefault("content", None)
    traj = _validate(data, src=source.label, location=location)
    return traj if output_from is None else apply_output_from(traj, output_from, has_field="output" in data)


def iter_chat(source: Source, fmt: str, *, dataset: Dataset, skip_invalid: bool = False,
              output_from: str = "last-assistant") -> Iterator[Trajectory]:
    """The trajectories of a chat-format input (``canonical``, ``openai``, ``sharegpt``) one at a
    time, equal to what its loader keeps (ids by record position, outputs by ``output_from``);
    skipped records and warnings are counted on ``dataset``."""
    return iter_checked(_thunks(source, output_from, CONVERTERS[fmt]), dataset, skip_invalid)


def record_trajectory(raw: bytes, fmt: str, *, source: Source, position: int, location: str) -> Trajectory:
    """One JSON Lines record of a chat format as a trajectory (outputs not derived); raises
    :class:`DataError` for a record that is not one."""
    record = json_object(raw, source=source.label, location=location)
    return _trajectory(record, CONVERTERS[fmt], source=source, position=position, location=location,
                       output_from=None)


def _validate(data: dict[str, Any], *, src: str, location: str) -> Trajectory:
    return validated(data, source=src, location=location)


def _chat_fields(record: dict[str, Any], *, tabular: bool, src: str, location: str,
                 key: str) -> dict[str, Any]:
    """``record`` with ``key`` (messages/conversations) and ``tools`` decoded when JSON text; in
    table rows, empty/null cells are dropped (absent fields) and ``attributes``/``metadata``/
    ``environment`` are decoded when JSON text too."""
    data = {k: v for k, v in record.items() if v is not None and v != ""} if tabular else dict(record)
    if data.get(key) is None:
        raise DataError("missing field", source=src, location=location, field=key)
    json_fields = (key, "tools", "attributes", "metadata", "environment") if tabular else (key, "tools")
    for fld in json_fields:
        if fld in data:
            value = json_cell(data[fld], source=src, location=location, fld=fld)
            if value is None:
                del data[fld]
            else:
                data[fld] = value
    if not isinstance(data[key], list):
        raise DataError(f"expected a list, got {type(data[key]).__name__}", source=src, location=location,
                        field=key)
    return data


def _canonical_record(record: dict[str, Any], *, tabular: bool, position: int, src: str,
                      location: str) -> dict[str, Any]:
    data = _chat_fields(record, tabular=tabular, src=src, location=location, key="messages")
    if "id" not in data:
        raise DataError("missing field", source=src, location=location, field="id")
    data["id"] = str(data["id"])
    return data


def _openai_record(record: dict[str, Any], *, tabular: bool, position: int, src: str,
                   location: str) -> dict[str, Any]:
    fields = _chat_fields(record, tabular=tabular, src=src, location=location, key="messages")
    data = {"id": str(position), **fields}
    data["id"] = str(data["id"])
    data.setdefault("metadata", {"source_format": "openai"})
    return data


def _sharegpt_record(record: dict[str, Any], *, tabular: bool, position: int, src: str,
                     location: str) -> dict[str, Any]:
    fields = _chat_fields(record, tabular=tabular, src=src, location=location, key="conversations")
    data = {"id": str(position), **fields}
    data["id"] = str(data["id"])
    turns = data.pop("conversations")
    messages: list[dict[str, Any]] = []
    system = data.pop("system", None)
    if isinstance(system, str) and system.strip():
        messages.append({"role": "system", "content": system})
    pending: list[str] = []
    n_user = 0
    for i, turn in enumerate(turns):
        fld = f"conversations.{i}"
        if not isinstance(turn, dict) or "from" not in turn:
            raise DataError("expected an object with 'from' and 'value'", source=src, location=location,
                            field=fld)
        kind = str(turn["from"]).strip().lower()
        role = SHAREGPT_ROLES.get(kind)
        if role is None:
            raise DataError(f"unknown role {turn['from']!r} (expected one of {', '.join(SHAREGPT_ROLES)})",
                            source=src, location=location, field=f"{fld}.from")
        value = turn.get("value")
        if kind == "function_call":
            calls = _sharegpt_calls(value, turn=n_user, src=src, location=location, fld=f"{fld}.value")
            pending = [c["id"] for c in calls]
            messages.append({"role": "assistant", "content": None, "tool_calls": calls})
        elif role == "tool":
            if not pending:
                raise DataError(f"'{kind}' without a preceding function_call", source=src, location=location,
                                field=f"{fld}.from")
            messages.append({"role": "tool", "tool_call_id": pending.pop(0), "content": value})
        else:
            n_user += role == "user"
            messages.append({"role": role, "content": value})
    data["messages"] = messages
    if isinstance(data.get("tools"), list):
        data["tools"] = [t if isinstance(t, dict) and "function" in t else {"type": "function", "function": t}
                         for t in data["tools"]]
    data.setdefault("metadata", {"source_format": "sharegpt"})
    return data


def _sharegpt_calls(value: Any, *, turn: int, src: str, location: str, fld: str) -> list[dict[str, Any]]:
    """Tool calls of a ShareGPT ``function_call`` value: ``{"name", "arguments"}`` or a list of them."""
    parsed = json_cell(value, source=src, location=location, fld=fld)
    items = parsed if isinstance(parsed, list) else [parsed]
    calls = []
    for k, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise DataError('expected {"name": ..., "arguments": ...}', source=src, location=location,
                            field=fld)
        arguments = item.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        calls.append({"id": f"call_{turn}_{k}", "type": "function",
                      "function": {"name": item["name"], "arguments": arguments}})
    return calls


# chat format name → record converter (:func:`iter_chat`, :func:`record_trajectory`)
CONVERTERS: dict[str, Converter] = {"canonical": _canonical_record, "openai": _openai_record,
                                    "sharegpt": _sharegpt_record}
