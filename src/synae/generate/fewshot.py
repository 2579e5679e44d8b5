"""``fewshot`` — in-context generation from k real examples (``docs/method.md`` §8.7).

**Example draws** — reference (``replace=True``): ``rng.choice(ids, size=k)`` with replacement, the
examples being the rows drawn at least once *in dataset order*; default (``replace=False``):
``rng.choice(ids, size=k, replace=False)`` in draw order. ``examples="fixed"`` draws once and
reuses them; ``"random"`` re-draws per output with the same rng.

**RNG order per preset** (its ``fewshot_style`` hook; one ``default_rng(seed)``):

- T1 (:class:`T1Fewshot`): fixed-mode example draw; per output, in random mode, one example draw.
  With ``condition_on`` (T1 ``type``/``city``/``state``; §8.7), the targets are drawn first,
  ``rng.choice(values, size=n_out)``, unless given.
- BFCL (:class:`BFCLFewshot`): (1) example draw, (2) reference configs ``rng.choice(ids, size=n_out)``,
  (3) per output [random mode: example draw], then the turn count ``rng.choice([2, 3, 4, 5])``.
- ACP (:class:`ACPFewshot`): (1) per group (first-appearance order) k // 2 examples, (2) reference
  (context, group) ``rng.choice(ids, size=n_out)``, (3) answers ``rng.choice(["yes", "no"],
  size=n_out)``, (4) per output [random mode: per group example draws].
- Generic (:class:`ChatFewshot`): (1) example draw, (2) reference trajectories
  ``rng.choice(ids, size=n_out)``, (3) per output [random mode: example draw]. The prompt shows each
  example's user requests and the reference's tools (``tools`` schemas); the task asks for as many
  requests as the reference has user turns; the reply's request lines (``Request i:`` labels
  removed, non-empty) are the new user turns, with the reference's ``tools`` and ``environment``.

**Reply checks** (a failed check is a parse error: the output is the empty placeholder, the raw reply
kept): a T1 conversation needs at least one ``user:`` line; BFCL and generic replies need at least one
``Request i:`` line; an ACP reply needs a line with a question mark; any reply of which more than half
of the lines copy the prompt (an example) is refused (:func:`synae.generate.llm_support.copy_problem`).
Outputs equal to an earlier one are marked ``duplicate_of`` and counted (``n_duplicates``).

Ids ``fewshot_fixed_ex{k}_{i}`` / ``fewshot_rand_ex{k}_{i}`` (conditioned:
``fewshot_<mode>_ex{k}_by<attribute>_{i}``). T1, BFCL and generic results hold instructions only
(``needs_completion``); ACP outputs are the requested answers. ``metadata.generation.modified`` is
true for every generated trajectory (it is not a copy of a real one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from synae.errors import ConfigError
from synae.generate.blankfill import bfcl_environment, bfcl_tools
from synae.generate.common import GenMode, SourcePreset, check_mode, make_dataset, new_rng, provenance
from synae.generate.labels import LabelPreset, labels_of
from synae.generate.llm_support import (
    LLMOptions,
    Prompt,
    check_reply,
    conversation_lines,
    copy_problem,
    empty_trajectory,
    finish,
    llm_record,
    request_seed,
    require_llm,
    send,
    word_count,
)
from synae.generate.prompts import (
    T1_RULES,
    acp_parts,
    acp_trajectory,
    bfcl_situation,
    chat_user_turns,
    first_sentence,
    t1_lines,
    t1_turns,
    tools_summary,
)
from synae.generate.registry import Method, parse_int, register
from synae.schema import Dataset, Message, Trajectory
from synae.views import user_messages

METHOD = "fewshot"
DEFAULT_TEMPERATURE = 0.5
T1_TURNS = 6
BFCL_TURN_CHOICES = [2, 3, 4, 5]
MIN_WORDS = 8
ExampleMode = Literal["fixed", "random"]

_REQUEST_LABEL = re.compile(r"^\s*(?:request\s*\d+\s*[:.)-]\s*)", re.IGNORECASE)
_QUESTION_LABEL = re.compile(r"^\s*question\s*:\s*", re.IGNORECASE)
_FENCE = re.compile(r"^```[A-Za-z]*\s*|\s*```$")


def draw_examples(rng: np.random.Generator, candidates: Sequence[int], k: int, *, replace: bool) -> list[int]:
    """k example positions from ``candidates`` (positions, ascending): with replacement → the
    distinct drawn ones in dataset order (reference); without → draw order."""
    if k == 0:
        return []
    pool = np.asarray(candidates, dtype=np.int64)
    if replace:
        drawn = set(rng.choice(pool, size=k).tolist())
        return [c for c in candidates if c in drawn]
    if k > len(pool):
        raise ConfigError(f"cannot draw {k} distinct examples from {len(pool)} candidates")
    return [int(c) for c in rng.choice(pool, size=k, replace=False).tolist()]


# --------------------------------------------------------------------------------------------
# T1


def t1_prompt(examples: Sequence[Trajectory], target: str | None = None) -> list[dict[str, str]]:
    system = ("You write conversations between a travel attraction recommendation assistant and a user "
              "who is looking for attractions in a US city or state. Rules:\n" + T1_RULES
              + f"- Write exactly {T1_TURNS} turns.\n- Output only the conversation, nothing else.")
    parts = []
    if examples:
        parts.append("Example conversations:\n\n" + "\n\n".join(t1_lines(t1_turns(t)) for t in examples))
    about = f" in which the user is looking for {target} attractions" if target else ""
    parts.append(f"Write one new conversation{about}, similar to the examples in style and with the same "
                 "structure. Output the conversation and nothing else." if examples else
                 f"Write one new conversation{about}. Output the conversation and nothing else.")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]


def conditioned_prompt(target: str) -> list[dict[str, str]]:
    """§8.7: attribute-conditioned zero-shot generation of one T1 conversation as JSON."""
    system = ("You write realistic, varied conversations for testing a travel attraction recommendation "
              "assistant. Reply with JSON only: a list of messages, each {\"role\": \"assistant\" or "
              "\"user\", \"content\": \"...\"}.")
    user = (
        f"Write a multi-turn conversation between a travel attraction recommendation assistant and a user "
        f"looking for {target} attractions in a US city or state.\n"
        "Requirements:\n"
        "- Exactly 6 messages; the assistant speaks first, roles alternate, the last message is from "
        "the user.\n"
        "- The assistant's personality varies from conversation to conversation.\n"
        "- The assistant opens with a generic greeting and never claims to have found options.\n"
        "- The assistant sometimes corrects the user; it mixes direct and open questions.\n"
        "- The user's persona varies (impatient, polite, verbose, terse); some users give too little or "
        "too much detail.\n"
        "- The flow may be non-linear; vary the order in which the location, the attraction type and other "
        "preferences come up.\n"
        "Return the JSON list of messages only."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse_conversation_json(reply: str) -> tuple[list[Message], str | None]:
    """Messages of a JSON reply (a list, or ``{"messages": [...]}``); ([], error) when unusable."""
    text = _FENCE.sub("", reply.strip()).strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], f"reply is not JSON ({exc.msg})"
    if isinstance(data, dict):
        data = data.get("messages") or data.get("conversation")
    if not isinstance(data, list) or not data:
        return [], "reply JSON is not a non-empty list of messages"
    messages = []
    for i, item in enumerate(data):
        role = item.get("role") if isinstance(item, dict) else None
        content = item.get("content") if isinstance(item, dict) else None
        if role not in ("user", "assistant") or not isinstance(content, str) or not content.strip():
            return [], f"message {i} must have role user/assistant and non-empty text content"
        messages.append(Message(role=role, content=content.strip()))
    return messages, None


# --------------------------------------------------------------------------------------------
# BFCL and ACP prompts and parsing


def bfcl_prompt(examples: Sequence[Trajectory], config: dict[str, Any], n_turns: int) -> list[dict[str, str]]:
    system = ("You generate test cases for an assistant that controls software APIs. A test case is a "
              "sequence of user requests. Output one line per request, \"Request i: <request>\", "
              "and nothing else.")
    blocks = []
    for j, ex in enumerate(examples, start=1):
        requests = "\n".join(f"Request {i}: {r}" for i, r in enumerate(user_messages(ex), start=1))
        ex_config = (ex.environment or {}).get("initial_config") or {}
        blocks.append(f"Example {j}\n{bfcl_situation(ex_config)}\n{requests}")
    task = (f"Generate exactly {n_turns} requests for the situation below. Make them realistic; later "
            "requests build on earlier ones; refer only to these APIs and resources.\n"
            f"{bfcl_situation(config)}")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join([*blocks, task])}]


def parse_bfcl_requests(reply: str, n_turns: int) -> list[str]:
    """Lines minus ``Request i:`` labels, kept when ≥ 8 words, at most ``n_turns``."""
    lines = [_REQUEST_LABEL.sub("", line).strip() for line in reply.split("\n")]
    return [line for line in lines if word_count(line) >= MIN_WORDS][:n_turns]


def acp_prompt(examples: Sequence[tuple[str, str, str, str]], context: str, group: str,
               answer: str) -> list[dict[str, str]]:
    """``examples``: (context, group, question, answer)."""
    system = ("You write yes/no questions about planning problems. Generate a single question whose "
              "correct answer is the one specified. Output only the question.")
    blocks = [f"Context (first sentence): {first_sentence(c)}\nQuestion type: {g}\nQuestion: {q}\nAnswer: {a}"
              for c, g, q, a in examples]
    task = (f"Generate a question of type {group} for the context below such that the answer is {answer}.\n"
            f"Context: {context}")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join([*blocks, task])}]


def chat_prompt(examples: Sequence[Trajectory], tools: list[dict[str, Any]] | None,
                n_turns: int) -> list[dict[str, str]]:
    """The generic prompt: example conversations' user requests and the tools of the new one."""
    system = ("You generate test cases for an assistant that can call tools. A test case is a sequence "
              "of user requests. Output one line per request, \"Request i: <request>\", and nothing else.")
    blocks = []
    for j, ex in enumerate(examples, start=1):
        requests = "\n".join(f"Request {i}: {r}" for i, r in enumerate(chat_user_turns(ex), start=1))
        blocks.append(f"Example {j}\nTools:\n{tools_summary(ex.tools)}\n{requests}")
    task = (f"Generate exactly {n_turns} requests for an assistant with the tools below. Make them "
            "realistic and varied; later requests may build on earlier ones; ask only for what these "
            f"tools can do.\nTools:\n{tools_summary(tools)}")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join([*blocks, task])}]


def has_request_lines(reply: str) -> bool:
    """Whether the reply has at least one ``Request i:`` line (the format the prompt asks for)."""
    return any(_REQUEST_LABEL.match(line) for line in reply.split("\n"))


def labelled_requests(text: str | None, n_turns: int, parse: Callable[[str, int], list[str]]
                      ) -> tuple[list[str], str | None]:
    """The requests of a BFCL/generic reply (``parse``), or ([], error) when it has no
    ``Request i:`` line; ``text`` ``None`` (a failed request): ([], None)."""
    if text is None:
        return [], None
    if not has_request_lines(text):
        return [], "no 'Request i:' line in the reply"
    return parse(text, n_turns), None


def parse_requests(reply: str, n_turns: int) -> list[str]:
    """Non-empty lines minus ``Request i:`` labels, at most ``n_turns``."""
    lines = [_REQUEST_LABEL.sub("", line).strip() for line in reply.split("\n")]
    return [line for line in lines if line][:n_turns]


def parse_acp_question(reply: str) -> str:
    """The first line with a question mark, minus a leading ``Question:``; ``""`` when none."""
    for line in reply.split("\n"):
        if "?" in line:
            return _QUESTION_LABEL.sub("", line).strip()
    return ""


# --------------------------------------------------------------------------------------------
# Styles: what a preset's ``fewshot_style`` hook returns

Plan = tuple[Prompt, dict[str, Any]]


@dataclass
class FewshotJob:
    """What every output of one fewshot run shares."""

    preset: FewshotPreset
    params: dict[str, Any]
    seed: int | None
    mode: GenMode

    def instructions(self, tid: str, messages: list[Message], gen: dict[str, Any],
                     environment: dict[str, Any] | None, tools: list[dict[str, Any]] | None,
                     error: str | None = None) -> Trajectory:
        """An instruction-only trajectory (``needs_completion``), or the empty placeholder."""
        gen["needs_completion"] = True
        if not messages:
            return empty_trajectory(tid, gen, environment=environment, benchmark=self.preset.name,
                                    error=error or "no usable content in the reply")
        traj = Trajectory(id=tid, messages=messages, output=None, tools=tools, environment=environment,
                          metadata={"benchmark": self.preset.name, "turn_alignment": "known",
                                    "tool_results": "absent", "generation": gen})
        traj.attributes = self.preset.derive_attributes(traj)
        return traj


class FewshotStyle(Protocol):
    """Drawing, prompting and parsing of one kind of data."""

    @property
    def condition_attributes(self) -> tuple[str, ...]:
        """Attributes ``condition_on`` accepts (empty: no conditioning)."""
        ...

    def plan(self, job: FewshotJob, dataset: Dataset, k: int, examples: ExampleMode, replace: bool,
             n_out: int, rng: np.random.Generator, condition_on: str | None,
             targets: Sequence[str] | None) -> list[Plan]:
        """The requests in output order (``info``: ``reference`` position, ``record`` fields, …)."""
        ...

    def build(self, job: FewshotJob, dataset: Dataset, tid: str, text: str | None, info: dict[str, Any],
              gen: dict[str, Any]) -> Trajectory:
        """The output trajectory of one reply (``text`` ``None``: the request failed)."""
        ...


class FewshotPreset(SourcePreset, LabelPreset, Protocol):
    """What ``fewshot`` reads of a preset."""

    def fewshot_style(self) -> FewshotStyle:
        """How ``fewshot`` draws, prompts and parses for this data."""
        ...


def reference_plans(dataset: Dataset, k: int, examples: ExampleMode, replace: bool, n_out: int,
                    rng: np.random.Generator,
                    prompt: Callable[[list[Trajectory], Trajectory], tuple[Prompt, int]]) -> list[Plan]:
    """Plans of the reference-driven styles (BFCL, chat), in the research code's RNG order: the fixed
    examples, then ``n_out`` reference positions, then per reference its examples (redrawn unless
    ``examples == "fixed"``) and whatever ``prompt(shown, reference)`` draws; ``prompt`` returns the
    request and its number of turns."""
    positions = list(range(len(dataset)))
    fixed = draw_examples(rng, positions, k, replace=replace)
    references = rng.choice(len(dataset), size=n_out).tolist()
    plans: list[Plan] = []
    for ref in references:
        chosen = fixed if examples == "fixed" else draw_examples(rng, positions, k, replace=replace)
        request, n_turns = prompt([dataset[p] for p in chosen], dataset[ref])
        plans.append((request, {"reference": int(ref), "n_turns": n_turns,
                                "record": {"examples": [dataset[p].id for p in chosen], "n_turns": n_turns}}))
    return plans


def _reference(dataset: Dataset, info: dict[str, Any]) -> Trajectory:
    """The reference trajectory an output was planned from."""
    ref = info.get("reference")
    assert ref is not None
    return dataset[ref]


class T1Fewshot:
    """T1 conversations of six turns, optionally conditioned on an ontology attribute (§8.7)."""

    condition_attributes = ("type", "city", "state")

    def plan(self, job: FewshotJob, dataset: Dataset, k: int, examples: ExampleMode, replace: bool,
             n_out: int, rng: np.random.Generator, condition_on: str | None,
             targets: Sequence[str] | None) -> list[Plan]:
        positions = list(range(len(dataset)))
        plans: list[Plan] = []
        if condition_on:
            labels = labels_of(dataset.trajectories, condition_on, job.preset)
            if targets is None:  # uniform over the ontology's values (e.g. the 9 attraction types)
                from synae.envs.t1_ontology import load_ontology

                onto = load_ontology()
                values = {"type": onto.types, "city": onto.cities, "state": onto.states}[condition_on]
                targets = [str(t) for t in rng.choice(values, size=n_out).tolist()]
            for target in targets:
                if k == 0:
                    plans.append((Prompt(conditioned_prompt(target)), {"json": True, "target": target,
                                                                       "record": {"target": target}}))
                    continue
                pool = [p for p in positions if labels[p] == target]
                if not pool:
                    raise ConfigError(f"no real trajectory has {condition_on} = {target!r} "
                                      "to use as an example")
                chosen = draw_examples(rng, pool, k, replace=replace)
                plans.append((Prompt(t1_prompt([dataset[p] for p in chosen], target)),
                              {"record": {"target": target, "examples": [dataset[p].id for p in chosen]}}))
            return plans
        fixed = draw_examples(rng, positions, k, replace=replace) if examples == "fixed" else []
        for _ in range(n_out):
            chosen = fixed if examples == "fixed" else draw_examples(rng, positions, k, replace=replace)
            plans.append((Prompt(t1_prompt([dataset[p] for p in chosen])),
                          {"record": {"examples": [dataset[p].id for p in chosen]}}))
        return plans

    def build(self, job: FewshotJob, dataset: Dataset, tid: str, text: str | None, info: dict[str, Any],
              gen: dict[str, Any]) -> Trajectory:
        error = None
        if text is None:
            messages: list[Message] = []
        elif info.get("json"):
            messages, error = parse_conversation_json(text)
        else:
            messages = conversation_lines(text, limit=T1_TURNS)
            if not any(m.role == "user" for m in messages):
                messages, error = [], "no 'user:' line in the reply (not a conversation)"
        return job.instructions(tid, messages, gen, {"kind": job.preset.environment_kind}, None, error)


class BFCLFewshot:
    """BFCL request sequences for a drawn reference configuration."""

    condition_attributes: tuple[str, ...] = ()

    def plan(self, job: FewshotJob, dataset: Dataset, k: int, examples: ExampleMode, replace: bool,
             n_out: int, rng: np.random.Generator, condition_on: str | None,
             targets: Sequence[str] | None) -> list[Plan]:
        def prompt(shown: list[Trajectory], reference: Trajectory) -> tuple[Prompt, int]:
            n_turns = int(rng.choice(BFCL_TURN_CHOICES))
            config = (reference.environment or {}).get("initial_config") or {}
            return Prompt(bfcl_prompt(shown, config, n_turns)), n_turns

        return reference_plans(dataset, k, examples, replace, n_out, rng, prompt)

    def build(self, job: FewshotJob, dataset: Dataset, tid: str, text: str | None, info: dict[str, Any],
              gen: dict[str, Any]) -> Trajectory:
        source = _reference(dataset, info)
        requests, error = labelled_requests(text, info["n_turns"], parse_bfcl_requests)
        environment = bfcl_environment(source, job.mode, job.preset.environment_kind)
        return job.instructions(tid, [Message(role="user", content=r) for r in requests], gen, environment,
                                bfcl_tools(environment["involved_classes"], source.tools), error)


class ACPFewshot:
    """ACP questions with a requested answer for a drawn reference context (examples per group)."""

    condition_attributes: tuple[str, ...] = ()

    def plan(self, job: FewshotJob, dataset: Dataset, k: int, examples: ExampleMode, replace: bool,
             n_out: int, rng: np.random.Generator, condition_on: str | None,
             targets: Sequence[str] | None) -> list[Plan]:
        groups: dict[str, list[int]] = {}
        for pos, traj in enumerate(dataset):
            groups.setdefault(str(traj.attributes.get("group") or ""), []).append(pos)

        def draw_all() -> list[int]:
            return [p for pool in groups.values() for p in draw_examples(rng, pool, k // 2, replace=replace)]

        fixed = draw_all()
        references = rng.choice(len(dataset), size=n_out).tolist()
        answers = [str(a) for a in rng.choice(["yes", "no"], size=n_out).tolist()]
        plans: list[Plan] = []
        for ref, answer in zip(references, answers, strict=True):
            chosen = fixed if examples == "fixed" else draw_all()
            shown = []
            for p in chosen:
                context, question = acp_parts(dataset[p])
                shown.append((context, str(dataset[p].attributes.get("group") or ""), question,
                              dataset[p].output or ""))
            context, _ = acp_parts(dataset[ref])
            group = str(dataset[ref].attributes.get("group") or "")
            plans.append((Prompt(acp_prompt(shown, context, group, answer)),
                          {"reference": int(ref), "answer": answer,
                           "record": {"examples": [dataset[p].id for p in chosen], "answer": answer}}))
        return plans

    def build(self, job: FewshotJob, dataset: Dataset, tid: str, text: str | None, info: dict[str, Any],
              gen: dict[str, Any]) -> Trajectory:
        source = _reference(dataset, info)
        question = parse_acp_question(text) if text is not None else ""
        environment = {"kind": job.preset.environment_kind}
        if not question:
            return empty_trajectory(tid, gen, environment=environment, benchmark=job.preset.name,
                                    error="no question (a line with '?') in the reply")
        context, _ = acp_parts(source)
        traj = acp_trajectory(tid, context, question, info["answer"], source.attributes.get("group"),
                              generation=gen, preset=job.preset.name, environment=environment)
        traj.attributes = {**traj.attributes, **job.preset.derive_attributes(traj)}
        return traj


class ChatFewshot:
    """Generic tool-calling conversations: new user requests for a drawn reference's tools."""

    condition_attributes: tuple[str, ...] = ()

    def plan(self, job: FewshotJob, dataset: Dataset, k: int, examples: ExampleMode, replace: bool,
             n_out: int, rng: np.random.Generator, condition_on: str | None,
             targets: Sequence[str] | None) -> list[Plan]:
        def prompt(shown: list[Trajectory], reference: Trajectory) -> tuple[Prompt, int]:
            n_turns = max(1, len(chat_user_turns(reference)))
            return Prompt(chat_prompt(shown, reference.tools, n_turns)), n_turns

        return reference_plans(dataset, k, examples, replace, n_out, rng, prompt)

    def build(self, job: FewshotJob, dataset: Dataset, tid: str, text: str | None, info: dict[str, Any],
              gen: dict[str, Any]) -> Trajectory:
        source = _reference(dataset, info)
        requests, error = labelled_requests(text, info["n_turns"], parse_requests)
        return job.instructions(tid, [Message(role="user", content=r) for r in requests], gen,
                                source.environment, source.tools, error)


# --------------------------------------------------------------------------------------------


def _or_list(items: Sequence[str]) -> str:
    """``a, b or c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def fewshot(dataset: Dataset, k: int = 3, *, preset: FewshotPreset, examples: ExampleMode = "fixed",
            replace: bool | None = None, n_out: int | None = None, llm: LLMOptions | None = None,
            seed: int | None = 123, mode: GenMode = "default", condition_on: str | None = None,
            targets: Sequence[str] | None = None, drop_empty: bool = False) -> Dataset:
    """``n_out`` (default n) new trajectories generated from k examples each (module docstring)."""
    check_mode(mode)
    if examples not in ("fixed", "random"):
        raise ConfigError(f"examples must be 'fixed' or 'random', got {examples!r}")
    k = int(k)
    if k < 0:
        raise ConfigError(f"k must be >= 0, got {k}")
    options = require_llm(llm, METHOD)
    if len(dataset) == 0:
        raise ConfigError(f"{dataset.source or dataset.name}: no trajectories to draw examples from")
    style = preset.fewshot_style()
    if targets is not None:
        n_out = len(targets)
    n_out = len(dataset) if n_out is None else int(n_out)
    replace = (mode == "reference") if replace is None else replace
    temperature = DEFAULT_TEMPERATURE if options.temperature is None else options.temperature
    tag = f"{METHOD}_{'fixed' if examples == 'fixed' else 'rand'}_ex{k}"
    if condition_on:
        allowed = style.condition_attributes
        if condition_on not in allowed:
            raise ConfigError(f"condition_on is not defined for {preset.name} data" if not allowed else
                              f"condition_on is defined for {preset.name}: {_or_list(allowed)}")
        tag += f"_by{condition_on}"
    params: dict[str, Any] = {"k": k, "examples": examples, "replace": replace, "n_out": n_out,
                              "benchmark": preset.name, "condition_on": condition_on}
    job = FewshotJob(preset, params, seed, mode)
    plans = style.plan(job, dataset, k, examples, replace, n_out, new_rng(seed), condition_on, targets)
    replies = send([p for p, _ in plans], options, temperature=temperature, description=f"{METHOD} k={k}",
                   seed=seed)
    out = []
    for i, ((prompt, info), reply) in enumerate(zip(plans, replies, strict=True)):
        if reply.text is not None:
            reply = check_reply(reply, copy_problem(reply.text, prompt))
        record = {**llm_record(prompt, reply, options, temperature, request_seed(seed, i)), **info["record"]}
        ref = info.get("reference")
        gen = provenance(METHOD, params, seed, source=dataset[ref] if ref is not None else None, position=ref,
                         modified=True, modification="generated by the LLM", **record)
        out.append(style.build(job, dataset, f"{tag}_{i}", None if reply.error else reply.text, info, gen))
    kept, n_dropped = finish(out, drop_empty=drop_empty)
    result = make_dataset(kept, name=tag, source=dataset)
    result.n_skipped = n_dropped
    return result


register(Method(METHOD, fewshot, "k", parse_value=parse_int, default_grid=(0, 1, 3, 5), llm=True,
                summary="generate new trajectories from k real examples with an LLM"))

__all__ = ["ACPFewshot", "BFCLFewshot", "ChatFewshot", "FewshotStyle", "T1Fewshot", "draw_examples",
           "fewshot",
           "parse_acp_question", "parse_bfcl_requests", "parse_conversation_json", "parse_requests"]
