"""The T1 attraction ontology and tool names (``docs/method.md`` §1.4), shared by the T1 environment, the T1
rule checkers, the T1 generators and the T1 preset.

``ontology_attractions.csv`` has one row per attraction (a leading unnamed index column is
dropped); :class:`Ontology` keeps the records in file order and the distinct cities, states, types
and neighborhoods in first-appearance order. :func:`load_ontology` reads the shipped file once per
process.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from synae.adapters.t1 import T1_TOOLS
from synae.datapaths import data_path
from synae.errors import DataError

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


__all__ = ["ONTOLOGY_COLUMNS", "T1_TOOLS", "Ontology", "load_ontology", "read_ontology"]
