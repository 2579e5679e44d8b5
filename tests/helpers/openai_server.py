"""A real OpenAI-compatible HTTP server on loopback, with scripted replies, for testing LLM code.

Tests must exercise the real HTTP path of synae's LLM client (connections, timeouts, status codes,
malformed bodies), so instead of stubbing the client they talk to this server. It listens on
``127.0.0.1`` on an ephemeral port, in a background thread, and answers:

- ``POST /v1/chat/completions`` — with the next scripted :class:`Reply` (see below);
- ``GET /v1/models`` — the ``list_models`` ids (else the ``models`` ids) as an OpenAI model list,
  or 404 when neither is given (a server without the route); counted in :attr:`model_listings`;
- ``POST /v1/embeddings`` — with deterministic unit vectors: the vector of a text is drawn from a
  normal distribution seeded by the SHA-256 of the text and L2-normalised, so equal texts get equal
  vectors and different texts (almost surely) different ones, across runs and processes
  (see :func:`embedding_for`);
- anything else — 404.

Usage::

    from helpers.openai_server import Reply, ScriptedOpenAIServer

    with ScriptedOpenAIServer(replies=[Reply.error(429, retry_after=0.2), Reply.text("yes")]) as server:
        client = LLMClient(base_url=server.base_url, api_key="test")
        ...
        assert len(server.requests) == 2                 # JSON bodies received, in arrival order
        assert server.requests[0]["model"] == "judge"

How a chat reply is chosen, for each request in arrival order:

1. if the ``replies`` queue is not empty, its first element is popped (append more with
   :meth:`ScriptedOpenAIServer.push`);
2. otherwise, if a ``responder`` was given, ``responder(request_json)`` is called (it may run in
   several threads at once) and returns a :class:`Reply` or a plain ``str`` (shorthand for
   ``Reply.text(...)``);
3. otherwise the server answers ``Reply.text(default_text)`` (``"ok"``).

A :class:`Reply` can be a text (``Reply.text``), tool calls in OpenAI format (``Reply.tools``), an
error status with headers (``Reply.error(429, retry_after=1)``), a slow reply (``delay=`` seconds,
any kind), a raw body that is not valid JSON (``Reply.raw("{not json")``; ``bytes`` are sent as they
are, e.g. invalid UTF-8), a reply with an empty ``choices`` list (``Reply.empty_choices()``), or a
connection reset without any reply (``Reply.connection_reset()``). ``reasoning_content`` adds a
reasoning field as vLLM and DeepSeek send it. Usage counts default to ``prompt_tokens`` =
characters of the messages / 4 and ``completion_tokens`` = characters of the content / 4.

Embedding failures can be scripted too: ``embedding_replies`` is a separate queue; a popped reply
with a non-200 status, a raw body or a delay is applied to that embeddings request (a delay-only
reply still answers with vectors).

Server flavours (``flavor=``) reproduce the quirks of real servers that synae must survive:

- ``"openai"`` (default): errors as ``{"error": {"message": …, "type": …, "code": …}}``;
- ``"llama.cpp"`` (llama-cpp-python without a function-calling chat format): a request whose
  ``response_format`` carries a JSON schema gets HTTP 500 (``{"error": {"code": 500, "message":
  "… json_schema … grammar …"}}``); scripted tool calls are sent as JSON text in ``content``
  (``{"name": …, "arguments": {…}}``, a list of them when several) instead of ``tool_calls``; a
  request with a message whose ``content`` is ``null`` gets HTTP 500 (llama-cpp-python's chat
  templates concatenate the content as a string);
- ``"vllm"``: errors as ``{"object": "error", "message": …, "type": "BadRequestError", "code": …}``;
- ``"ollama"``: errors as ``{"error": "<text>"}``, and only ``/v1/chat/completions`` exists
  (any other path: 404 with the plain body ``404 page not found``).

Independent of the flavour: ``unsupported_params`` — a request carrying one of these parameters gets
HTTP 400 naming it (in the flavour's error shape); ``models`` — a request for another model gets
HTTP 404 ``model "<name>" not found``; ``list_models`` — ids ``/v1/models`` lists while chat requests
are answered under any model name (llama.cpp); ``api_key`` — a request without ``Authorization: Bearer
<api_key>`` gets HTTP 401. These checks come before the scripted replies (no reply is consumed).
``silent=True``: every request (``/v1/models`` included) is held without an answer until the server
stops — a server that never answers.

Every received request is recorded (thread-safe): :attr:`requests` gives the JSON bodies,
:attr:`calls` gives :class:`ReceivedCall` records with path, headers, body and arrival time
(``time.monotonic()``), e.g. to assert that a client waited for ``Retry-After``. Slow replies are
interrupted when the server stops, so ``__exit__`` never hangs.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import numpy as np

DEFAULT_EMBEDDING_DIM = 16
Flavor = Literal["openai", "llama.cpp", "vllm", "ollama"]


@dataclass
class Reply:
    """One scripted reply; build it with the class methods below or directly."""

    content: str | None = "ok"
    tool_calls: list[dict[str, Any]] | None = None
    finish_reason: str | None = None  # default: "tool_calls" with tool calls, else "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    raw_body: str | bytes | None = None  # sent verbatim (e.g. malformed JSON) instead of a generated body
    no_choices: bool = False  # a well-formed body whose "choices" list is empty
    reasoning_content: str | None = None
    usage: dict[str, int] | None = None
    model: str | None = None  # default: the request's model
    reset: bool = False  # close the connection without any reply (a connection reset)

    @classmethod
    def text(cls, content: str | None, **kwargs: Any) -> Reply:
        return cls(content=content, **kwargs)

    @classmethod
    def tools(cls, *calls: dict[str, Any] | tuple[str, dict[str, Any]], content: str | None = None,
              **kwargs: Any) -> Reply:
        """Tool calls: full OpenAI dicts, or ``(name, arguments_dict)`` pairs (ids are generated)."""
        out = []
        for i, call in enumerate(calls):
            if isinstance(call, tuple):
                name, args = call
                call = {"id": f"call_{i}", "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)}}
            out.append(call)
        return cls(content=content, tool_calls=out, **kwargs)

    @classmethod
    def error(cls, status: int, *, retry_after: float | str | None = None, message: str = "scripted error",
              **kwargs: Any) -> Reply:
        headers = dict(kwargs.pop("headers", {}))
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        body = json.dumps({"error": {"message": message, "type": "scripted", "code": status}})
        return cls(content=None, status=status, headers=headers, raw_body=body, **kwargs)

    @classmethod
    def raw(cls, body: str | bytes, status: int = 200, **kwargs: Any) -> Reply:
        return cls(content=None, raw_body=body, status=status, **kwargs)

    @classmethod
    def connection_reset(cls, **kwargs: Any) -> Reply:
        return cls(content=None, reset=True, **kwargs)

    @classmethod
    def empty_choices(cls, **kwargs: Any) -> Reply:
        return cls(content=None, no_choices=True, **kwargs)

    @classmethod
    def slow(cls, delay: float, content: str | None = "ok", **kwargs: Any) -> Reply:
        return cls(content=content, delay=delay, **kwargs)


@dataclass
class ReceivedCall:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any
    time: float  # time.monotonic() at arrival


Responder = Callable[[dict[str, Any]], "Reply | str"]


def embedding_for(text: str, dim: int = DEFAULT_EMBEDDING_DIM) -> list[float]:
    """The server's deterministic unit vector for ``text`` (seeded by SHA-256 of the UTF-8 text)."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    vec = np.random.default_rng(seed).standard_normal(dim)
    return (vec / np.linalg.norm(vec)).tolist()


def error_body(flavor: Flavor, status: int, message: str) -> str:
    """An error body in the shape ``flavor`` sends."""
    if flavor == "ollama":
        return json.dumps({"error": message})
    if flavor == "vllm":
        kind = {400: "BadRequestError", 404: "NotFoundError", 401: "AuthenticationError"}.get(status, "Error")
        return json.dumps({"object": "error", "message": message, "type": kind, "param": None,
                           "code": status})
    if flavor == "llama.cpp":
        return json.dumps({"error": {"code": status, "message": message, "type": "server_error"}})
    return json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": status}})


def _tool_calls_as_text(calls: list[dict[str, Any]]) -> str:
    """llama.cpp without a function-calling chat format: the calls as JSON text."""
    plain = [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"] or "{}")}
             for c in calls]
    return json.dumps(plain[0] if len(plain) == 1 else plain)


def _chat_body(reply: Reply, request: dict[str, Any], flavor: Flavor = "openai") -> dict[str, Any]:
    if reply.tool_calls and flavor == "llama.cpp":
        reply = Reply(content=_tool_calls_as_text(reply.tool_calls), usage=reply.usage, model=reply.model,
                      reasoning_content=reply.reasoning_content)
    if reply.no_choices:
        choices: list[dict[str, Any]] = []
    else:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = reply.tool_calls
        if reply.reasoning_content is not None:
            message["reasoning_content"] = reply.reasoning_content
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        choices = [{"index": 0, "message": message, "finish_reason": finish}]
    prompt_chars = len(json.dumps(request.get("messages", [])))
    completion_chars = len(reply.content or "") + len(json.dumps(reply.tool_calls or []))
    usage = reply.usage or {"prompt_tokens": prompt_chars // 4, "completion_tokens": completion_chars // 4}
    usage.setdefault("total_tokens", usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0))
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
            "model": reply.model or request.get("model", "scripted"), "choices": choices, "usage": usage}


class ScriptedOpenAIServer:
    """Threaded loopback HTTP server speaking the OpenAI chat-completions and embeddings API.

    Parameters: ``replies`` — initial queue of chat replies; ``responder`` — called when the queue is
    empty; ``default_text`` — reply text when neither applies; ``embedding_dim`` — size of the
    embedding vectors; ``embedding_replies`` — queue of scripted embeddings replies; ``flavor``,
    ``unsupported_params``, ``models``, ``list_models``, ``api_key``, ``silent`` — server quirks (see
    the module docstring).
    """

    def __init__(self, replies: Iterable[Reply | str] = (), *, responder: Responder | None = None,
                 default_text: str = "ok", embedding_dim: int = DEFAULT_EMBEDDING_DIM,
                 embedding_replies: Iterable[Reply] = (), flavor: Flavor = "openai",
                 unsupported_params: Iterable[str] = (), models: Iterable[str] | None = None,
                 list_models: Iterable[str] | None = None, api_key: str | None = None,
                 silent: bool = False) -> None:
        self.flavor: Flavor = flavor
        self.unsupported_params = frozenset(unsupported_params)
        self.models = frozenset(models) if models is not None else None
        self.list_models = list(list_models) if list_models is not None else None
        self.silent = silent
        self.model_listings = 0  # GET /v1/models requests received
        self.api_key = api_key
        self._replies: deque[Reply | str] = deque(replies)
        self._embedding_replies: deque[Reply] = deque(embedding_replies)
        self.responder = responder
        self.default_text = default_text
        self.embedding_dim = embedding_dim
        self._lock = threading.Lock()
        self._calls: list[ReceivedCall] = []
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> ScriptedOpenAIServer:
        handler = type("_Handler", (_Handler,), {"owner": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting and inspection ------------------------------------------------------------
    def push(self, *replies: Reply | str) -> None:
        """Append chat replies to the queue."""
        with self._lock:
            self._replies.extend(replies)

    @property
    def requests(self) -> list[Any]:
        """JSON bodies of every received POST (chat and embeddings), in arrival order (a copy)."""
        with self._lock:
            return [c.body for c in self._calls]

    @property
    def calls(self) -> list[ReceivedCall]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        """Forget the recorded requests (the reply queue is kept)."""
        with self._lock:
            self._calls.clear()

    # -- internals used by the handler -------------------------------------------------------
    def _record(self, call: ReceivedCall) -> None:
        with self._lock:
            self._calls.append(call)

    def _refusal(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Reply | None:
        """The quirk-driven error reply to a chat request, if any (no scripted reply is consumed)."""
        def error(status: int, message: str) -> Reply:
            return Reply.raw(error_body(self.flavor, status, message), status=status)

        if self.flavor == "ollama" and path.rstrip("/") != "/v1/chat/completions":
            return Reply.raw("404 page not found", status=404)
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return error(401, "Incorrect API key provided")
        if self.models is not None and body.get("model") not in self.models:
            return error(404, f'model "{body.get("model")}" not found, try pulling it first')
        for name in sorted(self.unsupported_params & set(body)):
            return error(400, f"Unsupported parameter: '{name}' is not supported with this model.")
        if self.flavor == "llama.cpp" and any(isinstance(m, dict) and m.get("content", "") is None
                                               for m in body.get("messages") or []):
            return error(500, 'can only concatenate str (not "NoneType") to str')
        response_format = body.get("response_format")
        if self.flavor == "llama.cpp" and isinstance(response_format, dict) \
                and response_format.get("type") == "json_schema":
            return error(500, "Unable to generate parser for this template: response_format json_schema "
                              "is not supported (failed to build grammar)")
        return None

    def _next_chat_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            reply = self._replies.popleft() if self._replies else None
        if reply is None:
            reply = self.responder(body) if self.responder is not None else self.default_text
        return Reply.text(reply) if isinstance(reply, str) else reply

    def _next_embedding_reply(self) -> Reply | None:
        with self._lock:
            return self._embedding_replies.popleft() if self._embedding_replies else None

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _model_list(self) -> list[str] | None:
        """The ids ``GET /v1/models`` lists (``None``: no such route); counts the request."""
        with self._lock:
            self.model_listings += 1
        if self.flavor == "ollama":
            return None
        return self.list_models if self.list_models is not None else (
            sorted(self.models) if self.models is not None else None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # slow handlers never keep the process alive
    block_on_close = False
    request_queue_size = 256  # the default backlog (5) resets connections under concurrent load


class _Handler(BaseHTTPRequestHandler):
    owner: ScriptedOpenAIServer
    protocol_version = "HTTP/1.1"  # keep-alive, like real endpoints
    # Headers and body leave in one write (buffered, flushed after each request) with Nagle off:
    # separate small writes would stall every reply ~40 ms on delayed ACKs.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request logging
        pass

    def _send(self, status: int, body: str | bytes, headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.close_connection = True

    def do_GET(self) -> None:
        owner = self.owner
        if owner.silent:
            owner._stopping.wait()
            self.close_connection = True
            return
        if owner.api_key is not None and self.headers.get("Authorization") != f"Bearer {owner.api_key}":
            self._send(401, error_body(owner.flavor, 401, "Incorrect API key provided"))
            return
        ids = owner._model_list() if self.path.rstrip("/") == "/v1/models" else None
        if ids is None:
            self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))
            return
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "scripted"} for m in ids]
        self._send(200, json.dumps({"object": "list", "data": data}))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        owner = self.owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner._record(ReceivedCall(self.path, headers, body, time.monotonic()))
        if owner.silent:
            owner._stopping.wait()
            self.close_connection = True
            return
        if self.path.rstrip("/").endswith("/chat/completions") and isinstance(body, dict):
            reply = owner._refusal(self.path, headers, body) or owner._next_chat_reply(body)
            self._answer(reply, lambda r: _chat_body(r, body, owner.flavor))
        elif self.path.rstrip("/").endswith("/embeddings") and isinstance(body, dict):
            self._answer(owner._next_embedding_reply(), lambda _r: self._embeddings(body))
        else:
            self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))

    def _answer(self, reply: Reply | None, build: Callable[[Reply], dict[str, Any]]) -> None:
        if reply is None:
            self._send(200, json.dumps(build(Reply())))
            return
        self.owner._sleep(reply.delay)
        if self.owner._stopping.is_set():
            self.close_connection = True
            return
        if reply.reset:  # RST instead of a reply: the client sees a transport error
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if reply.raw_body is not None:
            self._send(reply.status, reply.raw_body, reply.headers)
        else:
            self._send(reply.status, json.dumps(build(reply)), reply.headers)

    def _embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
        inputs = body.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else [str(t) for t in inputs]
        dim = int(body.get("dimensions") or self.owner.embedding_dim)
        data = [{"object": "embedding", "index": i, "embedding": embedding_for(t, dim)}
                for i, t in enumerate(texts)]
        tokens = sum(len(t) for t in texts) // 4
        return {"object": "list", "data": data, "model": body.get("model", "scripted"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
