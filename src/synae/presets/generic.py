"""The ``generic`` preset: any tool-calling dataset without benchmark-specific rules.

Instructions are user messages and responses; KND uses every pair type that has pairs; AD uses the
attributes listed in the config (default: every categorical attribute present in all trajectories,
then the categorical named fields). Validity and downstream targets apply when the data has tool
calls / outputs; the rule checkers are :mod:`synae.validity.rules.generic`.

Attributes learned from the data (AM uses all of them, in this order, after the base numeric
attributes ``n_turns``, ``user_token_length``, ``assistant_token_length``, ``total_token_length``):

- ``n_user_turns`` (numeric, per trajectory): user messages;
- ``n_tool_calls`` (numeric, per trajectory) and ``tools_used`` (categorical, multi-label: the
  distinct tool names called, sorted; ``"None"`` without calls) — only when the real set has a
  tool call;
- each named field of ``attribute_fields`` (``--attribute-field FIELD``): a dotted path from the record
  root (``metadata.difficulty``, ``attributes.topic``, or a top-level key such as ``category``)
  holding a scalar. Its kind is learned from the real set (numeric when every present value is a
  number — booleans are labels — else categorical), so every synthetic set is measured the same
  way; numeric: W over the trajectories whose value is a number; categorical: one label per
  trajectory, ``"None"`` when missing. A list or object value is a :class:`DataError` naming the
  trajectory and the field;
- every other key of ``attributes`` that occurs in the real set (numbers → W, strings/booleans →
  TV, lists → multi-label TV, missing → ``"None"``).

A learned attribute is recomputed from the content even when ``attributes`` stores a key of the
same name. In AD, ``tools_used`` gives the label ``"a|b"`` (the sorted names) and the numeric ones
their integer value; name them in ``metrics.ad_attributes`` to use them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from synae.attributes import TextTokenCounts, field_scalar, n_tool_calls, n_user_turns
from synae.config import Config, MetricOptions
from synae.presets.base import (
    NONE,
    AttributeKind,
    AttributeValues,
    DataProfile,
    KindFold,
    Preset,
    is_number,
    label_text,
)
from synae.schema import Trajectory

if TYPE_CHECKING:
    from synae.downstream.scoring import Target
    from synae.validity.verdict import Checker, CheckTarget

LEARNED_NUMERIC = ("n_user_turns", "n_tool_calls")
TOOLS_USED = "tools_used"


def _has_calls(trajectories: Sequence[Trajectory], *, code: bool) -> bool:
    return any(m.tool_calls or (code and m.code) for t in trajectories for m in t.messages)


def tools_used(traj: Trajectory) -> list[str]:
    """The distinct tool names ``traj`` calls, sorted; ``["None"]`` when it calls none."""
    return sorted({c.function.name for m in traj.messages for c in m.tool_calls or ()}) or [NONE]


class GenericPreset(Preset):
    """The generic preset; ``attribute_fields`` are the named scalar fields (module docstring).

    The kinds of the named fields are learned from the real set by :meth:`am_attribute_names` /
    :meth:`ad_attributes` (the evaluator calls both with the real set's :class:`DataProfile` first).
    """

    name = "generic"

    def __init__(self, attribute_fields: Sequence[str] = ()) -> None:
        self.attribute_fields: tuple[str, ...] = tuple(dict.fromkeys(attribute_fields))
        self._field_kinds: dict[str, AttributeKind] = {}

    def _learn_field_kinds(self, real: DataProfile) -> None:
        if real.n:
            self._field_kinds = {f: real.field_kind(f) for f in self.attribute_fields}

    def _field_kind(self, field: str, trajectories: Sequence[Trajectory]) -> AttributeKind:
        """The learned kind, else the kind of ``trajectories``."""
        if field in self._field_kinds:
            return self._field_kinds[field]
        fold = KindFold()
        for t in trajectories:
            fold.add(field_scalar(t, field))
        return fold.kind

    def am_attribute_names(self, real: Sequence[Trajectory] | DataProfile = ()) -> list[str]:
        """The base numeric attributes, the learned ones, the named fields, then the stored ones."""
        profile = self.profile_of(real)
        self._learn_field_kinds(profile)
        calls = (LEARNED_NUMERIC[1], TOOLS_USED) if profile.has_calls else ()
        learned = [LEARNED_NUMERIC[0], *calls]
        names = dict.fromkeys([*self.am_attributes, *learned, *self.attribute_fields])
        return [*names, *(k for k in profile.keys if k not in names)]

    def is_stored_attribute(self, attribute: str) -> bool:
        return (attribute != TOOLS_USED and attribute not in self.attribute_fields
                and super().is_stored_attribute(attribute))

    def extra_numeric_attributes(self) -> tuple[str, ...]:
        """``n_user_turns``, ``n_tool_calls`` and the named fields learned as numeric."""
        numeric = (f for f in self.attribute_fields if self._field_kinds.get(f) == "numeric")
        return (*LEARNED_NUMERIC, *numeric)

    def counted_attributes(self) -> dict[str, Callable[[TextTokenCounts], list[float]]]:
        """The base ones, ``n_user_turns`` and ``n_tool_calls``."""
        return {**super().counted_attributes(), "n_user_turns": lambda c: [float(len(c.user))],
                "n_tool_calls": lambda c: [float(c.tool_calls)]}

    def numeric_values(self, traj: Trajectory, attribute: str) -> list[float]:
        if attribute == "n_user_turns":
            return [float(n_user_turns(traj))]
        if attribute == "n_tool_calls":
            return [float(n_tool_calls(traj))]
        if attribute in self.attribute_fields:
            value = field_scalar(traj, attribute)
            return [float(value)] if is_number(value) else []
        return super().numeric_values(traj, attribute)

    def attribute_values(self, trajectories: Sequence[Trajectory], attribute: str,
                         options: MetricOptions | None = None) -> AttributeValues:
        if attribute == TOOLS_USED:
            return AttributeValues("categorical", [tools_used(t) for t in trajectories])
        if attribute in self.attribute_fields:
            if self._field_kind(attribute, trajectories) == "numeric":
                return AttributeValues("numeric", [v for t in trajectories
                                                   for v in self.numeric_values(t, attribute)])
            return AttributeValues("categorical", [[label_text(field_scalar(t, attribute))]
                                                   for t in trajectories])
        return super().attribute_values(trajectories, attribute, options)

    def ad_attributes(self, options: MetricOptions | None = None,
                      trajectories: Sequence[Trajectory] | DataProfile | None = None) -> list[str]:
        """The base rule (``options.ad_attributes``, else the categorical stored attributes present
        in every trajectory), then the named fields that are categorical in ``trajectories``."""
        if options is not None and options.ad_attributes:
            return list(options.ad_attributes)
        profile = self.profile_of(trajectories or ())
        names = super().ad_attributes(options, profile)
        if not profile.n:
            return names
        self._learn_field_kinds(profile)
        return [*names, *(f for f in self.attribute_fields
                          if f not in names and self._field_kinds[f] == "categorical")]

    def ad_label(self, traj: Trajectory, attribute: str, options: MetricOptions | None) -> str:
        if attribute == TOOLS_USED:
            return "|".join(tools_used(traj))
        if attribute in LEARNED_NUMERIC:
            return str(int(self.numeric_values(traj, attribute)[0]))
        if attribute in self.attribute_fields:
            return label_text(field_scalar(traj, attribute))
        return super().ad_label(traj, attribute, options)

    def rule_checkers(self, config: Config | None = None, *,
                      sources: Mapping[str, Trajectory] | None = None) -> list[Checker]:
        """The environment-free checks: :class:`GenericToolCallChecker` (tool calls parse, names are
        declared, arguments validate against the tools' JSON Schemas, results answer calls) and
        :class:`GenericOutputChecker` (non-empty output, then answer checks: grounded values, tool
        results used, action claims backed by calls, not garbled, not cut off)."""
        from synae.validity.rules.generic import GenericOutputChecker, GenericToolCallChecker

        return [GenericToolCallChecker(), GenericOutputChecker()]

    def validity_targets_for(self, trajectories: Sequence[Trajectory]) -> list[CheckTarget]:
        """Those of ``tool_calls`` (calls or code somewhere) and ``output`` (an output somewhere)
        the data has."""
        present = {"tool_calls": _has_calls(trajectories, code=True),
                   "output": any(t.output is not None for t in trajectories)}
        return [t for t in super().validity_targets_for(trajectories) if present[t]]

    def downstream_targets_for(self, references: Sequence[Trajectory] = ()) -> tuple[Target, ...]:
        """``tool_calls`` when a reference has calls, ``output`` when one has a non-empty output."""
        out: list[Target] = []
        if _has_calls(references, code=False):
            out.append("tool_calls")
        if any(r.output for r in references):
            out.append("output")
        return tuple(out)
