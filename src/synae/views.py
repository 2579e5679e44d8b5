"""Views of a trajectory that metrics, attributes and checkers read (``docs/method.md`` §2.2, §2.5).

Messages with role ``system`` and ``tool`` are ignored by every view except tool-call extraction.

The *output message* (:data:`OUTPUT_MARK` in its ``metadata``) is the final assistant message an
adapter took as the trajectory's ``output`` (``output_from="last-assistant"``, see
:func:`output_message_index`). It is the output, not a response: :func:`is_response`,
:func:`responses`, :func:`text_sequence` and :func:`instruction_transcript` leave it out, so its text
is counted once, by the output metrics.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from synae.schema import Message, Trajectory
from synae.toolcalls import Extraction, call_names

InstructionRoles = Literal["user", "user+responses"]
CodeParseScope = Literal["message", "trajectory"]


OUTPUT_MARK = "is_output"


def is_output_message(msg: Message) -> bool:
    """The message holds the trajectory's output (``metadata.is_output`` is ``true``)."""
    return bool(msg.metadata) and msg.metadata.get(OUTPUT_MARK) is True  # type: ignore[union-attr]


def is_response(msg: Message) -> bool:
    """An assistant message with non-empty natural-language content that is not the output message."""
    return (msg.role == "assistant" and bool(msg.content and msg.content.strip())
            and not is_output_message(msg))


def output_message_index(traj: Trajectory) -> int | None:
    """Index of the message that is the final answer of a chat trajectory, else ``None``.

    It is the last assistant message when (a) it has non-empty content, (b) it has no tool calls (no
    ``tool_calls``, no ``code``) and (c) no ``user`` or ``tool`` message follows it (``system``
    messages may). So a conversation that ends with a user message, a tool result or a tool call has
    no final answer.
    """
    for i in range(len(traj.messages) - 1, -1, -1):
        msg = traj.messages[i]
        if msg.role in ("user", "tool"):
            return None
        if msg.role == "assistant":
            if msg.tool_calls or msg.code is not None or not (msg.content and msg.content.strip()):
                return None
            return i
    return None


def user_messages(traj: Trajectory) -> list[str]:
    """Contents of the user messages, in order (``None`` content counts as ``""``)."""
    return [m.content or "" for m in traj.messages if m.role == "user"]


def responses(traj: Trajectory) -> list[str]:
    """Contents of the responses (assistant messages with non-empty content), in order."""
    return [m.content or "" for m in traj.messages if is_response(m)]


def text_sequence(traj: Trajectory, roles: InstructionRoles = "user+responses") -> list[tuple[str, str]]:
    """(role, content) of user messages and — with ``user+responses`` — responses, in message order."""
    out = []
    for m in traj.messages:
        if m.role == "user":
            out.append(("user", m.content or ""))
        elif roles == "user+responses" and is_response(m):
            out.append(("assistant", m.content or ""))
    return out


def instruction_transcript(traj: Trajectory, roles: InstructionRoles = "user+responses") -> str:
    """The text sequence rendered as ``"{role}: {content}"`` lines joined with ``"\\n"``."""
    return "\n".join(f"{role}: {content}" for role, content in text_sequence(traj, roles))


def output_text(traj: Trajectory) -> str | None:
    """The final output, or ``None`` when absent."""
    return traj.output


@dataclass
class Turn:
    """One user message and the messages that follow it up to the next user message."""

    index: int  # 1-based user-turn index (0 = messages before the first user message)
    user: Message | None
    messages: list[Message]

    @property
    def tool_call_messages(self) -> list[Message]:
        return [m for m in self.messages if m.role == "assistant" and (m.tool_calls or m.code)]


def turns(traj: Trajectory) -> list[Turn]:
    """Split the conversation into turns; a leading span before the first user message is turn 0."""
    result: list[Turn] = [Turn(index=0, user=None, messages=[])]
    for m in traj.messages:
        if m.role == "user":
            result.append(Turn(index=len(result), user=m, messages=[]))
        else:
            result[-1].messages.append(m)
    if not result[0].messages:
        result.pop(0)
    return result


@dataclass
class CallSequence:
    """calls(τ): the callee names of a trajectory, and how many code blocks failed to parse."""

    names: list[str]
    unparsable_code: int = 0


def tool_call_sequence(traj: Trajectory, *, scope: CodeParseScope = "message",
                       extraction: Extraction = "non_builtin",
                       declared_tools: Collection[str] = ()) -> CallSequence:
    """calls(τ) per ``docs/method.md`` §2.5.

    Per assistant message in order: if it has ``code``, names come from parsing it; otherwise from
    its structured ``tool_calls``. ``scope="message"`` (default profile) parses each ``code``
    separately and falls back to the message's ``tool_calls`` on a syntax error;
    ``scope="trajectory"`` (reference profile) joins all ``code`` strings with ``"\\n"`` and parses
    once — a syntax error then empties the whole sequence.
    """
    declared = set(declared_tools)
    for tool in traj.tools or ():
        name = tool.get("function", {}).get("name") if isinstance(tool, dict) else None
        if name:
            declared.add(name)
    assistant = [m for m in traj.messages if m.role == "assistant"]
    if scope == "trajectory" and any(m.code is not None for m in assistant):
        names: list[str] = []
        codes = []
        for m in assistant:
            if m.code is not None:
                codes.append(m.code)
            elif m.tool_calls:
                # A structured-only message between code messages: render its names as calls so
                # that order is kept in the single parse.
                codes.extend(f"{c.function.name}()" for c in m.tool_calls)
        parsed = call_names("\n".join(codes), extraction=extraction, declared_tools=declared)
        if parsed is None:
            return CallSequence(names=[], unparsable_code=1)
        names.extend(parsed)
        return CallSequence(names=names)
    names = []
    unparsable = 0
    for m in assistant:
        if m.code is not None:
            parsed = call_names(m.code, extraction=extraction, declared_tools=declared)
            if parsed is not None:
                names.extend(parsed)
                continue
            unparsable += 1
        names.extend(c.function.name for c in m.tool_calls or ())
    return CallSequence(names=names, unparsable_code=unparsable)
