"""Benchmark presets: ``t1``, ``bfcl``, ``acp`` and ``generic`` (``docs/method.md`` §4).

``get_preset(name)`` returns the preset; ``detect_preset(dataset)`` picks one from the data
(``environment.kind``, then ``metadata.benchmark``; ``generic`` otherwise).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence

from synae.errors import ConfigError
from synae.presets.base import AttributeValues, Preset
from synae.presets.generic import GenericPreset
from synae.schema import Trajectory

# name → (module, class): a benchmark preset's module (and the environment and reader it brings)
# is imported only when that preset is used
PRESET_CLASSES: dict[str, tuple[str, str]] = {"t1": ("synae.presets.t1", "T1Preset"),
                                              "bfcl": ("synae.presets.bfcl", "BFCLPreset"),
                                              "acp": ("synae.presets.acp", "ACPPreset"),
                                              "generic": ("synae.presets.generic", "GenericPreset")}
PRESET_NAMES: tuple[str, ...] = tuple(PRESET_CLASSES)
_KIND_TO_PRESET = {"t1_attractions": "t1", "t1": "t1", "bfcl": "bfcl", "acp": "acp"}
_INSTANCES: dict[str, Preset] = {}


def get_preset(name: str, *, attribute_fields: Sequence[str] = ()) -> Preset:
    """The preset called ``name`` (one shared instance per name). With ``attribute_fields`` (record
    fields measured as attributes, ``metrics.attribute_fields``) a fresh, uncached
    :class:`GenericPreset` that measures them — it learns their kinds from the real set it first
    sees; fields for another preset are a :class:`ConfigError`."""
    key = name.strip().lower()
    if key not in PRESET_CLASSES:
        raise ConfigError(f"unknown preset {name!r} (expected one of {', '.join(PRESET_NAMES)})")
    if attribute_fields:
        if key != "generic":
            raise ConfigError(f"attribute fields ({', '.join(attribute_fields)}) apply to the generic "
                              f"preset, not {key!r} (--attribute-field, metrics.attribute_fields)")
        return GenericPreset(attribute_fields=attribute_fields)
    if key not in _INSTANCES:
        module, cls = PRESET_CLASSES[key]
        _INSTANCES[key] = getattr(importlib.import_module(module), cls)()
    return _INSTANCES[key]


def detect_preset(dataset: Iterable[Trajectory]) -> str:
    """The preset of the first trajectory that names its benchmark (``environment.kind`` first,
    then ``metadata.benchmark``); ``generic`` when none does."""
    for traj in dataset:
        kind = (traj.environment or {}).get("kind")
        if kind in _KIND_TO_PRESET:
            return _KIND_TO_PRESET[kind]
        bench = traj.metadata.get("benchmark")
        if bench in _KIND_TO_PRESET:
            return _KIND_TO_PRESET[bench]
    return "generic"


__all__ = ["PRESET_NAMES", "AttributeValues", "Preset", "detect_preset", "get_preset"]
