"""The :class:`Preset` base: what a benchmark preset declares and how attribute values are read.

A preset tells the metrics which texts form the instructions (``instruction_roles``), which turn
pairs KND compares, which attributes AM and AD use, the tool vocabulary, and which targets validity
and downstream evaluate (``docs/method.md`` §4). Attribute *semantics* live here; the metric math
(Wasserstein, TV, entropy) lives in :mod:`synae.metrics`.

Attributes every preset understands (``docs/method.md`` §3.3, §3.6):

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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from synae.attributes import (
    NONE,
    OTHER,
    KeywordVocabulary,
    MatchMode,
    TextTokenCounts,
    field_scalar,
    n_turns,
    token_count,
)
from synae.config import PROFILES, Config, MetricOptions
from synae.errors import ConfigError
from synae.schema import Trajectory
from synae.views import InstructionRoles, instruction_transcript, responses, user_messages

if TYPE_CHECKING:
    from synae.downstream.loop import AgentLoop
    from synae.downstream.scoring import ScorerChoice, Target
    from synae.envs.base import ToolEnvironment
    from synae.generate.blankfill import BlankfillStyle
    from synae.generate.fewshot import FewshotStyle
    from synae.generate.hooks import CalibrationSweep
    from synae.generate.invalidate import Invalidation
    from synae.generate.output import ExportFormat
    from synae.validity.prompts import JudgePrompt
    from synae.validity.verdict import Checker, CheckTarget

AttributeKind = Literal["numeric", "categorical"]
CheckerKind = Literal["rules", "judge"]
OutputPrompt = Callable[..., "JudgePrompt"]  # (traj, *, max_field_chars) -> JudgePrompt
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


def is_number(value: Any) -> bool:
    """A number as attribute kinds count them: an int or a float, never a boolean."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class KindFold:
    """The kind of an attribute's values, folded one value at a time: ``numeric`` when some value
    is present (not ``None``) and every present one is a number (:func:`is_number`), else
    ``categorical``."""

    present: bool = False
    numbers_only: bool = True

    def add(self, value: Any) -> None:
        if value is not None:
            self.present = True
            self.numbers_only = self.numbers_only and is_number(value)

    @property
    def kind(self) -> AttributeKind:
        return "numeric" if self.present and self.numbers_only else "categorical"


@dataclass
class DataProfile:
    """What the data-dependent preset decisions read from a set of trajectories, folded one
    trajectory at a time (:meth:`add`), so that a streamed input decides exactly as its whole list:
    the stored attribute keys (first-seen order; those of the first trajectory; those every
    trajectory has) and each one's :class:`KindFold`, whether any message makes a tool call, and the
    kind of each named field of ``fields`` (generic ``attribute_fields``; a list or object value is
    the :class:`~synae.errors.DataError` of :func:`~synae.attributes.field_scalar`)."""

    fields: tuple[str, ...] = ()
    n: int = 0
    keys: dict[str, None] = field(default_factory=dict)
    first_keys: tuple[str, ...] = ()
    common: set[str] = field(default_factory=set)
    stored: dict[str, KindFold] = field(default_factory=dict)
    field_kinds: dict[str, KindFold] = field(default_factory=dict)
    has_calls: bool = False

    def add(self, trajectories: Iterable[Trajectory]) -> DataProfile:
        """Fold ``trajectories`` in (after those added before); returns ``self``."""
        for t in trajectories:
            attrs = t.attributes
            if self.n == 0:
                self.first_keys, self.common = tuple(attrs), set(attrs)
            else:
                self.common.intersection_update(attrs)
            self.n += 1
            for key, value in attrs.items():
                self.keys.setdefault(key, None)
                self.stored.setdefault(key, KindFold()).add(value)
            self.has_calls = self.has_calls or any(m.tool_calls for m in t.messages)
            for path in self.fields:
                self.field_kinds.setdefault(path, KindFold()).add(field_scalar(t, path))
        return self

    def decisions(self) -> tuple[Any, ...]:
        """Everything a preset's decisions read from the profile (:meth:`Preset.am_attribute_names`,
        :meth:`Preset.ad_attributes`, the learned kinds of named fields): the stored keys in
        first-seen order, the first trajectory's keys, the keys every trajectory has, each key's
        and each named field's kind, whether a message makes a tool call, and whether there is a
        trajectory at all. Profiles with equal decisions make a preset decide alike (the evaluator
        builds a streamed real set's features on the first chunk's profile while they stay equal)."""
        return (tuple(self.keys), self.first_keys, frozenset(self.common),
                tuple((key, fold.kind) for key, fold in self.stored.items()),
                tuple((path, fold.kind) for path, fold in self.field_kinds.items()),
                self.has_calls, self.n > 0)

    def stored_kind(self, key: str) -> AttributeKind:
        """The kind :func:`stored_attribute_values` gives stored attribute ``key`` on the whole set."""
        fold = self.stored.get(key)
        return fold.kind if fold is not None else "categorical"

    def field_kind(self, path: str) -> AttributeKind:
        """The kind of named field ``path`` over the whole set (it must be one of ``fields``)."""
        fold = self.field_kinds.get(path)
        return fold.kind if fold is not None else "categorical"


def keyword_match_mode(options: MetricOptions | None) -> MatchMode:
    """The effective ``keyword_match`` option (``word`` unless the options say otherwise)."""
    value = options.keyword_match if options is not None else None
    return value or PROFILES["default"]["keyword_match"]


def label_text(value: Any) -> str:
    """A stored scalar as a label; ``None`` → ``"None"``."""
    return NONE if value is None else str(value)


class Preset:
    """Base preset (also the behaviour of ``generic``)."""

    attribute_fields: tuple[str, ...] = ()  # named scalar fields measured as attributes (generic)
    # Whether am_attribute_names/ad_attributes read the real set (else its DataProfile is not needed).
    learns_from_data: ClassVar[bool] = True
    # whether the format records tool results beside the calls (False: benchmark files that keep
    # the calls only, whose unanswered calls are not lost structure)
    records_tool_results: ClassVar[bool] = True
    # Whether the rule checkers read generated trajectories' sources (provenance rules).
    rules_use_sources: ClassVar[bool] = False

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
    agent_temperature: ClassVar[float] = 0.5
    empty_turn_shift: ClassVar[bool] = False
    downstream_scorers: ClassVar[Mapping[str, Mapping[str, str]]] = {
        "tool_calls": {"default": "call_match", "rules": "call_match", "llm": "judge"},
        "output": {"default": "judge", "rules": "none", "llm": "judge"},
    }
    generation_label: ClassVar[str | None] = None
    generation_keeps_ids: ClassVar[bool] = False
    relabels: ClassVar[bool] = True

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
        """The stored attributes of this benchmark (``docs/method.md`` §1.4–1.6; ``{}`` for generic)."""
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

    def numeric_columns(self, trajectories: Sequence[Trajectory],
                        attributes: Sequence[str]) -> dict[str, list[list[float]]]:
        """``[numeric_values(t, a) for t in trajectories]`` for each of ``attributes`` (repeats
        once). The attributes of :meth:`counted_attributes` (``n_turns`` and the user, assistant and
        total token lengths; a preset may add its own) come from one :class:`TextTokenCounts` pass
        over each trajectory's messages instead of one walk per attribute, with the same values (a
        preset that redefines one of them in :meth:`numeric_values` must redefine it there too); the
        others from :meth:`numeric_values`."""
        from_counts = self.counted_attributes()
        attributes = list(dict.fromkeys(attributes))
        columns: dict[str, list[list[float]]] = {}
        if any(a in from_counts for a in attributes):
            counts = [TextTokenCounts.of(t) for t in trajectories]
            columns = {a: [from_counts[a](c) for c in counts] for a in attributes if a in from_counts}
        for a in attributes:
            if a not in columns:
                columns[a] = [self.numeric_values(t, a) for t in trajectories]
        return {a: columns[a] for a in attributes}

    def counted_attributes(self) -> dict[str, Callable[[TextTokenCounts], list[float]]]:
        """The numeric attributes :meth:`numeric_columns` reads from a trajectory's
        :class:`TextTokenCounts`, each as the function of them that gives its
        :meth:`numeric_values`."""
        roles = self.instruction_roles
        return {"n_turns": lambda c: [float(c.n_turns(roles))],
                "user_token_length": lambda c: [float(n) for n in c.user],
                "assistant_token_length": lambda c: [float(n) for n in c.responses],
                "total_token_length": lambda c: [float(c.transcript_tokens(roles))]}

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

    def profile_of(self, data: Iterable[Trajectory] | DataProfile) -> DataProfile:
        """``data`` as a :class:`DataProfile` with this preset's ``attribute_fields`` (a profile is
        returned as is; it must cover those fields)."""
        if isinstance(data, DataProfile):
            missing = [f for f in self.attribute_fields if f not in data.fields]
            if missing:
                raise ValueError(f"the data profile lacks the attribute fields {missing}")
            return data
        return DataProfile(fields=self.attribute_fields).add(data)

    def is_stored_attribute(self, attribute: str) -> bool:
        """Whether :meth:`attribute_values` reads ``attribute`` from the trajectories' stored
        ``attributes`` (:func:`stored_values`) rather than computing it."""
        return not (attribute in NUMERIC_ATTRIBUTES or attribute in self.extra_numeric_attributes()
                    or attribute in self.keyword_vocabularies() or attribute in self.derived_attributes())

    def am_attribute_names(self, real: Sequence[Trajectory] | DataProfile = ()) -> list[str]:
        """The AM attributes to compute for the real set ``real`` (the declared ``am_attributes``;
        the generic preset adds every stored attribute that occurs, in first-seen order)."""
        return list(self.am_attributes)

    def extra_numeric_attributes(self) -> tuple[str, ...]:
        """Preset-specific numeric attributes handled by :meth:`numeric_values`."""
        return ()

    # ----------------------------------------------------------------------------------------
    # Validity hooks (docs/method.md §6.5), passed to the mechanisms by synae.run

    def validity_targets_for(self, trajectories: Sequence[Trajectory]) -> list[CheckTarget]:
        """Targets validity applies to on this data (the declared ``validity_targets``)."""
        return list(self.validity_targets)  # type: ignore[arg-type]

    def default_checker(self, judge_configured: bool) -> CheckerKind:
        """The default checker kind: the LLM judge when a judge model is configured, else the
        preset's rules (never a judge without a model, whose every verdict would be unscored)."""
        return "judge" if judge_configured else "rules"

    def rule_checkers(self, config: Config | None = None, *,
                      sources: Mapping[str, Trajectory] | None = None) -> list[Checker]:
        """The rule-based checkers, one per validity target (§6.6). This base gives the schema
        checker (:class:`~synae.validity.rules.schema.SchemaChecker`);
        :class:`~synae.presets.generic.GenericPreset` overrides it with the generic checkers (tool
        calls and output), and the benchmark presets with their own."""
        from synae.validity.rules.schema import SchemaChecker

        return [SchemaChecker()]

    def judge_default_tools(self) -> list[dict[str, Any]] | None:
        """Tool definitions the tool-call judge shows when a trajectory carries none."""
        return None

    @property
    def judge_output_prompt(self) -> OutputPrompt | None:
        """The output-validity judge prompt builder (``None`` = the generic output prompt)."""
        return None

    # ----------------------------------------------------------------------------------------
    # Downstream hooks (docs/method.md §7.4)

    def downstream_targets_for(self, references: Sequence[Trajectory] = ()) -> tuple[Target, ...]:
        """The downstream targets (the declared ``downstream_targets``)."""
        return self.downstream_targets  # type: ignore[return-value]

    def downstream_scorer(self, target: Target, choice: ScorerChoice = "default") -> str:
        """The scorer of ``target`` under ``choice`` (``downstream_scorers`` table)."""
        return self.downstream_scorers[target][choice]

    @property
    def agent_loop(self) -> AgentLoop:
        """The agent protocol: the tool-calling loop (§7.5)."""
        from synae.downstream.loop import TOOL_CALLING_LOOP

        return TOOL_CALLING_LOOP

    def agent_environment(self, reference: Trajectory) -> ToolEnvironment:
        """The environment the tool-calling loop executes calls in: the replay environment."""
        from synae.envs.replay import ReplayEnvironment

        return ReplayEnvironment(reference)

    def completion_environment(self, trajectory: Trajectory, source: Trajectory | None) -> ToolEnvironment:
        """Where the calls of a generated ``trajectory`` execute during completion (docs/method.md §8.8):
        the :meth:`agent_environment` of its ``source`` (generic: the replay of the source's recorded
        results), of ``trajectory`` itself without one."""
        return self.agent_environment(source if source is not None else trajectory)

    # ----------------------------------------------------------------------------------------
    # Generator hooks (docs/method.md), passed to synae.generate by synae.run

    def generation_label_attribute(self, trajectories: Sequence[Trajectory]) -> str:
        """The attribute ``dropmin``/``relabel`` thin by default: ``generation_label``, else (generic)
        the first categorical attribute stored in every trajectory."""
        if self.generation_label is not None:
            return self.generation_label
        names = self.ad_attributes(None, trajectories)
        if not names:
            raise ConfigError("no categorical attribute is stored in every trajectory: name one with "
                              "--attribute")
        return names[0]

    def relabel_in_text(self, attribute: str) -> bool:
        """Generic: a stored attribute is relabeled in storage (False); one the preset derives from
        the content cannot be relabeled."""
        if not self.relabels:
            raise ConfigError("relabel is defined for T1 conversations (type labels in the text) and "
                              f"stored attributes of generic data, not {self.name}")
        if attribute in self.derived_attributes() or attribute in self.keyword_vocabularies():
            raise ConfigError(f"relabel cannot set {attribute!r}: the {self.name} preset derives it from "
                              "the content")
        return False

    def invalidation_targets(self, trajectories: Sequence[Trajectory]) -> tuple[str, ...]:
        """Generic: ``tool_calls`` when a trajectory has calls, ``output`` when one has an output."""
        out: list[str] = []
        if any(m.tool_calls for t in trajectories for m in t.messages):
            out.append("tool_calls")
        if any(t.output for t in trajectories):
            out.append("output")
        return tuple(out)

    def invalidation(self, target: str, trajectories: Sequence[Trajectory], *,
                     vocabulary: Any = None) -> Invalidation:
        """Generic: tool calls dropped / renamed / given a schema-violating argument; outputs
        swapped / truncated / garbled (:mod:`synae.generate.invalidate`)."""
        from synae.generate.invalidate import Invalidation, output_transform, tool_call_transform

        if target == "tool_calls":
            return Invalidation("tool_calls", tool_call_transform)
        if target == "output":
            return Invalidation("output", output_transform(trajectories))
        raise KeyError(target)

    def generation_grid(self, method: str) -> tuple[Any, ...] | None:
        """The research grid of ``method`` when it differs from the method's own (none here)."""
        return None

    def calibration_sweeps(self, trajectories: Sequence[Trajectory]) -> tuple[CalibrationSweep, ...]:
        """Damages ``synae calibrate`` adds to its built-in curves on this data (none here)."""
        return ()

    @property
    def export_formats(self) -> Mapping[str, ExportFormat]:
        """Benchmark layouts generated data can be written in besides canonical JSONL (none)."""
        return {}

    def blankfill_style(self) -> BlankfillStyle:
        """Generic: the user requests of tool-calling conversations, with the tools in the prompt."""
        from synae.generate.blankfill import ChatBlankfill

        return ChatBlankfill()

    def fewshot_style(self) -> FewshotStyle:
        """Generic: new user requests for a drawn reference's tools."""
        from synae.generate.fewshot import ChatFewshot

        return ChatFewshot()

    # ----------------------------------------------------------------------------------------
    # Attribute diversity (docs/method.md §3.8)

    def ad_attributes(self, options: MetricOptions | None = None,
                      trajectories: Sequence[Trajectory] | DataProfile | None = None) -> list[str]:
        """AD attributes; generic: ``options.ad_attributes``, else every categorical stored
        attribute present in every trajectory, in the first trajectory's order (needs
        ``trajectories`` or their :class:`DataProfile`)."""
        if options is not None and options.ad_attributes:
            return list(options.ad_attributes)
        profile = self.profile_of(trajectories or ())
        return [a for a in profile.first_keys
                if a in profile.common and profile.stored_kind(a) == "categorical"]

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
        """The AD combination of ``traj``: one label per AD attribute (first-match, §2.9)."""
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
    """Values of a stored attribute (:func:`stored_values` of each trajectory's value)."""
    return stored_values([t.attributes.get(attribute) for t in trajectories])


def stored_values(raw: Sequence[Any]) -> AttributeValues:
    """Values of a stored attribute from its raw value per trajectory (``None``: missing): all
    present values numbers → numeric (missing skipped); otherwise categorical — strings/booleans
    one label, lists multi-label, missing → ``"None"``."""
    fold = KindFold()
    for value in raw:
        fold.add(value)
    if fold.kind == "numeric":
        return AttributeValues("numeric", [float(v) for v in raw if v is not None])
    labels = []
    for value in raw:
        if isinstance(value, list):
            labels.append([str(v) for v in value] or [NONE])
        else:
            labels.append([label_text(value)])
    return AttributeValues("categorical", labels)


__all__ = ["NONE", "OTHER", "AttributeValues", "DataProfile", "KindFold", "Preset", "is_number",
           "stored_attribute_values", "stored_values"]
