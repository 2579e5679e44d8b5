"""Canonical JSONL (``data.md`` §1) and OpenAI chat JSONL.

OpenAI chat JSONL has one ``{"messages": [...], "tools": [...]}`` object per line (the fine-tuning
format). Example line::

    {"messages": [{"role": "user", "content": "Find art museums in Boston"},
                  {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                   "function": {"name": "search_attractions", "arguments": "{\\"city\\": \\"Boston\\"}"}}]}],
     "tools": [{"type": "function", "function": {"name": "search_attractions", "parameters": {}}}]}

Ids are the 0-based line position (``"0"``, ``"1"``, …) unless a line has an ``id``. Other keys of a
line (``output``, ``attributes``, ``metadata``, …) are kept as in the canonical schema.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from synae.adapters.common import build_dataset, iter_json_objects
from synae.errors import DataError
from synae.schema import Dataset, Trajectory, read_jsonl


def load_canonical(path: Path, *, skip_invalid: bool = False, name: str | None = None) -> Dataset:
    """Canonical JSONL(.gz) via :func:`synae.schema.read_jsonl`."""
    return read_jsonl(path, skip_invalid=skip_invalid, name=name)


def load_openai(path: Path, *, skip_invalid: bool = False, name: str | None = None) -> Dataset:
    """OpenAI chat JSONL: ``messages`` (+ optional ``tools``) per line; ids by line position."""
    src = str(path)

    def records():
        for position, (lineno, record) in enumerate(iter_json_objects(path)):
            location = f"line {lineno}"

            def make(record=record, position=position, location=location) -> Trajectory:
                if "messages" not in record:
                    raise DataError("missing field", source=src, location=location, field="messages")
                data = {"id": str(position), **record}
                if not isinstance(data["id"], str):
                    data["id"] = str(data["id"])
                data.setdefault("metadata", {"source_format": "openai"})
                try:
                    return Trajectory.model_validate(data)
                except ValidationError as exc:
                    err = exc.errors()[0]
                    fld = ".".join(str(p) for p in err.get("loc", ()))
                    raise DataError(err.get("msg", "invalid value"), source=src, location=location,
                                    field=fld or None) from None

            yield location, make

    return build_dataset(records(), path=path, fmt="openai", name=name, skip_invalid=skip_invalid)
