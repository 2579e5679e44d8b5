"""Rule-based validity checkers, usable without any LLM (``docs/method.md`` §6.5).

Each benchmark preset returns its checkers, one per validity target
(:meth:`synae.presets.Preset.rule_checkers`):

| preset | checkers |
|---|---|
| ``t1`` | :class:`T1ToolCallChecker` (§6.7), :class:`T1OutputChecker` (§6.7) |
| ``bfcl`` | :class:`BFCLToolCallChecker` (§6.8) |
| ``acp`` | :class:`ACPOutputChecker` (§6.9) |
| ``generic`` | :class:`GenericToolCallChecker`, :class:`GenericOutputChecker` (no environment needed) |

Options come from ``config.validity`` (:class:`synae.config.ValiditySettings`): ``t1_output_strict``,
``t1_positional`` (``error``/``map``), ``bfcl_grounding``. ``sources`` (id → trajectory)
lets the T1 ``equivalent`` and ACP ``provenance`` rules compare generated trajectories with their
source items.

Example::

    from synae.adapters import load_dataset
    from synae.presets import get_preset

    data = load_dataset("shared/data/bfcl/BFCL_v4_multi_turn_base.json")
    [checker] = get_preset("bfcl").rule_checkers()
    verdicts = checker.check_all(data.trajectories)
    print(sum(v.valid for v in verdicts), "of", len(verdicts), "valid")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synae.lazy import lazy_export

if TYPE_CHECKING:
    from synae.validity.rules.acp import ACPOutputChecker
    from synae.validity.rules.bfcl import BFCLToolCallChecker
    from synae.validity.rules.generic import GenericOutputChecker, GenericToolCallChecker
    from synae.validity.rules.schema import SchemaChecker
    from synae.validity.rules.t1 import T1OutputChecker, T1ToolCallChecker

_HOMES = {"ACPOutputChecker": "synae.validity.rules.acp", "BFCLToolCallChecker": "synae.validity.rules.bfcl",
          **dict.fromkeys(("GenericOutputChecker", "GenericToolCallChecker"), "synae.validity.rules.generic"),
          "SchemaChecker": "synae.validity.rules.schema",
          **dict.fromkeys(("T1OutputChecker", "T1ToolCallChecker"), "synae.validity.rules.t1")}


def __getattr__(name: str) -> Any:
    """Each checker is imported from its module on first use: a generic run loads neither the T1
    nor the BFCL environments."""
    return lazy_export(__name__, _HOMES, name)


__all__ = ["ACPOutputChecker", "BFCLToolCallChecker", "GenericOutputChecker", "GenericToolCallChecker",
           "SchemaChecker", "T1OutputChecker", "T1ToolCallChecker"]
