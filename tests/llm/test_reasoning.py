"""Removal of reasoning blocks before a judge reply is parsed."""

from __future__ import annotations

import pytest

from synae.llm.reasoning import strip_reasoning


@pytest.mark.parametrize(("text", "expected"), [
    ("<think>no, wait</think>yes", "yes"),
    ("<THINK>\nmulti\nline no\n</THINK>\n\n No.", "No."),
    ("<think>a</think> yes <think>b</think>", "yes"),
    ("leaked reasoning no</think> yes", "yes"),          # opening tag was in the prompt
    ("yes <think>cut off by the token limit", "yes"),    # never closed
    ("<thinking>x</thinking>no", "no"),
    ("plain answer", "plain answer"),
    (None, ""),
    ("", ""),
])
def test_strip_reasoning(text: str | None, expected: str) -> None:
    assert strip_reasoning(text) == expected
