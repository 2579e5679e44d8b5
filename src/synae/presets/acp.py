"""ACPBench preset (``docs/method.md`` §1.6, §4).

``domain`` — the first rule whose needle occurs (case-sensitive substring) in the context (line 1 of
the first user message), ``None`` otherwise; ``group`` — stored ``attributes.group`` (not derivable);
``token_length`` — whitespace tokens of line 1 + line 2 (context + question) of the first user
message. AD uses ``domain`` (default) or, in the reference profile, the token-length *values* as
labels (the research's bug, ``docs/method.md`` §3.8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from synae.attributes import RuleAttribute, token_count
from synae.config import Config, MetricOptions
from synae.presets.base import DataProfile, OutputPrompt, Preset
from synae.schema import Trajectory

if TYPE_CHECKING:
    from synae.downstream.loop import AgentLoop
    from synae.generate.blankfill import BlankfillStyle
    from synae.generate.fewshot import FewshotStyle
    from synae.generate.invalidate import Invalidation
    from synae.generate.output import ExportFormat
    from synae.validity.verdict import Checker

DOMAIN_RULES = RuleAttribute((
    ("ferry domain", "ferry"), ("several cities", "logistics"), ("blocksworld domain", "blocksworld"),
    ("robot is in a grid", "grid"), ("set of robots", "floortile"), ("grippers domain", "grippers"),
    ("Rovers domain", "rovers"), ("visitall domain", "visitall"), ("depot domain", "depot"),
    ("robotic arm is in a grid", "goldminer"), ("satellite", "satellite"), ("swap domain", "swap"),
    ("alfworld domain", "alfworld"),
))


def prompt_lines(traj: Trajectory) -> list[str]:
    """Lines of the first user message (context, question, answer format)."""
    first = next((m.content or "" for m in traj.messages if m.role == "user"), "")
    return first.split("\n")


def domain_of(context: str) -> str | None:
    return DOMAIN_RULES.extract(context)


def token_length(traj: Trajectory) -> int:
    """Whitespace tokens of context + question."""
    return sum(token_count(line) for line in prompt_lines(traj)[:2])


class ACPPreset(Preset):
    name = "acp"
    learns_from_data = False  # fixed AD attributes, the declared AM attributes
    records_tool_results = False  # the benchmark files keep the calls, not their results
    rules_use_sources = True  # provenance rules
    instruction_roles = "user"
    knd_pairs = ("context_question",)
    am_attributes = ("token_length", "domain", "group")
    output_am_attributes = ("output_token_length",)
    tool_vocabulary = None
    has_tool_calls = False
    has_outputs = True
    validity_targets = ("output",)
    downstream_targets = ("output",)
    environment_kind = "acp"
    downstream_scorers: ClassVar[Mapping[str, Mapping[str, str]]] = {
        "output": {"default": "exact", "rules": "exact", "llm": "exact"}}
    generation_label = "domain"
    relabels = False

    def extra_numeric_attributes(self) -> tuple[str, ...]:
        return ("token_length",)

    def numeric_values(self, traj: Trajectory, attribute: str) -> list[float]:
        if attribute == "token_length":
            return [float(token_length(traj))]
        return super().numeric_values(traj, attribute)

    def derived_attributes(self) -> tuple[str, ...]:
        return ("domain",)

    def categorical_label(self, traj: Trajectory, attribute: str) -> str | None:
        if attribute == "domain":
            return domain_of(prompt_lines(traj)[0])
        raise KeyError(attribute)

    def ad_attributes(self, options: MetricOptions | None = None,
                      trajectories: Sequence[Trajectory] | DataProfile | None = None) -> list[str]:
        choice = options.acp_ad if options is not None and options.acp_ad else "domain"
        return [choice]

    def ad_label(self, traj: Trajectory, attribute: str, options: MetricOptions | None) -> str:
        if attribute == "token_length_values":
            return str(token_length(traj))
        return super().ad_label(traj, attribute, options)

    def rule_checkers(self, config: Config | None = None, *,
                      sources: Mapping[str, Trajectory] | None = None) -> list[Checker]:
        """Output (§6.9), with provenance from ``sources``."""
        from synae.validity.rules.acp import ACPOutputChecker

        return [ACPOutputChecker(sources)]

    @property
    def judge_output_prompt(self) -> OutputPrompt | None:
        from synae.validity.prompts import acp_output_validity_prompt

        return acp_output_validity_prompt

    @property
    def agent_loop(self) -> AgentLoop:
        """One question, one yes/no answer (§7.5)."""
        from synae.downstream.loop import ANSWER_LOOP

        return ANSWER_LOOP

    # ----------------------------------------------------------------------------------------
    # Generator hooks

    def invalidation_targets(self, trajectories: Sequence[Trajectory]) -> tuple[str, ...]:
        return ("answer",)

    def invalidation(self, target: str, trajectories: Sequence[Trajectory], *,
                     vocabulary: Any = None) -> Invalidation:
        """The yes/no answer flipped (§8.4); ``output`` is another name of ``answer``."""
        from synae.generate.invalidate import Invalidation, flip_answer

        if target not in ("answer", "output"):
            raise KeyError(target)
        return Invalidation("answer", flip_answer, reference_with_replacement=True)

    def generation_grid(self, method: str) -> tuple[Any, ...] | None:
        """``invalidate`` sweeps the coarse fraction grid (the research's ACP sweep)."""
        from synae.generate.registry import FRACTION_GRID

        return FRACTION_GRID if method == "invalidate" else None

    @property
    def export_formats(self) -> Mapping[str, ExportFormat]:
        """``id,group,context,question,answer``."""
        from synae.generate.output import ExportFormat

        return {"acp-csv": ExportFormat(".csv")}

    def blankfill_style(self) -> BlankfillStyle:
        from synae.generate.blankfill import ACPBlankfill

        return ACPBlankfill()

    def fewshot_style(self) -> FewshotStyle:
        from synae.generate.fewshot import ACPFewshot

        return ACPFewshot()

    def derive_attributes(self, traj: Trajectory) -> dict[str, Any]:
        return {"group": traj.attributes.get("group"), "domain": domain_of(prompt_lines(traj)[0])}
