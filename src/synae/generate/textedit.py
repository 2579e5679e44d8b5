"""Text edits generators make inside trajectories: plan code (re-parsed with ``ast``) and words.

A trajectory's tool-call text is the ``code`` of its assistant messages (rendered from the
structured ``tool_calls`` when a message has none); after an edit ``tool_calls`` are re-parsed from
the new code, keeping the old call ids when the number of calls is unchanged.
"""

from __future__ import annotations

import re

from synae.schema import Message, Trajectory
from synae.toolcalls import parse_calls, render_call, to_tool_calls


def code_messages(traj: Trajectory) -> list[tuple[int, Message, str]]:
    """(1-based user-turn index, message, code) for every assistant message that calls tools."""
    out = []
    turn = 0
    for msg in traj.messages:
        if msg.role == "user":
            turn += 1
        elif msg.role == "assistant" and (msg.code is not None or msg.tool_calls):
            code = msg.code
            if code is None:
                code = "\n".join(render_call(c.function.name, c.function.parsed_arguments())
                                 for c in msg.tool_calls or ())
            out.append((turn, msg, code))
    return out


def set_code(msg: Message, code: str, *, turn: int, per_line: bool = False) -> None:
    """Replace a message's code and re-parse its ``tool_calls`` (``docs/method.md`` §1.2).

    ``per_line`` parses every line on its own (BFCL: one call string per line), so one broken call
    string loses only its own call. A syntax error records ``metadata.parse_error``; a message whose
    code yields no call keeps ``tool_calls`` empty (``None``).
    """
    old_ids = [c.id for c in msg.tool_calls or ()]
    msg.code = code
    results = [parse_calls(line) for line in code.split("\n")] if per_line else [parse_calls(code)]
    errors = [r.error for r in results if r.error]
    parsed = [c for r in results for c in r.calls]
    meta = dict(msg.metadata or {})
    if errors:
        meta["parse_error"] = "; ".join(errors)
    else:
        meta.pop("parse_error", None)
    if not parsed:
        if msg.tool_calls is not None:
            msg.tool_calls = None
    else:
        calls = to_tool_calls(parsed, turn=max(turn, 1))
        if len(old_ids) == len(calls):
            for call, old_id in zip(calls, old_ids, strict=True):
                call.id = old_id
        msg.tool_calls = calls
    if meta != (msg.metadata or {}):
        msg.metadata = meta or None


def replace_word(text: str, old: str, new: str) -> str:
    """Every case-insensitive whole-word occurrence of ``old`` (regex ``\\b`` boundaries) → ``new``."""
    return re.sub(r"\b" + re.escape(old) + r"\b", lambda _m: new, text, flags=re.IGNORECASE)
