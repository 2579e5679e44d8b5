"""How the trace readers merge the histories successive model calls were sent
(:meth:`synae.adapters.transcripts.Transcript.merge`)."""

from __future__ import annotations

import pytest

from synae.adapters.transcripts import Transcript, tool_call
from synae.errors import DataError

SYS = {"role": "system", "content": "be brief"}


def user(text):
    return {"role": "user", "content": text}


def answer(text):
    return {"role": "assistant", "content": text}


CALL = {"role": "assistant", "content": None, "tool_calls": [tool_call("c1", "f", {"x": 1})]}
RESULT = {"role": "tool", "tool_call_id": "c1", "content": "ok"}
CONVERSATION = [SYS, user("u1"), CALL, RESULT, answer("a1"), user("u2"), answer("a2")]


def merged(calls):
    """The transcript of model calls given as (sent, returned) message lists."""
    out = Transcript("src")
    for sent, returned in calls:
        out.merge(sent, where="here")
        for msg in returned:
            out.append(msg, where="here")
    return out.messages


@pytest.mark.parametrize("history", ["whole", "window", "new only", "edited"])
def test_each_message_once_however_the_history_is_sent(history):
    c = CONVERSATION
    sent = {"whole": [c[:2], c[:4], c[:6]],
            "window": [c[:2], [SYS, *c[2:4]], [SYS, c[4], c[5]]],  # the system prompt pinned in front
            "new only": [c[:2], [c[3]], [c[5]]],
            "edited": [c[:2], c[:4], [*c[:3], {**RESULT, "content": "ok (shortened)"}, *c[4:6]]]}[history]
    returned = [[CALL], [c[4]], [c[6]]]
    assert merged(list(zip(sent, returned, strict=True))) == CONVERSATION  # an edited message: as first read


def test_a_result_without_its_call_names_the_span():
    with pytest.raises(DataError, match=r"src: line 3, span 2: tool result for call 'c1' without an earlier"):
        Transcript("src").merge([user("u1"), RESULT], where="line 3, span 2")
