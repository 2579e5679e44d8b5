"""The registry of generation methods."""

from __future__ import annotations

import pytest

from synae.errors import ConfigError
from synae.generate.registry import METHODS, get_method


def test_every_method_is_registered():
    assert list(METHODS) == ["oversample", "invalidate", "dropmin", "relabel", "blankfill", "fewshot"]
    assert [m.llm for m in METHODS.values()] == [False] * 4 + [True] * 2
    with pytest.raises(ConfigError, match="unknown generation method"):
        get_method("shuffle")
