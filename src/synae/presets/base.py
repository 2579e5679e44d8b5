"""The :class:`Preset` base: what a benchmark preset declares and how attribute values are read.

A preset tells the metrics which texts form the instructions (``instruction_roles``), which turn
pairs KND compares, which attributes AM and AD use, the tool vocabulary, and which targets validity
and downstream evaluate (``metrics.md`` §4.1). Attribute *semantics* live here; the metric math
(Wasserstein, TV, entropy) lives in :mod:`synae.metrics`.

Attributes every preset understands (``metrics.md`` §2.2.2, §2.4):

- ``n_turns`` (numeric, per trajectory): messages of the text sequence restricted to
  ``instruction_roles``;
- ``user_token_length`` / ``assistant_token_length`` (numeric, per message): whitespace tokens of each
  user message / response;
- ``total_token_length`` (numeric, per trajectory): whitespace tokens of the instruction transcript;
- ``output_token_length`` (numeric, per present output);
- keyword attributes (categorical, multi-label): vocabulary terms found in the instruction
  transcript, ``"Other"`` if none;
- derived attributes (categorical): the preset's rule (``categorical_label``), ``"None"`` for null;
- anything else, from ``attributes``: numbers → numeric; strings/booleans → one label; lists →
  multi-label; missing → ``"None"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from synae.attributes import NONE, OTHER, KeywordVocabulary, MatchMode, n_turns, token_count
from synae.config import PROFILES, MetricOptions
from synae.schema import Trajectory
from synae.views import InstructionRoles, instruction_transcript, responses, user_messages

AttributeKind = Literal["numeric", "categorical"]
Unit = Literal["trajectories", "messages", "outputs"]

NUMERIC_ATTRIBUTES: dict[str, Unit] = {
    "n_turns": "trajectories",
    "user_token_length": "messages",
    "assistant_token_length": "messages",
    "total_token_length": "trajectories",
    "output_token_length": "outputs",
}


@dataclass
class AttributeValues:
    """Values of one attribute over a set of trajectories.

    ``numeric``: ``values`` is a flat list of floats pooled over items (``unit`` says which items).
    ``categorical``: ``values`` has one list of labels per trajectory (multi-label allowed).
    """

    kind: AttributeKind
    values: list[Any]
    unit: Unit = "trajectories"


def keyword_match_mode(options: MetricOptions | None) -> MatchMode:
    """The effective ``keyword_match`` option (``word`` unless the options say otherwise)."""
    value = options.keyword_match if options is not None else None
    return value or PROFILES["default"]["keyword_match"]


def label_text(value: Any) -> str:
    """A stored scalar as a label; ``None`` → ``"None"``."""
    return NONE if value is None else str(value)


class Preset:
    """Base preset (also the behaviour of ``generic``)."""

    name: ClassVar[str] = "generic"
    instruction_roles: ClassVar[InstructionRoles] = "user+responses"
    knd_pairs: ClassVar[tuple[str, ...]] = ("user_assistant", "assistant_user", "user_user")
    am_attributes: ClassVar[tuple[str, ...]] = ("n_turns", "user_token_length", "assistant_token_length",
                                                 "total_token_length")
    output_am_attributes: ClassVar[tuple[str, ...]] = ("output_token_length",)
    tool_vocabulary: ClassVar[frozenset[str] | None] = None
    has_tool_calls: ClassVar[bool] = True
    has_outputs: ClassVar[bool] = True
    validity_targets: ClassVar[tuple[str, ...]] = ("tool_calls", "output")
    downstream_targets: ClassVar[tuple[str, ...]] = ()
    environment_kind: ClassVar[str | None] = None

    @property
    def declared_tools(self) -> frozenset[str]:
        """Tool names the benchmark declares (used to keep calls to builtin-named tools)."""
        return frozenset()

    def keyword_vocabularies(self) -> dict[str, tuple[str, ...]]:
        """Keyword attributes (name → ordered terms) matched on the instruction transcript."""
        return {}

    def derived_attributes(self) -> tuple[str, ...]:
        """Categorical attributes computed by :meth:`categorical_label` (never read from storage)."""
        return ()

    def categorical_label(self, traj: Trajectory, attribute: str) -> str | None:
        """The derived label of ``attribute`` (``None`` when the rule finds nothing)."""
        raise KeyError(attribute)

    def derive_attributes(self, traj: Trajectory) -> dict[str, Any]:
        """The stored attributes of ``data.md`` for this benchmark (``{}`` for generic)."""
        return {}

    # ----------------------------------------------------------------------------------------
    # Attribute values for AM

    def vocabulary(self, attribute: str, options: MetricOptions | None) -> KeywordVocabulary:
        return _vocabulary(self.keyword_vocabularies()[attribute], keyword_match_mode(options))

    def numeric_values(self, traj: Trajectory, attribute: str) -> list[float]:
        """Per-item values of a numeric attribute of one trajectory."""
        if attribute == "n_turns":
            return [float(n_turns(traj, self.instruction_roles))]
        if attribute == "user_token_length":
            return [float(token_count(t)) for t in user_messages(traj)]
        if attribute == "assistant_token_length":
            return [float(token_count(t)) for t in responses(traj)]
        if attribute == "total_token_length":
            return [float(token_count(instruction_transcript(traj, self.instruction_roles)))]
        if attribute == "output_token_length":
            return [] if traj.output is None else [float(token_count(traj.output))]
        raise KeyError(attribute)

    def attribute_values(self, trajectories: Sequence[Trajectory], attribute: str,
                         options: MetricOptions | None = None) -> AttributeValues:
        """Values of ``attribute`` over ``trajectories`` (see the module docstring for the rules)."""
        if attribute in NUMERIC_ATTRIBUTES or attribute in self.extra_numeric_attributes():
            values = [v for t in trajectories for v in self.numeric_values(t, attribute)]
            unit = NUMERIC_ATTRIBUTES.get(attribute, "trajectories")
            return AttributeValues("numeric", values, unit)
        if attribute in self.keyword_vocabularies():
            vocab = self.vocabulary(attribute, options)
            return AttributeValues("categorical", [
                vocab.labels(instruction_transcript(t, self.instruction_roles)) for t in trajectories])
        if attribute in self.derived_attributes():
            return AttributeValues("categorical", [[label_text(self.categorical_label(t, attribute))]
                                                   for t in trajectories])
        return stored_attribute_values(trajectories, attribute)

    def am_attribute_names(self, trajectories: Sequence[Trajectory] = ()) -> list[str]:
        """The AM attributes to compute for these trajectories (the declared ``am_attributes``;
        the generic preset adds every stored attribute that occurs)."""
        return list(self.am_attributes)

    def extra_numeric_attributes(self) -> tuple[str, ...]:
        """Preset-specific numeric attributes handled by :meth:`numeric_values`."""
        return ()

    # ----------------------------------------------------------------------------------------
    # Attribute diversity (metrics.md §2.6)

    def ad_attributes(self, options: MetricOptions | None = None,
                      trajectories: Sequence[Trajectory] | None = None) -> list[str]:
        """AD attributes; generic: ``options.ad_attributes``, else every categorical stored
        attribute present in every trajectory (needs ``trajectories``)."""
        if options is not None and options.ad_attributes:
            return list(options.ad_attributes)
        if not trajectories:
            return []
        common = set(trajectories[0].attributes)
        for traj in trajectories[1:]:
            common &= set(traj.attributes)
        return [a for a in trajectories[0].attributes if a in common
                and stored_attribute_values(trajectories, a).kind == "categorical"]

    def ad_label(self, traj: Trajectory, attribute: str, options: MetricOptions | None) -> str:
        """One first-match label of ``attribute`` for ``traj``."""
        if attribute in self.keyword_vocabularies():
            vocab = self.vocabulary(attribute, options)
            return vocab.labels(instruction_transcript(traj, self.instruction_roles), multi=False)[0]
        if attribute in self.derived_attributes():
            return label_text(self.categorical_label(traj, attribute))
        value = traj.attributes.get(attribute)
        if isinstance(value, list):
            return "|".join(str(v) for v in value) if value else NONE
        return label_text(value)

    def ad_labels(self, traj: Trajectory, options: MetricOptions | None = None,
                  attributes: Sequence[str] | None = None) -> tuple[str, ...]:
        """The AD combination of ``traj``: one label per AD attribute (first-match, §1.11)."""
        names = attributes if attributes is not None else self.ad_attributes(options)
        return tuple(self.ad_label(traj, a, options) for a in names)

    def __repr__(self) -> str:
        return f"<Preset {self.name}>"


_VOCAB_CACHE: dict[tuple[tuple[str, ...], str], KeywordVocabulary] = {}


def _vocabulary(terms: tuple[str, ...], mode: MatchMode) -> KeywordVocabulary:
    """Keyword vocabularies are immutable; compile each (terms, mode) once per process."""
    key = (terms, mode)
    if key not in _VOCAB_CACHE:
        _VOCAB_CACHE[key] = KeywordVocabulary(terms, mode=mode)
    return _VOCAB_CACHE[key]


def stored_attribute_values(trajectories: Sequence[Trajectory], attribute: str) -> AttributeValues:
    """Values of a stored attribute: all present values numbers → numeric (missing skipped);
    otherwise categorical — strings/booleans one label, lists multi-label, missing → ``"None"``."""
    raw = [t.attributes.get(attribute) for t in trajectories]
    present = [v for v in raw if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return AttributeValues("numeric", [float(v) for v in present])
    labels = []
    for value in raw:
        if isinstance(value, list):
            labels.append([str(v) for v in value] or [NONE])
        else:
            labels.append([label_text(value)])
    return AttributeValues("categorical", labels)


__all__ = ["NONE", "OTHER", "AttributeValues", "Preset", "stored_attribute_values"]
