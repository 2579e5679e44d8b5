"""Presets: stored attributes reproduce the shipped classification files; AM values; AD labels."""

from __future__ import annotations

import csv

import pytest

from synae.config import load_config
from synae.errors import ConfigError
from synae.presets import detect_preset, get_preset
from synae.presets.t1 import load_ontology
from synae.run.inputs.data import load_dataset
from synae.schema import Message, Trajectory

REFERENCE = load_config(mode="reference").metrics
DEFAULT = load_config(mode="default").metrics


@pytest.fixture(scope="module")
def t1(shared_data):
    return load_dataset(shared_data / "t1" / "t1_attraction_turns.csv")


@pytest.fixture(scope="module")
def bfcl_older(shared_data):
    return load_dataset(shared_data / "bfcl" / "v_older" / "BFCL_v4_multi_turn_base_instr.json")


@pytest.fixture(scope="module")
def acp(shared_data):
    return load_dataset(shared_data / "acp" / "acp_app_prog.csv")


def rows(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_ontology(shared_data):
    onto = load_ontology()
    assert len(onto.records) == 728 and len(onto.cities) == 85 and len(onto.states) == 33
    assert len(onto.neighborhoods) == 259
    assert onto.types == ["Art", "Social", "Historical", "Touristy", "Cultural", "Sporting", "Culinary",
                          "Scenic", "Guided"]
    assert onto.records[0] == {"city": "New York", "state": "NY",
                               "attraction_name": "Metropolitan Museum of Art", "type": "Art",
                               "latitude": 40.7794, "longitude": -73.9631, "neighborhood": "Manhattan"}
    assert load_ontology() is onto


def test_t1_classification_reproduced(shared_data, t1):
    expected = rows(shared_data / "t1" / "classification.csv")
    got = [{"ID": t.id, "Type": t.attributes["type"] or "", "City": t.attributes["city"] or "",
            "State": t.attributes["state"] or ""} for t in t1]
    assert got == expected
    assert sum(1 for r in expected if not r["City"]) == 60


def test_bfcl_classification_reproduced(shared_data, bfcl_older):
    expected = rows(shared_data / "bfcl" / "classification.csv")
    got = [{"id": t.id, **{k: "" if v is None else str(v) for k, v in t.attributes.items()}}
           for t in bfcl_older]
    assert got == expected


def test_bfcl_newer_conv_len_differs_on_four(shared_data, bfcl_older):
    newer = load_dataset(shared_data / "bfcl" / "BFCL_v4_multi_turn_base.json")
    pairs = zip(newer, bfcl_older, strict=True)
    diff = sum(a.attributes["conv_len"] != b.attributes["conv_len"] for a, b in pairs)
    assert diff == 4


def test_acp_classification_reproduced(shared_data, acp):
    expected = rows(shared_data / "acp" / "classification.csv")
    got = [{"id": t.id, "type": t.attributes["group"], "domain": t.attributes["domain"]} for t in acp]
    assert got == expected


def test_get_and_detect(t1, bfcl_older, acp):
    assert get_preset("T1").name == "t1" and get_preset("t1") is get_preset("t1")
    with pytest.raises(ConfigError):
        get_preset("nope")
    assert detect_preset(t1) == "t1" and detect_preset(bfcl_older) == "bfcl" and detect_preset(acp) == "acp"
    assert detect_preset([Trajectory(id="x", messages=[])]) == "generic"
    meta_only = Trajectory(id="x", messages=[], metadata={"benchmark": "bfcl"})
    assert detect_preset([meta_only]) == "bfcl"


def test_preset_declarations():
    t1p, bp, ap, gp = (get_preset(n) for n in ("t1", "bfcl", "acp", "generic"))
    assert t1p.instruction_roles == "user+responses"
    assert bp.instruction_roles == "user" == ap.instruction_roles
    assert t1p.knd_pairs == ("user_assistant", "assistant_user") and bp.knd_pairs == ("user_user",)
    assert ap.knd_pairs == ("context_question",)
    assert len(t1p.tool_vocabulary) == 6 and bp.tool_vocabulary is None
    assert "search_nearest" in t1p.declared_tools and "cd" in bp.declared_tools
    assert bp.has_outputs is False and ap.has_tool_calls is False
    assert t1p.downstream_targets == ("tool_calls", "output") and ap.validity_targets == ("output",)
    assert gp.am_attributes[:2] == ("n_turns", "user_token_length")


def test_t1_attribute_values(t1):
    p = get_preset("t1")
    n_turns = p.attribute_values(t1, "n_turns", DEFAULT)
    assert n_turns.kind == "numeric" and n_turns.values == [6.0] * 225
    users = p.attribute_values(t1, "user_token_length", DEFAULT)
    assert users.unit == "messages" and len(users.values) == 675
    first_user = t1[0].messages[1].content
    assert users.values[0] == len(first_user.split())
    total = p.attribute_values(t1[:1], "total_token_length", DEFAULT).values[0]
    assert total == sum(len(m.content.split()) + 1 for m in t1[0].messages if m.content)
    for options in (DEFAULT, REFERENCE):
        city = p.attribute_values(t1, "city", options)
        assert city.kind == "categorical" and len(city.values) == 225
        assert sum(1 for labels in city.values if labels == ["Other"]) > 0
    # docs/method.md §2.9: both modes yield identical city and type labels on the real T1 data
    for attr in ("city", "type"):
        assert p.attribute_values(t1, attr, DEFAULT).values == p.attribute_values(t1, attr, REFERENCE).values


def test_keyword_modes_differ_on_substrings():
    p = get_preset("t1")
    text = "Let's start in the apartment, then st. louis"
    traj = Trajectory(id="x", messages=[Message(role="user", content=text)])
    assert p.attribute_values([traj], "type", REFERENCE).values == [["Art"]]
    assert p.attribute_values([traj], "type", DEFAULT).values == [["Other"]]
    assert p.attribute_values([traj], "city", DEFAULT).values == [["St. Louis"]]
    multi = Trajectory(id="y", messages=[Message(role="user", content="Scenic or Art in Denver and Boston?")])
    assert p.attribute_values([multi], "type", DEFAULT).values == [["Art", "Scenic"]]
    assert p.ad_labels(multi, DEFAULT) == (p.attribute_values([multi], "city", DEFAULT).values[0][0], "Art")


def test_bfcl_values_and_ad(bfcl_older):
    p = get_preset("bfcl")
    n_turns = p.attribute_values(bfcl_older, "n_turns", DEFAULT).values
    assert sum(n_turns) == 745
    primary = p.attribute_values(bfcl_older, "primary_api", DEFAULT).values
    assert all(len(v) == 1 for v in primary) and sum(v == ["GorillaFileSystem"] for v in primary) == 50
    secondary = p.attribute_values(bfcl_older, "secondary_api", DEFAULT).values
    assert sum(v == ["None"] for v in secondary) == 65
    assert p.ad_attributes(DEFAULT) == ["primary_api", "secondary_api"]
    assert p.ad_attributes(REFERENCE) == ["primary_api", "secondary_api", "conv_len"]
    assert p.ad_labels(bfcl_older[0], REFERENCE) == ("GorillaFileSystem", "TwitterAPI", "medium")


def test_bfcl_risky_without_path():
    p = get_preset("bfcl")
    from synae.adapters.common import code_message

    traj = Trajectory(id="s", messages=[Message(role="user", content="delete it"),
                                        code_message("rm(file_name='a.txt')", turn=1)],
                      environment={"kind": "bfcl", "involved_classes": ["GorillaFileSystem"]})
    attrs = p.derive_attributes(traj)
    assert attrs["has_risky_state_update_api"] is True and attrs["conv_len"] == "short"
    assert attrs["n_tool_calls"] == "low" and attrs["secondary_api"] is None


def test_acp_values_and_ad(acp):
    p = get_preset("acp")
    tokens = p.attribute_values(acp, "token_length", DEFAULT)
    assert tokens.kind == "numeric" and len(tokens.values) == 260 and min(tokens.values) >= 65
    ctx, question, _ = acp[0].messages[0].content.split("\n")
    assert tokens.values[0] == len(ctx.split()) + len(question.split())
    group = p.attribute_values(acp, "group", DEFAULT).values
    assert group[0] == ["applicable_actions_bool"] and group[-1] == ["progression_bool"]
    assert p.ad_labels(acp[0], DEFAULT) == ("ferry",)
    assert p.ad_labels(acp[0], REFERENCE) == (str(int(tokens.values[0])),)


def test_generic_stored_attributes():
    p = get_preset("generic")
    trajs = [Trajectory(id=str(i), messages=[Message(role="user", content="x")], attributes=a)
             for i, a in enumerate([{"n": 1, "tag": "a", "labels": ["p", "q"]}, {"n": 2.5, "tag": True},
                                    {"tag": None, "labels": []}])]
    assert p.attribute_values(trajs, "n", DEFAULT).values == [1.0, 2.5]
    assert p.attribute_values(trajs, "tag", DEFAULT).values == [["a"], ["True"], ["None"]]
    assert p.attribute_values(trajs, "labels", DEFAULT).values == [["p", "q"], ["None"], ["None"]]
    assert p.ad_attributes(DEFAULT, trajs) == ["tag"]
    assert p.am_attribute_names(trajs)[-3:] == ["n", "tag", "labels"]
    assert get_preset("t1").am_attribute_names(trajs) == list(get_preset("t1").am_attributes)
    assert p.ad_labels(trajs[0], DEFAULT, ["tag", "labels"]) == ("a", "p|q")


def test_generator_hooks():
    """The generators' benchmark switches live in the presets (generate/ never names a benchmark)."""
    t1, bfcl, acp, generic = (get_preset(n) for n in ("t1", "bfcl", "acp", "generic"))
    assert [p.generation_label_attribute([]) for p in (t1, bfcl, acp)] == ["type", "secondary_api", "domain"]
    assert [p.generation_keeps_ids for p in (t1, bfcl, generic)] == [True, False, False]
    assert [p.invalidation_targets([]) for p in (t1, bfcl, acp)] == \
        [("tool_calls", "output"), ("tool_calls",), ("answer",)]
    assert acp.invalidation("output", []).target == "answer"
    assert acp.invalidation("answer", []).reference_with_replacement
    with pytest.raises(KeyError):
        bfcl.invalidation("output", [])
    assert acp.generation_grid("invalidate") == (0, 0.1, 0.3, 0.5, 0.7, 0.9, 1)
    assert t1.generation_grid("invalidate") is None
    assert [dict(p.export_formats) for p in (generic,)] == [{}]
    assert {n: f.suffix for p in (t1, bfcl, acp) for n, f in p.export_formats.items()} == \
        {"t1-csv": ".csv", "bfcl": ".json", "acp-csv": ".csv"}
    assert t1.relabel_in_text("city") is True and generic.relabel_in_text("topic") is False
    with pytest.raises(ConfigError, match="type, city or state"):
        t1.relabel_in_text("topic")
    data = [Trajectory(id="a", messages=[{"role": "user", "content": "hi"}], output="x",
                       attributes={"n": 1, "topic": "a", "tags": ["u"]})]
    assert generic.invalidation_targets(data) == ("output",)
    assert generic.generation_label_attribute(data) == "topic"
    assert type(generic.blankfill_style()).__name__ == "ChatBlankfill"
    assert type(t1.fewshot_style()).__name__ == "T1Fewshot"


def _count_cases() -> list[Trajectory]:
    from synae.schema import FunctionCall, ToolCall

    call = ToolCall(id="c1", function=FunctionCall(name="f", arguments="{}"))
    return [
        Trajectory(id="a", messages=[
            Message(role="system", content="be brief"),
            Message(role="user", content=None),
            Message(role="assistant", content="  ", tool_calls=[call]),
            Message(role="tool", tool_call_id="c1", content="x y"),
            Message(role="assistant", content="one\u2003two\nthree"),
            Message(role="user", content="  spaced   out\ttext "),
            Message(role="assistant", content="final answer here", metadata={"is_output": True}),
        ], output="final answer here"),
        Trajectory(id="b", messages=[Message(role="assistant", content="only a greeting")]),
        Trajectory(id="c", messages=[]),
        Trajectory(id="d", messages=[Message(role="user", content="x")], output=""),
        Trajectory(id="e", messages=[  # calls beside a response, two in one message; a user's not counted
            Message(role="user", content="go", tool_calls=[call]),
            Message(role="assistant", content="on it", tool_calls=[call, call]),
            Message(role="assistant", tool_calls=[call]),
            Message(role="user", content="thanks")]),
    ]


@pytest.mark.parametrize("name", ["generic", "t1", "bfcl", "acp"])
def test_numeric_columns_equal_numeric_values(name):
    """The one-pass columns give each preset's per-attribute values (user message without content,
    whitespace-only response, output message, em-space and tab whitespace, empty trajectory)."""
    from synae.presets.base import NUMERIC_ATTRIBUTES

    preset = get_preset(name)
    trajs = _count_cases()
    attributes = [*NUMERIC_ATTRIBUTES, *preset.extra_numeric_attributes(), "n_turns"]
    columns = preset.numeric_columns(trajs, attributes)
    assert list(columns) == list(dict.fromkeys(attributes))
    for attribute in columns:
        assert columns[attribute] == [preset.numeric_values(t, attribute) for t in trajs], attribute
    assert columns["total_token_length"][0] == [9.0 if preset.instruction_roles == "user+responses" else 5.0]
    if name == "generic":
        assert columns["n_tool_calls"] == [[1.0], [0.0], [0.0], [0.0], [3.0]]
        assert columns["n_user_turns"] == [[2.0], [0.0], [0.0], [1.0], [2.0]]
