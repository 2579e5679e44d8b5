"""BFCL environments with safe dispatch (docs/method.md §7.3)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from synae.envs.bfcl import (
    CLASS_MODULES,
    BFCLEnvironment,
    environment_class,
    is_error_result,
    method_parameters,
    result_string,
)
from synae.errors import DataError, MissingDependencyError
from synae.toolcalls import parse_calls

FS_CONFIG = {"GorillaFileSystem": {"root": {"alex": {"type": "directory", "contents": {
    "notes.txt": {"type": "file", "content": "b line\na line"},
    "docs": {"type": "directory", "contents": {}},
}}}}}


def encoded(call: str) -> tuple[str, dict]:
    [parsed] = parse_calls(call, extraction="all").calls
    return parsed.name, parsed.arguments


def run(env: BFCLEnvironment, call: str):
    return env.call(*encoded(call))


def test_dispatch_keywords_and_positional_and_result_strings():
    env = BFCLEnvironment(["GorillaFileSystem", "MathAPI"], FS_CONFIG)
    listing = run(env, "ls()")
    assert listing.ok and listing.content == json.dumps({"current_directory_content": ["notes.txt", "docs"]})
    assert run(env, "cd(folder='docs')").ok
    assert run(env, "cd('..')").ok  # positional
    sorted_file = run(env, "sort('notes.txt')")
    assert sorted_file.ok and json.loads(sorted_file.content) == {"sorted_content": "a line\nb line"}
    assert run(env, "add(a=2, b=3)").content == json.dumps({"result": 5})


def test_errors_raised_returned_unknown_refused_and_non_literal():
    env = BFCLEnvironment(["GorillaFileSystem"], FS_CONFIG)
    missing = run(env, "cat(file_name='nope.txt')")
    assert not missing.ok and is_error_result(missing.content) and "nope.txt" in missing.error
    raised = run(env, "cd(folder='docs', extra=1)")
    assert raised.content.startswith("Error during execution: ") and "extra" in raised.content
    unknown = run(env, "add(a=1, b=2)")  # MathAPI not involved
    assert unknown.content == "Error during execution: name 'add' is not defined"
    for name in ("kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run"):
        refused = env.call(name, {})
        assert refused.content == f"Error during execution: Function call {name} is not allowed."
    private = env.call("_load_scenario", {"__args__": [{}]})
    assert private.content == "Error during execution: name '_load_scenario' is not defined"
    reference = env.call("cd", {"folder": {"$var": "x"}})
    assert not reference.ok and "literal" in reference.error
    nested = env.call("cd", {"folder": {"$expr": "pwd()"}})
    assert not nested.ok and "literal" in nested.error


def test_hostile_arguments_are_rejected_before_dispatch(tmp_path: Path):
    env = BFCLEnvironment(["MathAPI", "GorillaFileSystem"], FS_CONFIG)
    huge_int = env.call("power", {"base": 10, "exponent": 10**30})
    assert not huge_int.ok and "too large" in huge_int.error
    huge_text = env.call("touch", {"file_name": "x" * 200_000})
    assert not huge_text.ok and "too large" in huge_text.error
    assert "x" * 200_000 not in json.dumps(env.state()["GorillaFileSystem"]["root"].__dict__, default=str)
    marker = tmp_path / "pwned"
    injected = env.call("touch", {"file_name": f"a'); __import__('os').system('touch {marker}'); ('"})
    assert "Invalid character" in injected.content  # an odd file name for the simulated file system
    assert not marker.exists()


def test_instances_are_fresh_and_config_is_not_mutated():
    config = copy.deepcopy(FS_CONFIG)
    first = BFCLEnvironment(["GorillaFileSystem"], config)
    assert run(first, "rm(file_name='notes.txt')").ok
    assert config == FS_CONFIG
    second = BFCLEnvironment(["GorillaFileSystem"], config)
    assert "notes.txt" in json.loads(run(second, "ls()").content)["current_directory_content"]
    assert not first.same_state(second)


def test_state_has_public_attributes_only_and_compares_by_value():
    a = BFCLEnvironment(["GorillaFileSystem", "MathAPI"], FS_CONFIG)
    b = BFCLEnvironment(["GorillaFileSystem", "MathAPI"], FS_CONFIG)
    state = a.state()
    assert set(state) == {"GorillaFileSystem", "MathAPI"}
    assert all(not key.startswith("_") for attributes in state.values() for key in attributes)
    assert a.same_state(b)
    run(a, "mkdir(dir_name='new')")
    assert not a.same_state(b)
    run(b, "mkdir(dir_name='new')")
    assert a.same_state(b)
    run(a, "cd(folder='alex')")  # the current folder is private: not part of the state
    assert a.same_state(b)


def test_missing_class_config_means_default_state():
    default = BFCLEnvironment(["TwitterAPI"], {})
    assert default.same_state(BFCLEnvironment(["TwitterAPI"], {"TwitterAPI": {}}))
    other = BFCLEnvironment(["TwitterAPI"], {"TwitterAPI": {"username": "someone_else"}})
    assert not default.same_state(other)


def test_unknown_class_is_a_data_error():
    with pytest.raises(DataError, match="NotAClass"):
        BFCLEnvironment(["NotAClass"], {})


def test_missing_package_gives_install_hint(monkeypatch):
    module = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code." + CLASS_MODULES["TicketAPI"]
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDependencyError, match=r"pip install --no-deps bfcl-eval==2026\.3\.23"):
        environment_class("TicketAPI")


def test_method_parameters_follow_python_signatures():
    params = method_parameters("GorillaFileSystem")
    assert params["sort"] == ["file_name"]
    assert params["find"] == ["path", "name"]
    assert not any(name.startswith("_") for name in params)


@pytest.mark.parametrize(("content", "error"), [
    ("Error during execution: boom", True),
    (json.dumps({"error": "No such file"}), True),
    (json.dumps({"result": 1}), False),
    ("None", False),
    ("{not json", False),
    (json.dumps(["error"]), False),
])
def test_is_error_result(content, error):
    assert is_error_result(content) is error


def test_result_string_rules():
    assert result_string("plain") == "plain"
    assert result_string({"a": 1}) == '{"a": 1}'
    assert result_string({"a": {1, 2}}) == str({"a": {1, 2}})  # not JSON-serialisable → str
    assert result_string(None) == "None"
    assert result_string([1]) == "[1]"
    assert result_string({"a": 10**5000}).startswith("Error during execution: ")


def test_real_newer_ground_truth_executes_without_error(bench_data: Path):
    def read(path: Path) -> list[dict]:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    questions = read(bench_data / "bfcl" / "BFCL_v4_multi_turn_base.json")
    answers = {a["id"]: a["ground_truth"]
               for a in read(bench_data / "bfcl" / "possible_answer" / "BFCL_v4_multi_turn_base.json")}
    n_calls = n_errors = 0
    for entry in questions:
        env = BFCLEnvironment(entry["involved_classes"], entry["initial_config"])
        for turn in answers[entry["id"]]:
            for string in turn:
                result = run(env, string)
                n_calls += 1
                n_errors += not result.ok
    assert (n_calls, n_errors) == (1142, 0)
