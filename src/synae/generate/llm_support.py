"""What the LLM generators (blankfill, fewshot) share: endpoint settings, sending prompts, and
turning replies into trajectories with full provenance (``docs/method.md`` §8.1, §8.7).

Every prompt and raw reply is stored in ``metadata.generation`` (``prompt``, ``reply``, ``model``,
``temperature``); replies are cached on disk by the client, so a re-run repeats no finished call. A
failed request or a reply without usable content gives an *empty* trajectory (no messages) that is
kept, with ``metadata.generation.parse_error``; ``drop_empty`` removes them and counts them in the
dataset's ``n_skipped`` (reported in the sidecar).

Replies are checked before they are parsed: a reply that mostly copies its prompt
(:func:`copy_problem`) is a parse error like an unreadable one, and an output whose messages and
output equal an earlier output's is marked ``metadata.generation.duplicate_of`` (:func:`finish`;
counted as ``n_duplicates`` in the sidecar).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from synae.config import LLMSettings
from synae.errors import ConfigError
from synae.llm import ChatRequest, ChatResponse, LLMClient, LLMError
from synae.schema import Message, Trajectory


@dataclass
class LLMOptions:
    """The generator model and how to call it. ``temperature=None`` → the method's default.

    ``client`` is built by the caller (:func:`synae.run.factory.llm_client`) and passed in; the
    generators never build one. ``settings`` are the endpoint settings it was built from (agents
    made for completion read them)."""

    model: str
    temperature: float | None = None
    max_tokens: int | None = 1024
    settings: LLMSettings = field(default_factory=LLMSettings)
    client: LLMClient | None = None

    def require_client(self) -> LLMClient:
        """The client, or a :class:`ConfigError` when none was passed in."""
        if self.client is None:
            raise ConfigError("the generator needs an LLM client: build one with "
                              "synae.run.factory.llm_client(config) and pass LLMOptions(client=...)")
        return self.client


@dataclass
class Prompt:
    """One request to send: chat messages plus what the parser needs to know about it."""

    messages: list[dict[str, str]]
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    """The raw reply text (``None`` when the request failed) and the failure, if any."""

    text: str | None
    error: str | None = None


def require_llm(llm: LLMOptions | None, method: str) -> LLMOptions:
    if llm is None or not llm.model:
        raise ConfigError(f"{method} needs a generator model (--model, or llm=LLMOptions(model=...))")
    return llm


def request_seed(seed: int | None, index: int) -> int:
    """The sampling seed sent with output ``index``: ``seed + index`` (default seed 123).

    It makes identical prompts (few-shot with fixed examples) distinct requests, so they are sampled
    and cached one by one instead of all receiving the same reply."""
    return (123 if seed is None else seed) + index


def send(prompts: Sequence[Prompt], llm: LLMOptions, *, temperature: float, description: str,
         seed: int | None) -> list[Reply]:
    """Send every prompt (concurrently, cached); failures become replies with ``error`` set."""
    if not prompts:
        return []
    requests = [ChatRequest(messages=p.messages, model=llm.model, temperature=temperature,
                            max_tokens=llm.max_tokens, seed=request_seed(seed, i))
                for i, p in enumerate(prompts)]
    results = llm.require_client().chat_many(requests, description=description)
    replies = []
    for result in results:
        if isinstance(result, LLMError):
            replies.append(Reply(None, error=f"llm error ({result.kind}): {result.message}"))
        else:
            assert isinstance(result, ChatResponse)
            replies.append(Reply(result.text))
    return replies


def llm_record(prompt: Prompt, reply: Reply, llm: LLMOptions, temperature: float,
               request_seed: int) -> dict[str, Any]:
    """The LLM part of ``metadata.generation``: model, temperature, request seed, prompt, raw reply."""
    record: dict[str, Any] = {"model": llm.model, "temperature": temperature, "request_seed": request_seed,
                              "prompt": prompt.messages, "reply": reply.text}
    if reply.error:
        record["parse_error"] = reply.error
    return record


def empty_trajectory(tid: str, generation: dict[str, Any], *, environment: dict[str, Any] | None,
                     benchmark: str, error: str) -> Trajectory:
    """The kept placeholder for a reply that gave nothing usable (§8.7)."""
    generation = {**generation, "parse_error": generation.get("parse_error") or error}
    return Trajectory(id=tid, messages=[], environment=environment,
                      metadata={"benchmark": benchmark, "tool_results": "absent", "generation": generation})


def word_count(text: str) -> int:
    return len(text.split())


COPY_MIN_WORDS = 5  # shorter lines are not counted as copies (greetings, labels)


def copy_problem(reply: str, prompt: Prompt, own: str = "") -> str | None:
    """Why ``reply`` is not a new text: more than half of its lines of at least
    :data:`COPY_MIN_WORDS` words occur verbatim in the prompt (its example, its instructions) but not
    in ``own`` (text the reply may repeat, e.g. the unmasked source of a blank-filled one).
    ``None`` when it is not a copy (or has no such line)."""
    shown = "\n".join(str(m.get("content") or "") for m in prompt.messages)
    lines = [line.strip() for line in reply.split("\n") if word_count(line) >= COPY_MIN_WORDS]
    copied = [line for line in lines if line in shown and line not in own]
    if lines and 2 * len(copied) > len(lines):
        return f"the reply copies its prompt ({len(copied)} of {len(lines)} lines appear in it verbatim)"
    return None


def check_reply(reply: Reply, problem: str | None) -> Reply:
    """``reply`` marked failed with ``problem`` (its text kept for the record), or unchanged."""
    return reply if problem is None or reply.error else Reply(reply.text, error=f"bad reply: {problem}")


_ROLE_LINE = re.compile(r"^\s*(user|assistant)\s*:\s*(.*)$", re.IGNORECASE)


def conversation_lines(reply: str, *, limit: int | None = None) -> list[Message]:
    """Reading a conversation reply (T1): strip; prepend ``assistant: `` when the reply does not start
    with it;
    keep the non-empty lines that start with ``user:``/``assistant:`` (case-insensitive) as messages
    (content after the colon, stripped), at most ``limit``."""
    text = reply.strip()
    if not text.lower().startswith("assistant:"):
        text = "assistant: " + text
    messages = []
    for line in text.split("\n"):
        match = _ROLE_LINE.match(line)
        if match and match.group(2).strip():
            messages.append(Message(role=match.group(1).lower(), content=match.group(2).strip()))
        if limit is not None and len(messages) == limit:
            break
    return messages


def mark_duplicates(trajectories: list[Trajectory]) -> int:
    """Mark every non-empty trajectory whose messages (roles and contents) and output equal an earlier
    one's with ``metadata.generation.duplicate_of`` = that trajectory's id; returns how many."""
    first: dict[tuple[Any, ...], str] = {}
    n = 0
    for traj in trajectories:
        if not traj.messages:
            continue
        key = (tuple((m.role, m.content) for m in traj.messages), traj.output)
        if key in first:
            traj.metadata["generation"] = {**traj.metadata.get("generation", {}), "duplicate_of": first[key]}
            n += 1
        else:
            first[key] = traj.id
    return n


def finish(trajectories: list[Trajectory], *, drop_empty: bool) -> tuple[list[Trajectory], int]:
    """Mark duplicates (:func:`mark_duplicates`), then apply ``drop_empty``: (kept trajectories, number
    of empty ones removed)."""
    mark_duplicates(trajectories)
    if not drop_empty:
        return trajectories, 0
    kept = [t for t in trajectories if t.messages]
    return kept, len(trajectories) - len(kept)
