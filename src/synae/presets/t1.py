"""T1 travel-attraction preset (``docs/method.md`` §1.4, ``docs/method.md`` §4; the attraction ontology is
:mod:`synae.envs.t1_ontology`).

Stored attributes (``docs/method.md`` §1.4): ``type``, ``city``, ``state`` — the first ontology term (in
first-appearance order) occurring case-sensitively as a whole word (``\\b<term>\\b``) in the
conversation's utterances joined with ``"\\n"``; ``None`` if none. Metric-side labels of ``city`` and
``type`` are keyword labels of the instruction transcript (case-insensitive; ``word`` or
``substring`` by profile; multi-label for AM, first-match for AD).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from synae.attributes import KeywordVocabulary
from synae.config import Config, MetricOptions
from synae.envs.t1_ontology import T1_TOOLS, load_ontology
from synae.errors import ConfigError
from synae.presets.base import CheckerKind, DataProfile, OutputPrompt, Preset
from synae.schema import Trajectory

if TYPE_CHECKING:
    from synae.downstream.loop import AgentLoop
    from synae.generate.blankfill import BlankfillStyle
    from synae.generate.fewshot import FewshotStyle
    from synae.generate.invalidate import Invalidation
    from synae.generate.output import ExportFormat
    from synae.validity.verdict import Checker


@cache
def _stored_vocabularies() -> dict[str, KeywordVocabulary]:
    onto = load_ontology()
    return {name: KeywordVocabulary(tuple(terms), mode="regex_word", case_sensitive=True)
            for name, terms in (("type", onto.types), ("city", onto.cities), ("state", onto.states))}


RELABEL_ATTRIBUTES = ("type", "city", "state")


def utterance_text(traj: Trajectory) -> str:
    """The conversation's utterances (user and assistant contents, no tool calls) joined with ``"\\n"``."""
    return "\n".join(m.content for m in traj.messages
                     if m.role in ("user", "assistant") and m.content)


class T1Preset(Preset):
    name = "t1"
    learns_from_data = False  # fixed AD attributes, the declared AM attributes
    records_tool_results = False  # the benchmark files keep the calls, not their results
    rules_use_sources = True  # provenance rules
    instruction_roles = "user+responses"
    knd_pairs = ("user_assistant", "assistant_user")
    am_attributes = ("n_turns", "user_token_length", "assistant_token_length", "total_token_length",
                     "city", "type")
    tool_vocabulary = frozenset(T1_TOOLS)
    has_tool_calls = True
    has_outputs = True
    validity_targets = ("tool_calls", "output")
    downstream_targets = ("tool_calls", "output")
    environment_kind = "t1_attractions"
    downstream_scorers: ClassVar[Mapping[str, Mapping[str, str]]] = {
        "tool_calls": {"default": "t1_exec", "rules": "t1_exec", "llm": "judge"},
        "output": {"default": "judge", "rules": "mentions_match", "llm": "judge"},
    }
    generation_label = "type"
    generation_keeps_ids = True

    @property
    def declared_tools(self) -> frozenset[str]:
        return frozenset(T1_TOOLS)

    def keyword_vocabularies(self) -> dict[str, tuple[str, ...]]:
        onto = load_ontology()
        return {"city": tuple(onto.cities), "type": tuple(onto.types)}

    def ad_attributes(self, options: MetricOptions | None = None,
                      trajectories: Sequence[Trajectory] | DataProfile | None = None) -> list[str]:
        return ["city", "type"]

    def default_checker(self, judge_configured: bool) -> CheckerKind:
        return "rules"

    def rule_checkers(self, config: Config | None = None, *,
                      sources: Mapping[str, Trajectory] | None = None) -> list[Checker]:
        """Tool calls and output (§6.7); options ``t1_positional``, ``t1_output_strict``,
        ``trajectory_seconds``."""
        from synae.validity.rules.t1 import T1OutputChecker, T1ToolCallChecker

        settings = (config or Config()).validity
        positional, seconds = settings.t1_positional, settings.trajectory_seconds
        return [T1ToolCallChecker(sources, positional=positional, seconds=seconds),
                T1OutputChecker(strict=settings.t1_output_strict, positional=positional, seconds=seconds)]

    def judge_default_tools(self) -> list[dict[str, Any]] | None:
        """The attraction tools (T1 trajectories carry no tool definitions)."""
        from synae.envs.t1 import t1_tool_definitions

        return t1_tool_definitions()

    @property
    def judge_output_prompt(self) -> OutputPrompt | None:
        from synae.validity.prompts import t1_output_validity_prompt

        return t1_output_validity_prompt

    @property
    def agent_loop(self) -> AgentLoop:
        """The code protocol (§7.5)."""
        from synae.downstream.loop import CODE_PLAN_LOOP

        return CODE_PLAN_LOOP

    # ----------------------------------------------------------------------------------------
    # Generator hooks

    def relabel_in_text(self, attribute: str) -> bool:
        """``type``, ``city`` and ``state`` (their values occur in the text) are relabeled in it."""
        if attribute not in RELABEL_ATTRIBUTES:
            raise ConfigError(f"relabel attribute must be type, city or state, got {attribute!r}")
        return True

    def invalidation_targets(self, trajectories: Sequence[Trajectory]) -> tuple[str, ...]:
        return ("tool_calls", "output")

    def invalidation(self, target: str, trajectories: Sequence[Trajectory], *,
                     vocabulary: Any = None) -> Invalidation:
        """Plan arguments or output types (§8.4) replaced by other ontology values
        (``vocabulary``: a :class:`~synae.generate.invalidate.T1Vocabulary`, default the ontology's)."""
        from synae.generate.invalidate import Invalidation, t1_output, t1_tool_calls, t1_vocabulary

        if target not in ("tool_calls", "output"):
            raise KeyError(target)
        vocab = vocabulary or t1_vocabulary()
        return Invalidation(target, t1_tool_calls(vocab) if target == "tool_calls" else t1_output(vocab))

    @property
    def export_formats(self) -> Mapping[str, ExportFormat]:
        """The research's eval CSV ``ID,Data,Tool Call,Output`` (ids ``<name>_{i}`` written as ``i``)."""
        from synae.generate.output import ExportFormat

        return {"t1-csv": ExportFormat(".csv", numbered_ids=True)}

    def blankfill_style(self) -> BlankfillStyle:
        from synae.generate.blankfill import T1Blankfill

        return T1Blankfill()

    def fewshot_style(self) -> FewshotStyle:
        from synae.generate.fewshot import T1Fewshot

        return T1Fewshot()

    def derive_attributes(self, traj: Trajectory) -> dict[str, Any]:
        text = utterance_text(traj)
        return {name: vocab.first(text) for name, vocab in _stored_vocabularies().items()}


__all__ = ["T1_TOOLS", "T1Preset", "load_ontology", "utterance_text"]
