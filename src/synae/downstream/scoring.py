"""Is an agent's run a success? (``docs/method.md`` §7.6)

Each agent trajectory is compared with its own reference (the trajectory of D or D′ it was run on,
joined by ``id``) for two targets, ``tool_calls`` and ``output``. Which scorer is used per preset and
target depends on the *scorer choice*; the presets hold the table (``Preset.downstream_scorers``) and
the targets (``Preset.downstream_targets_for``) and :mod:`synae.run` passes them in:

| preset / target | ``default`` | ``rules`` | ``llm`` |
|---|---|---|---|
| T1 tool calls | ``t1_exec`` | ``t1_exec`` | ``judge`` |
| T1 output | ``judge`` (``no_judge`` without one) | ``mentions_match`` | ``judge`` |
| BFCL tool calls | ``bfcl_state`` | ``bfcl_state`` | ``judge`` |
| ACP output | ``exact`` | ``exact`` | ``exact`` |
| generic tool calls | ``call_match`` | ``call_match`` | ``judge`` |
| generic output | ``judge`` | unscored (``no_rule``) | ``judge`` |

Rule scorers come from :mod:`synae.envs.equivalence`; the judge (functional equivalence, §6.3) from
:mod:`synae.validity.judge`. A :class:`Score` is ``success: True | False | None``; ``None`` means
*unscored* (judge failure, no judge configured) and is excluded from success rates, never counted as a
failure. An agent that crashed, was terminated by the step limit or produced nothing is a failure.

Budgets (:mod:`synae.envs.budget`): an agent trajectory the loop marked unscored
(``metadata.downstream.unscored``: its budget ran out, or its run failed) is unscored with that reason
for every target. Each rule scoring runs within a fresh trajectory budget (``limits``); a scoring that
exceeds it is unscored with ``time_budget_exceeded: …`` or ``state_budget_exceeded: …``, and one that
fails in any other way with ``scoring_failed: <error>`` — only that trajectory's score is lost.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from synae.downstream.agents import reference_turn_codes
from synae.downstream.loop import parse_yes_no
from synae.envs.budget import BudgetExceeded, TrajectoryLimits, trajectory_budget
from synae.schema import Trajectory
from synae.views import turns

Target = Literal["tool_calls", "output"]
ScorerChoice = Literal["default", "rules", "llm"]


class ScoringPreset(Protocol):
    """What scoring needs from a benchmark preset (passed in by :mod:`synae.run`)."""

    def downstream_targets_for(self, references: Sequence[Trajectory] = ()) -> tuple[Target, ...]: ...

    def downstream_scorer(self, target: Target, choice: ScorerChoice = "default") -> str: ...


@dataclass(frozen=True)
class Score:
    """The success of one agent run on one target; ``None`` = unscored (with ``reason``)."""

    success: bool | None
    scorer: str
    reason: str | None = None


def targets_for(preset: ScoringPreset, references: Sequence[Trajectory] = ()) -> tuple[Target, ...]:
    """The downstream targets of a preset (``docs/method.md`` §4); generic: those its data has."""
    return preset.downstream_targets_for(references)


def scorer_for(preset: ScoringPreset, target: Target, choice: ScorerChoice = "default") -> str:
    """Name of the scorer used for ``target`` under ``choice`` (table in the module docstring)."""
    return preset.downstream_scorer(target, choice)


# --------------------------------------------------------------------------------------------
# Views of a trajectory used by the rule scorers


def turn_plans(trajectory: Trajectory) -> list[str]:
    """One plan text per user turn (T1): the turn's call code joined (``""`` for a turn without)."""
    return ["\n".join(reference_turn_codes(trajectory, t.index))
            for t in turns(trajectory) if t.user is not None]


def turn_calls(trajectory: Trajectory) -> list[list[tuple[str, dict[str, Any]]]]:
    """Per user turn, the (name, encoded arguments) of every call of the turn, all steps, in order.
    Calls whose arguments were malformed (never executed by the loop) are left out."""
    out = []
    for t in turns(trajectory):
        if t.user is None:
            continue
        calls: list[tuple[str, dict[str, Any]]] = []
        for message in t.tool_call_messages:
            malformed = (message.metadata or {}).get("malformed_arguments") or {}
            calls.extend((c.function.name, c.function.parsed_arguments())
                         for c in message.tool_calls or () if c.id not in malformed)
        out.append(calls)
    return out


def _normalised(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().casefold()
    if isinstance(value, list):
        return sorted((_normalised(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    return value


def generic_call_match(reference: Trajectory, agent: Trajectory) -> bool:
    """Equal multisets of normalised calls (name + arguments; strings stripped and case-folded)."""
    def calls(trajectory: Trajectory) -> Counter[str]:
        return Counter(json.dumps([name, _normalised(args)], sort_keys=True)
                       for turn in turn_calls(trajectory) for name, args in turn)

    return calls(reference) == calls(agent)


# --------------------------------------------------------------------------------------------
# Rule scoring


def _downstream_meta(agent: Trajectory) -> dict[str, Any]:
    meta = agent.metadata.get("downstream") if isinstance(agent.metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def rule_score(scorer: str, reference: Trajectory, agent: Trajectory) -> Score:
    """Score with a rule scorer (``t1_exec``, ``call_match``, ``mentions_match``, ``bfcl_state``,
    ``exact``); ``none`` is unscored with reason ``no_rule``. ``call_match`` compares per-turn plans
    when the agent ran the code-plan protocol (its assistant messages carry ``code``), else the
    multisets of normalised calls."""
    from synae.envs import equivalence as eq

    if scorer == "none":
        return Score(None, scorer, "no_rule: no rule-based scorer for this target")
    if scorer == "t1_exec":
        return Score(eq.t1_exec_equivalent(turn_plans(reference), turn_plans(agent)), scorer)
    if scorer == "call_match":
        if any(m.code is not None for m in agent.messages):  # code-plan protocol: compare the plans
            return Score(eq.call_match_equivalent(turn_plans(reference), turn_plans(agent)), scorer)
        return Score(generic_call_match(reference, agent), scorer)
    if scorer == "mentions_match":
        if agent.output is None:
            return Score(False, scorer, "no_output")
        return Score(eq.mentions_match_equivalent(reference.output or "", agent.output), scorer)
    if scorer == "bfcl_state":
        env = reference.environment or {}
        ok = eq.bfcl_state_equivalent(env.get("involved_classes") or [], env.get("initial_config") or {},
                                      turn_calls(reference), turn_calls(agent),
                                      terminated=bool(_downstream_meta(agent).get("terminated")))
        return Score(ok, scorer)
    if scorer == "exact":
        expected = parse_yes_no(reference.output)
        if expected is None:
            return Score(None, scorer, "no_reference_answer: the reference output is not yes/no")
        answer = parse_yes_no(agent.output)
        return Score(answer == expected, scorer, None if answer is not None else "no_answer")
    raise ValueError(f"unknown rule scorer {scorer!r}")


# --------------------------------------------------------------------------------------------
# Judge scoring and one run


class EquivalenceJudge(Protocol):
    """Functional-equivalence judge (§6.3 downstream tasks), batched: one :class:`Score` per pair
    (``success=None`` = unscored)."""

    model: str | None

    def judge_many(self, target: Target, references: Sequence[Trajectory],
                   agents: Sequence[Trajectory]) -> list[Score]:
        ...


class LLMEquivalenceJudge:
    """The §6.3 equivalence judge over an OpenAI-compatible endpoint, built on
    :func:`synae.validity.judge.judge_equivalence` (prompts, reply parsing, unscored outcomes).

    Tool calls: the reference's conversation, its calls per turn (expected) and the agent's calls per
    turn (actual). Output: the conversation, the expected and the actual output.
    """

    def __init__(self, client: Any, settings: Any) -> None:
        self.client = client  # synae.llm.client.LLMClient
        self.settings = settings  # synae.config.JudgeSettings
        self.model = settings.model

    def judge_many(self, target: Target, references: Sequence[Trajectory],
                   agents: Sequence[Trajectory]) -> list[Score]:
        from synae.validity.judge import judge_equivalence
        from synae.validity.prompts import tool_calls_text

        if target == "tool_calls":
            expected = [tool_calls_text(r) for r in references]
            actual = [tool_calls_text(a) for a in agents]
        else:
            expected = [r.output or "" for r in references]
            actual = [a.output or "" for a in agents]
        outcomes = judge_equivalence(self.client, self.settings, target, references, expected, actual,
                                     description=f"judge {target.replace('_', ' ')} equivalence")
        return [Score(o.valid, "judge", o.reason if o.valid is None else None) for o in outcomes]


def _produced_nothing(target: Target, agent: Trajectory) -> bool:
    if target == "output":
        return not (agent.output or "").strip()
    return not any(m.tool_calls for m in agent.messages)


def _judge_precheck(judge: EquivalenceJudge | None, target: Target, agent: Trajectory) -> Score | None:
    """A score decided without the judge: unscored without one; a failure when there is nothing to
    judge (no calls / no output) or the run was terminated."""
    if judge is None:
        return Score(None, "judge", "no_judge: no judge model configured")
    if _produced_nothing(target, agent):
        return Score(False, "judge", f"no_{target}")
    if target == "tool_calls" and _downstream_meta(agent).get("terminated"):
        return Score(False, "judge", "terminated")
    return None


def budgeted_rule_score(scorer: str, reference: Trajectory, agent: Trajectory,
                        limits: TrajectoryLimits | None = None) -> Score:
    """:func:`rule_score` within a fresh budget of ``limits`` (default limits when ``None``); an
    exceeded budget or any other failure is an unscored :class:`Score` with the reason."""
    try:
        with trajectory_budget((limits or TrajectoryLimits()).start()):
            return rule_score(scorer, reference, agent)
    except BudgetExceeded as exc:
        return Score(None, scorer, str(exc))
    except Exception as exc:  # one trajectory's scoring failure costs its own score only
        return Score(None, scorer, f"scoring_failed: {type(exc).__name__}: {exc}")


async def score_run(references: Sequence[Trajectory], agent_trajectories: Sequence[Trajectory],
                    scorers: Mapping[str, str], judge: EquivalenceJudge | None = None,
                    limits: TrajectoryLimits | None = None) -> dict[str, list[Score]]:
    """Scores per target, aligned with ``references``; agent trajectories are joined by ``id``.

    A reference without an agent trajectory scores a failure (``no_agent_run``); an agent trajectory
    marked unscored by the loop is unscored with its reason; rule scorers run within ``limits``
    (:func:`budgeted_rule_score`). Judge requests of one target are sent together (in a worker
    thread, so the event loop stays free).
    """
    by_id = {a.id: a for a in agent_trajectories}
    out: dict[str, list[Score]] = {}
    for target, scorer in scorers.items():
        scores: list[Score | None] = []
        to_judge: list[int] = []
        for i, reference in enumerate(references):
            agent = by_id.get(reference.id)
            if agent is None:
                scores.append(Score(False, scorer, "no_agent_run"))
            elif _downstream_meta(agent).get("unscored"):
                scores.append(Score(None, scorer, str(_downstream_meta(agent)["unscored"])))
            elif scorer != "judge":
                scores.append(budgeted_rule_score(scorer, reference, agent, limits))
            else:
                decided = _judge_precheck(judge, target, agent)  # type: ignore[arg-type]
                scores.append(decided)
                if decided is None:
                    to_judge.append(i)
        if to_judge and judge is not None:
            judged = await asyncio.to_thread(judge.judge_many, target,  # type: ignore[arg-type]
                                             [references[i] for i in to_judge],
                                             [by_id[references[i].id] for i in to_judge])
            for i, score in zip(to_judge, judged, strict=True):
                scores[i] = score
        out[target] = [s for s in scores if s is not None]
    return out
