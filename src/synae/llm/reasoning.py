"""Removing the reasoning part of a reasoning model's reply (``docs/method.md`` §6.1).

Reasoning models either send their reasoning in a separate field (``reasoning_content`` in vLLM and
DeepSeek, ``reasoning`` in some other servers — the client keeps it on ``ChatResponse.reasoning``,
away from ``content``) or inline as ``<think>…</think>`` blocks. :func:`strip_reasoning` removes the
inline blocks so that only the answer is parsed.
"""

from __future__ import annotations

import re

_BLOCK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.IGNORECASE | re.DOTALL)
_UNOPENED_CLOSE = re.compile(r"^.*?</(think|thinking|reasoning)>", re.IGNORECASE | re.DOTALL)
_UNCLOSED_OPEN = re.compile(r"<(think|thinking|reasoning)>.*\Z", re.IGNORECASE | re.DOTALL)


def strip_reasoning(text: str | None) -> str:
    """``text`` without reasoning blocks, stripped of surrounding whitespace.

    Removes every ``<think>…</think>`` (also ``<thinking>``, ``<reasoning>``) block; a closing tag
    without an opening one (servers that put the opening tag in the prompt) removes everything
    before it; an opening tag that is never closed (reply cut off by the token limit) removes
    everything after it. ``None`` → ``""``.
    """
    if not text:
        return ""
    text = _BLOCK.sub("", text)
    text = _UNOPENED_CLOSE.sub("", text, count=1)
    text = _UNCLOSED_OPEN.sub("", text)
    return text.strip()
