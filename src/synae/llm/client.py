"""Async client for any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, …).

Built on httpx. What it guarantees (``docs/method.md`` §6.1):

- **Endpoint and key**: explicit arguments, else :class:`synae.config.LLMSettings`, else the standard
  ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` environment variables (base URL default
  ``https://api.openai.com/v1``; no key → no ``Authorization`` header, fine for local servers).
- **Concurrency**: at most ``settings.concurrency`` requests in flight (per event loop), spread
  over keep-alive connection pools of at most :data:`POOL_SIZE` connections; identical requests in
  flight at the same time are sent once.
  The limit adapts to the server (:mod:`synae.llm.pacing`): halved on timeouts, 429 and 503,
  raised slowly on success (``adaptive_concurrency``).
- **Timeout**: each attempt (connect, send, wait, read) must finish within its limit:
  ``settings.timeout``, scaled up with the measured latency of successful attempts up to
  ``timeout_max`` (``adaptive_timeout``; :mod:`synae.llm.pacing`); opening a connection within
  ``connect_timeout``.
- **Retries** of transient errors only: up to ``max_retries`` more attempts on timeouts and
  transport errors, HTTP 429, 502, 503 and 504 and malformed replies (body not JSON or not UTF-8,
  ``choices`` missing or empty); an HTTP 500 is retried once (one whose message speaks of load —
  "overloaded", "busy", "unavailable", "try again", … — like a 503), a malformed reply is not
  retried when the same broken reply (same error) came twice. The wait before retry ``a``
  (0-based) is ``d = min(backoff_max, backoff_base · 2**a)`` with equal jitter (uniform in
  ``[d/2, d]``); a 429/503 reply with a ``Retry-After`` header (seconds or HTTP date) waits exactly
  that long instead (capped at ``retry_after_max``). Every other HTTP error (4xx, 501, a second
  500) means the server *refuses* this request: it fails at once, counted in ``refused``, with a
  message saying so. A reply larger than ``max_reply_bytes`` (decoded) is rejected (kind
  ``too_large``) and never cached. A request that ended refused, too large or with the same broken
  reply twice is marked :attr:`LLMError.final` (not :attr:`~LLMError.retryable`: callers such as
  the judge do not ask it again). After the last attempt :class:`LLMError` is raised, with
  ``.kind`` (``timeout``, ``transport``, ``http_429``, ``http_500``, ``malformed``, ``too_large``,
  ``http_400``, …).
- **Probe**: before the first request it sends (cache misses only; never in a dry run), the client
  asks ``GET <base URL>/models`` within ``min(probe_timeout, timeout)`` seconds. No HTTP reply at all
  stops the run (``unreachable``) instead of waiting for request timeouts; 401/403 stops it
  (``auth``); a list of models that lacks a requested model stops it (``model_not_found``, the
  message lists the served ids; ``name`` matches an id equal to it, ``name:<tag>`` (Ollama) or
  ``…/name``). Any other reply (404: no such route) is tolerated. ``probe_timeout: 0`` skips it.
- **Fatal errors** stop the run at once with :class:`synae.errors.LLMFatalError` (the CLI exits
  non-zero), instead of ending with every item unscored: HTTP 401/403 (``auth``); an error body
  saying the model does not exist (``model_not_found``); a 404 saying the route does not exist
  (``not_found``: wrong base URL); the probe failing (``unreachable``, see above); a dead endpoint
  (``breaker``): ``breaker_threshold`` consecutive attempts that got no HTTP reply at all (timeouts,
  refused or reset connections) *and* no HTTP reply in the last ``breaker_window`` seconds (none since
  the start counts as none) — any reply resets the count, so a burst of resets under load while
  other requests succeed does not stop the run;
  the total ``deadline`` (seconds since the first request) passed (``deadline``). The message
  summarises what was done and what not; every reply received before stays cached, and every later
  request of the client raises the same error without being sent.
- **Rejected parameters**: a 400/422 reply whose message names an optional parameter that was sent
  (``response_format``, ``seed``, ``tool_choice``, an ``extra`` key), a 400/422 to a request with
  ``response_format`` that names no other parameter, or a 500 whose message names
  ``response_format``/``json_schema``/``grammar`` (llama.cpp) → the parameter is remembered in
  :attr:`LLMClient.rejected_parameters` (per client, i.e. per endpoint, for the rest of the run) and
  the request is re-sent without it (counted in ``rejected``, not ``failed``). The refusal is also
  written to the reply cache (per endpoint, model and parameter), so a re-run leaves the parameter
  out from its first request instead of sending the refused one again.
- **Cache**: every accepted reply is appended to disk as soon as it arrives (one complete line,
  one write; :class:`synae.llm.cache.ReplyCache`), keyed by the SHA-256 of the endpoint base URL
  and the full request payload as sent (model, messages, tools, every parameter;
  :func:`synae.llm.cache.request_key`). A re-run, or a run resumed after a crash, sends no request
  that already has a reply. ``accept`` (a predicate on the reply) keeps replies the caller cannot use
  (an unparseable judge answer) out of the cache, and a cached reply it refuses counts as a miss.
  A cache that cannot be written is disabled with a warning.
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
import dataclasses
import email.utils
import json
import math
import os
import random
import re
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from synae import __version__
from synae.config import LLMSettings, cache_root
from synae.errors import LLMFatalError, SynaeError
from synae.files import write_or_disable
from synae.llm.cache import ReplyCache, request_key
from synae.llm.pacing import AdaptiveLimit, LatencyTimeout
from synae.llm.progress import CallProgress
from synae.llm.reasoning import strip_reasoning

if TYPE_CHECKING:  # imported where a request is made: a run without LLM calls never loads httpx
    import httpx

DEFAULT_BASE_URL = "https://api.openai.com/v1"
POOL_SIZE = 8  # connections per httpx pool (see _LoopState)
BREAKER_THRESHOLD = 5  # consecutive attempts without any HTTP reply that stop the run
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})  # retried up to max_retries times (500: once)
OVERLOAD_STATUSES = frozenset({429, 503})  # lower the concurrency limit (with timeouts)
OPTIONAL_PARAMETERS = ("response_format", "seed", "tool_choice")  # dropped when an endpoint refuses them
_FORMAT_WORDS = re.compile(r"response_format|json_schema|grammar", re.IGNORECASE)
_MODEL_NOT_FOUND = re.compile(r"model\b.*\b(not found|does not exist|not exist|unknown)|no such model|"
                              r"unknown model|model_not_found", re.IGNORECASE | re.DOTALL)
_BUSY = re.compile(r"overload|busy|unavailable|try again|temporar|timed? ?out|capacity|rate.?limit",
                   re.IGNORECASE)  # a 500 saying this is load, not this request: retried like a 503
_NO_ROUTE = re.compile(r"no route|page not found|HTTP 404: (404 )?not found", re.IGNORECASE)
T = TypeVar("T")
Accept = Callable[["ChatResponse"], bool]


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

    def cache_key(self, endpoint: str | None = None) -> str:
        """The reply-cache key of this request sent to ``endpoint`` (a base URL)."""
        return request_key(self.payload(), endpoint)

    def without(self, parameters: set[str]) -> ChatRequest:
        """This request without the named optional parameters (fields or ``extra`` keys)."""
        if not parameters & {*OPTIONAL_PARAMETERS, *(self.extra or {})}:
            return self
        extra = {k: v for k, v in (self.extra or {}).items() if k not in parameters} or None
        changes = {name: None for name in OPTIONAL_PARAMETERS if name in parameters}
        return dataclasses.replace(self, extra=extra, **changes)  # type: ignore[arg-type]

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
    reply came from the disk cache; ``body`` is the reply body as received (what the cache stores).
    """

    content: str | None
    tool_calls: list[dict[str, Any]]
    finish_reason: str | None
    usage: dict[str, Any]
    cached: bool
    model: str
    reasoning: str | None = None
    body: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

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
        raw_usage = body.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        return cls(content=content, tool_calls=tool_calls, finish_reason=choices[0].get("finish_reason"),
                   usage=usage, cached=cached, model=str(body.get("model") or model),
                   reasoning=reasoning if isinstance(reasoning, str) else None, body=body)


class LLMError(SynaeError):
    """A request that failed for good (after retries, or at once for non-retryable errors).

    ``kind``: ``timeout``, ``transport``, ``malformed``, ``too_large``, ``http_<status>`` or
    ``dry_run``. ``final``: the server refused this very request (an HTTP error that is not
    transient), sent the same broken reply twice, or a too large one — asking again is pointless.
    """

    def __init__(self, kind: str, message: str, *, status: int | None = None, attempts: int = 0,
                 retry_after: float | None = None, final: bool = False) -> None:
        self.kind = kind
        self.message = message
        self.status = status
        self.attempts = attempts
        self.retry_after = retry_after
        self.final = final
        tries = f" after {attempts} attempt(s)" if attempts else ""
        super().__init__(f"LLM request failed ({kind}){tries}: {message}")

    @property
    def retryable(self) -> bool:
        """Whether asking again later may help: a transient error that outlasted the retries."""
        return not self.final and (self.kind in ("timeout", "transport", "malformed") or (
            self.status is not None and (self.status in TRANSIENT_STATUSES or self.status == 500)))


@dataclass
class UsageStats:
    """Counters of one client's calls. ``calls`` = successful HTTP calls; ``cached`` = requests
    answered from the cache (or shared with an identical request in flight); ``failed`` = requests
    that raised :class:`LLMError` (dry-run requests excluded); ``rejected`` = requests the endpoint
    refused for an unsupported parameter and that were re-sent without it (not counted as failed);
    ``refused`` = failed requests the server refused as such (an HTTP error that retrying does not
    fix, or the same broken reply twice, or a too large one); ``estimated_*`` = dry-run budget."""

    calls: int = 0
    cached: int = 0
    failed: int = 0
    rejected: int = 0
    refused: int = 0
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
    active: int = 0  # attempts in flight (at most the adaptive limit)
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # set when an attempt ends
    probe: asyncio.Lock = field(default_factory=asyncio.Lock)


class _Rejected(Exception):
    """Internal: the endpoint refused an optional parameter of the request (re-send without it)."""

    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = parameter


class LLMClient:
    """OpenAI-compatible chat client with concurrency limit, retries, disk cache and accounting.

    ``settings`` supplies every option; keyword arguments override single fields
    (``LLMClient(settings, concurrency=16)``). ``progress`` shows a progress bar in :meth:`chat_many`.
    ``breaker_threshold`` (consecutive attempts without an HTTP reply that stop the run when none
    came in the last ``settings.breaker_window`` seconds either, ``0`` = never)
    and ``deadline`` (total seconds from the first request, ``None`` = none) are the fail-fast limits
    (see the module docstring). Use as a context manager (sync or async) or call :meth:`close` /
    :meth:`aclose`.
    """

    def __init__(self, settings: LLMSettings | None = None, *, base_url: str | None = None,
                 api_key: str | None = None, progress: bool = True,
                 breaker_threshold: int = BREAKER_THRESHOLD, deadline: float | None = None,
                 **overrides: Any) -> None:
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
        self.rejected_parameters: set[str] = set()  # request parameters this endpoint refused
        self.breaker_threshold = breaker_threshold
        self.deadline = deadline
        self._started: float | None = None  # time.monotonic() of the first request
        self._no_reply_streak = 0  # consecutive attempts without an HTTP reply
        self._last_reply: float | None = None  # time.monotonic() of the last HTTP reply
        self._limit = AdaptiveLimit(self.settings.concurrency, enabled=self.settings.adaptive_concurrency)
        self._latency = LatencyTimeout(self.settings.timeout, self.settings.timeout_max,
                                       enabled=self.settings.adaptive_timeout)
        self._probed = False  # the first-request probe ran (or is not wanted)
        self._served: list[str] | None = None  # model ids GET /models listed (None: no list)
        self._refusals_read: set[tuple[str, str]] = set()  # (model, parameter) looked up in the cache
        self._requested = 0  # requests asked of this client (cached ones included)
        self._items = {"scored": 0, "unscored": 0}  # outcomes callers report (record_items)
        self.fatal: LLMFatalError | None = None  # set once the run must stop

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
            import httpx

            timeout = httpx.Timeout(self._latency.maximum, connect=self.settings.connect_timeout)
            pools = [httpx.AsyncClient(headers=headers, timeout=timeout,
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

    # -- accounting --------------------------------------------------------------------------
    def summary(self) -> str:
        """One line: requests asked, replies received (from the cache), failed, and not done."""
        u = self.usage
        pending = max(0, self._requested - u.calls - u.cached - u.failed)
        refused = f" ({u.refused} refused by the server)" if u.refused else ""
        return (f"{self._requested} request(s) asked: {u.calls} answered by the endpoint, "
                f"{u.cached} from the cache, {u.failed} failed{refused}, {pending} not done")

    def record_items(self, *, scored: int = 0, unscored: int = 0) -> None:
        """Count items (verdicts, agent steps) a caller scored or left unscored with this client's
        replies; :meth:`raise_if_all_unscored` reads the counts."""
        self._items["scored"] += scored
        self._items["unscored"] += unscored

    def raise_if_all_unscored(self) -> None:
        """Raise :class:`LLMFatalError` (``all_unscored``) when LLM work was attempted and nothing came
        of it: every recorded item is unscored, or — when no item was recorded — requests failed and
        none was answered. Dry runs never raise (unscored by design)."""
        if self.dry_run:
            return
        scored, unscored = self._items["scored"], self._items["unscored"]
        answered = self.usage.calls + self.usage.cached
        if (scored == 0 and unscored > 0) or (scored + unscored == 0 and self.usage.failed and not answered):
            what = f"all {unscored} LLM item(s) ended unscored" if unscored else "every LLM request failed"
            raise LLMFatalError("all_unscored", f"{what} (endpoint {self.base_url}; {self.summary()})")

    def _trip(self, kind: str, reason: str) -> LLMFatalError:
        """Record the fatal error that stops this client (the first one wins) and return it."""
        if self.fatal is None:
            self.fatal = LLMFatalError(kind, f"LLM endpoint {self.base_url}: {reason}. Stopped: "
                                             f"{self.summary()}; finished replies are cached, a re-run "
                                             "resumes from them.")
        return self.fatal

    def _remaining(self) -> float | None:
        """Seconds left before the deadline (``None`` without one); trips the deadline at 0."""
        if self.deadline is None or self._started is None:
            return None
        left = self.deadline - (time.monotonic() - self._started)
        if left <= 0:
            raise self._trip("deadline", f"the total deadline of {self.deadline:g} s has passed")
        return left

    # -- public API --------------------------------------------------------------------------
    def request_key(self, request: ChatRequest) -> str:
        """The cache key of ``request`` as this client sends it (endpoint and refused parameters)."""
        return self._effective(request).cache_key(self.base_url)

    def _effective(self, request: ChatRequest) -> ChatRequest:
        """``request`` without the parameters this endpoint refused, in this run or (as the reply
        cache remembers) an earlier one."""
        if self.cache is not None:
            for name in _optional_names(request.payload()):
                if name not in self.rejected_parameters and (request.model, name) not in self._refusals_read:
                    self._refusals_read.add((request.model, name))
                    if self.cache.get(self._refusal_key(request.model, name)) is not None:
                        self.rejected_parameters.add(name)
        return request.without(self.rejected_parameters)

    def _refusal_key(self, model: str, parameter: str) -> str:
        """The reply-cache key under which a refused parameter of ``model`` is remembered."""
        return request_key({"refused_parameter": parameter, "model": model}, self.base_url)

    def cached_response(self, request: ChatRequest) -> ChatResponse | None:
        """The cached reply to ``request``, if any (no HTTP call)."""
        return self._from_cache(self.request_key(request), request.model, None)

    def remember(self, request: ChatRequest, response: ChatResponse) -> None:
        """Cache ``response`` as the reply to ``request`` (e.g. the answer a repair turn obtained for
        the original question), so that a re-run reuses it without asking again."""
        if self.cache is not None and response.body:
            effective = self._effective(request)
            self._store(effective.cache_key(self.base_url), effective.payload(), response.body)

    def _from_cache(self, key: str, model: str, accept: Accept | None) -> ChatResponse | None:
        body = self.cache.get(key) if self.cache is not None else None
        if body is None:
            return None
        try:
            response = ChatResponse.from_body(body, cached=True, model=model)
        except ValueError:
            return None
        return response if accept is None or accept(response) else None

    async def achat(self, request: ChatRequest, *, accept: Accept | None = None) -> ChatResponse:
        """Send one request (or answer it from the cache); raises :class:`LLMError`, or
        :class:`LLMFatalError` when the run must stop. A reply that ``accept`` refuses is returned
        but not cached."""
        if self.fatal is not None:
            raise self.fatal
        self._requested += 1
        if self._started is None:
            self._started = time.monotonic()
        while True:
            effective = self._effective(request)
            try:
                return await self._achat_once(effective, accept)
            except _Rejected as exc:
                self.rejected_parameters.add(exc.parameter)
                if self.cache is not None:
                    marker = {"refused_parameter": exc.parameter, "model": request.model}
                    self._store(self._refusal_key(request.model, exc.parameter), marker, marker)

    async def _achat_once(self, request: ChatRequest, accept: Accept | None) -> ChatResponse:
        key = request.cache_key(self.base_url)
        cached = self._from_cache(key, request.model, accept)
        if cached is not None:
            self.usage.add(cached=1)
            return cached
        if self.dry_run:
            self.usage.add(estimated_calls=1, estimated_prompt_tokens=request.estimated_prompt_tokens(),
                           estimated_completion_tokens=request.max_tokens or 0)
            raise LLMError("dry_run", "dry run: request not sent")
        state = self._state()
        await self._probe(state, request.model)
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
            self.usage.add(failed=1, refused=int(exc.final))
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters, if any, re-raise it themselves
            raise
        except (_Rejected, LLMFatalError) as exc:
            future.set_exception(exc)
            future.exception()
            raise
        except BaseException:  # cancelled: identical requests waiting on this one are cancelled too
            future.cancel()
            raise
        finally:
            state.in_flight.pop(key, None)
        response = ChatResponse.from_body(body, cached=False, model=request.model)
        if self.cache is not None and (accept is None or accept(response)):  # on disk before anyone sees it
            self._store(key, request.payload(), body)
        future.set_result(body)
        usage = response.usage
        self.usage.add(calls=1, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                       completion_tokens=int(usage.get("completion_tokens") or 0))
        return response

    def chat(self, request: ChatRequest, *, accept: Accept | None = None) -> ChatResponse:
        """Synchronous :meth:`achat`."""
        return self._run_sync(lambda: self.achat(request, accept=accept))

    async def achat_many(self, requests: Sequence[ChatRequest], *, description: str = "",
                         progress: bool | None = None, accept: Accept | None = None,
                         ) -> list[ChatResponse | LLMError]:
        """Send many requests concurrently; results in input order, failures as :class:`LLMError`.
        A fatal error cancels the requests still running and is raised."""
        show = self.progress if progress is None else progress
        with CallProgress(len(requests), description, enabled=show) as bar:
            async def one(request: ChatRequest) -> ChatResponse | LLMError:
                try:
                    response = await self.achat(request, accept=accept)
                except LLMError as exc:
                    bar.advance("estimated" if exc.kind == "dry_run" else "failed")
                    return exc
                bar.advance("cached" if response.cached else "done")
                return response

            tasks = [asyncio.ensure_future(one(r)) for r in requests]
            try:
                return list(await asyncio.gather(*tasks))
            except LLMFatalError:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise

    def chat_many(self, requests: Sequence[ChatRequest], *, description: str = "",
                  progress: bool | None = None,
                  accept: Accept | None = None) -> list[ChatResponse | LLMError]:
        """Synchronous :meth:`achat_many`."""
        return self._run_sync(lambda: self.achat_many(requests, description=description, progress=progress,
                                                      accept=accept))

    # -- internals ---------------------------------------------------------------------------
    def _store(self, key: str, payload: dict[str, Any], body: dict[str, Any]) -> None:
        """Cache one reply; a failing disk (full, read-only) disables the cache with one warning
        instead of losing the reply that was just paid for."""
        cache = self.cache
        assert cache is not None
        if not write_or_disable(lambda: cache.put(key, payload, body, self.base_url), "LLM reply cache",
                                cache.root):
            self.cache = None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.settings.retry_after_max)
        delay = min(self.settings.backoff_max, self.settings.backoff_base * 2.0 ** attempt)
        return delay / 2 + self._rng.uniform(0, delay / 2)

    def _classify(self, error: LLMError, payload: dict[str, Any], generation: int) -> None:
        """Raise for errors that are not failures of this request alone: a refused optional
        parameter (:class:`_Rejected`), or a fatal condition (:class:`LLMFatalError`). Overload
        (timeouts, 429, 503) lowers the concurrency limit; ``generation``: the limit's generation when
        the attempt started."""
        if error.kind == "timeout" or error.status in OVERLOAD_STATUSES:
            self._limit.on_overload(generation)
        if error.kind in ("timeout", "transport"):
            self._no_reply_streak += 1
            window = self.settings.breaker_window
            quiet = self._last_reply is None or time.monotonic() - self._last_reply > window
            if self.breaker_threshold and self._no_reply_streak >= self.breaker_threshold and quiet:
                since = ("no reply since the start" if self._last_reply is None else
                         f"none in the last {self.settings.breaker_window:g} s")
                raise self._trip("breaker", f"{self._no_reply_streak} consecutive attempts got no reply, "
                                            f"{since} (last: {error.message})")
            return
        self._no_reply_streak = 0
        if error.status is None:
            return
        parameter = _refused_parameter(error, payload)
        if parameter is not None:
            self.usage.add(rejected=1)
            raise _Rejected(parameter)
        if error.status in (401, 403):
            raise self._trip("auth", f"HTTP {error.status}, the API key was refused ({error.message})")
        if error.status in (400, 404, 422) and _MODEL_NOT_FOUND.search(error.message):
            raise self._trip("model_not_found",
                             f"model {payload.get('model')!r} is not served ({error.message})")
        if error.status == 404 and _NO_ROUTE.search(error.message):
            raise self._trip("not_found", f"{self.base_url}/chat/completions does not exist "
                                          f"({error.message}); check the base URL (OpenAI-compatible "
                                          "servers usually end in /v1)")

    async def _probe(self, state: _LoopState, model: str) -> None:
        """The first-request probe (module docstring), once per client; then the model check."""
        if not self._probed:
            async with state.probe:
                if not self._probed:
                    self._served = await self._list_models(state.pools[0])
                    self._probed = True
        if self._served and not _is_served(model, self._served):
            shown = ", ".join(self._served[:20]) + (" …" if len(self._served) > 20 else "")
            raise self._trip("model_not_found", f"model {model!r} is not among the models the endpoint "
                                                f"lists at /models: {shown}")

    async def _list_models(self, http: httpx.AsyncClient) -> list[str] | None:
        """``GET /models`` within the probe limit: the listed ids, ``None`` when the endpoint has no
        usable list; trips ``unreachable`` without any HTTP reply and ``auth`` on 401/403."""
        import httpx

        limit = min(self.settings.probe_timeout, self.settings.timeout)
        if limit <= 0:
            return None
        timeout = httpx.Timeout(limit, connect=min(limit, self.settings.connect_timeout))
        try:
            status, _, data = await asyncio.wait_for(
                self._read(http.stream("GET", f"{self.base_url}/models", timeout=timeout)), limit)
        except (httpx.TimeoutException, asyncio.TimeoutError, httpx.TransportError) as exc:
            what = f"no reply within {limit:g} s" if not isinstance(exc, httpx.TransportError) \
                else f"{type(exc).__name__}: {exc}"
            raise self._trip("unreachable", f"the first request (GET /models) got no HTTP reply ({what}); "
                                            "check that the server runs at this address, or raise "
                                            "llm.probe_timeout for a server that is slow to answer "
                                            "(0 skips the probe)") from None
        except _TooLarge:
            return None
        if status in (401, 403):
            raise self._trip("auth", f"HTTP {status}, the API key was refused ({_error_text(status, data)})")
        if status != 200:
            return None
        try:
            listed = json.loads(data).get("data")
            return [str(m["id"]) for m in listed if isinstance(m, dict) and m.get("id")] or None
        except (ValueError, AttributeError, TypeError):
            return None

    async def _send_with_retries(self, state: _LoopState, request: ChatRequest) -> dict[str, Any]:
        attempts = self.settings.max_retries + 1
        payload = request.payload()
        previous: LLMError | None = None
        timed_out: float | None = None  # the limit of the previous attempt, when it timed out
        for attempt in range(attempts):
            limit = self._latency.limit(timed_out)
            error, body, generation = await self._attempt(state, payload, limit)
            if error is None:
                assert body is not None
                return body
            if self.fatal is not None:
                raise self.fatal
            self._classify(error, payload, generation)
            refusal = _refusal(error, previous)
            if refusal is not None or attempt == attempts - 1:
                message = error.message if refusal is None else f"{refusal}: {error.message}"
                raise LLMError(error.kind, message, status=error.status, attempts=attempt + 1,
                               retry_after=error.retry_after, final=refusal is not None)
            previous = error
            timed_out = limit if error.kind == "timeout" else None
            self.usage.add(retries=1)
            wait = self._backoff(attempt, error.retry_after)
            left = self._remaining()
            await asyncio.sleep(wait if left is None else min(wait, left))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, state: _LoopState, payload: dict[str, Any], limit: float
                       ) -> tuple[LLMError | None, dict[str, Any] | None, int]:
        """One attempt within the adaptive concurrency limit: (error, body, the limit's generation
        when it started). A success feeds the limit, the latency and the breaker."""
        while state.active >= self._limit.allowed:
            state.wake.clear()
            await state.wake.wait()
        state.active += 1
        generation = self._limit.generation
        try:
            slot = await state.slots.get()
            try:
                if self.fatal is not None:  # checked once a slot is free: nothing is sent after a trip
                    raise self.fatal
                start = time.monotonic()
                error, body = await self._send_once(state.pools[slot], payload, limit)
                took = time.monotonic() - start
            finally:
                state.slots.put_nowait(slot)
        finally:
            state.active -= 1
            state.wake.set()
        if error is None or error.status is not None:
            self._last_reply = time.monotonic()
        if error is None:
            self._no_reply_streak = 0
            self._limit.on_success()
            self._latency.record(took)
        return error, body, generation

    async def _read(self, stream: Any) -> tuple[int, httpx.Headers, bytes]:
        """Status, headers and decoded body of a streamed reply; :class:`_TooLarge` past
        ``max_reply_bytes`` (declared or received)."""
        cap = self.settings.max_reply_bytes
        async with stream as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                raise _TooLarge(int(declared))
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise _TooLarge(size)
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)

    async def _send_once(self, http: httpx.AsyncClient, payload: dict[str, Any],
                         limit: float) -> tuple[LLMError | None, dict[str, Any] | None]:
        """One HTTP attempt: (None, body) on success, else (error, None). The whole attempt
        (connect, send, wait, read) must finish within ``limit`` seconds (and before the deadline,
        which trips :class:`LLMFatalError` instead)."""
        import httpx

        left = self._remaining()
        limit = limit if left is None else min(limit, left)
        stream = http.stream("POST", f"{self.base_url}/chat/completions", json=payload)
        try:
            status, headers, data = await asyncio.wait_for(self._read(stream), limit)
        except (httpx.TimeoutException, asyncio.TimeoutError) as exc:
            self._remaining()  # the deadline, not the request, ran out
            return LLMError("timeout", f"no reply within {limit:g} s ({type(exc).__name__})"), None
        except httpx.TransportError as exc:
            return LLMError("transport", f"{type(exc).__name__}: {exc}"), None
        except _TooLarge as exc:
            return LLMError("too_large", f"reply of {exc.size:,}+ bytes is larger than llm.max_reply_bytes "
                                         f"= {self.settings.max_reply_bytes:,}"), None
        if status != 200:
            return LLMError(f"http_{status}", _error_text(status, data), status=status,
                            retry_after=parse_retry_after(headers.get("Retry-After"))), None
        try:
            body = json.loads(data)
            if not isinstance(body, dict):
                raise ValueError("reply body is not a JSON object")
            ChatResponse.from_body(body, cached=False, model=str(payload["model"]))
        except ValueError as exc:  # includes json.JSONDecodeError and UnicodeDecodeError
            start = data[:80].decode("utf-8", "replace")
            return LLMError("malformed", f"{exc} (body starts {start!r})"), None
        return None, body


def _refused_parameter(error: LLMError, payload: dict[str, Any]) -> str | None:
    """The optional parameter of ``payload`` an error reply refuses, if any: a 400/422 naming it (a
    400/422 naming none counts against ``response_format`` when one was sent), or a 500 naming
    ``response_format``/``json_schema``/``grammar`` when ``response_format`` was sent (llama.cpp
    answers an unsupported JSON schema with 500)."""
    optional = _optional_names(payload)
    if error.status in (400, 422):
        for name in optional:
            if re.search(rf"\b{re.escape(name)}\b", error.message):
                return name
        if "response_format" in payload and not _MODEL_NOT_FOUND.search(error.message):
            return "response_format"
    if error.status == 500 and "response_format" in payload and _FORMAT_WORDS.search(error.message):
        return "response_format"
    return None


_CORE_PARAMETERS = frozenset({"model", "messages", "tools", "temperature", "max_tokens"})


def _optional_names(payload: dict[str, Any]) -> list[str]:
    """The parameters of ``payload`` an endpoint may refuse (all but the core ones)."""
    return [p for p in payload if p in OPTIONAL_PARAMETERS or p not in _CORE_PARAMETERS]


def _refusal(error: LLMError, previous: LLMError | None) -> str | None:
    """Why ``error`` ends its request at once (retrying cannot help), or ``None`` for a transient
    error: any HTTP error but 429/502/503/504, a first 500 and a 500 whose message speaks of load
    (overloaded, busy, unavailable, try again, …); a reply too large; a malformed reply equal to the
    previous attempt's."""
    if error.kind == "too_large":
        return "reply too large"
    if error.kind == "malformed":
        same = previous is not None and previous.kind == "malformed" and previous.message == error.message
        return "the same broken reply twice" if same else None
    if error.status is None or error.status in TRANSIENT_STATUSES:
        return None
    if error.status == 500 and (previous is None or previous.status != 500 or _BUSY.search(error.message)):
        return None
    return "the server refused this request"


def _is_served(model: str, served: Sequence[str]) -> bool:
    """Whether ``model`` names one of the ``served`` ids: equal, ``model:<tag>`` (Ollama tags), or
    ``…/model`` (a path or an organisation prefix)."""
    return any(m == model or m.startswith(f"{model}:") or m.rsplit("/", 1)[-1] == model for m in served)


def _error_text(status: int, data: bytes) -> str:
    """The endpoint's error message or the start of the body. Shapes read: OpenAI and llama.cpp
    ``{"error": {"message": …}}``, Ollama ``{"error": "…"}``, vLLM ``{"object": "error", "message": …}``,
    FastAPI ``{"detail": …}``."""
    try:
        parsed = json.loads(data)
        err = parsed.get("error")
        message = err.get("message") if isinstance(err, dict) else err
        message = message or parsed.get("message") or parsed.get("detail")
        if message:
            return f"HTTP {status}: {message}"
    except (ValueError, AttributeError):
        pass
    return f"HTTP {status}: {data[:200].decode('utf-8', 'replace')}"


class _TooLarge(Exception):
    """Internal: a reply past ``max_reply_bytes``."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size
