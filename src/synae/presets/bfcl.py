"""BFCL multi-turn preset (``docs/method.md`` §1.5, §4).

Derived attributes (recomputed from content, never trusted from storage):

- ``primary_api`` — first of GorillaFileSystem, TradingBot, TravelAPI, VehicleControlAPI in
  ``environment.involved_classes``; ``secondary_api`` — first of TicketAPI, TwitterAPI, MessageAPI,
  MathAPI; ``None`` if none;
- ``conv_len`` — user turns: ``short`` ≤ 2, ``medium`` 3–5, ``long`` ≥ 6;
- ``n_tool_calls`` — calls in total: ``low`` ≤ 4, ``medium`` 5–7, ``high`` ≥ 8;
- ``max_tool_calls_per_turn`` — ``low`` ≤ 2, ``medium`` 3–5, ``high`` ≥ 6;
- ``has_risky_state_update_api`` — an entry of ``environment.path`` (without a path: a call, its
  class found by method name) is one of the risky state updates below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from synae.attributes import bucket, n_tool_calls, n_user_turns, tool_calls_per_turn
from synae.config import Config, MetricOptions
from synae.presets.base import CheckerKind, DataProfile, Preset
from synae.schema import Trajectory

if TYPE_CHECKING:
    from synae.envs.base import ToolEnvironment
    from synae.generate.blankfill import BlankfillStyle
    from synae.generate.fewshot import FewshotStyle
    from synae.generate.invalidate import Invalidation
    from synae.generate.output import ExportFormat
    from synae.validity.verdict import Checker

PRIMARY_APIS = ("GorillaFileSystem", "TradingBot", "TravelAPI", "VehicleControlAPI")
SECONDARY_APIS = ("TicketAPI", "TwitterAPI", "MessageAPI", "MathAPI")
RISKY_STATE_UPDATES = frozenset({
    "GorillaFileSystem.rm", "GorillaFileSystem.rmdir", "TradingBot.cancel_order", "TradingBot.withdraw_funds",
    "TradingBot.remove_stock_from_watchlist", "TravelAPI.cancel_booking",
})
# Method names are unique across the eight classes, so the method name identifies the class.
_RISKY_BY_METHOD = {q.split(".", 1)[1]: q for q in RISKY_STATE_UPDATES}
CONV_LEN = ((2, "short"), (5, "medium"))
N_CALLS = ((4, "low"), (7, "medium"))
MAX_CALLS = ((2, "low"), (5, "medium"))


def involved_classes(traj: Trajectory) -> list[str]:
    classes = (traj.environment or {}).get("involved_classes") or []
    return [str(c) for c in classes]


def first_of(candidates: tuple[str, ...], classes: list[str]) -> str | None:
    return next((c for c in candidates if c in classes), None)


def has_risky_state_update(traj: Trajectory) -> bool:
    """Whether the reference path (or, without one, the calls) include a risky state update."""
    path = (traj.environment or {}).get("path")
    if path:
        return any(str(p) in RISKY_STATE_UPDATES for p in path)
    return any(c.function.name in _RISKY_BY_METHOD
               for m in traj.messages if m.role == "assistant" for c in m.tool_calls or ())


class BFCLPreset(Preset):
    name = "bfcl"
    learns_from_data = False  # fixed AD attributes, the declared AM attributes
    records_tool_results = False  # the benchmark files keep the calls, not their results
    instruction_roles = "user"
    knd_pairs = ("user_user",)
    am_attributes = ("n_turns", "user_token_length", "total_token_length", "primary_api", "secondary_api",
                     "conv_len")
    output_am_attributes = ()
    tool_vocabulary = None
    has_tool_calls = True
    has_outputs = False
    validity_targets = ("tool_calls",)
    downstream_targets = ("tool_calls",)
    environment_kind = "bfcl"
    agent_temperature = 0.001
    empty_turn_shift = True
    downstream_scorers: ClassVar[Mapping[str, Mapping[str, str]]] = {
        "tool_calls": {"default": "bfcl_state", "rules": "bfcl_state", "llm": "judge"}}
    generation_label = "secondary_api"
    relabels = False

    @property
    def declared_tools(self) -> frozenset[str]:
        from synae.adapters.bfcl import function_classes

        return frozenset(function_classes())

    def derived_attributes(self) -> tuple[str, ...]:
        return ("primary_api", "secondary_api", "conv_len", "n_tool_calls", "max_tool_calls_per_turn",
                "has_risky_state_update_api")

    def categorical_label(self, traj: Trajectory, attribute: str) -> str | None:
        if attribute == "primary_api":
            return first_of(PRIMARY_APIS, involved_classes(traj))
        if attribute == "secondary_api":
            return first_of(SECONDARY_APIS, involved_classes(traj))
        if attribute == "conv_len":
            return bucket(n_user_turns(traj), CONV_LEN, "long")
        if attribute == "n_tool_calls":
            return bucket(n_tool_calls(traj), N_CALLS, "high")
        if attribute == "max_tool_calls_per_turn":
            return bucket(max(tool_calls_per_turn(traj), default=0), MAX_CALLS, "high")
        if attribute == "has_risky_state_update_api":
            return str(has_risky_state_update(traj))
        raise KeyError(attribute)

    def ad_attributes(self, options: MetricOptions | None = None,
                      trajectories: Sequence[Trajectory] | DataProfile | None = None) -> list[str]:
        if options is not None and options.bfcl_ad_attributes:
            return list(options.bfcl_ad_attributes)
        return ["primary_api", "secondary_api"]

    def default_checker(self, judge_configured: bool) -> CheckerKind:
        return "rules"

    def rule_checkers(self, config: Config | None = None, *,
                      sources: Mapping[str, Trajectory] | None = None) -> list[Checker]:
        """Tool calls (§6.8); options ``bfcl_grounding``, ``trajectory_seconds``."""
        from synae.validity.rules.bfcl import BFCLToolCallChecker

        settings = (config or Config()).validity
        return [BFCLToolCallChecker(grounding=settings.bfcl_grounding, seconds=settings.trajectory_seconds)]

    def agent_environment(self, reference: Trajectory) -> ToolEnvironment:
        """The BFCL classes of ``environment.involved_classes`` from ``environment.initial_config``."""
        from synae.envs.bfcl import BFCLEnvironment

        env = reference.environment or {}
        return BFCLEnvironment(env.get("involved_classes") or [], env.get("initial_config") or {})

    def completion_environment(self, trajectory: Trajectory, source: Trajectory | None) -> ToolEnvironment:
        """A generated trajectory carries its own configuration: its BFCL environment."""
        return self.agent_environment(trajectory)

    # ----------------------------------------------------------------------------------------
    # Generator hooks

    def invalidation_targets(self, trajectories: Sequence[Trajectory]) -> tuple[str, ...]:
        return ("tool_calls",)

    def invalidation(self, target: str, trajectories: Sequence[Trajectory], *,
                     vocabulary: Any = None) -> Invalidation:
        """Single-quoted literals of the call strings → ``'invalid'`` (§8.4)."""
        from synae.generate.invalidate import Invalidation, bfcl_tool_calls

        if target != "tool_calls":
            raise KeyError(target)
        return Invalidation(target, bfcl_tool_calls, reference_with_replacement=True)

    @property
    def export_formats(self) -> Mapping[str, ExportFormat]:
        """BFCL's questions JSONL plus the ``possible_answer`` ground truth next to it."""
        from synae.adapters.export import bfcl_answers_path
        from synae.generate.output import ExportFormat

        return {"bfcl": ExportFormat(".json", companion=bfcl_answers_path)}

    def blankfill_style(self) -> BlankfillStyle:
        from synae.generate.blankfill import BFCLBlankfill

        return BFCLBlankfill()

    def fewshot_style(self) -> FewshotStyle:
        from synae.generate.fewshot import BFCLFewshot

        return BFCLFewshot()

    def derive_attributes(self, traj: Trajectory) -> dict[str, Any]:
        out: dict[str, Any] = {a: self.categorical_label(traj, a) for a in self.derived_attributes()}
        out["has_risky_state_update_api"] = has_risky_state_update(traj)
        return out
