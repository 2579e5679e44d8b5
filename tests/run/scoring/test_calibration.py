"""``synae calibrate``: every pillar's curve falls with known damage, for every preset; placement of a
score on a curve; the command, its files and the placement in ``evaluate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.synae_cli import run_synae
from synae.config import load_config
from synae.generate.hooks import CalibrationSweep
from synae.presets.generic import GenericPreset
from synae.run.inputs.data import load_dataset
from synae.run.scoring.calibration import (
    MIN_DROP,
    Calibrator,
    Curve,
    check_curve,
    crossing,
    non_increasing,
    place,
    place_member,
)
from synae.run.scoring.evaluation import Evaluator
from synae.schema import Dataset, Message, Trajectory

LEXICAL = load_config(embedding={"model": "lexical"})
STRENGTHS = (0.0, 0.5, 1.0)
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather of a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                   "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "book_table", "description": "Book a restaurant table.",
        "parameters": {"type": "object", "properties": {"place": {"type": "string"},
                                                        "people": {"type": "integer"}},
                       "required": ["place", "people"]}}}]
CITIES = ("Oslo", "Lisbon", "Nairobi", "Lima", "Osaka", "Quito", "Hanoi", "Perth")
PLACES = ("Blue Door", "Casa Verde", "Golden Fork", "Little Saigon", "The Pier")


def chat(i: int) -> Trajectory:
    """Generic tool-calling conversation ``i``: weather (even) or a booking (odd), each its own words."""
    if i % 2 == 0:
        city, days = CITIES[i % len(CITIES)], 1 + i % 4
        ask, name, args = f"Will it rain in {city} over the next {days} days?", "get_weather", {
            "city": city, "days": days}
        result = json.dumps({"rain_mm": i, "city": city})
        answer = f"Expect {i} mm of rain in {city} over {days} days."
    else:
        place, people = PLACES[i % len(PLACES)], 2 + i % 5
        ask, name, args = f"Book {place} for {people} people tonight please.", "book_table", {
            "place": place, "people": people}
        result, answer = json.dumps({"booking": f"b{i}"}), f"Booked {place} for {people}; reference b{i}."
    call = {"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
    return Trajectory(id=f"chat{i}", tools=TOOLS, output=answer, messages=[
        Message(role="user", content=ask),
        Message.model_validate({"role": "assistant", "content": None, "tool_calls": [call]}),
        Message(role="tool", tool_call_id=f"c{i}", content=result),
        Message(role="assistant", content=answer)])


def generic_set(n: int = 24) -> Dataset:
    return Dataset(trajectories=[chat(i) for i in range(n)], name="chat", source="chat.jsonl")


def preset_sets(bench_data: Path) -> dict[str, Dataset]:
    """A small real set of every preset (T1: every conversation of the fixture, since only some of
    its outputs name an attraction type the output invalidation can change)."""
    t1 = load_dataset(bench_data / "t1" / "t1_attraction_turns_with_output.csv")
    bfcl = load_dataset(bench_data / "bfcl" / "BFCL_v4_multi_turn_base.json")
    acp = load_dataset(bench_data / "acp" / "acp_app_prog.csv")
    return {"generic": generic_set(), "t1": t1,
            "bfcl": Dataset(trajectories=bfcl.trajectories[:24], name="bfcl"),
            "acp": Dataset(trajectories=acp.trajectories[::2], name="acp")}


@pytest.mark.parametrize("preset", ["generic", "t1", "bfcl", "acp"])
def test_every_curve_falls_with_damage_for_every_preset(preset: str, bench_data: Path) -> None:
    real = preset_sets(bench_data)[preset]
    with Evaluator(real, LEXICAL, preset=preset, progress=False) as evaluator:
        record = Calibrator(evaluator, STRENGTHS, repeats=2).run()
    assert set(record["curves"]) == {"validity", "fidelity", "diversity", "privacy"}, record["notes"]
    targets = {p["target"] for p in record["curves"]["validity"]}
    assert targets == set(evaluator.preset.validity_targets_for(real.trajectories))  # calls, outputs apart
    for check in record["checks"]:
        assert check["n_points"] == 3 and check["drop"] >= MIN_DROP, check
        assert check["falls"] and check["monotone"] and check["problem"] is None, check
    assert record["problems"] == []
    for points in record["curves"].values():
        for p in points:
            assert p["seeds"] == [123, 124] and p["ci"][0] <= p["score"] <= p["ci"][1]
    fidelity = {p["strength"]: p["score"] for p in record["curves"]["fidelity"]}
    assert fidelity[0.0] == pytest.approx(1.0)  # strength 0 is the real set itself


def test_validity_points_equal_checking_the_whole_damaged_set() -> None:
    """Only changed rows are checked again; the rate equals a check of the whole damaged set."""
    from synae.generate.invalidate import invalidate
    from synae.run.scoring.validity import ValiditySession

    real = generic_set()
    with Evaluator(real, LEXICAL, preset="generic", progress=False) as evaluator:
        calibrator = Calibrator(evaluator, STRENGTHS, repeats=1)
        calibrator.invalidate_curves()
        session = ValiditySession(real.trajectories, evaluator.preset, LEXICAL, "rules", progress=False)
        for target in ("tool_calls", "output"):
            damaged = invalidate(real, 0.5, preset=evaluator.preset, target=target, seed=123)
            whole = {m.id: m for m in session.metrics(session.run(damaged))}[f"validity.{target}.rate"]
            point = next(p for p in calibrator.points["validity"]
                         if (p["target"], p["strength"]) == (target, 0.5))
            assert 0 < point["score"] < 1 and point["score"] == pytest.approx(whole.value)


def test_a_flat_curve_is_reported_and_not_used_for_placement() -> None:
    curve = Curve("validity", "invalidate", "output")
    points = [{"generator": "invalidate", "target": "output", "strength": s, "score": 0.95 - 0.05 * s,
               "ci": [0.9 - 0.05 * s, 1.0 - 0.05 * s]} for s in STRENGTHS]
    check = check_curve(curve, points)
    assert not check["falls"] and "does not fall" in check["problem"] and "output" in check["problem"]
    placed = place(0.93, curve, points, check)
    assert placed["status"] == "not_calibrated" and placed["strength"] is None
    rising = [{**p, "score": v, "ci": [v, v]} for p, v in zip(points, (1.0, 0.2, 0.5), strict=True)]
    check = check_curve(curve, rising)
    assert check["falls"] and not check["monotone"] and "rises by 0.300" in check["problem"]


def test_placement_interpolates_the_monotone_curve_and_its_band() -> None:
    assert non_increasing([1.0, 0.5, 0.6, 0.0]) == pytest.approx([1.0, 0.55, 0.55, 0.0])
    assert crossing(0.75, [0.0, 0.5, 1.0], [1.0, 0.5, 0.0]) == pytest.approx(0.25)
    curve = Curve("fidelity", "oversample", None)
    points = [{"generator": "oversample", "target": None, "strength": s, "score": 1 - s,
               "ci": [max(0.0, 0.9 - s), min(1.0, 1.1 - s)]} for s in (0.0, 0.25, 0.5, 0.75, 1.0)]
    placed = place(0.55, curve, points, check_curve(curve, points))
    assert placed["status"] == "placed" and placed["strength"] == pytest.approx(0.45)
    assert placed["interval"] == pytest.approx([0.35, 0.55])
    assert "≈ 45% of trajectories replaced by copies" in placed["text"] and "35%–55%" in placed["text"]
    low = [{**p, "ci": [p["score"], p["score"]]} for p in points]
    low[0] = {**low[0], "score": 0.8, "ci": [0.8, 0.8]}
    assert place(0.9, curve, low)["status"] == "above_range"
    assert place(None, curve, points)["status"] == "no_score"
    aggregates = {"scale": "group", "scores": {"s": {"fidelity": 0.5}}, "targets": {}}
    calibration = {"curves": {"fidelity": points}, "checks": []}
    assert place_member(aggregates, "s", calibration)["fidelity"][0]["status"] == "scale_mismatch"  # type: ignore[arg-type]


class SweepPreset(GenericPreset):
    """A preset adding one damage through the ``calibration_sweeps`` hook."""

    def calibration_sweeps(self, trajectories):  # type: ignore[no-untyped-def]
        return (CalibrationSweep("oversample", "diversity", "rows duplicated by the preset's sweep",
                                 options={"dup_indices": [0]}),)


def test_a_preset_sweep_adds_its_curve() -> None:
    with Evaluator(generic_set(16), LEXICAL, preset=SweepPreset(), progress=False) as evaluator:
        calibrator = Calibrator(evaluator, STRENGTHS, repeats=1)
        calibrator.preset_curves()
    points = calibrator.points["diversity"]
    assert [p["strength"] for p in points] == list(STRENGTHS) and points[-1]["score"] == pytest.approx(0.0)
    assert points[0]["score"] > points[-1]["score"] + MIN_DROP
    assert calibrator.meanings["oversample"]  # the built-in meaning kept


def _write(path: Path, trajectories: list[Trajectory]) -> Path:
    path.write_text("".join(t.model_dump_json() + "\n" for t in trajectories), encoding="utf-8")
    return path


def test_calibrate_command_then_evaluate_places_the_set(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    real = _write(tmp_path / "chat<b>.jsonl", generic_set(20).trajectories)  # a name the page must escape
    copies = [chat(i).model_copy(update={"id": f"s{i}"}) for i in range(10)]
    copies += [chat(3).model_copy(update={"id": f"d{i}"}) for i in range(10)]
    synthetic = _write(tmp_path / "syn.jsonl", copies)
    code, out, err = run_synae(["calibrate", "--real", real, "--out", "cal", "--embedder", "lexical",
                                "--strengths", "0,0.5,1", "--repeats", "2", "--seed", "7"],
                               capsys, monkeypatch)
    assert code == 0, err
    record = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert record["config"]["seeds"] == [7, 8] and record["config"]["strengths"] == [0.0, 0.5, 1.0]
    assert record["config"]["ci"] == "min-max over seeds" and "falls" in out
    page = (tmp_path / "cal" / "calibration.html").read_text()
    assert "chat&lt;b&gt;" in page and "<b>.jsonl" not in page and page.count("<svg") == 4
    code, out, err = run_synae(["evaluate", "--real", real, "--synthetic", synthetic, "--embedder", "lexical",
                                "--validity", "rules", "--calibration", "cal", "--out", "ev.json",
                                "--report", "ev.html"], capsys, monkeypatch)
    assert code == 0, err
    aggregates = json.loads((tmp_path / "ev.json").read_text())["aggregates"]
    placed = aggregates["calibration"]["syn"]
    assert {p["status"] for p in placed["diversity"]} == {"placed"}
    assert 0.2 < placed["diversity"][0]["strength"] < 0.9  # half the set is copies of one trajectory
    assert aggregates["calibration_source"]["same_real"] is True
    assert "replaced by copies of one trajectory" in out
    html = (tmp_path / "ev.html").read_text()
    assert 'href="./cal/calibration.html"' in html and placed["diversity"][0]["text"] in html
    code, _, err = run_synae(["evaluate", "--real", real, "--synthetic", synthetic, "--embedder", "lexical",
                              "--calibration", "nowhere"], capsys, monkeypatch)
    assert code == 2 and "no calibration here" in err
