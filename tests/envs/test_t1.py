"""The T1 attraction tools and the plan interpreter (docs/method.md §7.1)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from synae.envs.t1 import (
    ATTRACTION_TOOLS,
    MAX_CALLS_PER_TURN,
    T1Environment,
    check_call_arguments,
    find_mentions,
    result_signature,
    t1_tool_definitions,
    t1_tool_docs,
)

BOSTON_ART = 'a = search_attractions(city="Boston", state="MA", type=["Art", "Historical"])'


@pytest.fixture(scope="module")
def csv_rows(bench_data: Path) -> list[dict[str, str]]:
    with open(bench_data / "t1" / "ontology_attractions.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def naive_search(rows, **conditions):
    """Reference semantics: exact equality for strings, membership for lists, all conditions."""
    out = []
    for row in rows:
        if all(row[k] == v if isinstance(v, str) else row[k] in v for k, v in conditions.items()):
            out.append(row["attraction_name"])
    return out


def names(results) -> list[str]:
    return [r["attraction_name"] for r in results.records]


# --------------------------------------------------------------------------------------------
# search / filter / sort semantics


@pytest.mark.parametrize("conditions", [
    {"city": "Boston"},
    {"state": "MA", "type": ["Scenic", "Historical"]},
    {"city": "New York", "state": "NY", "neighborhood": ["Manhattan"], "type": ["Art"]},
    {"state": "CA", "attraction_name": ["Golden Gate Bridge", "Alcatraz Island", "Not A Place"]},
])
def test_search_matches_naive_filter_in_file_order(csv_rows, conditions):
    result = T1Environment().call("search_attractions", conditions)
    assert result.ok
    assert names(result.value) == naive_search(csv_rows, **conditions)
    assert names(result.value)  # every case above finds something


def test_search_is_exact_and_case_sensitive():
    env = T1Environment()
    assert env.call("search_attractions", {"city": "new york"}).value.records == ()
    assert env.call("search_attractions", {"city": "New York "}).value.records == ()
    assert len(env.call("search_attractions", {"city": "New York"}).value.records) > 0


def test_search_summary_components():
    value = T1Environment().call("search_attractions", {"city": "Boston", "state": "MA",
                                                       "type": ["Art", "Historical"]}).value
    summary = value.query_summary
    assert summary.startswith("Attraction search results in Boston, MA")
    assert "attraction type(s): [Art, Historical]" in summary
    assert summary.endswith(f"There are {len(value.records)} attractions that matched this query!")
    empty = T1Environment().call("search_attractions", {"state": "ZZ"}).value
    assert empty.query_summary == "Attraction search results in ZZ."


def test_filter_and_sort():
    env = T1Environment()
    run = env.run_plan('a = search_attractions(state="MA")\n'
                       'b = filter_attractions(prior_results=a, neighborhood=["North End", "Charlestown"])\n'
                       'c = sort_results(results=b, column="attraction_name", ascending=False)\n'
                       'd = sort_results(results=b, column="type")')
    assert run.ok, run.error
    a, b, c, d = run.results
    assert set(names(b)) == {n for n, r in zip(names(a), a.records, strict=True)
                             if r["neighborhood"] in ("North End", "Charlestown")}
    assert names(c) == sorted(names(b), reverse=True)
    assert [r["type"] for r in d.records] == sorted(r["type"] for r in b.records)
    # stable: ties keep the filter order
    historical = [r["attraction_name"] for r in d.records if r["type"] == "Historical"]
    assert historical == [r["attraction_name"] for r in b.records if r["type"] == "Historical"]
    assert "Additionally filtering for neighborhood(s): [North End, Charlestown]." in b.query_summary
    assert "Results sorted by attraction_name in descending order." in c.query_summary
    assert c.query_summary.endswith(f"There are {len(c.records)} attractions that matched this query!")
    assert [s.tool for s in c.lineage] == ["search_attractions", "filter_attractions", "sort_results"]


def test_sort_unknown_column_errors_but_empty_input_returns_empty():
    env = T1Environment()
    bad = env.run_plan('a = search_attractions(city="Boston")\nsort_results(results=a, column="rating")')
    assert bad.error_code == "tool_error" and "rating" in bad.error
    empty = env.run_plan('a = search_attractions(city="Nowhere")\n'
                         'b = sort_results(results=a, column="rating")')
    assert empty.ok and empty.results[-1].records == ()


def test_search_nearest_validates_then_fails():
    env = T1Environment()
    setup = 'a = search_attractions(city="Boston")\n'
    only_one = env.run_plan(setup + 'search_nearest(attractions=a, groupBy="hotel")')
    assert "exactly two" in only_one.error
    bad_group = env.run_plan(setup + 'search_nearest(attractions=a, hotels=a, groupBy="city")')
    assert "groupBy" in bad_group.error
    valid = env.run_plan(setup + 'search_nearest(attractions=a, hotels=a, groupBy="hotel")')
    assert "no hotel/restaurant data" in valid.error


@pytest.mark.parametrize(("name", "arguments", "fragment"), [
    ("search_attractions", {"type": ["Art"]}, "at least one of 'city' and 'state'"),
    ("search_attractions", {"city": "Boston", "rating": 5}, "unexpected keyword argument 'rating'"),
    ("search_attractions", {"city": "Boston", "type": "Art"}, "must be a list of strings"),
    ("search_attractions", {"city": ["Boston"]}, "must be a string"),
    ("search_attractions", {"__args__": ["Boston"]}, "keyword arguments only"),
    ("sort_results", {"results": "a", "column": "city"}, "SearchResults"),
    ("save_to_cache", {"key": "k"}, "missing required argument 'value'"),
    ("get_results_from_cache", {}, "missing required argument 'key'"),
    ("open", {"__args__": ["/etc/passwd"]}, "name 'open' is not defined"),
])
def test_argument_validation(name, arguments, fragment):
    result = T1Environment().call(name, arguments)
    assert not result.ok and fragment in result.error
    assert result.content.startswith("Error during execution: ")


def test_none_counts_as_not_given_and_positional_map_option():
    env = T1Environment()
    assert env.call("search_attractions", {"city": "Boston", "state": None}).ok
    assert not env.call("search_attractions", {"city": None}).ok
    mapped = T1Environment(positional="map").call("search_attractions", {"__args__": ["Boston", "MA"]})
    assert mapped.ok and len(mapped.value.records) > 0
    assert T1Environment().call("seek_information", {"__args__": ["Which city?"]}).ok


def test_object_references_are_errors_outside_a_plan():
    result = T1Environment().call("save_to_cache", {"key": "k", "value": {"$var": "a"}})
    assert not result.ok and "inside a plan" in result.error


# --------------------------------------------------------------------------------------------
# Cache and the interpreter


def test_cache_persists_variables_do_not():
    env = T1Environment()
    first = env.run_plan(BOSTON_ART + '\nsave_to_cache(key="boston", value=a)')
    assert first.ok and list(env.cache_summary()) == ["boston"]
    assert env.cache_summary()["boston"] == first.results[0].query_summary
    second = env.run_plan('b = filter_attractions(prior_results=a, type=["Art"])')
    assert second.error == "name 'a' is not defined" and second.error_code == "name_error"
    third = env.run_plan('b = filter_attractions(prior_results=get_results_from_cache(key="boston"), '
                         'type=["Art"])')
    assert third.ok and names(third.results[0]) == ["Museum of Fine Arts"]
    contents = env.cache_contents(max_records=1)
    assert contents["boston"]["n_records"] == len(first.results[0].records)
    assert len(contents["boston"]["records"]) == 1 and contents["boston"]["truncated"]
    assert T1Environment().cache_summary() == {}


def test_cache_miss_returns_none_and_using_it_fails():
    run = T1Environment().run_plan('x = get_results_from_cache(key="missing")\n'
                                   'filter_attractions(prior_results=x, type=["Art"])')
    assert run.calls[0].result.ok and run.calls[0].result.value is None
    assert run.error_code == "tool_error" and "SearchResults" in run.error


def test_first_error_stops_the_turn_but_earlier_effects_remain():
    env = T1Environment()
    run = env.run_plan(BOSTON_ART + '\nsave_to_cache(key="kept", value=a)\n'
                       'search_attractions(type=["Art"])\nsave_to_cache(key="never", value=a)')
    assert run.error_code == "tool_error"
    assert [c.name for c in run.calls] == ["search_attractions", "save_to_cache", "search_attractions"]
    assert list(env.cache) == ["kept"]


def test_calls_are_recorded_post_order_with_encoded_arguments():
    run = T1Environment().run_plan('print(filter_attractions('
                                   'prior_results=search_attractions(city="Boston"), type=["Art"]))\npass')
    assert run.ok
    assert [c.name for c in run.calls] == ["search_attractions", "filter_attractions", "print"]
    assert run.calls[1].arguments == {"prior_results": {"$expr": 'search_attractions(city="Boston")'},
                                      "type": ["Art"]}


def test_syntax_error_runs_nothing():
    env = T1Environment()
    run = env.run_plan('save_to_cache(key="x", value=search_attractions(city="Boston"))\n'
                       'search_attractions(city="Boston"')
    assert run.error_code == "syntax_error" and run.calls == [] and env.cache == {}


def test_call_limit_per_turn():
    ok = T1Environment().run_plan("\n".join(['seek_information("q")'] * MAX_CALLS_PER_TURN))
    assert ok.ok and len(ok.calls) == MAX_CALLS_PER_TURN
    too_many = T1Environment().run_plan("\n".join(['seek_information("q")'] * (MAX_CALLS_PER_TURN + 1)))
    assert too_many.error_code == "too_many_calls" and len(too_many.calls) == MAX_CALLS_PER_TURN


# --------------------------------------------------------------------------------------------
# Hostile plans are rejected without being run

EV = "ev" + "al"  # keep the literal builtin names out of the source text
EX = "ex" + "ec"


def hostile_plans(marker: Path) -> dict[str, str]:
    target = str(marker)
    return {
        "import": f"import os\nos.system('touch {target}')",
        "from_import": "from os import system",
        "dunder_import": f"__import__('os').system('touch {target}')",
        "dunder_import_name": f"m = __import__('os')\nm.system('touch {target}')",
        "dunder_attribute": "x = ().__class__.__bases__[0].__subclasses__()",
        "attribute_on_result": 'a = search_attractions(city="Boston")\nb = a.records',
        "method_call_on_result": 'a = search_attractions(city="Boston")\na.records.clear()',
        "call_non_tool": f"open('{target}', 'w')",
        "builtin_eval": f"{EV}(\"open('{target}', 'w')\")",
        "builtin_exec": f"{EX}(\"open('{target}', 'w')\")",
        "lambda": f"f = lambda: open('{target}', 'w')\nf()",
        "def": f"def f():\n    open('{target}', 'w')\nf()",
        "subscript": 'a = search_attractions(city="Boston")\nb = a[0]',
        "operator": 'x = "a" * 10 ** 9',
        "fstring": 'x = f"{search_attractions(city=\'Boston\')}"',
        "comprehension": '[search_attractions(city=c) for c in ["Boston"]]',
        "loop": 'for c in ["Boston"]:\n    search_attractions(city=c)',
        "with": f"with open('{target}', 'w') as fh:\n    pass",
        "augmented": "x = 1\nx += 1",
        "multiple_assignment": "x = y = 1",
        "tuple_target": "x, y = 1, 2",
        "star_args": 'search_attractions(*["Boston"])',
        "kwargs_splat": 'search_attractions(**{"city": "Boston"})',
        "huge_string": 'search_attractions(city="' + "x" * 20_000 + '")',
        "huge_list": "search_attractions(city='Boston', type=[" + ", ".join(['"Art"'] * 5_000) + "])",
        "deep_nesting": "search_attractions(city='Boston', type=" + "[" * 40 + "]" * 40 + ")",
        "very_deep_nesting": "x = " + "[" * 5_000 + "]" * 5_000,
        "very_long_input": "pass\n" * 60_000,
        "huge_int": "x = " + "9" * 10_000,
        "walrus": '(a := search_attractions(city="Boston"))',
        "global": "global x",
        "try": "try:\n    pass\nexcept Exception:\n    pass",
        "class": "class A:\n    pass",
        "await_like": "async def f():\n    pass",
    }


@pytest.mark.parametrize("case", list(hostile_plans(Path("x"))))
def test_hostile_plans_are_rejected_without_running(tmp_path, case):
    marker = tmp_path / "pwned"
    env = T1Environment()
    run = env.run_plan(hostile_plans(marker)[case])
    assert run.error is not None
    assert run.error_code in ("syntax_error", "unsupported_construct", "name_error")
    assert not marker.exists()
    assert env.cache == {}
    assert all(c.name in ("search_attractions",) for c in run.calls)


# --------------------------------------------------------------------------------------------
# Static checks, signatures, mentions, documentation


@pytest.mark.parametrize(("name", "arguments", "ok"), [
    ("filter_attractions", {"prior_results": {"$var": "a"}, "type": ["Art"]}, True),
    ("filter_attractions", {"prior_results": {"$expr": 'get_results_from_cache(key="a")'}}, True),
    ("search_attractions", {"city": {"$var": "c"}}, False),
    ("search_attractions", {"type": ["Art"]}, False),
    ("filter_attractions", {"prior_results": "a"}, False),
    ("search_nearest", {"hotels": {"$var": "h"}, "groupBy": "hotel"}, False),
    ("print", {"__args__": [{"$expr": "1 + 1"}]}, True),
    ("len", {"__args__": [{"$var": "a"}]}, False),
])
def test_check_call_arguments(name, arguments, ok):
    assert (check_call_arguments(name, arguments) is None) is ok


def test_result_signature_of_empty_results_depends_on_criteria():
    env = T1Environment()
    a = env.call("search_attractions", {"city": "Nowhere", "type": ["Art"]}).value
    b = env.call("search_attractions", {"city": " nowhere", "type": ["ART"]}).value
    c = env.call("search_attractions", {"city": "Elsewhere", "type": ["Art"]}).value
    assert result_signature(a) == result_signature(b) != result_signature(c)
    found = env.call("search_attractions", {"city": "Boston", "state": "MA"}).value
    boston = env.call("search_attractions", {"city": "Boston"}).value
    assert result_signature(found) == result_signature(boston)


def test_find_mentions_whole_words_and_short_terms_case_sensitive():
    text = "Visit the 9/11 Memorial & Museum, or some ARTISTIC art in Portland, OR."
    assert find_mentions(text, ["9/11 Memorial & Museum", "Art", "OR", "IN", "Museum of Art"],
                         case_sensitive_upto=2) == {"9/11 Memorial & Museum", "Art", "OR"}
    assert find_mentions("in Indiana", ["IN"], case_sensitive_upto=2) == set()


def test_tool_definitions_and_docs_cover_the_six_tools():
    definitions = t1_tool_definitions()
    assert [d["function"]["name"] for d in definitions] == list(ATTRACTION_TOOLS)
    by_name = {d["function"]["name"]: d["function"]["parameters"] for d in definitions}
    assert by_name["filter_attractions"]["required"] == ["prior_results"]
    assert by_name["search_attractions"]["properties"]["type"] == {
        "type": "array", "items": {"type": "string"}, "description": by_name["search_attractions"]
        ["properties"]["type"]["description"]}
    assert by_name["sort_results"]["properties"]["ascending"]["default"] is True
    docs = t1_tool_docs()
    for d in definitions:
        assert d["function"]["name"] + "(" in docs
        for param in d["function"]["parameters"]["properties"]:
            assert f"    {param} (" in docs
    assert "restaurant" not in docs.split("search_nearest")[0].lower()


def test_custom_database_records():
    records = [{"city": "Springfield", "state": "IL", "attraction_name": "Lincoln Home", "type": "Historical",
                "latitude": 39.797, "longitude": -89.645, "neighborhood": "Downtown"},
               {"city": "Springfield", "state": "MA", "attraction_name": "Basketball Hall of Fame",
                "type": "Sporting", "latitude": 42.094, "longitude": -72.592, "neighborhood": "South End"}]
    env = T1Environment(records)
    assert names(env.call("search_attractions", {"city": "Springfield"}).value) == [
        "Lincoln Home", "Basketball Hall of Fame"]
    assert names(env.call("search_attractions", {"state": "MA"}).value) == ["Basketball Hall of Fame"]
    assert env.call("search_attractions", {"city": "Boston"}).value.records == ()
