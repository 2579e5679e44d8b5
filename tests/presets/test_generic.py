"""The generic preset learns its attributes from the data (presets/generic.py)."""

from __future__ import annotations

import pytest

from synae.config import load_config
from synae.errors import DataError
from synae.presets import get_preset
from synae.presets.generic import GenericPreset, tools_used
from synae.run.scoring.evaluation import Evaluator
from synae.schema import Dataset, FunctionCall, Message, ToolCall, Trajectory

FIELDS = ["metadata.difficulty", "metadata.domain", "category"]
BASE = ["n_turns", "user_token_length", "assistant_token_length", "total_token_length"]


def traj(tid: str, users: int, calls: list[str], metadata: dict, **extra) -> Trajectory:
    messages = [Message(role="user", content=f"request {k} of {tid}") for k in range(users)]
    if calls:
        messages.append(Message(role="assistant", tool_calls=[
            ToolCall(id=f"{tid}{j}", function=FunctionCall(name=name)) for j, name in enumerate(calls)]))
    messages.append(Message(role="assistant", content=f"done {tid}"))
    return Trajectory(id=tid, messages=messages, metadata=metadata, **extra)


@pytest.fixture
def real() -> list[Trajectory]:
    return [traj("r0", 1, ["get_weather"], {"difficulty": 1, "domain": "weather"}, category="a"),
            traj("r1", 2, ["create_event"] * 2, {"difficulty": 3, "domain": "calendar"}, category="b"),
            traj("r2", 1, [], {"difficulty": 2, "domain": "weather"}, category="b"),
            traj("r3", 1, ["get_weather", "create_event"], {}, category="b")]


@pytest.fixture
def synthetic() -> list[Trajectory]:
    return [traj("s0", 1, ["get_weather"] * 3, {"difficulty": "hard", "domain": "weather"}, category="a"),
            traj("s1", 1, [], {"difficulty": 5, "domain": "travel"}, category="a")]


def test_learned_attributes_come_after_the_base_ones(real):
    preset = GenericPreset(attribute_fields=[*FIELDS, "category"])
    assert preset.attribute_fields == tuple(FIELDS)
    assert preset.am_attribute_names(real) == [*BASE, "n_user_turns", "n_tool_calls", "tools_used", *FIELDS]
    without_calls = [traj("x", 1, [], {}, attributes={"topic": "t"})]
    assert get_preset("generic").am_attribute_names(without_calls) == [*BASE, "n_user_turns", "topic"]


def test_values_of_the_learned_attributes(real):
    preset = GenericPreset()
    assert preset.attribute_values(real, "n_user_turns").values == [1.0, 2.0, 1.0, 1.0]
    assert preset.attribute_values(real, "n_tool_calls").values == [1.0, 2.0, 0.0, 2.0]
    tools = preset.attribute_values(real, "tools_used")
    assert tools.kind == "categorical"
    assert tools.values == [["get_weather"], ["create_event"], ["None"], ["create_event", "get_weather"]]
    labels = preset.ad_labels(real[3], None, ["tools_used", "n_user_turns"])
    assert labels == ("create_event|get_weather", "1")


def test_named_fields_learn_their_kind_from_the_real_set(real, synthetic):
    preset = GenericPreset(attribute_fields=FIELDS)
    preset.am_attribute_names(real)
    assert "metadata.difficulty" in preset.extra_numeric_attributes()
    # numeric in the real set; a synthetic string is skipped like a missing value, not relabelled
    assert preset.attribute_values(synthetic, "metadata.difficulty").values == [5.0]
    assert preset.attribute_values(real, "metadata.domain").values == [["weather"], ["calendar"], ["weather"],
                                                                       ["None"]]
    assert preset.attribute_values(real, "category").values == [["a"], ["b"], ["b"], ["b"]]
    assert preset.ad_attributes(None, real) == ["metadata.domain", "category"]
    assert preset.ad_labels(synthetic[1], None, ["metadata.domain", "metadata.difficulty"]) == ("travel", "5")
    fresh = GenericPreset(attribute_fields=["metadata.difficulty"])  # nothing learned: the data decides
    assert fresh.attribute_values(synthetic, "metadata.difficulty").kind == "categorical"


def test_a_non_scalar_field_is_a_data_error(real):
    nested = traj("n1", 1, [], {"domain": ["weather", "calendar"]})
    with pytest.raises(DataError, match=r"trajectory 'n1'.*field 'metadata.domain'.*not a list"):
        GenericPreset(attribute_fields=["metadata.domain"]).am_attribute_names([*real, nested])


def test_tools_used_without_calls_is_none():
    assert tools_used(traj("e", 1, [], {})) == ["None"]


def test_attribute_match_on_learned_attributes_through_the_evaluator(real, synthetic):
    config = load_config(preset="generic", embedding={"model": "lexical"})
    preset = GenericPreset(attribute_fields=FIELDS)
    evaluator = Evaluator(Dataset(real, name="real"), config, preset=preset, progress=False,
                          metric_patterns="fidelity.instructions.am.*,diversity.instructions.ad")
    m = evaluator.evaluate(Dataset(synthetic, name="syn")).metrics
    assert m["fidelity.instructions.am.n_user_turns"].value == pytest.approx(0.25)  # W1({1,1,1,2}, {1,1})
    assert m["fidelity.instructions.am.n_tool_calls"].value == pytest.approx(0.75)  # W1({0,1,2,2}, {0,3})
    assert m["fidelity.instructions.am.tools_used"].value == pytest.approx(0.4)  # ½(.1 + .4 + .3)
    assert m["fidelity.instructions.am.metadata.difficulty"].value == pytest.approx(3.0)  # W1({1,2,3}, {5})
    assert m["fidelity.instructions.am.metadata.domain"].value == pytest.approx(0.5)  # ½(0 + .25 + .25 + .5)
    assert m["fidelity.instructions.am.category"].value == pytest.approx(0.75)  # ½(.75 + .75)
    ad = m["diversity.instructions.ad"]
    assert ad.details["attributes"] == ["metadata.domain", "category"]
    assert ad.value == pytest.approx(0.6931, abs=1e-4)  # two distinct combinations in D′: ln 2
