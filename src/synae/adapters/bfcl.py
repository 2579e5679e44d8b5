"""BFCL multi-turn: a questions file plus a ground-truth file (``docs/method.md`` §1.5).

Layouts (the answers file is found automatically, or given with ``answers=``):

- newer: ``X.json`` and ``possible_answer/X.json`` next to it;
- older: ``X_instr.json`` and ``X_tool_calls.json`` in the same folder (``metadata.copy = "older"``).

Example question line and its ground truth::

    {"id": "multi_turn_base_0", "question": [[{"role": "user", "content": "Go to 'docs'"}]],
     "initial_config": {"GorillaFileSystem": {...}}, "path": ["GorillaFileSystem.cd"],
     "involved_classes": ["GorillaFileSystem"]}
    {"id": "multi_turn_base_0", "ground_truth": [["cd(folder='docs')"]]}

Each turn's messages are appended in order; a non-empty ground-truth turn adds one assistant message
with ``code`` = the call strings joined with ``"\\n"`` and one ``tool_calls`` entry per parsed call
(ids ``call_<turn>_<k>``). Empty turns get no assistant message. ``environment`` keeps
``initial_config``, ``involved_classes``, ``path`` and ``excluded_function``; ``tools`` are the
function docs of the involved classes converted to OpenAI tool definitions (§1.5) when the
``func_doc`` folder is found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from synae.adapters.common import Thunk, build_dataset, iter_json_objects, role_of, source_file
from synae.datapaths import bundled_bfcl_dir, data_dir
from synae.errors import DataError
from synae.schema import Dataset, Message, Trajectory
from synae.toolcalls import ParsedCall, parse_calls, to_tool_calls

CLASS_FILES: dict[str, str] = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
}
ENVIRONMENT_KEYS = ("initial_config", "involved_classes", "path", "excluded_function")
_TYPE_MAP = {"dict": "object", "float": "number", "tuple": "array"}
_KEEP_KEYS = ("type", "description", "properties", "items", "enum", "required", "default")


# --------------------------------------------------------------------------------------------
# Function docs → OpenAI tool definitions (docs/method.md §1.5)


def func_doc_dir(near: Path | None = None) -> Path | None:
    """The function-docs folder: ``func_doc/`` (the data folder's layout) or ``multi_turn_func_doc/``
    (the layout of the ``bfcl-eval`` package's data) next to ``near`` or its parent, else under the
    data folder, else the copy the installed ``bfcl-eval`` package ships."""
    candidates = []
    if near is not None:
        for folder in (near.parent, near.parent.parent):
            candidates += [folder / "func_doc", folder / "multi_turn_func_doc"]
    candidates.append(data_dir(required=False) / "bfcl" / "func_doc")
    bundled = bundled_bfcl_dir()
    if bundled is not None:
        candidates.append(bundled / "multi_turn_func_doc")
    return next((c for c in candidates if c.is_dir()), None)


@cache
def read_func_docs(cls: str, doc_dir: Path | None = None) -> tuple[dict[str, Any], ...]:
    """The raw function docs of one class (JSONL, one function per line)."""
    if cls not in CLASS_FILES:
        raise DataError(f"unknown BFCL class {cls!r} (known: {', '.join(CLASS_FILES)})",
                        field="involved_classes")
    folder = doc_dir or func_doc_dir()
    if folder is None:
        raise DataError("BFCL function docs (func_doc/) not found; set SYNAE_DATA_DIR or run "
                        "`synae download bfcl`")
    return tuple(record for _, record in iter_json_objects(folder / CLASS_FILES[cls]))


def convert_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A BFCL parameter schema as JSON Schema: ``dict``→``object``, ``float``→``number``,
    ``tuple``→``array``, ``any``→no type; keys other than the standard ones are dropped."""
    out: dict[str, Any] = {}
    for key in _KEEP_KEYS:
        if key not in schema:
            continue
        value = schema[key]
        if key == "type":
            if value == "any":
                continue
            value = _TYPE_MAP.get(value, value)
        elif key == "properties":
            value = {name: convert_schema(prop) for name, prop in value.items()}
        elif key == "items" and isinstance(value, dict):
            value = convert_schema(value)
        out[key] = value
    return out


def tool_definition(doc: dict[str, Any]) -> dict[str, Any]:
    """One function doc as an OpenAI tool definition (``response`` dropped)."""
    return {"type": "function", "function": {"name": doc["name"], "description": doc.get("description", ""),
                                             "parameters": convert_schema(doc.get("parameters", {}))}}


def tool_definitions(classes: list[str], doc_dir: Path | None = None) -> list[dict[str, Any]]:
    """OpenAI tool definitions of the given classes, in class order then file order."""
    return [tool_definition(doc) for cls in classes for doc in read_func_docs(cls, doc_dir)]


@cache
def function_classes(doc_dir: Path | None = None) -> dict[str, str]:
    """Function name → class name over the eight multi-turn classes (``{}`` if docs are missing)."""
    if (doc_dir or func_doc_dir()) is None:
        return {}
    return {doc["name"]: cls for cls in CLASS_FILES for doc in read_func_docs(cls, doc_dir)}


# --------------------------------------------------------------------------------------------
# Questions + ground truth → trajectories


def find_answers(path: Path) -> Path | None:
    """The ground-truth file of a questions file (both layouts), or ``None``."""
    name = path.name
    candidates = []
    if "_instr" in name:
        candidates.append(path.with_name(name.replace("_instr", "_tool_calls")))
    candidates += [path.parent / "possible_answer" / name,
                   path.with_name(path.stem + "_ground_truth" + path.suffix)]
    return next((c for c in candidates if c.is_file() and c != path), None)


def bfcl_copy(path: Path) -> str:
    """``older`` for the ``v_older`` / ``_instr`` layout, else ``newer``."""
    return "older" if "_instr" in path.name or path.parent.name == "v_older" else "newer"


def calls_message(strings: list[str], *, turn: int, declared_tools: frozenset[str]) -> Message:
    """The assistant message of one ground-truth turn (each call string parsed on its own)."""
    calls: list[ParsedCall] = []
    errors = []
    for text in strings:
        parsed = parse_calls(text, declared_tools=declared_tools)
        if parsed.error:
            errors.append(f"{text!r}: {parsed.error}")
        calls.extend(parsed.calls)
    return Message(role="assistant", content=None, code="\n".join(strings),
                   tool_calls=to_tool_calls(calls, turn=turn) if calls else None,
                   metadata={"parse_error": "; ".join(errors)} if errors else None)


def entry_trajectory(entry: dict[str, Any], truth: list[Any] | None, *, src: str, location: str,
                     copy: str, source_name: str, doc_dir: Path | None,
                     declared_tools: frozenset[str]) -> Trajectory:
    """One BFCL entry (and its ground-truth turns) as a trajectory."""
    for key in ("id", "question"):
        if key not in entry:
            raise DataError("missing field", source=src, location=location, field=key)
    tid = entry["id"]
    if not isinstance(tid, str):
        raise DataError(f"expected a string, got {type(tid).__name__}", source=src, location=location,
                        field="id")
    question = entry["question"]
    if not isinstance(question, list):
        raise DataError("expected a list of turns", source=src, location=location, field="question")
    truth = truth or []
    if len(truth) > len(question):
        raise DataError(f"ground truth has {len(truth)} turns, the question {len(question)}",
                        source=src, location=location, field="ground_truth")
    messages: list[Message] = []
    for k, turn in enumerate(question):
        where = f"question[{k}]"
        if not isinstance(turn, list):
            raise DataError("expected a list of messages", source=src, location=location, field=where)
        for j, msg in enumerate(turn):
            if not isinstance(msg, dict) or not isinstance(msg.get("content"), str):
                raise DataError("expected {'role', 'content': str}", source=src, location=location,
                                field=f"{where}[{j}]")
            role = role_of(str(msg.get("role", "")), source=src, location=location, fld=f"{where}[{j}].role")
            messages.append(Message(role=role, content=msg["content"]))
        strings = truth[k] if k < len(truth) else []
        if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
            raise DataError("expected a list of call strings", source=src, location=location,
                            field=f"ground_truth[{k}]")
        if strings:
            messages.append(calls_message(strings, turn=k + 1, declared_tools=declared_tools))
    environment: dict[str, Any] = {"kind": "bfcl"}
    environment.update({key: entry[key] for key in ENVIRONMENT_KEYS if key in entry})
    classes = environment.get("involved_classes") or []
    tools = None
    if doc_dir is not None and classes:
        try:
            tools = tool_definitions(list(classes), doc_dir)
        except DataError as exc:
            raise DataError(exc.message, source=src, location=location, field="involved_classes") from None
    extra = {k: v for k, v in entry.items() if k not in ("id", "question", *ENVIRONMENT_KEYS)}
    metadata: dict[str, Any] = {"benchmark": "bfcl", "copy": copy, "source_file": source_name,
                                "turn_alignment": "known", "tool_results": "absent"}
    if extra:
        metadata["source"] = extra
    return Trajectory(id=tid, messages=messages, output=None, tools=tools, environment=environment,
                      metadata=metadata)


def read_answers(path: Path) -> dict[str, list[Any]]:
    """``id`` → ``ground_truth`` of a ground-truth JSONL file."""
    answers = {}
    for lineno, record in iter_json_objects(path):
        if "id" not in record or "ground_truth" not in record:
            missing = "id" if "id" not in record else "ground_truth"
            raise DataError("missing field", source=str(path), location=f"line {lineno}", field=missing)
        answers[str(record["id"])] = record["ground_truth"]
    return answers


def bfcl_records(path: Path, *, answers: Path | None = None,
                 warn: Callable[[str], None] | None = None) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every question of a BFCL questions file, line by line,
    with its ground truth (``answers``, else found next to it; that file is read whole: a dict by
    id). Without one, ``warn`` gets the warning and the questions load without tool calls."""
    src = str(path)
    answers_path = Path(answers) if answers else find_answers(path)
    truths = read_answers(answers_path) if answers_path else None
    if truths is None and warn is not None:
        warn(f"{src}: no ground-truth file found (pass --answers); loaded without tool calls")
    doc_dir = func_doc_dir(path)
    declared = frozenset(function_classes(doc_dir)) if doc_dir else frozenset()
    copy = bfcl_copy(path)
    source_name = source_file(path)
    for lineno, entry in iter_json_objects(path):
        location = f"line {lineno}"

        def make(entry: dict[str, Any] = entry, location: str = location) -> Trajectory:
            truth = None
            if truths is not None:
                if str(entry.get("id")) not in truths:
                    raise DataError(f"no ground truth for id {entry.get('id')!r} in {answers_path}",
                                    source=src, location=location, field="id")
                truth = truths[str(entry["id"])]
            return entry_trajectory(entry, truth, src=src, location=location, copy=copy,
                                    source_name=source_name, doc_dir=doc_dir, declared_tools=declared)

        yield location, make


def load_bfcl(path: Path, *, answers: Path | None = None, skip_invalid: bool = False,
              name: str | None = None) -> Dataset:
    """Load a BFCL questions file with its ground truth (see the module docstring)."""
    warnings: list[str] = []
    dataset = build_dataset(bfcl_records(path, answers=answers, warn=warnings.append), path=path, fmt="bfcl",
                            name=name, skip_invalid=skip_invalid)
    dataset.warnings.extend(warnings)
    return dataset
