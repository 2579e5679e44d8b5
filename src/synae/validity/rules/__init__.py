"""Rule-based validity checkers, usable without any LLM (``validity_downstream.md`` §2).

:func:`rule_checkers` returns one checker per validity target of a preset:

| preset | checkers |
|---|---|
| ``t1`` | :class:`T1ToolCallChecker` (§2.3), :class:`T1OutputChecker` (§2.4) |
| ``bfcl`` | :class:`BFCLToolCallChecker` (§2.5) |
| ``acp`` | :class:`ACPOutputChecker` (§2.6) |
| ``generic`` | :class:`SchemaChecker` (§2.2) |

Options come from ``config.validity`` (:class:`synae.config.ValiditySettings`): ``t1_output_strict``,
``t1_positional`` (``error``/``map``), ``bfcl_grounding``. ``sources`` (id → trajectory)
lets the T1 ``equivalent`` and ACP ``provenance`` rules compare generated trajectories with their
source items.

Example::

    from synae.adapters import load_dataset
    from synae.validity.rules import rule_checkers

    data = load_dataset("shared/data/bfcl/BFCL_v4_multi_turn_base.json")
    [checker] = rule_checkers("bfcl", None)
    verdicts = checker.check_all(data.trajectories)
    print(sum(v.valid for v in verdicts), "of", len(verdicts), "valid")
"""

from __future__ import annotations

from collections.abc import Mapping

from synae.config import Config
from synae.errors import ConfigError
from synae.schema import Trajectory
from synae.validity.rules.acp import ACPOutputChecker
from synae.validity.rules.bfcl import BFCLToolCallChecker
from synae.validity.rules.schema import SchemaChecker
from synae.validity.rules.t1 import T1OutputChecker, T1ToolCallChecker
from synae.validity.verdict import Checker

PRESETS = ("t1", "bfcl", "acp", "generic")


def rule_checkers(preset_name: str, config: Config | None = None, *,
                  sources: Mapping[str, Trajectory] | None = None) -> list[Checker]:
    """The rule-based checkers of a preset, one per validity target."""
    settings = (config or Config()).validity
    if preset_name == "t1":
        positional = settings.t1_positional
        strict = settings.t1_output_strict
        return [T1ToolCallChecker(sources, positional=positional),
                T1OutputChecker(strict=strict, positional=positional)]
    if preset_name == "bfcl":
        return [BFCLToolCallChecker(grounding=settings.bfcl_grounding)]
    if preset_name == "acp":
        return [ACPOutputChecker(sources)]
    if preset_name == "generic":
        return [SchemaChecker()]
    raise ConfigError(f"no rule-based checkers for preset {preset_name!r} (known: {', '.join(PRESETS)})")


__all__ = ["ACPOutputChecker", "BFCLToolCallChecker", "SchemaChecker", "T1OutputChecker", "T1ToolCallChecker",
           "rule_checkers"]
