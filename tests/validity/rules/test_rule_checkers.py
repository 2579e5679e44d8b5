"""The rule checkers of each preset (synae.run.scoring.validity.rule_checkers → Preset.rule_checkers)."""

from __future__ import annotations

import pytest

from synae.config import load_config
from synae.errors import ConfigError
from synae.run.scoring.validity import rule_checkers
from synae.validity.rules import (
    ACPOutputChecker,
    BFCLToolCallChecker,
    GenericOutputChecker,
    GenericToolCallChecker,
    T1OutputChecker,
    T1ToolCallChecker,
)


def test_one_checker_per_target():
    t1 = rule_checkers("t1", load_config())
    assert [type(c) for c in t1] == [T1ToolCallChecker, T1OutputChecker]
    assert [c.target for c in t1] == ["tool_calls", "output"]
    assert [type(c) for c in rule_checkers("bfcl")] == [BFCLToolCallChecker]
    assert [type(c) for c in rule_checkers("acp")] == [ACPOutputChecker]
    generic = rule_checkers("generic")
    assert [type(c) for c in generic] == [GenericToolCallChecker, GenericOutputChecker]
    assert [c.target for c in generic] == ["tool_calls", "output"]


def test_options_are_read_from_a_validity_section():
    options = load_config(validity={"t1_output_strict": True, "t1_positional": "map",
                                    "bfcl_grounding": True})
    tool_calls, output = rule_checkers("t1", options)
    assert output.strict is True and tool_calls.positional == "map"
    [bfcl] = rule_checkers("bfcl", options)
    assert bfcl.grounding is True
    sources = {"x": object()}
    assert rule_checkers("acp", None, sources=sources)[0].sources is sources


def test_unknown_preset():
    with pytest.raises(ConfigError, match="no rule-based checkers"):
        rule_checkers("chess")
