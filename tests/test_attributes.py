"""Attribute extractors: keyword vocabularies (modes, multi-label, first-match), regex, rules, numbers."""

from __future__ import annotations

from synae.attributes import (
    KeywordVocabulary,
    RegexAttribute,
    RuleAttribute,
    bucket,
    field_value,
    n_tool_calls,
    n_turns,
    n_user_turns,
    token_count,
    tool_calls_per_turn,
)
from synae.schema import FunctionCall, Message, ToolCall, Trajectory

VOCAB = ("Art", "Las Vegas", "North Las Vegas", "St. Louis")


def test_substring_mode_is_case_insensitive_and_loose():
    v = KeywordVocabulary(VOCAB, mode="substring")
    assert v.matches("we START in north las vegas") == ["Art", "Las Vegas", "North Las Vegas"]
    assert v.first("apartment") == "Art"


def test_word_mode_needs_non_word_neighbours():
    v = KeywordVocabulary(VOCAB, mode="word")
    assert v.matches("start in the apartment") == []
    assert v.matches("art, then ST. LOUIS.") == ["Art", "St. Louis"]
    assert v.matches("Art_gallery") == [] and v.matches("(Art)") == ["Art"]
    assert v.labels("nothing here") == ["Other"]
    assert v.labels("North Las Vegas trip", multi=False) == ["Las Vegas"]  # vocabulary order, not position


def test_regex_word_mode_is_case_sensitive():
    v = KeywordVocabulary(("CO", "Art"), mode="regex_word", case_sensitive=True)
    assert v.first("I like co and art") is None
    assert v.first("Going to CO for Art") == "CO"
    assert v.labels("x", fallback="None") == ["None"]


def test_regex_and_rule_attributes():
    assert RegexAttribute(r"budget of (\d+)", group=1).extract("a budget of 300 dollars") == "300"
    assert RegexAttribute(r"zzz").extract("abc") is None
    rules = RuleAttribute((("ferry domain", "ferry"), ("satellite", "satellite")))
    assert rules.extract("This is a ferry domain with satellites") == "ferry"
    assert rules.extract("Ferry Domain") is None


def test_numeric_attributes():
    calls = [ToolCall(id=f"c{i}", function=FunctionCall(name="f")) for i in range(3)]
    traj = Trajectory(id="t", messages=[
        Message(role="assistant", content="Hi, how can I help?"),
        Message(role="user", content="two words"),
        Message(role="assistant", content=None, tool_calls=calls[:2]),
        Message(role="assistant", content="  "),
        Message(role="user", content="more"),
        Message(role="assistant", content=None, tool_calls=calls[2:]),
    ], attributes={"group": "g"}, environment={"kind": "x"})
    assert token_count("  a  b\nc ") == 3 and token_count(None) == 0 and token_count("") == 0
    assert n_turns(traj) == 3 and n_turns(traj, "user") == 2 and n_user_turns(traj) == 2
    assert n_tool_calls(traj) == 3 and tool_calls_per_turn(traj) == [0, 2, 1]
    assert field_value(traj, "attributes.group") == "g" and field_value(traj, "environment.kind") == "x"
    assert field_value(traj, "attributes.missing") is None
    assert [bucket(v, ((2, "short"), (5, "medium")), "long") for v in (0, 2, 3, 5, 6)] == \
           ["short", "short", "medium", "medium", "long"]


def test_substring_prefilter_keeps_exact_regex_semantics():
    # the pre-check must never hide a regex match: compare with the plain per-term regex search,
    # including Unicode case folding (long s, Kelvin sign, dotted I) and non-ASCII terms
    terms = ("Art", "Las Vegas", "St. Louis", "Straße", "Istanbul", "Ks", "İzmir", "sun")
    texts = ["ART and las VEGAS", "ſun", "\u212as here", "İstanbul trip", "STRASSE", "Straße!", "izmir",
             "İZMIR", "st. louis.", "artsy", "", "ſt. louis", "x ks y"]
    for mode in ("word", "regex_word"):
        for case_sensitive in (False, True):
            v = KeywordVocabulary(terms, mode=mode, case_sensitive=case_sensitive)
            for text in texts:
                expected = [t for t, p in zip(terms, v._patterns, strict=True) if p.search(text)]
                assert v.matches(text) == expected, (mode, case_sensitive, text)
                assert v.first(text) == (expected[0] if expected else None)
    v = KeywordVocabulary(terms)
    # non-ASCII text: the regex decides
    assert v.matches("ſun") == ["sun"] and v.matches("\u212as here") == ["Ks"]
