"""relabel (docs/method.md §8.6): the case study's skewed base and relabeled set on T1-Augmented-Valid."""

from __future__ import annotations

import csv
import re
from collections import Counter

import numpy as np
import pytest

from synae.adapters.export import write_t1_eval_csv
from synae.errors import ConfigError
from synae.generate import relabel
from synae.generate.labels import labels_of
from synae.presets import get_preset

T1, BFCL, ACP = get_preset("t1"), get_preset("bfcl"), get_preset("acp")


@pytest.fixture(scope="module")
def case_study(t1_valid):
    return relabel(t1_valid, preset=T1)


@pytest.fixture(scope="module")
def real_case_study(real_t1_valid):
    return relabel(real_t1_valid, preset=T1)


@pytest.mark.data
def test_base_has_71_rows_with_stated_drops(real_t1_valid, real_case_study):
    skewed, _ = real_case_study
    assert len(skewed) == 71
    before = Counter(labels_of(real_t1_valid.trajectories, "type", T1))
    after = Counter(labels_of(skewed.trajectories, "type", T1))
    assert {t: before[t] - after[t] for t in before if before[t] != after[t]} == \
        {"Guided": 6, "Sporting": 6, "Culinary": 8, "Cultural": 9}
    assert (before["Guided"], before["Sporting"], before["Culinary"], before["Cultural"]) == (7, 7, 9, 10)
    params = skewed[0].metadata["generation"]["params"]
    assert list(params["thinned"]) == ["Guided", "Sporting", "Culinary", "Cultural"]
    # original ids and order, content untouched
    positions = [t.metadata["generation"]["source_position"] for t in skewed]
    assert positions == sorted(positions)
    assert all(t == t_src.model_copy(update={"metadata": t.metadata}) for t, t_src in
               zip(skewed, (real_t1_valid[p] for p in positions), strict=True))


@pytest.mark.data
def test_relabeled_rows(real_t1_valid, real_case_study):
    skewed, relabeled = real_case_study
    assert len(relabeled) == 100
    assert [t.id for t in relabeled] == [str(i) for i in range(100)]
    base = relabeled.trajectories[:71]
    appended = relabeled.trajectories[71:]
    assert [t.metadata["generation"]["source_id"] for t in base] == [t.id for t in skewed]
    targets = [t.metadata["generation"]["label"] for t in appended]
    assert Counter(targets) == {"Cultural": 9, "Culinary": 8, "Guided": 6, "Sporting": 6}
    assert targets == ["Guided"] * 6 + ["Sporting"] * 6 + ["Culinary"] * 8 + ["Cultural"] * 9
    for row in appended:
        gen = row.metadata["generation"]
        src = real_t1_valid[gen["source_position"]]
        old, new = gen["relabeled_from"], gen["label"]
        # the source is a base row; plan and output are copied unchanged
        assert src.id in {t.id for t in skewed}
        assert [m.code for m in row.messages] == [m.code for m in src.messages]
        assert row.output == src.output
        expected = [re.sub(rf"\b{re.escape(old)}\b", new, m.content, flags=re.IGNORECASE) if m.content
                    else m.content for m in src.messages]
        assert [m.content for m in row.messages] == expected
        assert gen["modified"] == (old != new)
    assert sum(r.metadata["generation"]["modified"] for r in appended) == 28


@pytest.mark.data
def test_rng_order_continues_after_skew(real_t1_valid, real_case_study):
    """Relabel draws come from the same rng, right after the four skew draws."""
    _, relabeled = real_case_study
    labels = labels_of(real_t1_valid.trajectories, "type", T1)
    rng = np.random.default_rng(123)
    dropped = set()
    for value, n_drop in (("Guided", 6), ("Sporting", 6), ("Culinary", 8), ("Cultural", 9)):
        cands = [i for i, label in enumerate(labels) if label == value]
        dropped |= set(rng.choice(cands, size=n_drop, replace=False).tolist())
    base = [i for i in range(100) if i not in dropped]
    first = rng.choice(len(base), size=6, replace=False).tolist()
    assert [t.metadata["generation"]["source_position"] for t in relabeled.trajectories[71:77]] == \
        [base[b] for b in first]


@pytest.mark.data
def test_exports_are_verbatim_where_unchanged(real_t1_valid, real_case_study, shared_data, tmp_path):
    skewed, relabeled = real_case_study
    write_t1_eval_csv(skewed, tmp_path / "skewed.csv")
    write_t1_eval_csv(relabeled, tmp_path / "relabeled.csv")
    with open(shared_data / "t1" / "t1_attraction_augmented_valid.csv", newline="") as fh:
        original = {row[0]: row for row in list(csv.reader(fh))[1:]}
    with open(tmp_path / "skewed.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["ID", "Data", "Tool Call", "Output"]
    assert all(original[r[0]] == r for r in rows[1:]) and len(rows) == 72
    with open(tmp_path / "relabeled.csv", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    assert [r[0] for r in rows] == [str(i) for i in range(100)]
    assert [r[1:] for r in rows[:71]] == [original[t.id][1:] for t in skewed]


def test_deterministic_and_seed(t1_valid, case_study):
    again = relabel(t1_valid, preset=T1)
    assert again[1].fingerprint() == case_study[1].fingerprint()
    other = relabel(t1_valid, seed=7, preset=T1)
    assert other[0].fingerprint() != case_study[0].fingerprint()


def test_only_t1(acp):
    with pytest.raises(ConfigError, match="T1"):
        relabel(acp, preset=ACP)


def test_generic_relabels_a_stored_attribute(chat):
    generic = get_preset("generic")
    skewed, relabeled = relabel(chat, preset=generic, attribute="topic")
    assert len(skewed) == 21 and len(relabeled) == 30  # int(0.9 · 10) calendar rows thinned, then re-added
    appended = relabeled.trajectories[21:]
    assert all(t.attributes["topic"] == "calendar" and t.metadata["generation"]["modified"] for t in appended)
    assert all(t.metadata["generation"]["relabeled_from"] == "weather" for t in appended)
    assert all(t.messages[2].tool_calls[0].function.name == "get_weather" for t in appended)  # plan kept
    assert relabel(chat, preset=generic)[1].fingerprint() == relabeled.fingerprint()  # topic is the default
    with pytest.raises(ConfigError, match="not bfcl"):
        relabel(chat, preset=get_preset("bfcl"), attribute="topic")
