"""Naming, provenance and sidecars shared by every generator."""

from __future__ import annotations

import json

import pytest

from synae.generate.common import dataset_counts, derive, frac_tag, provenance, sidecar
from synae.generate.textedit import code_messages, replace_word, set_code
from synae.schema import Dataset, Message, Trajectory


@pytest.mark.parametrize(("value", "tag"), [(0, "0"), (0.0, "0"), (0.1, "0_1"), (1, "1"), (1.0, "1"),
                                            (0.25, "0_25"), (3, "3")])
def test_frac_tag(value, tag):
    assert frac_tag(value) == tag


def test_derive_copies_deeply_and_records_provenance():
    src = Trajectory(id="7", messages=[Message(role="user", content="hi")], metadata={"benchmark": "acp"})
    gen = provenance("m", {"x": 1}, 5, source=src, position=3, modified=True, modification="changed",
                     extra_field="e")
    copy = derive(src, new_id="m_0", generation=gen)
    copy.messages[0].content = "changed"
    assert src.messages[0].content == "hi" and "generation" not in src.metadata
    assert copy.id == "m_0"
    assert copy.metadata == {"benchmark": "acp", "generation": {
        "method": "m", "params": {"x": 1}, "seed": 5, "source_id": "7", "source_position": 3,
        "modified": True, "modification": "changed", "extra_field": "e"}}
    line = json.loads(copy.to_json())
    assert line["metadata"]["generation"]["source_id"] == "7"


def test_counts_and_sidecar():
    src = Dataset([Trajectory(id=str(i), messages=[]) for i in range(3)], name="real", source="real.jsonl")
    outs = [derive(src[p], new_id=f"x_{i}", generation=provenance("x", {}, 1, source=src[p], position=p,
                                                                    modified=(i == 0)))
            for i, p in enumerate([0, 0, 2])]
    result = Dataset(outs, name="x")
    counts = dataset_counts(result, src)
    assert counts == {"n_out": 3, "n_modified": 1, "n_distinct_sources": 2, "n_repeated_sources": 1,
                      "max_copies": 2, "n_parse_errors": 0, "n_duplicates": 0, "n_dropped_empty": 0,
                      "n_in": 3}
    meta = sidecar(result, method="x", params={"v": 0.5}, seed=None, mode="default", source=src)
    assert meta["config"] == {"params": {"v": 0.5}, "seed": 123, "mode": "default"}
    assert meta["source"]["n"] == 3 and meta["source"]["fingerprint"] == src.fingerprint()
    assert meta["generator"]["method"] == "x" and meta["fingerprint"] == result.fingerprint()


def test_set_code_reparses_and_keeps_ids():
    msg = Message(role="assistant", content=None, code="f(a='x')\ng(b=1)")
    traj = Trajectory(id="t", messages=[Message(role="user", content="u"), msg])
    turn, found, code = code_messages(traj)[0]
    assert (turn, code) == (1, "f(a='x')\ng(b=1)")
    set_code(found, "f(a='invalid')\ng(b=1)", turn=turn)
    assert [json.loads(c.function.arguments) for c in msg.tool_calls] == [{"a": "invalid"}, {"b": 1}]
    assert [c.id for c in msg.tool_calls] == ["call_1_0", "call_1_1"]
    ids = [c.id for c in msg.tool_calls]
    set_code(msg, "f(a='invalid'xx)\ng(b=2)", turn=1, per_line=True)  # one broken line
    assert [c.function.name for c in msg.tool_calls] == ["g"] and "SyntaxError" in msg.metadata["parse_error"]
    set_code(msg, "f(a=1)\ng(b=2)", turn=1)
    assert "parse_error" not in (msg.metadata or {}) and [c.id for c in msg.tool_calls] == ids


def test_replace_word():
    assert replace_word("Art, art; ARTS and art.", "art", "Scenic") == "Scenic, Scenic; ARTS and Scenic."
    assert replace_word(r"a+b a", "a", r"\1") == r"\1+b \1"  # replacement text taken literally


def test_generated_outputs_and_the_output_message_agree(chat):
    """invalidate --target output (generic) rewrites the output and the final assistant message marked
    as the output with it; an output that is gone takes its message with it."""
    from synae.generate.common import sync_output_message
    from synae.generate.invalidate import invalidate
    from synae.presets import get_preset
    from synae.views import OUTPUT_MARK, is_output_message

    trajectories = [derive(t, new_id=None, generation={}) for t in chat.trajectories[:12]]
    for traj in trajectories:
        traj.messages[-1].metadata = {OUTPUT_MARK: True}
    real = Dataset(trajectories=trajectories, name="chat", source="chat.jsonl")
    result = invalidate(real, 1.0, preset=get_preset("generic"), target="output", seed=3)
    changed = [(new, old) for new, old in zip(result, real, strict=True) if new.output != old.output]
    assert len(changed) >= 6
    for new, old in changed:
        marked = [m for m in new.messages if is_output_message(m)]
        assert [m.content for m in marked] == [new.output] and old.messages[-1].content == old.output
    gone = derive(trajectories[0], new_id=None, generation={})
    gone.output = None
    assert not any(is_output_message(m) for m in sync_output_message(gone).messages)
    assert len(gone.messages) == len(trajectories[0].messages) - 1
