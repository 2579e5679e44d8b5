"""ACPBench preset (``data.md`` §4, ``metrics.md`` §4).

``domain`` — the first rule whose needle occurs (case-sensitive substring) in the context (line 1 of
the first user message), ``None`` otherwise; ``group`` — stored ``attributes.group`` (not derivable);
``token_length`` — whitespace tokens of line 1 + line 2 (context + question) of the first user
message. AD uses ``domain`` (default) or, in the reference profile, the token-length *values* as
labels (the research's bug, ``metrics.md`` §2.6).
"""

from __future__ import annotations

from typing import Any

from synae.attributes import RuleAttribute, token_count
from synae.presets.base import Preset
from synae.schema import Trajectory

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

    def ad_attributes(self, options=None, trajectories=None) -> list[str]:
        choice = options.acp_ad if options is not None and options.acp_ad else "domain"
        return [choice]

    def ad_label(self, traj: Trajectory, attribute: str, options) -> str:
        if attribute == "token_length_values":
            return str(token_length(traj))
        return super().ad_label(traj, attribute, options)

    def derive_attributes(self, traj: Trajectory) -> dict[str, Any]:
        return {"group": traj.attributes.get("group"), "domain": domain_of(prompt_lines(traj)[0])}
