"""Rule-based T1 tool-call and output validity (docs/method.md §6.7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synae.adapters.common import code_message
from synae.presets.t1 import T1_TOOLS
from synae.schema import Message, Trajectory
from synae.validity.rules.t1 import T1OutputChecker, T1ToolCallChecker

CONVERSATION = [("assistant", "Hi! What kind of attractions do you like?"),
                ("user", "I'm visiting Boston, MA and love Art and Historical places."),
                ("assistant", "Great, any neighborhood?"),
                ("user", "Charlestown, please.")]
PLANS = {1: 'attractions = search_attractions(city="Boston", state="MA", type=["Art", "Historical"])\n'
            'save_to_cache(key="attractions", value=attractions)',
         2: 'filtered = filter_attractions(prior_results=get_results_from_cache(key="attractions"), '
            'neighborhood=["Charlestown"])'}


def t1_trajectory(plans: dict[int, str] | None = None, *, output: str | None = "Visit some Art museums!",
                  conversation=CONVERSATION, tid: str = "t", metadata: dict | None = None) -> Trajectory:
    """Messages in order; after user turn k the plan ``plans[k]`` (if any) as a code message."""
    plans = PLANS if plans is None else plans
    messages: list[Message] = []
    turn = 0
    for role, content in conversation:
        messages.append(Message(role=role, content=content))
        if role == "user":
            turn += 1
            if turn in plans:
                messages.append(code_message(plans[turn], turn=turn, declared_tools=T1_TOOLS))
    return Trajectory(id=tid, messages=messages, output=output, environment={"kind": "t1_attractions"},
                      metadata=metadata or {"tool_results": "absent"})


def verdict(traj: Trajectory, **kwargs):
    [v] = T1ToolCallChecker(**kwargs).check_all([traj])
    return v


def test_valid_plans():
    v = verdict(t1_trajectory())
    assert v.valid is True and v.reasons == [] and v.target == "tool_calls"
    assert v.checker.startswith("rules.t1.tool_calls")


@pytest.mark.parametrize(("plans", "reason"), [
    ({}, "has_calls"),
    ({1: 'print("No planning needed")'}, "has_calls"),
    ({1: 'search_attractions(city="Boston"'}, "parses"),
    ({1: 'a = search_attractions(city="Boston", rating=5)'}, "schema"),
    ({1: 'a = search_attractions(type=["Art"])'}, "schema"),
    ({1: 'a = search_attractions(city="Boston", type="Art")'}, "schema"),
    ({1: 'a = search_attractions("Boston")'}, "schema"),
    ({1: 'a = search_restaurants(city="Boston")'}, "schema"),
    ({1: 'save_to_cache(key="k")'}, "schema"),
    ({1: 'a = search_attractions(city="Chicago", state="IL")'}, "grounded"),
    ({1: 'a = search_attractions(city="Boston", state="MA", type=["Scenic"])'}, "grounded"),
    ({1: 'a = search_attractions(city="Boston")', 2: 'b = filter_attractions(prior_results=a)'}, "executes"),
    ({1: 'a = search_attractions(city="Boston")\nsearch_nearest(attractions=a, hotels=a, groupBy="hotel")'},
     "executes"),
])
def test_invalid_plans(plans, reason):
    v = verdict(t1_trajectory(plans))
    assert v.valid is False and reason in v.reasons
    assert v.explanation


def test_lower_case_value_is_grounded_and_an_empty_result_is_no_error():
    v = verdict(t1_trajectory({1: 'a = search_attractions(city="boston")'}))
    assert v.valid is True


def test_state_codes_must_match_case_sensitively():
    conversation = [("user", "Anything in Portland or nearby? I like Scenic views.")]
    bad = verdict(t1_trajectory({1: 'a = search_attractions(city="Portland", state="OR", type=["Scenic"])'},
                                conversation=conversation))
    assert bad.valid is False and bad.reasons == ["grounded"] and "'OR'" in bad.details["grounded"][0]
    conversation = [("user", "Anything in Portland, OR? I like scenic views.")]
    good = verdict(t1_trajectory({1: 'a = search_attractions(city="Portland", state="OR", type=["Scenic"])'},
                                 conversation=conversation))
    assert good.valid is True


def test_unknown_entities_are_reported_but_valid():
    conversation = [("user", "Historical sites in Buckhead, Atlanta please")]
    v = verdict(t1_trajectory({1: 'a = search_attractions(city="Atlanta", neighborhood=["Buckhead"], '
                                  'type=["Historical"])'}, conversation=conversation))
    assert v.valid is True and v.reasons == ["unknown_entity"]
    assert "Buckhead" in v.details["unknown_entity"][0]


def test_structured_tool_calls_without_code_are_checked_and_executed():
    traj = t1_trajectory({1: 'search_attractions(city="Boston", state="MA", type=["Art"])'})
    for m in traj.messages:
        m.code = None
    assert verdict(traj).valid is True
    traj.messages[2].tool_calls[0].function.arguments = '{"city": "Boston", "state": "MA", "type": "Art"}'
    assert verdict(traj).reasons == ["schema", "executes"]


@pytest.mark.parametrize("code", [
    "import os\nos.system('touch {marker}')",
    "__import__('os').system('touch {marker}')",
    "a = search_attractions(city='Boston')\na.records.clear()",
    "open('{marker}', 'w')",
    "f = lambda: open('{marker}', 'w')\nf()",
    "x = " + "[" * 50 + "]" * 50,
    "search_attractions(city='Boston', state='" + "M" * 50_000 + "')",
])
def test_hostile_plans_are_invalid_and_not_run(tmp_path: Path, code: str):
    marker = tmp_path / "pwned"
    v = verdict(t1_trajectory({1: code.format(marker=marker)}))
    assert v.valid is False
    assert {"schema", "executes", "has_calls", "grounded"} & set(v.reasons)
    assert not marker.exists()


# --------------------------------------------------------------------------------------------
# equivalent (generation provenance)


def generated(plans: dict[int, str], *, conversation=CONVERSATION) -> Trajectory:
    generation = {"method": "invalidate", "source_id": "src", "modified": True}
    return t1_trajectory(plans, conversation=conversation, tid="copy", metadata={"generation": generation})


def test_equivalent_rule_uses_the_source_when_instructions_are_unchanged():
    source = t1_trajectory(tid="src")
    sources = {"src": source}
    same = verdict(generated(PLANS), sources=sources)
    assert same.valid is True and same.details["equivalent"] == "checked"
    # renamed variables and cache keys are still equivalent
    renamed = {k: v.replace("attractions = ", "res = ").replace("value=attractions", "value=res")
               .replace('key="attractions"', 'key="mine"') for k, v in PLANS.items()}
    assert verdict(generated(renamed), sources=sources).valid is True
    # a grounded but different plan (only the Art type) is caught only by `equivalent`
    narrower = {1: PLANS[1].replace('["Art", "Historical"]', '["Art"]'), 2: PLANS[2]}
    v = verdict(generated(narrower), sources=sources)
    assert v.valid is False and v.reasons == ["equivalent"]
    assert verdict(generated(narrower)).valid is True  # no sources: skipped, not failed


def test_equivalent_is_skipped_when_instructions_changed():
    sources = {"src": t1_trajectory(tid="src")}
    changed = [*CONVERSATION[:-1], ("user", "Charlestown or anywhere, and Art only please.")]
    narrower = {1: PLANS[1].replace('["Art", "Historical"]', '["Art"]'), 2: PLANS[2]}
    v = verdict(generated(narrower, conversation=changed), sources=sources)
    assert v.valid is True and v.details["equivalent"] == "skipped"


def test_invalidation_with_ontology_values_gives_one_minus_v(bench_data: Path):
    """Replacing every state (or city) by another ontology value not in the conversation — the
    §8.4 invalidation — makes exactly the corrupted real trajectories invalid."""
    from synae.presets.t1 import load_ontology
    from synae.run.inputs.data import load_dataset
    from synae.views import instruction_transcript

    onto = load_ontology()
    data = load_dataset(bench_data / "t1" / "t1_attraction_augmented_valid.csv")
    corrupted = []
    for i, traj in enumerate(data.trajectories[:10]):
        copy = traj.model_copy(deep=True)
        transcript = instruction_transcript(copy)
        for m in copy.messages:
            if i % 2 == 1 or not m.code:
                continue
            field, values = ("state", onto.states) if 'state="' in m.code else ("city", onto.cities)
            current = m.code.split(f'{field}="')[1].split('"')[0]
            new = next(v for v in values if v != current and v not in transcript)
            m.code = m.code.replace(f'{field}="{current}"', f'{field}="{new}"')
        corrupted.append(copy)
    verdicts = T1ToolCallChecker().check_all(corrupted)
    assert [v.valid for v in verdicts] == [i % 2 == 1 for i in range(10)]
    assert all("grounded" in v.reasons for v in verdicts[::2])

# --------------------------------------------------------------------------------------------
# output


def output_verdict(output: str | None, plans=None, **kwargs):
    [v] = T1OutputChecker(**kwargs).check_all([t1_trajectory(plans, output=output)])
    return v


@pytest.mark.parametrize(("output", "valid", "reason"), [
    ("I recommend the Museum of Fine Arts for art lovers.", True, None),
    ("Historical gems await in Charlestown!", True, None),
    ("", False, "empty_output"),
    ("   ", False, "empty_output"),
    (None, False, "empty_output"),
    ("You will love the Scenic views at Boston Common.", False, "type_consistent"),
    ("Enjoy some culinary treats in Boston.", False, "type_consistent"),
    ("Artistic vibes everywhere (not a type word).", True, None),
])
def test_output_type_consistency(output, valid, reason):
    v = output_verdict(output)
    assert v.valid is valid and v.target == "output"
    if reason:
        assert reason in v.reasons


def test_output_strict_checks_locations_and_names():
    assert output_verdict("Art in Chicago is great.").valid is True
    strict_location = output_verdict("Art in Chicago is great.", strict=True)
    assert strict_location.valid is False and strict_location.reasons == ["location_consistent"]
    produced = output_verdict("Visit the Museum of Fine Arts and the Bunker Hill Monument.", strict=True)
    assert produced.valid is True
    invented = output_verdict("Visit the Metropolitan Museum of Art in Boston.", strict=True)
    assert invented.valid is False and invented.reasons == ["names_grounded"]
    assert output_verdict("in or out", strict=True).valid is True  # "in"/"or" are not IN/OR


@pytest.mark.parametrize("checker", [T1ToolCallChecker(seconds=1e-6),
                                     T1OutputChecker(strict=True, seconds=1e-6)])
def test_trajectory_time_budget_makes_the_verdict_unscored(checker) -> None:
    """The first call spends more than the microsecond allowed: the next one is not run."""
    traj = t1_trajectory(output="The Museum of Fine Arts in Boston, MA is great for Art.")
    [v] = checker.check_all([traj])
    assert v.valid is None and v.reasons == ["time_budget_exceeded"]
