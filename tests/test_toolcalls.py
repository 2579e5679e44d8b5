"""Tool-call parsing with ast: post-order, argument encoding, builtins, errors, rendering, replies."""

from __future__ import annotations

from synae.toolcalls import call_names, extract_code, parse_call_list, parse_calls, render_call, to_tool_calls


def test_post_order_and_encoding():
    src = ('res = filter_attractions(prior_results=get_results_from_cache(key="a"), n=-2, xs=(1, 2.5),\n'
           '    flag=True, none=None, d={"k": [1]}, v=attractions, e=x + 1)\nsort("f.txt", 3)')
    result = parse_calls(src)
    assert result.ok
    assert [c.name for c in result.calls] == ["get_results_from_cache", "filter_attractions", "sort"]
    args = result.calls[1].arguments
    assert args["prior_results"] == {"$expr": 'get_results_from_cache(key="a")'}
    assert args["n"] == -2 and args["xs"] == [1, 2.5] and args["flag"] is True and args["none"] is None
    assert args["d"] == {"k": [1]} and args["v"] == {"$var": "attractions"}
    assert args["e"] == {"$expr": "x + 1"}
    assert result.calls[2].arguments == {"__args__": ["f.txt", 3]}


def test_builtins_and_attribute_callees():
    src = 'print(len(x))\nobj.method(a=1)\nprint_report(1)'
    assert call_names(src) == ["method", "print_report"]
    assert call_names(src, extraction="all") == ["len", "print", "method", "print_report"]
    assert call_names(src, declared_tools={"print"}) == ["print", "method", "print_report"]


def test_syntax_error_yields_no_calls():
    result = parse_calls('search_attractions(city="Boston"')
    assert not result.ok and result.calls == [] and "SyntaxError" in result.error
    assert call_names("f(") is None


def test_ids_and_rendering():
    calls = to_tool_calls(parse_calls("a(x=1)\nb('s', y=[1, 2])").calls, turn=3)
    assert [c.id for c in calls] == ["call_3_0", "call_3_1"]
    assert calls[1].function.arguments == '{"__args__": ["s"], "y": [1, 2]}'
    assert render_call("b", calls[1].function.parsed_arguments()) == "b('s', y=[1, 2])"
    assert render_call("f", {"v": {"$var": "x"}, "e": {"$expr": "g()"}}) == "f(v=x, e=g())"


def test_agent_replies():
    assert extract_code("Sure!\n<CODE>f(a=1)</CODE> done") == "f(a=1)"
    assert extract_code("```python\ng(b=2)\n```") == "g(b=2)"
    assert extract_code('"h()"') == "h()"
    parsed = parse_call_list("[cd(folder='x'), ls()]")
    assert [c.name for c in parsed.calls] == ["cd", "ls"]
    assert not parse_call_list("[1, cd()]").ok


def test_short_sources_share_one_tree_that_rewriting_never_touches() -> None:
    import numpy as np

    from synae.downstream.agents import perturb_code
    from synae.toolcalls import SHARED_TREE_CHARS, parse_module, parsed_module

    code = 'x = search(query="paris", limit=3)\nbook(x, seats=2)'
    before = parse_calls(code).calls
    assert parsed_module(code) is parsed_module(code) and parsed_module(code) is not parse_module(code)
    changed = perturb_code(code, 1.0, np.random.default_rng(0))  # rewrites a fresh tree of its own
    assert changed != code
    assert parse_calls(code).calls == before  # the shared tree is as it was
    long = "f(1)\n" * (SHARED_TREE_CHARS // 5 + 1)
    assert parsed_module(long) is not parsed_module(long)  # long sources: parsed every time
    assert call_names(long) == ["f"] * (SHARED_TREE_CHARS // 5 + 1)
