"""Span-shaped inputs (``otel``, ``openinference``, ``langsmith``): spans read from a file, grouped
into conversations, and each conversation rebuilt from its model calls.

**Spans.** A record of the file (a JSON Lines line, an element of a JSON array) holds spans in one of
two shapes, read by :func:`trace_spans`:

- OTLP/JSON (the OpenTelemetry protocol's JSON mapping, what a collector's file exporter writes):
  ``{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId", "spanId", "parentSpanId", "name",
  "startTimeUnixNano", "attributes": [{"key", "value": {"stringValue": …}}], "status"}]}]}]}``;
- one span per record as the OpenTelemetry SDK writes it (``span.to_json()``):
  ``{"name", "context": {"trace_id", "span_id"}, "parent_id", "start_time", "attributes": {…}}``
  (``0x`` prefixes of ids are dropped), or as a row of Phoenix's span table written as JSON Lines
  (``get_spans_dataframe().to_json(orient="records", lines=True)``: ``context.trace_id``,
  ``context.span_id``, ``parent_id``, ``start_time``, ``status_code``, ``attributes.<name>``).

A LangSmith run is a span too (:mod:`synae.adapters.langsmith` reads it).

**Conversations.** Spans are grouped by the format's conversation id (a span attribute, which may sit
on one span of a trace only: a trace with one belongs to that conversation), else one group per
trace; a group's spans are ordered by start time (then file order). The trajectory id is the
conversation id, else the trace id.

**Memory.** Two passes over the file. The first keeps, per trace, its conversation id and the number
of the last record holding one of its spans. The second keeps the spans of the conversations that
are open (first span read, last record not yet) and rebuilds each conversation once its last record
is read: trajectories come in the order their conversations end in the file, and memory is bounded
by the largest conversation when the file holds conversations one after another (a collector's
export per trace does), by the whole file when every conversation spans the whole file.

**Rebuilding.** Every model-call span gives the messages it was sent and the messages it returned
(:class:`ModelCall`); they are merged in time order by :meth:`Transcript.merge
<synae.adapters.transcripts.Transcript.merge>` (history sent again is not repeated). A model call
whose content was not recorded (``None``: content capture is opt-in in OpenTelemetry) adds nothing
and is counted: the trajectory's ``metadata.not_captured`` and one warning per conversation —
never empty text. A format may also give the tool executions (:attr:`SpanFormat.tool_step`): they
build the calls and results of a conversation none of whose model calls carries content, and a
failed one (status ERROR) marks its result ``metadata.is_error``.

**Links back.** Every message carries ``metadata.trace_id``/``span_id`` of the span it was first
read from; the trajectory carries ``metadata.trace_id`` (its first trace), ``span_id`` (the root span
of that trace), ``trace_ids`` (all, in order) and ``conversation_id`` (when there is one), which the
exported evaluation events point to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synae.adapters.common import Source, Thunk, iter_records
from synae.adapters.transcripts import Msg, Transcript, dedup_tools, mapping, time_ns
from synae.errors import DataError
from synae.schema import Trajectory

# message metadata: the ids of the message's calls whose arguments the trace did not record
NOT_CAPTURED_ARGUMENTS = "arguments_not_captured"


@dataclass
class Span:
    """One span: ids (hex text), name, start (ns), flattened attributes, where it is in the file."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start: int
    attributes: dict[str, Any]
    location: str  # the record and the span's position in it, and its name
    record: str = ""  # the record (e.g. ``line 3``)
    error: bool = False  # status ERROR


@dataclass
class ModelCall:
    """What one model-call span says: the messages sent and returned (``None``: not recorded) and
    the tool definitions it was given."""

    sent: list[Msg] | None
    received: list[Msg] | None
    tools: list[Any] = field(default_factory=list)


SpansOf = Callable[[Mapping[str, Any], str, str], Iterator["Span | DataError"]]


@dataclass(frozen=True)
class SpanFormat:
    """One span format: how to read spans from a record, a span's conversation id, the model call a
    span records (``None``: not a model call) and, optionally, the tool call and result a
    tool-execution span records."""

    name: str
    spans_of: SpansOf
    conversation_of: Callable[[Span], str | None]
    model_call: Callable[[Span, str], ModelCall | None]
    tool_step: Callable[[Span], tuple[Msg, Msg] | None] | None = None


# --------------------------------------------------------------------------------------------
# Reading spans


def any_value(value: Any) -> Any:
    """An OTLP/JSON ``AnyValue`` as plain Python (``intValue`` text → int; arrays and key-value
    lists recursively; ``bytesValue`` stays base64 text)."""
    if not isinstance(value, Mapping):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])
    for key in ("boolValue", "doubleValue", "bytesValue"):
        if key in value:
            return value[key]
    if "arrayValue" in value:
        return [any_value(v) for v in mapping(value["arrayValue"]).get("values") or ()]
    if "kvlistValue" in value:
        return {str(kv.get("key")): any_value(kv.get("value"))
                for kv in mapping(value["kvlistValue"]).get("values") or () if isinstance(kv, Mapping)}
    return None


def attributes_of(items: Any) -> dict[str, Any]:
    """OTLP ``attributes`` (a list of ``{"key", "value"}``) as a dict; a dict is taken as is."""
    if isinstance(items, Mapping):
        return dict(items)
    return {str(kv.get("key")): any_value(kv.get("value")) for kv in items or () if isinstance(kv, Mapping)}


def _hex(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = str(value)
    return text[2:] if text.startswith("0x") else text


def trace_spans(record: Mapping[str, Any], src: str, location: str) -> Iterator[Span | DataError]:
    """The spans of one record (either shape of the module docstring); a span without a trace id
    or span id is a :class:`DataError` naming the record, the span's position and its name."""
    if "resourceSpans" not in record:
        context, status = mapping(record.get("context")), mapping(record.get("status"))
        attributes = mapping(record.get("attributes"))
        if "context.trace_id" in record:  # a row of Phoenix's span table: dotted column names
            context = {k.removeprefix("context."): v for k, v in record.items() if k.startswith("context.")}
            attributes = {**attributes, **{k.removeprefix("attributes."): v for k, v in record.items()
                                           if k.startswith("attributes.")}}
            status = {"status_code": record.get("status_code")}
        yield _span(trace_id=context.get("trace_id"), span_id=context.get("span_id"),
                    parent_id=record.get("parent_id"), name=record.get("name"),
                    start=record.get("start_time"), attributes=attributes,
                    error=status.get("status_code") == "ERROR", src=src, location=location, record=location)
        return
    n = 0
    for resource in record.get("resourceSpans") or ():
        for scope in mapping(resource).get("scopeSpans") or ():
            for span in mapping(scope).get("spans") or ():
                n += 1
                if not isinstance(span, Mapping):
                    yield DataError("expected a span object", source=src, location=f"{location}, span {n}")
                    continue
                status = mapping(span.get("status"))
                yield _span(trace_id=span.get("traceId"), span_id=span.get("spanId"),
                            parent_id=span.get("parentSpanId"), name=span.get("name"),
                            start=span.get("startTimeUnixNano"), attributes=span.get("attributes"),
                            error=status.get("code") in (2, "STATUS_CODE_ERROR"), src=src,
                            location=f"{location}, span {n}", record=location)


def _span(*, trace_id: Any, span_id: Any, parent_id: Any, name: Any, start: Any, attributes: Any, error: bool,
          src: str, location: str, record: str) -> Span | DataError:
    where = f"{location} ({name!r})"
    trace, span = _hex(trace_id), _hex(span_id)
    if trace is None:
        return DataError("span without a trace id", source=src, location=where, field="traceId")
    if span is None:
        return DataError("span without a span id", source=src, location=where, field="spanId")
    return Span(trace_id=trace, span_id=span, parent_id=_hex(parent_id), name=str(name or ""),
                start=time_ns(start),
                attributes=attributes_of(attributes), location=where, record=record, error=error)


def first_attribute_keys(record: Mapping[str, Any]) -> set[str]:
    """The attribute keys of the spans of one record (for format detection)."""
    return {k for s in trace_spans(record, "", "") if isinstance(s, Span) for k in s.attributes}


def is_span_record(record: Mapping[str, Any]) -> bool:
    """An OTLP/JSON trace export, a one-span record (``context`` + ``attributes``) or a row of a span
    table (``context.trace_id``)."""
    return "resourceSpans" in record or "context.trace_id" in record or (
        {"context", "attributes"} <= record.keys() and isinstance(record.get("context"), Mapping))


# --------------------------------------------------------------------------------------------
# Conversations


def _raise(exc: DataError) -> Thunk:
    def make() -> Trajectory:
        raise exc
    return make


def span_thunks(path: Path, fmt: SpanFormat, warn: Callable[[str], None]) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every conversation of ``path`` (see the module docstring);
    a record or span that cannot be read is a thunk that raises its :class:`DataError` (skipped and
    counted under ``skip_invalid``)."""
    source = Source(str(path), path=path)
    src = source.label
    conversation: dict[str, str] = {}  # trace id → conversation id
    last: dict[str, int] = {}  # trace id → number of its last record
    for number, (_, get) in enumerate(iter_records(source)):
        try:
            record = get()
        except DataError:
            continue
        for span in fmt.spans_of(record, src, ""):
            if isinstance(span, Span):
                last[span.trace_id] = number
                conv = fmt.conversation_of(span)
                if conv:
                    conversation.setdefault(span.trace_id, str(conv))
    ends: dict[str, int] = {}
    for trace, number in last.items():
        key = conversation.get(trace, trace)
        ends[key] = max(ends.get(key, -1), number)
    del last
    open_: dict[str, list[Span]] = {}
    for number, (location, get) in enumerate(iter_records(source)):
        try:
            record = get()
        except DataError as exc:
            yield location, _raise(exc)
            continue
        for span in fmt.spans_of(record, src, location):
            if isinstance(span, DataError):
                yield span.location or location, _raise(span)
            else:
                open_.setdefault(conversation.get(span.trace_id, span.trace_id), []).append(span)
        for key in [k for k in open_ if ends.get(k) == number]:
            spans = open_.pop(key)

            def make(key: str = key, spans: list[Span] = spans) -> Trajectory:
                return rebuild(fmt, key, spans, src=src, conversation=key not in {s.trace_id for s in spans},
                               warn=warn)
            yield spans[0].record, make


def rebuild(fmt: SpanFormat, key: str, spans: list[Span], *, src: str, conversation: bool,
            warn: Callable[[str], None]) -> Trajectory:
    """One conversation's trajectory from its spans (see the module docstring)."""
    first_of: dict[tuple[str, str], Span] = {}
    for span in spans:
        first_of.setdefault((span.trace_id, span.span_id), span)  # the first of each id, in file order
    unique = list(first_of.values())
    if len(unique) < len(spans):
        warn(f"{'conversation' if conversation else 'trace'} {key!r}: {len(spans) - len(unique)} span(s) "
             "repeated with the same trace and span id (a retried or overlapping export) were read once")
    spans = sorted(unique, key=lambda s: s.start)  # stable: file order among equal starts
    out = Transcript(src)
    tools: list[Any] = []
    not_captured = 0
    for span in spans:
        call = fmt.model_call(span, src)
        if call is None:
            continue
        dedup_tools(tools, call.tools)
        if call.sent is None and call.received is None:
            not_captured += 1
            continue
        link = _link(span)
        out.merge([_linked(m, link) for m in call.sent or ()], where=span.location)
        for msg in call.received or ():
            out.append(_linked(msg, link), where=span.location)
    steps = [(span, step) for span in spans if fmt.tool_step is not None and (step := fmt.tool_step(span))]
    if not out.messages:
        for span, (requested, result) in steps:
            out.add_calls([requested], where=span.location)
            if (result.get("metadata") or {}).pop(NOT_CAPTURED_ARGUMENTS, False):
                caller = next(m for m in reversed(out.messages) if m["role"] == "assistant")
                meta = caller.setdefault("metadata", {})
                meta[NOT_CAPTURED_ARGUMENTS] = [*meta.get(NOT_CAPTURED_ARGUMENTS, []), requested["id"]]
            out.append(_linked(result, _link(span)), where=span.location)
    failed = {result["tool_call_id"] for span, (_, result) in steps if span.error}
    for msg in out.messages:
        if msg["role"] == "tool" and msg.get("tool_call_id") in failed:
            msg["metadata"] = {**(msg.get("metadata") or {}), "is_error": True}
    traces = list(dict.fromkeys(s.trace_id for s in spans))
    first = [s for s in spans if s.trace_id == traces[0]]
    ids = {s.span_id for s in first}
    root = next((s for s in first if s.parent_id is None or s.parent_id not in ids), first[0])
    metadata: dict[str, Any] = {"source_format": fmt.name, "trace_id": traces[0], "span_id": root.span_id,
                                "trace_ids": traces}
    if conversation:
        metadata["conversation_id"] = key
    if not_captured:
        metadata["not_captured"] = not_captured
        warn(f"{'conversation' if conversation else 'trace'} {key!r}: {not_captured} model call(s) without "
             "recorded messages (content not captured); they add no messages")
    return out.trajectory(key, location=spans[0].location, tools=tools, metadata=metadata)


def trace_link(traj: Trajectory) -> dict[str, str]:
    """``{"trace_id", "span_id"}`` of a trajectory read from spans (empty for any other)."""
    return {k: traj.metadata[k] for k in ("trace_id", "span_id") if isinstance(traj.metadata.get(k), str)}


def _link(span: Span) -> dict[str, str]:
    return {"trace_id": span.trace_id, "span_id": span.span_id}


def _linked(msg: Msg, link: dict[str, str]) -> Msg:
    return {**msg, "metadata": {**link, **(msg.get("metadata") or {})}}


def indexed(attributes: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Items of a flattened list attribute: ``prefix.<i>.<rest>`` keys → one dict per ``i`` (in index
    order) mapping ``rest`` to the value; a nested list under ``prefix`` (Phoenix exports) is taken
    as is."""
    nested = attributes.get(prefix)
    if isinstance(nested, list):
        return [dict(item) for item in nested if isinstance(item, Mapping)]
    items: dict[int, dict[str, Any]] = {}
    head = prefix + "."
    for key, value in attributes.items():
        if key.startswith(head):
            index, _, rest = key[len(head):].partition(".")
            if index.isdigit() and rest:
                items.setdefault(int(index), {})[rest] = value
    return [items[i] for i in sorted(items)]
