"""T1 travel-attraction preset and the attraction ontology (``data.md`` §2, ``metrics.md`` §4).

Stored attributes (``data.md`` §2.3): ``type``, ``city``, ``state`` — the first ontology term (in
first-appearance order) occurring case-sensitively as a whole word (``\\b<term>\\b``) in the
conversation's utterances joined with ``"\\n"``; ``None`` if none. Metric-side labels of ``city`` and
``type`` are keyword labels of the instruction transcript (case-insensitive; ``word`` or
``substring`` by profile; multi-label for AM, first-match for AD).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from synae.attributes import KeywordVocabulary
from synae.datapaths import data_path
from synae.errors import DataError
from synae.presets.base import Preset
from synae.schema import Trajectory

T1_TOOLS: tuple[str, ...] = ("search_attractions", "filter_attractions", "search_nearest", "sort_results",
                             "get_results_from_cache", "save_to_cache")
ONTOLOGY_COLUMNS = ("city", "state", "attraction_name", "type", "latitude", "longitude", "neighborhood")


@dataclass
class Ontology:
    """The attraction database: ``records`` in file order; value lists in first-appearance order."""

    records: list[dict[str, Any]]
    cities: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    neighborhoods: list[str] = field(default_factory=list)

    @classmethod
    def from_records(cls, records: list[dict[str, Any]]) -> Ontology:
        def distinct(key: str) -> list[str]:
            return list(dict.fromkeys(r[key] for r in records if r[key]))

        return cls(records, distinct("city"), distinct("state"), distinct("type"), distinct("neighborhood"))


def read_ontology(path: str | Path) -> Ontology:
    """Read ``ontology_attractions.csv`` (leading unnamed index column dropped)."""
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise DataError("ontology file not found", source=src)
    records = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ONTOLOGY_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError("missing column", source=src, field=missing[0])
        for number, row in enumerate(reader, start=1):
            record: dict[str, Any] = {c: row[c] for c in ONTOLOGY_COLUMNS}
            for key in ("latitude", "longitude"):
                try:
                    record[key] = float(row[key])
                except ValueError:
                    raise DataError(f"not a number: {row[key]!r}", source=src, location=f"row {number}",
                                    field=key) from None
            records.append(record)
    return Ontology.from_records(records)


@cache
def load_ontology() -> Ontology:
    """The shipped ontology (``t1/ontology_attractions.csv`` under the data folder), cached."""
    return read_ontology(data_path("t1", "ontology_attractions.csv"))


@cache
def _stored_vocabularies() -> dict[str, KeywordVocabulary]:
    onto = load_ontology()
    return {name: KeywordVocabulary(tuple(terms), mode="regex_word", case_sensitive=True)
            for name, terms in (("type", onto.types), ("city", onto.cities), ("state", onto.states))}


def utterance_text(traj: Trajectory) -> str:
    """The conversation's utterances (user and assistant contents, no tool calls) joined with ``"\\n"``."""
    return "\n".join(m.content for m in traj.messages
                     if m.role in ("user", "assistant") and m.content)


class T1Preset(Preset):
    name = "t1"
    instruction_roles = "user+responses"
    knd_pairs = ("user_assistant", "assistant_user")
    am_attributes = ("n_turns", "user_token_length", "assistant_token_length", "total_token_length",
                     "city", "type")
    tool_vocabulary = frozenset(T1_TOOLS)
    has_tool_calls = True
    has_outputs = True
    validity_targets = ("tool_calls", "output")
    downstream_targets = ("tool_calls", "output")
    environment_kind = "t1_attractions"

    @property
    def declared_tools(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset(T1_TOOLS)

    def keyword_vocabularies(self) -> dict[str, tuple[str, ...]]:
        onto = load_ontology()
        return {"city": tuple(onto.cities), "type": tuple(onto.types)}

    def ad_attributes(self, options=None, trajectories=None) -> list[str]:
        return ["city", "type"]

    def derive_attributes(self, traj: Trajectory) -> dict[str, Any]:
        text = utterance_text(traj)
        return {name: vocab.first(text) for name, vocab in _stored_vocabularies().items()}
