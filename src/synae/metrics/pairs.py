"""Turn pairs compared by KND (``docs/method.md`` §3.2), always formed within one trajectory.

- ``user_assistant``: each adjacent (user message, response) in the text sequence;
- ``assistant_user``: each adjacent (response, user message) in the text sequence;
- ``user_user``: consecutive user messages;
- ``context_question``: line 1 and line 2 of the first user message (ACP); none if < 2 lines.
"""

from __future__ import annotations

import itertools

from synae.schema import Trajectory
from synae.views import text_sequence, user_messages

PAIR_TYPES: tuple[str, ...] = ("user_assistant", "assistant_user", "user_user", "context_question")


def turn_pairs(traj: Trajectory, pair: str) -> list[tuple[str, str]]:
    """The (first, second) texts of every pair of type ``pair`` in ``traj``, in order."""
    if pair in ("user_assistant", "assistant_user"):
        first, second = ("user", "assistant") if pair == "user_assistant" else ("assistant", "user")
        seq = text_sequence(traj, "user+responses")
        return [(a[1], b[1]) for a, b in itertools.pairwise(seq) if a[0] == first and b[0] == second]
    if pair == "user_user":
        users = user_messages(traj)
        return list(itertools.pairwise(users))
    if pair == "context_question":
        users = user_messages(traj)
        lines = users[0].split("\n") if users else []
        return [(lines[0], lines[1])] if len(lines) >= 2 else []
    raise ValueError(f"unknown pair type {pair!r} (expected one of {', '.join(PAIR_TYPES)})")
