"""Rule-based equivalence scorers (docs/method.md §7.6)."""

from __future__ import annotations

import pytest

from synae.envs.equivalence import (
    bfcl_state_equivalent,
    call_match_equivalent,
    mentions_match_equivalent,
    t1_exec_equivalent,
)
from synae.toolcalls import parse_calls

REFERENCE = ['attractions = search_attractions(city="Boston", state="MA", type=["Art"])\n'
             'save_to_cache(key="attractions", value=attractions)',
             'hist = filter_attractions(prior_results=get_results_from_cache(key="attractions"), '
             'neighborhood=["Charlestown"])']


def test_t1_exec_ignores_names_and_rewards_same_results():
    agent = ['res = search_attractions(state="MA", city="Boston", type=["Art"])\n'
             'save_to_cache(key="boston_art", value=res)',
             'x = filter_attractions(prior_results=get_results_from_cache(key="boston_art"), '
             'neighborhood=["Charlestown"])']
    assert t1_exec_equivalent(REFERENCE, agent)


def test_t1_exec_extra_exploration_is_not_penalised_but_missing_results_are():
    extra = [REFERENCE[0] + '\nall_ma = search_attractions(state="MA")', REFERENCE[1]]
    assert t1_exec_equivalent(REFERENCE, extra)
    assert not t1_exec_equivalent(REFERENCE, REFERENCE[:1])
    wrong_type = [REFERENCE[0].replace('"Art"', '"Scenic"'), REFERENCE[1]]
    assert not t1_exec_equivalent(REFERENCE, wrong_type)


def test_t1_exec_empty_results_match_only_with_the_same_criteria():
    reference = ['a = search_attractions(city="Atlanta", neighborhood=["Buckhead"])']
    same = ['b = search_attractions(city="atlanta ", neighborhood=["BUCKHEAD"])']
    other = ['b = search_attractions(city="Atlanta", neighborhood=["Midtown"])']
    assert t1_exec_equivalent(reference, same)
    assert not t1_exec_equivalent(reference, other)


def test_t1_exec_reference_without_results():
    reference = ['print("No planning needed")']
    assert t1_exec_equivalent(reference, ['seek_information("Which city?")'])
    assert not t1_exec_equivalent(reference, ['a = search_attractions(city="Boston")'])


def test_t1_exec_agent_errors_count_as_missing_results():
    assert not t1_exec_equivalent(REFERENCE[:1], ['import os\n' + REFERENCE[0]])


def test_call_match_normalisation_and_multiset():
    agent = ['r = search_attractions(state=" ma", city="BOSTON", type=["art"])\n'
             'save_to_cache(key="other_key", value=r)',
             'f = filter_attractions(prior_results=r, neighborhood=["charlestown"])']
    assert call_match_equivalent(REFERENCE, agent)
    doubled = [*agent, 'search_attractions(state="MA", city="Boston", type=["Art"])']
    assert not call_match_equivalent(REFERENCE, doubled)
    assert not call_match_equivalent(REFERENCE, [agent[0]])
    lists_as_sets = ['search_attractions(city="Boston", type=["Art", "Scenic"])']
    assert call_match_equivalent(lists_as_sets, ['search_attractions(type=["Scenic", "Art"], city="Boston")'])


def test_mentions_match():
    expected = "Try the Museum of Fine Arts and Fenway Park for Art and Sporting fun."
    assert mentions_match_equivalent(expected, "fenway park (sporting) and the museum of fine arts (art)!")
    assert not mentions_match_equivalent(expected, "Try the Museum of Fine Arts for Art.")
    assert not mentions_match_equivalent(expected, "Museum of Fine Arts, Fenway Park: Art, Scenic, Sporting")


# --------------------------------------------------------------------------------------------
# bfcl_state

CLASSES = ["GorillaFileSystem", "TwitterAPI"]
CONFIG = {"GorillaFileSystem": {"root": {"alex": {"type": "directory", "contents": {
    "report.txt": {"type": "file", "content": "budget analysis\nother"},
    "docs": {"type": "directory", "contents": {}}}}}}}


def turns(*groups: list[str]) -> list[list[tuple[str, dict]]]:
    out = []
    for group in groups:
        calls = [c for string in group for c in parse_calls(string, extraction="all").calls]
        out.append([(c.name, c.arguments) for c in calls])
    return out


GREP = "grep(file_name='report.txt', pattern='budget')"
REF_TURNS = turns(["cd(folder='docs')", "mkdir(dir_name='temp')"], [], ["cd(folder='..')", GREP])


def test_bfcl_identical_calls_succeed():
    assert bfcl_state_equivalent(CLASSES, CONFIG, REF_TURNS, REF_TURNS)


def test_bfcl_same_state_with_extra_reads_succeeds():
    agent = turns(["pwd()", "cd(folder='docs')", "ls()", "mkdir(dir_name='temp')"], ["ls()"],
                  ["cd(folder='..')", GREP])
    assert bfcl_state_equivalent(CLASSES, CONFIG, REF_TURNS, agent)


def test_bfcl_state_difference_fails():
    agent = turns(["cd(folder='docs')", "mkdir(dir_name='tmp')"], [],
                  ["cd(folder='..')", GREP])
    assert not bfcl_state_equivalent(CLASSES, CONFIG, REF_TURNS, agent)


def test_bfcl_missing_turn_calls_fail_even_if_done_later():
    agent = turns([], ["cd(folder='docs')", "mkdir(dir_name='temp')"],
                  ["cd(folder='..')", GREP])
    assert not bfcl_state_equivalent(CLASSES, CONFIG, REF_TURNS, agent)


def test_bfcl_response_must_be_contained():
    agent = turns(["cd(folder='docs')", "mkdir(dir_name='temp')"], [],
                  ["cd(folder='..')", "grep(file_name='report.txt', pattern='other')"])
    assert not bfcl_state_equivalent(CLASSES, CONFIG, REF_TURNS, agent)
    early = turns([GREP, "cd(folder='docs')", "mkdir(dir_name='temp')"], [], ["cd(folder='..')"])
    assert bfcl_state_equivalent(CLASSES, CONFIG, REF_TURNS, early)  # accumulated over turns


def test_bfcl_terminated_run_fails_and_empty_reference_turns_are_not_checked():
    assert not bfcl_state_equivalent(CLASSES, CONFIG, REF_TURNS, REF_TURNS, terminated=True)
    assert bfcl_state_equivalent(CLASSES, CONFIG, turns([]), turns(["ls()"]))


@pytest.mark.parametrize("agent_calls", [[], [("cd", {"folder": {"$var": "x"}})]])
def test_bfcl_missing_or_invalid_agent_calls_fail(agent_calls):
    assert not bfcl_state_equivalent(CLASSES, CONFIG, REF_TURNS[:1], [agent_calls])
