"""Lazy re-exports (:mod:`synae.lazy`): a package's names import their module on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import synae.envs
import synae.llm
import synae.validity.rules
from synae.lazy import lazy_export

CHILD = """
import json, sys
import synae.envs, synae.llm, synae.validity.rules
before = [m for m in {modules!r} if m in sys.modules]
from synae.envs import T1Environment
from synae.validity.rules import BFCLToolCallChecker
after = [m for m in {modules!r} if m in sys.modules]
print(json.dumps([before, after, T1Environment.__module__, BFCLToolCallChecker.__module__]))
"""


def test_a_package_imports_a_name_s_module_only_when_the_name_is_read() -> None:
    modules = ["synae.envs.t1", "synae.envs.bfcl", "synae.validity.rules.bfcl", "synae.llm.client"]
    code = CHILD.format(modules=modules)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    before, after, t1_home, bfcl_home = json.loads(out.stdout)
    assert before == []
    assert after == ["synae.envs.t1", "synae.envs.bfcl", "synae.validity.rules.bfcl"]  # rules need the env
    assert (t1_home, bfcl_home) == ("synae.envs.t1", "synae.validity.rules.bfcl")


@pytest.mark.parametrize("package", [synae.envs, synae.llm, synae.validity.rules])
def test_every_exported_name_resolves_and_an_unknown_one_is_an_attribute_error(package) -> None:
    for name in package.__all__:
        assert getattr(package, name).__name__ == name
    with pytest.raises(AttributeError, match=f"module '{package.__name__}' has no attribute 'nope'"):
        package.nope  # noqa: B018


def test_lazy_export_reads_the_named_module() -> None:
    assert lazy_export("pkg", {"dumps": "json"}, "dumps") is json.dumps
    with pytest.raises(AttributeError, match="module 'pkg' has no attribute 'loads'"):
        lazy_export("pkg", {"dumps": "json"}, "loads")
