"""The sweep dispatcher: values from --param or the research grid, one run per value."""

from __future__ import annotations

import pytest

from synae.errors import ConfigError
from synae.generate.registry import get_method
from synae.generate.sweep import parse_values, run_sweep
from synae.presets import get_preset

T1, ACP = get_preset("t1"), get_preset("acp")


def test_parse_values():
    assert parse_values(get_method("oversample"), "0.1, 0.3", T1) == [0.1, 0.3]
    assert parse_values(get_method("oversample"), None, T1) == [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1]
    assert parse_values(get_method("invalidate"), None, ACP) == [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1]
    assert len(parse_values(get_method("invalidate"), None, T1)) == 11
    assert parse_values(get_method("dropmin"), "half,2", ACP) == ["half", 2]
    assert parse_values(get_method("fewshot"), "0,3", ACP) == [0, 3]
    assert parse_values(get_method("relabel"), None, T1) == [None]
    with pytest.raises(ConfigError, match="no --param"):
        parse_values(get_method("relabel"), "0.5", T1)
    with pytest.raises(ConfigError, match="not a number"):
        parse_values(get_method("oversample"), "abc", T1)
    with pytest.raises(ConfigError, match="not an integer"):
        parse_values(get_method("fewshot"), "1.5", T1)


@pytest.mark.data
def test_run_sweep_fresh_rng_per_value(real_acp):
    items = run_sweep("invalidate", real_acp, [0.1, 0.1, 0.3], preset=ACP,
                      options={"seed": 123, "mode": "reference"})
    assert [i.dataset.name for i in items] == ["invalidate_frac0_1"] * 2 + ["invalidate_frac0_3"]
    assert items[0].dataset.fingerprint() == items[1].dataset.fingerprint()
    assert [i.meta["counts"]["n_modified"] for i in items] == [26, 26, 62]
    assert items[2].meta["config"] == {"params": {"v": 0.3}, "seed": 123, "mode": "reference"}


def test_run_sweep_rejects_foreign_options(acp):
    with pytest.raises(ConfigError, match="does not take the option"):
        run_sweep("oversample", acp, [0.1], preset=ACP, options={"target": "answer"})


@pytest.mark.data
def test_relabel_sweep_gives_two_datasets(real_t1_valid):
    items = run_sweep("relabel", real_t1_valid, preset=T1)
    assert [(i.dataset.name, len(i.dataset)) for i in items] == [("skewed", 71), ("relabeled", 100)]
