"""Tiny hand-written example datasets bundled with synae (``synae inspect --example NAME``).

``t1-tiny`` — six T1-style attraction conversations written for synae (not taken from the T1
data), in canonical JSONL: assistant-first dialogues with one tool-call plan per planned user turn.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from synae.errors import ConfigError

EXAMPLES: dict[str, str] = {"t1-tiny": "t1_tiny.jsonl"}


def example_path(name: str) -> Path:
    """Path of a bundled example dataset."""
    if name not in EXAMPLES:
        raise ConfigError(f"unknown example {name!r} (available: {', '.join(EXAMPLES)})")
    return Path(str(resources.files("synae.examples").joinpath(EXAMPLES[name])))
