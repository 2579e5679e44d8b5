"""Rule-based equivalence scorers (``docs/method.md`` §7.6), shared by the downstream
success scoring and the T1 ``equivalent`` validity rule (§6.7 item 6).

- :func:`t1_exec_equivalent` — every result signature the reference plans produce is also
  produced by the agent's plans (each side in its own fresh :class:`~synae.envs.t1.T1Environment`).
- :func:`call_match_equivalent` — equal multisets of normalised search/filter/sort/nearest calls.
- :func:`mentions_match_equivalent` — equal sets of mentioned attraction names and types.
- :func:`bfcl_state_equivalent` — BFCL's multi-turn state and response check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from synae.envs.bfcl import BFCLEnvironment
from synae.envs.t1 import T1Environment, attraction_names, attraction_types, find_mentions, result_signature
from synae.toolcalls import POSITIONAL_KEY, parse_calls

Call = tuple[str, Mapping[str, Any]]  # (function name, encoded arguments)
MATCHED_TOOLS = frozenset({"search_attractions", "filter_attractions", "sort_results", "search_nearest"})


# --------------------------------------------------------------------------------------------
# T1


def t1_signatures(plans: Sequence[str]) -> set[tuple[Any, ...]]:
    """Signatures of every SearchResults the plans produce, run turn by turn with one fresh cache."""
    env = T1Environment()
    signatures: set[tuple[Any, ...]] = set()
    for plan in plans:
        signatures.update(result_signature(r) for r in env.run_plan(plan).results)
    return signatures


def t1_exec_equivalent(reference_plans: Sequence[str], agent_plans: Sequence[str]) -> bool:
    """``t1_exec``: reference signatures ⊆ agent signatures; extra agent results are not penalised.

    When the reference produces no results at all, success iff the agent produces none either.
    """
    reference = t1_signatures(reference_plans)
    agent = t1_signatures(agent_plans)
    return not agent if not reference else reference <= agent


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().casefold()
    if isinstance(value, list):
        return frozenset(_normalise(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _normalise(v)) for k, v in value.items()))
    return value


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and ("$var" in value or "$expr" in value)


def normalised_calls(plans: Iterable[str]) -> Counter[tuple[Any, ...]]:
    """Multiset of normalised calls to the matched tools (object references dropped)."""
    out: Counter[tuple[Any, ...]] = Counter()
    for plan in plans:
        for call in parse_calls(plan).calls:
            if call.name not in MATCHED_TOOLS:
                continue
            args = []
            for key, value in call.arguments.items():
                if key == POSITIONAL_KEY:
                    value = [v for v in value if not _is_reference(v)]
                    args.append((key, tuple(_normalise(v) for v in value)))
                elif not _is_reference(value):
                    args.append((key, _normalise(value)))
            out[(call.name, tuple(sorted(args, key=lambda kv: kv[0])))] += 1
    return out


def call_match_equivalent(reference_plans: Sequence[str], agent_plans: Sequence[str]) -> bool:
    """``call_match``: the normalised call multisets are equal (strings stripped and case-folded,
    lists as sets, object references and cache keys ignored)."""
    return normalised_calls(reference_plans) == normalised_calls(agent_plans)


def mentions_match_equivalent(expected_output: str, actual_output: str) -> bool:
    """``mentions_match``: same ontology attraction names and same attraction types mentioned
    (case-insensitive whole words) in both outputs."""
    names, types = attraction_names(), attraction_types()
    return (find_mentions(expected_output, names) == find_mentions(actual_output, names)
            and find_mentions(expected_output, types) == find_mentions(actual_output, types))


# --------------------------------------------------------------------------------------------
# BFCL


def bfcl_state_equivalent(involved_classes: Sequence[str], initial_config: Mapping[str, Any] | None,
                          reference_turns: Sequence[Sequence[Call]], agent_turns: Sequence[Sequence[Call]],
                          *, terminated: bool = False) -> bool:
    """``bfcl_state``: mirrors BFCL's multi-turn checker.

    Both sides run in their own fresh environments. For each turn k with reference calls, the turn
    fails if the agent made no call in it; or some involved class's public state differs; or some
    reference result string of turn k is not matched by a distinct agent result accumulated over
    turns 1..k (multiset containment, order ignored). Success iff no turn fails and the run was not
    ``terminated`` early (step limit). Agent turns beyond the reference's are executed but not
    checked; missing agent turns count as empty. States are compared by
    :meth:`~synae.envs.bfcl.BFCLEnvironment.same_state`; beyond the current trajectory budget
    (:mod:`synae.envs.budget`) :class:`~synae.envs.budget.BudgetExceeded` is raised.
    """
    if terminated:
        return False
    reference_env = BFCLEnvironment(involved_classes, initial_config)
    agent_env = BFCLEnvironment(involved_classes, initial_config)
    agent_results: Counter[str] = Counter()
    for k, reference_calls in enumerate(reference_turns):
        agent_calls = agent_turns[k] if k < len(agent_turns) else ()
        agent_results.update(agent_env.call(name, dict(args)).content for name, args in agent_calls)
        reference_results = Counter(reference_env.call(name, dict(args)).content
                                    for name, args in reference_calls)
        if not reference_calls:
            continue
        if not agent_calls:
            return False
        if not reference_env.same_state(agent_env):
            return False
        if reference_results - agent_results:
            return False
    return True
