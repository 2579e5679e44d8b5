"""invalidate (docs/method.md §8.4): which rows change and how, per benchmark and target."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pytest

from synae.adapters.export import write_t1_eval_csv
from synae.errors import ConfigError
from synae.generate import invalidate
from synae.generate.invalidate import (
    T1Vocabulary,
    blank_single_quoted,
    corrupt_t1_output,
    corrupt_t1_plan,
    select_positions,
    t1_vocabulary,
)
from synae.presets import get_preset
from synae.presets.t1 import load_ontology

T1, BFCL, ACP = get_preset("t1"), get_preset("bfcl"), get_preset("acp")

TENTHS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]


def _plan(traj) -> str:
    return "\n".join(m.code for m in traj.messages if m.code is not None)


def _changed(result, source):
    return [i for i, (a, b) in enumerate(zip(result, source, strict=True)) if a.model_dump(
        exclude={"metadata", "id"}) != b.model_dump(exclude={"metadata", "id"})]


# --------------------------------------------------------------------------------------------
# T1 tool calls (§8.4)


@pytest.mark.data
def test_vocabulary_is_sorted_ontology_values():
    vocab = t1_vocabulary()
    onto = load_ontology()
    assert vocab.states == sorted(set(onto.states)) and len(vocab.states) == 33
    assert vocab.cities == sorted(set(onto.cities)) and len(vocab.cities) == 85
    assert vocab.types == sorted(onto.types) and len(vocab.types) == 9


def test_corrupt_plan_draws_in_stated_order():
    vocab = T1Vocabulary.from_values(["CA", "NY", "TX"], ["Austin", "Boston"], ["Art", "Guided", "Scenic"])
    plan = ['a = search_attractions(state="NY", city="Boston", type=["Art", "Scenic"])',
            'b = search_attractions(state="NY", type=["Art"])']
    rng = np.random.default_rng(5)
    out = corrupt_t1_plan(list(plan), rng, vocab)
    ref = np.random.default_rng(5)
    state = ref.choice(["CA", "TX"])
    city = ref.choice(["Austin"])
    types = [ref.choice(["Guided", "Scenic"]), ref.choice(["Art", "Guided"])]
    new_types = 'type=["' + '", "'.join(types) + '"]'
    assert out == [f'a = search_attractions(state="{state}", city="{city}", {new_types})',
                   f'b = search_attractions(state="{state}", {new_types})']
    assert rng.random() == ref.random()  # exactly as many draws as the reference


def test_corrupt_output_sequential_whole_word_case_insensitive():
    rng = np.random.default_rng(0)
    ref = np.random.default_rng(0)
    output = "I love art and ARTISTS. Art! Scenic views."
    new = corrupt_t1_output(output, 'x(type=["Art"])', rng, ["Art", "Scenic"])
    assert new == "I love Scenic and ARTISTS. Scenic! Scenic views."
    assert ref.choice(["Scenic"]) == "Scenic" and rng.random() == ref.random()
    # no type list: nothing drawn, output unchanged
    rng2 = np.random.default_rng(0)
    assert corrupt_t1_output(output, 'x(city="Austin")', rng2, ["Art", "Scenic"]) == output
    assert rng2.random() == np.random.default_rng(0).random()


@pytest.mark.parametrize("v", TENTHS)
def test_t1_tool_calls_every_selected_row_changes(t1_valid, v):
    result = invalidate(t1_valid, v, preset=T1)
    n = len(t1_valid)
    selected = select_positions(n, v, with_replacement=False, rng=np.random.default_rng(123))
    assert [t.id for t in result] == [t.id for t in t1_valid]  # T1 keeps its ids and order
    gens = [t.metadata["generation"] for t in result]
    assert sorted(i for i, g in enumerate(gens) if g["modified"]) == sorted(selected)
    assert sum(g["modified"] for g in gens) == int(v * n)  # VR by construction = 1 - v
    assert _changed(result, t1_valid) == sorted(selected)
    vocab = t1_vocabulary()
    for i in selected:
        new, old = result[i], t1_valid[i]
        assert [m.content for m in new.messages] == [m.content for m in old.messages]
        assert new.output == old.output
        old_plan, new_plan = _plan(old), _plan(new)
        for key, pool in (("state", vocab.states), ("city", vocab.cities)):
            before = re.findall(key + r'="([^"]*)"', old_plan)
            after = set(re.findall(key + r'="([^"]*)"', new_plan))
            if before:
                assert len(after) == 1 and after <= set(pool) and before[0] not in after
        first_old = re.search(r"type=\[([^\]]*)\]", old_plan)
        first_new = re.search(r"type=\[([^\]]*)\]", new_plan)
        old_types = re.findall(r'"([^"]*)"', first_old.group(1))
        new_types = re.findall(r'"([^"]*)"', first_new.group(1))
        assert len(new_types) == len(old_types)
        assert all(a != b for a, b in zip(old_types, new_types, strict=True))
        # tool_calls are re-parsed from the new code
        call_args = [json.loads(c.function.arguments) for m in new.messages for c in m.tool_calls or ()]
        assert any(a.get("type") == new_types for a in call_args)


def test_t1_v0_exports_byte_identical(t1_valid, bench_data, tmp_path):
    result = invalidate(t1_valid, 0, preset=T1)
    write_t1_eval_csv(result, tmp_path / "v0.csv")
    original = (bench_data / "t1" / "t1_attraction_augmented_valid.csv").read_bytes()
    assert (tmp_path / "v0.csv").read_bytes() == original


@pytest.mark.data
def test_t1_export_changes_only_selected_tool_call_cells(real_t1_valid, tmp_path):
    import csv

    result = invalidate(real_t1_valid, 0.3, preset=T1)
    write_t1_eval_csv(result, tmp_path / "v.csv")
    write_t1_eval_csv(real_t1_valid, tmp_path / "orig.csv")
    with open(tmp_path / "v.csv", newline="") as a, open(tmp_path / "orig.csv", newline="") as b:
        new_rows, old_rows = list(csv.reader(a))[1:], list(csv.reader(b))[1:]
    changed = [i for i, (x, y) in enumerate(zip(new_rows, old_rows, strict=True)) if x != y]
    assert len(changed) == 30
    for i in changed:
        assert new_rows[i][0] == old_rows[i][0] and new_rows[i][1] == old_rows[i][1]
        assert new_rows[i][3] == old_rows[i][3] and new_rows[i][2] != old_rows[i][2]


# --------------------------------------------------------------------------------------------
# T1 outputs (§8.4)


@pytest.mark.data
def test_t1_output_v1_changes_88_rows(real_t1_valid):
    result = invalidate(real_t1_valid, 1, target="output", preset=T1)
    modified = [t.metadata["generation"]["modified"] for t in result]
    assert sum(modified) == 88
    assert all(t.metadata["generation"]["selected"] for t in result)
    assert _changed(result, real_t1_valid) == [i for i, m in enumerate(modified) if m]
    for new, old in zip(result, real_t1_valid, strict=True):
        assert _plan(new) == _plan(old)  # only the output changes


@pytest.mark.parametrize("v", [0.1, 0.5])
def test_t1_output_partial(t1_valid, v):
    result = invalidate(t1_valid, v, target="output", preset=T1)
    selected = [t.metadata["generation"]["selected"] for t in result]
    modified = [t.metadata["generation"]["modified"] for t in result]
    assert sum(selected) == int(v * len(t1_valid))
    assert all(s for s, m in zip(selected, modified, strict=True) if m)
    assert sum(modified) <= sum(selected)


# --------------------------------------------------------------------------------------------
# BFCL (§8.4)


def test_blank_single_quoted_is_textual_per_line():
    assert blank_single_quoted("cd(folder='document')\nmv(source='a.pdf', destination='b')") == \
        "cd(folder='invalid')\nmv(source='invalid', destination='invalid')"
    assert blank_single_quoted("f(x=1, y=True, z=\"q\")") == "f(x=1, y=True, z=\"q\")"
    # an apostrophe inside a double-quoted string can make a match span it
    assert blank_single_quoted("p(b=\"it's\", c='x')") == "p(b=\"it'invalid'x')"
    assert blank_single_quoted("p(a='x', b=\"it's\")") == "p(a='invalid', b=\"it's\")"


def test_bfcl_reference_distinct_counts(bfcl_older):
    expected = [0, 20, 38, 50, 61, 76, 87, 97, 106, 113, 124]
    assert [len(select_positions(200, v, with_replacement=True, rng=np.random.default_rng(123)))
            for v in TENTHS] == expected
    for v, count in ((0.1, 20), (0.5, 76), (1, 124)):  # every selected entry really changes
        result = invalidate(bfcl_older, v, mode="reference", preset=BFCL)
        assert sum(t.metadata["generation"]["modified"] for t in result) == count
        assert [t.id for t in result] == [f"{result.name}_{i}" for i in range(200)]


def test_bfcl_default_selects_exactly_int_nv(bfcl_older):
    result = invalidate(bfcl_older, 0.3, preset=BFCL)
    gens = [t.metadata["generation"] for t in result]
    assert sum(g["selected"] for g in gens) == 60
    assert sum(g["modified"] for g in gens) <= 60


def test_bfcl_changes_only_quoted_literals(bfcl_older):
    result = invalidate(bfcl_older, 0.5, mode="reference", preset=BFCL)
    for new, old in zip(result, bfcl_older, strict=True):
        assert new.environment == old.environment
        assert [m.content for m in new.messages if m.role == "user"] == \
            [m.content for m in old.messages if m.role == "user"]
        new_codes = [m.code for m in new.messages if m.code is not None]
        old_codes = [m.code for m in old.messages if m.code is not None]
        assert new_codes == [blank_single_quoted(c) for c in old_codes] if \
            new.metadata["generation"]["modified"] else new_codes == old_codes
        for m in new.messages:
            if m.code is not None and not (m.metadata or {}).get("parse_error"):
                assert len(m.tool_calls or []) == len([line for line in m.code.split("\n") if line])


# --------------------------------------------------------------------------------------------
# ACP (§8.4)


@pytest.mark.data
def test_acp_reference_distinct_flips(real_acp):
    expected = [0, 26, 62, 98, 124, 150, 157]
    got = []
    for v in [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1]:
        result = invalidate(real_acp, v, mode="reference", preset=ACP)
        flips = [i for i, (a, b) in enumerate(zip(result, real_acp, strict=True)) if a.output != b.output]
        assert flips == [i for i, t in enumerate(result) if t.metadata["generation"]["modified"]]
        got.append(len(flips))
    assert got == expected


@pytest.mark.data
def test_acp_default_flips_exactly(real_acp):
    result = invalidate(real_acp, 0.5, target="output", preset=ACP)
    pairs = [(a.output, b.output) for a, b in zip(result, real_acp, strict=True) if a.output != b.output]
    assert len(pairs) == 130
    assert all({x, y} == {"yes", "no"} for x, y in pairs)
    assert all(a.messages == b.messages for a, b in zip(result, real_acp, strict=True))


def test_determinism_and_seed(acp):
    a = invalidate(acp, 0.5, seed=1, preset=ACP)
    assert a.fingerprint() == invalidate(acp, 0.5, seed=1, preset=ACP).fingerprint()
    assert a.fingerprint() != invalidate(acp, 0.5, seed=2, preset=ACP).fingerprint()


def test_bad_target(acp, t1_valid):
    with pytest.raises(ConfigError, match="tool_calls"):
        invalidate(acp, 0.5, target="tool_calls", preset=ACP)
    with pytest.raises(ConfigError, match="v must be"):
        invalidate(t1_valid, 2, preset=T1)


GENERIC = get_preset("generic")


def _call(traj):
    return next((c for m in traj.messages for c in m.tool_calls or ()), None)


def test_generic_tool_calls_every_mode_recorded(chat):
    result = invalidate(chat, 1.0, preset=GENERIC, seed=3)
    assert result.name == "invalidate_frac1" and result[0].id == "invalidate_frac1_0"
    gens = [t.metadata["generation"] for t in result]
    assert all(g["modified"] and g["params"]["target"] == "tool_calls" for g in gens)
    modes = Counter(g["invalidation_mode"] for g in gens)
    assert set(modes) == {"drop_call", "swap_name", "corrupt_argument"}
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in chat[0].tools}
    for source, traj, gen in zip(chat, result, gens, strict=True):
        before, after = _call(source), _call(traj)
        if gen["invalidation_mode"] == "drop_call":
            assert after is None and [m.role for m in traj.messages] == ["system", "user", "assistant"]
        elif gen["invalidation_mode"] == "swap_name":
            assert after.function.name in schemas and after.function.name != before.function.name
            assert after.function.arguments == before.function.arguments
        else:
            args, props = json.loads(after.function.arguments), schemas[before.function.name]["properties"]
            wrong = [k for k, v in args.items() if v != json.loads(before.function.arguments)[k]]
            assert len(wrong) == 1
            spec = props[wrong[0]]
            expected = "invalid_value" if "enum" in spec else -1 if spec["type"] == "string" else "invalid"
            assert args[wrong[0]] == expected  # a value the JSON schema rejects
        assert traj.messages[1] == source.messages[1] and traj.output == source.output  # instructions kept
    again = invalidate(chat, 1.0, preset=GENERIC, seed=3)
    assert again.fingerprint() == result.fingerprint()
    # the first draws: the selection, then per selected row the mode and the call
    rng = np.random.default_rng(3)
    first = int(rng.choice(30, size=30, replace=False)[0])
    mode = ("drop_call", "swap_name", "corrupt_argument")[int(rng.integers(3))]
    assert gens[first]["invalidation_mode"] == mode  # every mode applies here (three tools, arguments)


def test_generic_outputs(chat):
    result = invalidate(chat, 0.5, preset=GENERIC, target="output")
    selected = [t for t in result if t.metadata["generation"]["selected"]]
    assert len(selected) == 15 and all(t.metadata["generation"]["modified"] for t in selected)
    outputs = {t.output for t in chat}
    for traj in selected:
        source = chat[traj.metadata["generation"]["source_position"]]
        mode = traj.metadata["generation"]["invalidation_mode"]
        assert traj.output != source.output and traj.messages == source.messages
        if mode == "swap":
            assert traj.output in outputs
        elif mode == "truncate":
            assert source.output.startswith(traj.output)
            assert len(traj.output.split()) == len(source.output.split()) // 2
        else:
            assert sorted(w[::-1] for w in traj.output.split()) == sorted(source.output.split())
    assert len({t.metadata["generation"]["invalidation_mode"] for t in selected}) == 3
    with pytest.raises(ConfigError, match="not defined for generic"):
        invalidate(chat, 0.5, preset=GENERIC, target="answer")
