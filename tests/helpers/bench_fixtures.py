"""A small benchmark data folder of the real data's shape, written by the tests themselves.

:func:`write_bench_data` writes ``t1/``, ``acp/`` and ``bfcl/`` with the file names and columns of
the real data folder (``$SYNAE_DATA_DIR``), so that every test that only needs *some* data of a
benchmark's shape runs on a fresh clone:

- ``t1/``: an attraction ontology of well-known US landmarks (names, rounded coordinates and
  neighbourhoods written for these tests) and invented conversations over it, in the turn-level,
  conversation-level, raw-split and prototype layouts, plus per-conversation labels. No row comes
  from the T1 dataset (its license is unconfirmed).
- ``acp/``: invented ACPBench-style yes/no questions, two per domain and group, as CSV and Parquet,
  plus per-item domain labels. No row comes from ACPBench.
- ``bfcl/``: BFCL multi-turn base as the installed ``bfcl-eval`` package ships it (questions, ground
  truth, function docs; identical to the real folder's newer copy) and the same entries in the older
  copy's two-file layout (``v_older/``). Its per-entry labels (``classification.csv``) are not written.

Everything is deterministic: the same call writes the same bytes.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

from synae.datapaths import bundled_bfcl_dir

# (city, state, attraction_name, type, latitude, longitude, neighborhood)
ONTOLOGY: tuple[tuple[str, str, str, str, float, float, str], ...] = (
    ("Boston", "MA", "Museum of Fine Arts", "Art", 42.34, -71.09, "Fenway"),
    ("Boston", "MA", "Paul Revere House", "Historical", 42.36, -71.05, "North End"),
    ("Boston", "MA", "Old North Church", "Historical", 42.37, -71.05, "North End"),
    ("Boston", "MA", "Bunker Hill Monument", "Historical", 42.38, -71.06, "Charlestown"),
    ("Boston", "MA", "USS Constitution", "Historical", 42.37, -71.06, "Charlestown"),
    ("Boston", "MA", "Fenway Park", "Sporting", 42.35, -71.10, "Fenway"),
    ("Boston", "MA", "Public Garden", "Scenic", 42.35, -71.07, "Back Bay"),
    ("New York", "NY", "Metropolitan Museum of Art", "Art", 40.78, -73.96, "Manhattan"),
    ("New York", "NY", "Times Square", "Social", 40.76, -73.99, "Manhattan"),
    ("New York", "NY", "Museum of Modern Art", "Art", 40.76, -73.98, "Manhattan"),
    ("New York", "NY", "Brooklyn Botanic Garden", "Scenic", 40.67, -73.96, "Brooklyn"),
    ("New York", "NY", "Chelsea Market", "Culinary", 40.74, -74.01, "Manhattan"),
    ("San Francisco", "CA", "Golden Gate Bridge", "Scenic", 37.82, -122.48, "Presidio"),
    ("San Francisco", "CA", "Alcatraz Island", "Historical", 37.83, -122.42, "Fisherman's Wharf"),
    ("San Francisco", "CA", "Ferry Building", "Culinary", 37.80, -122.39, "Embarcadero"),
    ("Los Angeles", "CA", "Griffith Observatory", "Scenic", 34.12, -118.30, "Los Feliz"),
    ("Los Angeles", "CA", "Getty Center", "Art", 34.08, -118.47, "Brentwood"),
    ("Chicago", "IL", "Art Institute of Chicago", "Art", 41.88, -87.62, "Loop"),
    ("Chicago", "IL", "Wrigley Field", "Sporting", 41.95, -87.66, "Lakeview"),
    ("Chicago", "IL", "Chicago Architecture Center Tour", "Guided", 41.89, -87.62, "Loop"),
    ("Portland", "OR", "Washington Park", "Scenic", 45.51, -122.71, "Southwest Hills"),
    ("Portland", "OR", "Powell's City of Books", "Cultural", 45.52, -122.68, "Pearl District"),
    ("Portland", "ME", "Portland Head Light", "Scenic", 43.62, -70.21, "Cape Elizabeth"),
    ("Atlanta", "GA", "Martin Luther King Jr. National Historical Park", "Historical", 33.76, -84.37,
     "Sweet Auburn"),
    ("Atlanta", "GA", "Georgia Aquarium", "Touristy", 33.76, -84.39, "Downtown"),
    ("St. Louis", "MO", "Gateway Arch", "Touristy", 38.62, -90.18, "Downtown"),
    ("Memphis", "TN", "Graceland", "Touristy", 35.05, -90.03, "Whitehaven"),
    ("Memphis", "TN", "National Civil Rights Museum", "Historical", 35.13, -90.06, "Downtown"),
    ("Nashville", "TN", "Country Music Hall of Fame", "Cultural", 36.16, -86.78, "Downtown"),
    ("Nashville", "TN", "Broadway Food Walk", "Culinary", 36.16, -86.78, "Downtown"),
    ("Denver", "CO", "Red Rocks Park", "Scenic", 39.67, -105.21, "Morrison"),
    ("Denver", "CO", "Denver Art Museum", "Art", 39.74, -104.99, "Golden Triangle"),
    ("Colorado Springs", "CO", "Garden of the Gods", "Scenic", 38.88, -104.88, "Westside"),
    ("Colorado Springs", "CO", "Pikes Peak Cog Railway Tour", "Guided", 38.84, -104.93, "Manitou"),
    ("Las Vegas", "NV", "Fremont Street Experience", "Social", 36.17, -115.14, "Downtown"),
    ("Las Vegas", "NV", "Neon Museum", "Art", 36.18, -115.14, "Downtown"),
    ("San Antonio", "TX", "The Alamo", "Historical", 29.43, -98.49, "Downtown"),
    ("San Antonio", "TX", "River Walk", "Social", 29.42, -98.49, "Downtown"),
    ("Austin", "TX", "Texas State Capitol Tour", "Guided", 30.27, -97.74, "Downtown"),
    ("Seattle", "WA", "Pike Place Market", "Culinary", 47.61, -122.34, "Downtown"),
    ("Seattle", "WA", "Space Needle", "Touristy", 47.62, -122.35, "Lower Queen Anne"),
    ("Anchorage", "AK", "Alaska Native Heritage Center", "Cultural", 61.23, -149.72, "Muldoon"),
    ("Phoenix", "AZ", "Desert Botanical Garden", "Scenic", 33.46, -111.94, "Papago"),
)

ONTOLOGY_HEADER = ("", "city", "state", "attraction_name", "type", "latitude", "longitude", "neighborhood")
T1_TURN_HEADER = ("ID", "Template", "Plan", "Filled_Template", "Filled_Plan", "Output")


@dataclass(frozen=True)
class T1Turn:
    """One row of a turn-level T1 file: the utterance and plan with placeholders, and their values."""

    template: str
    plan: str
    values: dict[str, str]

    def fill(self, text: str) -> str:
        for key, value in self.values.items():
            text = text.replace(f"<{key}>", value)
        return text


def _where(city: str, state: str, kind: str, neighborhood: str | None = None) -> list[str]:
    return [r[2] for r in ONTOLOGY if r[0] == city and r[1] == state and r[3] == kind
            and (neighborhood is None or r[6] == neighborhood)]


def t1_conversation(i: int) -> tuple[list[T1Turn], str, dict[str, str]]:
    """Conversation ``i``: its turns, its output and its labels (``Type``, ``City``, ``State``).

    It searches the ``i``-th (city, state, type) of the ontology (cycling) by city (even ``i``) or by
    state (odd ``i``); ``i % 3 == 1`` narrows the results to one neighbourhood in a second plan (also
    sorted by name when ``i`` is odd: a four-call plan), and otherwise ``i % 4 == 2`` searches
    without caching (a one-call plan)."""
    combos = list(dict.fromkeys((r[0], r[1], r[3]) for r in ONTOLOGY))
    city, state, kind = combos[(7 * i) % len(combos)]
    hood = next(r[6] for r in ONTOLOGY if (r[0], r[1], r[3]) == (city, state, kind))
    values = {"CITY_1": city, "STATE_1": state, "ATTRACTION_TYPE_1": kind, "NEIGHBORHOOD_1": hood}
    by_city, narrowed = i % 2 == 0, i % 3 == 1
    place, arg = ("<CITY_1>", "city") if by_city else ("<STATE_1>", "state")
    search = f'attractions = search_attractions({arg}="{place}", type=["<ATTRACTION_TYPE_1>"])'
    if narrowed or i % 4 != 2:
        search += '\nsave_to_cache(key="attractions", value=attractions)'
    turns = [
        T1Turn("assistant: Hello! What kind of places do you like to visit?", "", values),
        T1Turn(f"user: I'm going to {place} soon and I love <ATTRACTION_TYPE_1> attractions.", search,
               values),
        T1Turn(f"assistant: {place} has some great <ATTRACTION_TYPE_1> spots. Any part of town you prefer?",
               "", values),
    ]
    if narrowed:
        sort = 'filtered = sort_results(results=filtered, column="attraction_name")\n' if i % 2 else ""
        turns.append(T1Turn(
            "user: Somewhere in <NEIGHBORHOOD_1> would be perfect.",
            'attractions = get_results_from_cache(key="attractions")\n'
            'filtered = filter_attractions(prior_results=attractions, neighborhood=["<NEIGHBORHOOD_1>"])\n'
            f'{sort}save_to_cache(key="filtered", value=filtered)', values))
    else:
        turns.append(T1Turn("user: No preference, anywhere is fine.", "", values))
    turns += [T1Turn("assistant: Here is what I found for you.", "", values),
              T1Turn(f"user: Thanks, that sounds great (trip {i}).", "", values)]
    found = _where(city, state, kind, hood if narrowed else None) if by_city else [
        r[2] for r in ONTOLOGY if r[1] == state and r[3] == kind and (not narrowed or r[6] == hood)]
    found = sorted(found) if narrowed and i % 2 else found
    output = f"I recommend {', '.join(found)}." if found else "I could not find a match."
    labels = {"Type": kind, "City": city if by_city else "", "State": "" if by_city else state}
    return turns, output, labels


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_ontology(path: Path) -> Path:
    _write_csv(path, ONTOLOGY_HEADER, [(k, *r) for k, r in enumerate(ONTOLOGY)])
    return path


def t1_turn_rows(ids: list[int], *, output: bool = True) -> list[tuple[object, ...]]:
    """Turn-level rows (``T1_TURN_HEADER``, without ``Output`` when ``output`` is false) of the
    conversations ``ids``; the output sits on each conversation's last row."""
    rows: list[tuple[object, ...]] = []
    for i in ids:
        turns, out, _ = t1_conversation(i)
        for k, turn in enumerate(turns):
            row = (i, turn.template, turn.plan, turn.fill(turn.template), turn.fill(turn.plan))
            rows.append((*row, out if k == len(turns) - 1 else "") if output else row)
    return rows


def t1_conversation_rows(ids: list[int]) -> list[tuple[object, ...]]:
    """Conversation-level rows (``ID, Data, Tool Call, Output``) of the conversations ``ids``."""
    rows: list[tuple[object, ...]] = []
    for i in ids:
        turns, out, _ = t1_conversation(i)
        data = "\n".join(t.fill(t.template) for t in turns)
        calls = "\n".join(t.fill(t.plan) for t in turns if t.plan)
        rows.append((i, data, calls, out))
    return rows


def write_t1(folder: Path, n: int = 60) -> Path:
    """``folder`` with the T1 files: ``n`` turn-level conversations (ids 0..n-1, in that order), the
    same conversations in the conversation-level ``_augmented`` file and its ``_valid`` subset (ids
    from 10 not divisible by 3: city and state searches alternate), both in string-ID order like the
    real ones, the raw split (the first ten), a prototype set (ten more, one failed plan), labels and
    the ontology."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = list(range(n))
    write_ontology(folder / "ontology_attractions.csv")
    _write_csv(folder / "t1_attraction_turns_with_output.csv", T1_TURN_HEADER, t1_turn_rows(ids))
    _write_csv(folder / "t1_attraction_turns.csv", T1_TURN_HEADER[:-1], t1_turn_rows(ids, output=False))
    by_text = sorted(ids, key=str)
    _write_csv(folder / "t1_attraction_augmented.csv", ("ID", "Data", "Tool Call", "Output"),
               t1_conversation_rows(by_text))
    _write_csv(folder / "t1_attraction_augmented_valid.csv", ("ID", "Data", "Tool Call", "Output"),
               t1_conversation_rows([i for i in by_text if i >= 10 and i % 3 != 0]))
    raw = t1_turn_rows(ids[:10], output=False)
    _write_csv(folder / "raw_attraction_train_1.csv", ("", *T1_TURN_HEADER[:-1]),
               [(k, *row) for k, row in enumerate(raw)])
    prototype: list[tuple[object, ...]] = []
    for row in t1_turn_rows([n + k for k in range(10)]):
        tid, _, plan, filled, filled_plan, out = row
        error = "" if not plan else ("name 'x' is not defined" if tid == n + 3 else "success")
        prototype.append((tid, filled, filled_plan, error, out))
    _write_csv(folder / "synthetic_prototype_claude_turns.csv",
               ("ID", "Filled_Template", "Filled_Plan", "generated_code_error", "Output"), prototype)
    _write_csv(folder / "classification.csv", ("ID", "Type", "City", "State"),
               [(i, *t1_conversation(i)[2].values()) for i in ids])
    return folder


# ACP: one context per domain, each containing the needle the ACP preset recognises it by.
ACP_CONTEXTS: tuple[tuple[str, str], ...] = (
    ("ferry", "This is a ferry domain: a ferry moves cars c0 and c1 between locations l0 and l1. "
              "The ferry is at l0 and is empty; c0 is at l0 and c1 is at l1."),
    ("logistics", "There are several cities, each with locations; trucks drive within a city and "
                  "airplanes fly between airports. Package p0 is at l0-0 and truck t0 is at l0-0."),
    ("blocksworld", "This is a blocksworld domain with one arm. Block b1 is on block b2, block b2 is "
                    "on the table and the arm is empty."),
    ("grid", "A robot is in a grid and can only move to places that are connected to its current "
             "position. The robot is at f0-0f and holds no key; key k0 is at f1-0f."),
    ("floortile", "A set of robots use different colors to paint floor tiles. Robot r1 is at tile_1 "
                  "holding white paint; tile_2 is clear."),
    ("grippers", "This is a grippers domain: a robot with two grippers carries balls between rooms. "
                 "The robot is in room1 and ball1 is in room1."),
    ("rovers", "This is a Rovers domain: rover r0 at waypoint w0 can sample rock and soil and send "
               "data to the lander. Its store s0 is empty."),
    ("visitall", "This is a visitall domain: a robot must visit every cell of the grid. The robot is "
                 "at loc-x0-y0 and loc-x0-y1 is not yet visited."),
    ("depot", "This is a depot domain mixing blocks and logistics: hoist h0 at depot0 is free and "
              "crate c0 sits on pallet p0."),
    ("goldminer", "A robotic arm is in a grid and can only move to locations that are connected to its "
                  "current location. The arm is at f0-0f and the laser is at f0-1f."),
    ("satellite", "This domain has a satellite with instruments that must be calibrated before "
                  "taking images. Instrument i0 is off and the satellite points at star0."),
    ("swap", "This is a swap domain where agents exchange items. Alice holds a book and Bob holds "
             "a lamp."),
    ("alfworld", "This is an alfworld domain where an agent moves objects between receptacles. The "
                 "agent is at the countertop and mug1 is in the cabinet."),
)
ACP_QUESTIONS = {
    "applicable_actions_bool": ("Is the following action applicable in this state: move step {k} "
                                "of the plan in the {domain} task?"),
    "progression_bool": ('Will the fact "goal {k} of the {domain} task holds" hold after performing '
                         'the action "step {k}" in the current state?'),
}
ACP_HEADER = ("id", "group", "context", "question", "answer")


def acp_rows(per_domain: int = 2) -> list[tuple[int, str, str, str, str]]:
    """Invented ACPBench rows: ``per_domain`` per domain and group (applicability first, then
    progression); ids are large signed integers like the real ones, answers alternate yes/no."""
    rows = []
    for g, (group, question) in enumerate(ACP_QUESTIONS.items()):
        for d, (domain, context) in enumerate(ACP_CONTEXTS):
            for k in range(per_domain):
                number = (g * 100 + d) * 10 + k
                tid = (-1) ** number * (10**17 + number * 7_919_000_003)
                rows.append((tid, group, context, question.format(k=k, domain=domain),
                             "yes" if (d + k + g) % 2 == 0 else "no"))
    return rows


def write_acp(folder: Path, per_domain: int = 2) -> Path:
    """``folder`` with ``acp_app_prog.csv``, the two boolean Parquet files (applicability and
    progression) and ``classification.csv`` (``id, type, domain``)."""
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    rows = acp_rows(per_domain)
    _write_csv(folder / "acp_app_prog.csv", ACP_HEADER, list(rows))
    frame = pd.DataFrame(rows, columns=list(ACP_HEADER)).astype({"id": "int64"})
    for name, group in (("acp_app_bool", "applicable_actions_bool"), ("acp_prog_bool", "progression_bool")):
        frame[frame["group"] == group].reset_index(drop=True).to_parquet(folder / f"{name}.parquet")
    domains = {context: domain for domain, context in ACP_CONTEXTS}
    _write_csv(folder / "classification.csv", ("id", "type", "domain"),
               [(r[0], r[1], domains[r[2]]) for r in rows])
    return folder


BFCL_FILE = "BFCL_v4_multi_turn_base.json"


def write_bfcl(folder: Path) -> Path:
    """``folder`` with BFCL multi-turn base from the installed ``bfcl-eval`` package: the questions,
    ``possible_answer/``, ``func_doc/`` and the older copy's layout in ``v_older/`` (questions as
    ``..._instr.json``, ground truth as ``..._tool_calls.json``)."""
    source = bundled_bfcl_dir()
    if source is None:
        raise RuntimeError("the bfcl-eval package is not installed (`make install` installs it)")
    (folder / "possible_answer").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / BFCL_FILE, folder / BFCL_FILE)
    shutil.copyfile(source / "possible_answer" / BFCL_FILE, folder / "possible_answer" / BFCL_FILE)
    shutil.copytree(source / "multi_turn_func_doc", folder / "func_doc", dirs_exist_ok=True)
    older = folder / "v_older"
    older.mkdir(exist_ok=True)
    shutil.copyfile(source / BFCL_FILE, older / "BFCL_v4_multi_turn_base_instr.json")
    shutil.copyfile(source / "possible_answer" / BFCL_FILE, older / "BFCL_v4_multi_turn_base_tool_calls.json")
    return folder


def write_bench_data(root: Path) -> Path:
    """``root`` laid out like the real data folder (see the module docstring)."""
    write_t1(root / "t1")
    write_acp(root / "acp")
    write_bfcl(root / "bfcl")
    (root / "README.md").write_text("Test fixtures of the benchmarks' shape, written by "
                                    "tests/helpers/bench_fixtures.py.\n", encoding="utf-8")
    return root

