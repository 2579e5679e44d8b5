"""Async client for any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, …).

Built on httpx. What it guarantees (``validity_downstream.md`` §1.1):

- **Endpoint and key**: explicit arguments, else :class:`synae.config.LLMSettings`, else the standard
  ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` environment variables (base URL default
  ``https://api.openai.com/v1``; no key → no ``Authorization`` header, fine for local servers).
- **Concurrency**: at most ``settings.concurrency`` requests in flight (per event loop), spread
  over keep-alive connection pools of at most :data:`POOL_SIZE` connections; identical requests in
  flight at the same time are sent once.
- **Timeout**: each attempt (connect, send, wait, read) must finish within ``settings.timeout``.
- **Retries**: up to ``max_retries`` more attempts on timeouts and transport errors, HTTP 429, HTTP
  5xx and malformed replies (body not JSON, ``choices`` missing or empty). The wait before retry
  ``a`` (0-based) is ``d = min(backoff_max, backoff_base · 2**a)`` with equal jitter
  (uniform in ``[d/2, d]``); a 429/503 reply with a ``Retry-After`` header (seconds or HTTP date)
  waits exactly that long instead (capped at ``retry_after_max``). Other 4xx replies (bad request,
  auth) fail at once. After the last attempt :class:`LLMError` is raised, with ``.kind``
  (``timeout``, ``transport``, ``http_429``, ``http_500``, ``malformed``, ``http_400``, …).
- **Cache**: every successful reply is appended to disk as soon as it arrives (one complete line,
  one write; :class:`synae.llm.cache.ReplyCache`), keyed by the SHA-256 of the full request
  payload (model, messages, tools, every parameter; :func:`synae.llm.cache.request_key`; the
  endpoint URL is not part of the key). A re-run, or a run resumed after a crash, sends no request
  that already has a reply. A cache that cannot be written is disabled with a warning.
- **Accounting**: :class:`UsageStats` counts HTTP calls made, cache hits, failures, retries and the
  prompt/completion tokens the endpoint reported.
- **Dry run**: requests without a cached reply are not sent; they are counted
  (``estimated_calls``, tokens ≈ characters / 4 for the prompt, ``max_tokens`` for the completion)
  and answered with ``LLMError(kind="dry_run")``, so callers treat them like unscored results.

Callers pass plain chat message dicts (use :func:`synae.schema.to_chat_messages`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import json
import math
import os
import random
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import httpx

from synae import __version__
from synae.config import LLMSettings, cache_root
from synae.errors import SynaeError
from synae.llm.cache import ReplyCache, request_key
from synae.llm.progress import CallProgress
from synae.llm.reasoning import strip_reasoning

DEFAULT_BASE_URL = "https://api.openai.com/v1"
POOL_SIZE = 8  # connections per httpx pool (see _LoopState)
T = TypeVar("T")


@dataclass
class ChatRequest:
    """One chat-completions request. ``None`` parameters are not sent (the server's default applies).

    ``extra`` holds further OpenAI parameters (``top_p``, ``stop``, ``n`` …) sent verbatim.
    """

    messages: list[dict[str, Any]]
    model: str
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | None = None
    response_format: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        """The JSON body sent to ``/chat/completions`` (also what the cache key hashes)."""
        body: dict[str, Any] = {"model": self.model, "messages": self.messages}
        for name in ("temperature", "max_tokens", "seed", "tools", "tool_choice", "response_format"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        body.update(self.extra or {})
        return body

    def cache_key(self) -> str:
        return request_key(self.payload())

    def estimated_prompt_tokens(self) -> int:
        """Rough prompt size: characters of the messages and tools (as JSON) / 4, rounded up."""
        chars = len(json.dumps(self.messages, ensure_ascii=False))
        if self.tools:
            chars += len(json.dumps(self.tools, ensure_ascii=False))
        return math.ceil(chars / 4)


@dataclass
class ChatResponse:
    """The first choice of a chat-completions reply.

    ``content`` is the message text as sent (may contain ``<think>`` blocks; see :attr:`text`);
    ``tool_calls`` are OpenAI-format dicts (``[]`` when none); ``reasoning`` is a separate
    ``reasoning_content``/``reasoning`` field when the server sends one; ``cached`` tells whether the
    reply came from the disk cache.
    """

    content: str | None
    tool_calls: list[dict[str, Any]]
    finish_reason: str | None
    usage: dict[str, Any]
    cached: bool
    model: str
    reasoning: str | None = None

    @property
    def text(self) -> str:
        """``content`` with reasoning blocks removed and whitespace stripped (``""`` when none)."""
        return strip_reasoning(self.content)

    @classmethod
    def from_body(cls, body: dict[str, Any], *, cached: bool, model: str) -> ChatResponse:
        """Parse a reply body; raises ``ValueError`` naming what is malformed."""
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices:
            raise ValueError("reply has no choices" if not choices else "'choices' is not a list")
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        if not isinstance(message, dict):
            raise ValueError("choices[0] has no message object")
        content = message.get("content")
        if isinstance(content, list):  # content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        elif content is not None and not isinstance(content, str):
            raise ValueError("message content is not a string")
        tool_calls = message.get("tool_calls") or []
        if not isinstance(tool_calls, list):
            raise ValueError("message tool_calls is not a list")
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        return cls(content=content, tool_calls=tool_calls, finish_reason=choices[0].get("finish_reason"),
                   usage=usage, cached=cached, model=str(body.get("model") or model),
                   reasoning=reasoning if isinstance(reasoning, str) else None)


class LLMError(SynaeError):
    """A request that failed for good (after retries, or at once for non-retryable errors).

    ``kind``: ``timeout``, ``transport``, ``malformed``, ``http_<status>`` or ``dry_run``.
    """

    def __init__(self, kind: str, message: str, *, status: int | None = None, attempts: int = 0,
                 retry_after: float | None = None) -> None:
        self.kind = kind
        self.message = message
        self.status = status
        self.attempts = attempts
        self.retry_after = retry_after
        tries = f" after {attempts} attempt(s)" if attempts else ""
        super().__init__(f"LLM request failed ({kind}){tries}: {message}")

    @property
    def retryable(self) -> bool:
        return self.kind in ("timeout", "transport", "malformed", "http_429") or (
            self.status is not None and self.status >= 500)


@dataclass
class UsageStats:
    """Counters of one client's calls. ``calls`` = successful HTTP calls; ``cached`` = requests
    answered from the cache (or shared with an identical request in flight); ``failed`` = requests
    that raised :class:`LLMError` (dry-run requests excluded); ``rejected`` = requests the endpoint
    refused for an unsupported parameter and that were re-sent without it (not counted as failed);
    ``estimated_*`` = dry-run budget."""

    calls: int = 0
    cached: int = 0
    failed: int = 0
    rejected: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_calls: int = 0
    estimated_prompt_tokens: int = 0
    estimated_completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); ``None`` if absent
    or unreadable; never negative."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass
class _LoopState:
    """Per-event-loop resources: connection pools, free request slots, requests in flight.

    httpcore's pool does work proportional to its number of connections for every request, so a
    high concurrency is split over several pools of at most :data:`POOL_SIZE` connections; each of
    the ``concurrency`` slots in ``slots`` belongs to one pool, which thus never has more requests
    than connections.
    """

    pools: list[httpx.AsyncClient]
    slots: asyncio.Queue[int]
    in_flight: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)


class LLMClient:
    """OpenAI-compatible chat client with concurrency limit, retries, disk cache and accounting.

    ``settings`` supplies every option; keyword arguments override single fields
    (``LLMClient(settings, concurrency=16)``). ``progress`` shows a progress bar in :meth:`chat_many`.
    Use as a context manager (sync or async) or call :meth:`close` / :meth:`aclose`.
    """

    def __init__(self, settings: LLMSettings | None = None, *, base_url: str | None = None,
                 api_key: str | None = None, progress: bool = True, **overrides: Any) -> None:
        settings = settings or LLMSettings()
        overrides = {k: v for k, v in overrides.items() if v is not None}
        self.settings = LLMSettings.model_validate({**settings.model_dump(), **overrides})
        self.base_url = (base_url or self.settings.base_url or os.environ.get("OPENAI_BASE_URL")
                         or DEFAULT_BASE_URL).rstrip("/")
        self._api_key = api_key or self.settings.api_key or os.environ.get("OPENAI_API_KEY") or None
        self.progress = progress
        self.usage = UsageStats()
        cache_dir = self.settings.cache_dir or cache_root() / "llm"
        self.cache: ReplyCache | None = ReplyCache(cache_dir) if self.settings.cache else None
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self._rng = random.Random()  # jitter only changes timing, never results
        self.rejected_parameters: set[str] = set()  # request parameters the endpoint refused (e.g. 400)

    @property
    def dry_run(self) -> bool:
        return self.settings.dry_run

    @property
    def cache_dir(self) -> Path | None:
        return self.cache.root if self.cache else None

    # -- resources ---------------------------------------------------------------------------
    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            headers = {"User-Agent": f"synae/{__version__}"}
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            concurrency = self.settings.concurrency
            n_pools = math.ceil(concurrency / POOL_SIZE)
            slots: asyncio.Queue[int] = asyncio.Queue()
            for slot in range(concurrency):
                slots.put_nowait(slot % n_pools)
            sizes = [len(range(p, concurrency, n_pools)) for p in range(n_pools)]  # slots per pool
            pools = [httpx.AsyncClient(headers=headers, timeout=self.settings.timeout,
                                       limits=httpx.Limits(max_connections=n, max_keepalive_connections=n))
                     for n in sizes]
            state = _LoopState(pools=pools, slots=slots)
            self._states[loop] = state
        return state

    async def aclose(self) -> None:
        """Close the HTTP connections opened in the running event loop."""
        state = self._states.pop(asyncio.get_running_loop(), None)
        if state is not None:
            for pool in state.pools:
                await pool.aclose()

    def close(self) -> None:
        """Close the cache file and forget connections of finished event loops (the sync methods
        close their connections themselves)."""
        self._states = {loop: s for loop, s in self._states.items() if not loop.is_closed()}
        if self.cache is not None:
            self.cache.close()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run_sync(self, make: Callable[[], Awaitable[T]]) -> T:
        async def runner() -> T:
            try:
                return await make()
            finally:
                await self.aclose()

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(runner())
        # Called from inside a running loop (e.g. a notebook): run in a helper thread.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, runner()).result()

    # -- public API --------------------------------------------------------------------------
    def cached_response(self, request: ChatRequest) -> ChatResponse | None:
        """The cached reply to ``request``, if any (no HTTP call)."""
        return self._from_cache(request.cache_key(), request.model)

    def _from_cache(self, key: str, model: str) -> ChatResponse | None:
        body = self.cache.get(key) if self.cache is not None else None
        if body is None:
            return None
        try:
            return ChatResponse.from_body(body, cached=True, model=model)
        except ValueError:
            return None

    async def achat(self, request: ChatRequest) -> ChatResponse:
        """Send one request (or answer it from the cache); raises :class:`LLMError`."""
        key = request.cache_key()
        cached = self._from_cache(key, request.model)
        if cached is not None:
            self.usage.add(cached=1)
            return cached
        if self.dry_run:
            self.usage.add(estimated_calls=1, estimated_prompt_tokens=request.estimated_prompt_tokens(),
                           estimated_completion_tokens=request.max_tokens or 0)
            raise LLMError("dry_run", "dry run: request not sent")
        state = self._state()
        shared = state.in_flight.get(key)
        if shared is not None:  # an identical request is being sent right now
            try:
                body = await asyncio.shield(shared)
            except LLMError:
                self.usage.add(failed=1)
                raise
            self.usage.add(cached=1)
            return ChatResponse.from_body(body, cached=True, model=request.model)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        state.in_flight[key] = future
        try:
            body = await self._send_with_retries(state, request)
        except LLMError as exc:
            self.usage.add(failed=1)
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters, if any, re-raise it themselves
            raise
        except BaseException:  # cancelled: identical requests waiting on this one are cancelled too
            future.cancel()
            raise
        finally:
            state.in_flight.pop(key, None)
        if self.cache is not None:  # on disk before anyone sees the reply
            self._store(key, request.payload(), body)
        future.set_result(body)
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        self.usage.add(calls=1, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                       completion_tokens=int(usage.get("completion_tokens") or 0))
        return ChatResponse.from_body(body, cached=False, model=request.model)

    def chat(self, request: ChatRequest) -> ChatResponse:
        """Synchronous :meth:`achat`."""
        return self._run_sync(lambda: self.achat(request))

    async def achat_many(self, requests: Sequence[ChatRequest], *, description: str = "",
                         progress: bool | None = None) -> list[ChatResponse | LLMError]:
        """Send many requests concurrently; results in input order, failures as :class:`LLMError`."""
        show = self.progress if progress is None else progress
        with CallProgress(len(requests), description, enabled=show) as bar:
            async def one(request: ChatRequest) -> ChatResponse | LLMError:
                try:
                    response = await self.achat(request)
                except LLMError as exc:
                    bar.advance("estimated" if exc.kind == "dry_run" else "failed")
                    return exc
                bar.advance("cached" if response.cached else "done")
                return response

            return list(await asyncio.gather(*(one(r) for r in requests)))

    def chat_many(self, requests: Sequence[ChatRequest], *, description: str = "",
                  progress: bool | None = None) -> list[ChatResponse | LLMError]:
        """Synchronous :meth:`achat_many`."""
        return self._run_sync(lambda: self.achat_many(requests, description=description, progress=progress))

    # -- internals ---------------------------------------------------------------------------
    def _store(self, key: str, payload: dict[str, Any], body: dict[str, Any]) -> None:
        """Cache one reply; a failing disk (full, read-only) disables the cache with one warning
        instead of losing the reply that was just paid for."""
        assert self.cache is not None
        try:
            self.cache.put(key, payload, body)
        except OSError as exc:
            warnings.warn(f"LLM reply cache disabled: cannot write to {self.cache.root} ({exc})",
                          RuntimeWarning, stacklevel=2)
            self.cache = None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.settings.retry_after_max)
        delay = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** attempt)
        return delay / 2 + self._rng.uniform(0, delay / 2)

    async def _send_with_retries(self, state: _LoopState, request: ChatRequest) -> dict[str, Any]:
        attempts = self.settings.max_retries + 1
        payload = request.payload()
        for attempt in range(attempts):
            slot = await state.slots.get()
            try:
                error, body = await self._send_once(state.pools[slot], payload)
            finally:
                state.slots.put_nowait(slot)
            if error is None:
                assert body is not None
                return body
            if not error.retryable or attempt == attempts - 1:
                raise LLMError(error.kind, error.message, status=error.status, attempts=attempt + 1,
                               retry_after=error.retry_after)
            self.usage.add(retries=1)
            await asyncio.sleep(self._backoff(attempt, error.retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_once(self, http: httpx.AsyncClient,
                         payload: dict[str, Any]) -> tuple[LLMError | None, dict[str, Any] | None]:
        """One HTTP attempt: (None, body) on success, else (error, None). The whole attempt
        (connect, send, wait, read) must finish within ``settings.timeout`` seconds."""
        try:
            response = await asyncio.wait_for(http.post(f"{self.base_url}/chat/completions", json=payload),
                                              self.settings.timeout)
        except (httpx.TimeoutException, asyncio.TimeoutError) as exc:
            message = f"no reply within {self.settings.timeout:g} s ({type(exc).__name__})"
            return LLMError("timeout", message), None
        except httpx.TransportError as exc:
            return LLMError("transport", f"{type(exc).__name__}: {exc}"), None
        if response.status_code != 200:
            return LLMError(f"http_{response.status_code}", _error_message(response),
                            status=response.status_code,
                            retry_after=parse_retry_after(response.headers.get("Retry-After"))), None
        try:
            body = response.json()
            if not isinstance(body, dict):
                raise ValueError("reply body is not a JSON object")
            ChatResponse.from_body(body, cached=False, model=str(payload["model"]))
        except ValueError as exc:  # includes json.JSONDecodeError
            return LLMError("malformed", f"{exc} (body starts {response.text[:80]!r})"), None
        return None, body


def _error_message(response: httpx.Response) -> str:
    """The endpoint's error message (OpenAI ``{"error": {"message": …}}``) or the start of the body."""
    try:
        err = response.json().get("error")
        message = err.get("message") if isinstance(err, dict) else err
        if message:
            return f"HTTP {response.status_code}: {message}"
    except (ValueError, AttributeError):
        pass
    return f"HTTP {response.status_code}: {response.text[:200]}"
