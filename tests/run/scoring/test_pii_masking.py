"""PII masking of shown texts: every detected value of either set, echoed literals, ids, opt-out."""

from __future__ import annotations

from helpers.pii_fixtures import EMAIL, pii_sets
from helpers.report_fixtures import metric, report
from synae.run.scoring.pii_masking import PiiMask, echoed_pii, mask_notes, remap, shown_ids


def test_every_detected_value_is_masked_not_only_echoed_ones() -> None:
    mask = PiiMask()  # nothing echoed
    text = ("mail alice.smith@example.com, SSN 123-45-6789, key sk-live-4f9aZ81kQw2LmN7pX3rT6yV0 at "
            "https://api.example.com/v1?token=Zx81kQw2LmN7pX3r")
    assert mask.apply(text) == ("mail «email», SSN «ssn», key «api_key» at https://api.example.com/v1?«url_secret»")
    masked, reps = mask.masked(text)
    assert [r[2] for r in reps] == ["«email»", "«ssn»", "«api_key»", "«url_secret»"]
    assert remap(text.index("SSN"), reps, False) == masked.index("SSN")
    assert PiiMask(raw=True).apply(text) == text


def test_an_echoed_value_is_masked_where_the_patterns_skip_it() -> None:
    real, synthetic = pii_sets()
    synthetic[1].messages[0].content = "contact +1 415 555 0134 please"
    echoed = echoed_pii(real, synthetic)
    assert echoed == {"+14155550134": "phone"}
    # glued to a word the phone pattern does not match; the literal canonical form is still masked
    assert PiiMask().apply("ref+14155550134x") == "ref+14155550134x"
    assert PiiMask(echoed).apply("ref+14155550134x") == "ref«phone»x"


def test_ids_with_pii_are_masked_and_stay_distinct() -> None:
    ids = ["s0", EMAIL, "s2", "bob@example.org"]
    assert shown_ids(ids, PiiMask()) == {EMAIL: "«email»#2", "bob@example.org": "«email»#4"}
    assert shown_ids(ids, PiiMask(raw=True)) == {}


def test_free_text_of_a_results_file_is_masked_unless_show_pii() -> None:
    """Warnings, notes, skipped reasons, metric reasons/warnings/detail notes and aggregate reasons
    may quote data; ids and numbers elsewhere stay."""
    for show in (False, True):
        rep = report({"fidelity.tool_calls.tum": metric(
            "fidelity.tool_calls.tum", None, warnings=[f"odd record {EMAIL}"],
            details={"note": "key sk-live-4f9aZ81kQw2LmN7pX3rT6yV0", "n": 3})})
        rep.metrics["fidelity.tool_calls.tum"].reason = "bad value 123-45-6789"
        rep.warnings = [f"syn: 2 tool calls have no tool result (first in '{EMAIL}')"]
        rep.skipped = {"real": {"n_skipped": 1, "first": [f"line 3: {EMAIL} is not a number"]}}
        rep.aggregates = {"excluded": [{"id": "x", "reason": f"null: {EMAIL}"}]}
        mask_notes(rep, show_pii=show)
        text = rep.to_json()
        assert (EMAIL in text) is show and ("123-45-6789" in text) is show and ("sk-live" in text) is show
        if not show:
            assert rep.warnings == ["syn: 2 tool calls have no tool result (first in '«email»')"]
            m = rep.metrics["fidelity.tool_calls.tum"]
            assert m.reason == "bad value «ssn»" and m.details == {"note": "key «api_key»", "n": 3}
