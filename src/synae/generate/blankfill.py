"""``blankfill`` — mask pieces of each real trajectory's text and let an LLM fill them in
(``docs/method.md`` §8.5).

**Masking** (deterministic, one ``default_rng(seed)`` for the whole dataset): runs of word
characters are cut into pieces of at most 4 characters, every other non-whitespace character is its
own piece, whitespace is kept; one ``rng.random()`` per piece in document order; a piece whose draw
is < p becomes ``_``. Role prefixes and newlines are never masked.

**Per preset** (its ``blankfill_style`` hook; one request per source trajectory, ``n_out = n``, ids
``blankfill_prob{p}_{i}``):

- T1 (:class:`T1Blankfill`): every line's content (after ``role: ``) is masked; the reply is read as
  ``role: content`` lines (``assistant: `` prepended when missing).
- BFCL (:class:`BFCLBlankfill`): the user turns (one per line) are masked; reply lines with ≥ 8 words
  are the new turns, truncated to the source's turn count; ``initial_config`` is kept;
  ``involved_classes`` are the source's (default) or the config's keys (reference).
- ACP (:class:`ACPBlankfill`): only the question is masked; the first reply line with ≥ 8 words
  (after a leading ``Completed question:``) is the new question; context, group and answer are
  copied (the answer may no longer be right: ``modified`` is true when the question changed).
- Generic (:class:`ChatBlankfill`): the user messages (each on one line, inner whitespace runs
  collapsed to one space) are masked as ``user: …`` lines; the prompt lists the trajectory's tools
  (name, parameters, description from ``tools``); the reply's ``user:`` lines are the new turns, at
  most the source's count; ``tools`` and ``environment`` are the source's.

**Reply checks** (a failed check is a parse error: the output is the empty placeholder, the raw reply
kept): a reply that keeps at least half of its blanks (:func:`blank_problem`), and a reply of which
more than half of the lines copy the prompt's example or instructions rather than the source
(:func:`synae.generate.llm_support.copy_problem`). Outputs equal to an earlier one are marked
``duplicate_of`` and counted (``n_duplicates``).

Tool calls and outputs of T1/BFCL/generic are *not* produced here: the results hold instructions
only (``metadata.generation.needs_completion``); run the completion agent on them.
p = 0 copies the source without any LLM call unless ``llm_at_p0``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from synae.errors import SynaeError
from synae.generate.common import (
    GenMode,
    SourcePreset,
    check_fraction,
    check_mode,
    derive,
    frac_tag,
    make_dataset,
    new_rng,
    provenance,
)
from synae.generate.labels import LabelPreset
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
    ACP_EXAMPLES,
    BFCL_EXAMPLE,
    T1_EXAMPLE,
    T1_RULES,
    acp_parts,
    acp_trajectory,
    bfcl_situation,
    chat_user_turns,
    t1_lines,
    t1_turns,
    tools_summary,
    user_lines,
)
from synae.generate.registry import Method, register
from synae.schema import Dataset, Message, Trajectory
from synae.views import user_messages

METHOD = "blankfill"
DEFAULT_TEMPERATURE = 0.2
MIN_WORDS = 8
EXAMPLE_SEED = 0  # masks the worked examples (fixed, independent of the dataset's rng)

_PIECES = re.compile(r"\w+|\s+|[^\w\s]")
_COMPLETED = re.compile(r"^\s*completed question\s*:\s*", re.IGNORECASE)
_USER_LINE = re.compile(r"^\s*user\s*:\s*(.*)$", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# Masking


def split_pieces(text: str) -> list[tuple[str, bool]]:
    """(piece, maskable) in document order: word runs cut into ≤ 4 characters, other
    non-whitespace characters alone (maskable), whitespace runs (never masked)."""
    pieces = []
    for match in _PIECES.finditer(text):
        token = match.group()
        if token.isspace():
            pieces.append((token, False))
        elif re.fullmatch(r"\w+", token):
            pieces.extend((token[i:i + 4], True) for i in range(0, len(token), 4))
        else:
            pieces.append((token, True))
    return pieces


def mask_text(text: str, p: float, rng: np.random.Generator) -> str:
    """Mask ``text``: one ``rng.random()`` per maskable piece, in order; draw < p → ``_``."""
    pieces = split_pieces(text)
    n = sum(1 for _, maskable in pieces if maskable)
    draws = iter(rng.random(n).tolist())  # identical to n successive rng.random() calls
    return "".join("_" if maskable and next(draws) < p else piece for piece, maskable in pieces)


def mask_lines(turns: list[tuple[str, str]], p: float, rng: np.random.Generator) -> str:
    """``role: content`` lines with only the contents masked (prefixes and newlines kept)."""
    return "\n".join(f"{role}: {mask_text(content, p, rng)}" for role, content in turns)


# --------------------------------------------------------------------------------------------
# Prompts


def t1_prompt(masked: str, p: float) -> list[dict[str, str]]:
    example = mask_lines(T1_EXAMPLE, p, new_rng(EXAMPLE_SEED))
    system = ("You fill in the blanks of a conversation between a travel attraction recommendation "
              "assistant and a user. Every \"_\" stands for a missing piece of text: a few characters, "
              "part of a word, or a punctuation mark. Rules:\n" + T1_RULES
              + "- Keep the same number of turns as the masked conversation.\n"
              "- Output only the completed conversation, nothing else.")
    user = (f"Example masked conversation:\n{example}\n\nCompleted conversation:\n{t1_lines(T1_EXAMPLE)}\n\n"
            f"Masked conversation:\n{masked}\n\nCompleted conversation:")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def bfcl_prompt(masked: str, config: dict[str, Any], p: float) -> list[dict[str, str]]:
    example_masked = "\n".join(mask_text(r, p, new_rng(EXAMPLE_SEED)) for r in BFCL_EXAMPLE["requests"])
    system = ("You complete the requests a user makes to an assistant that controls the APIs listed. "
              "Every \"_\" stands for a missing piece of text. Use only the given APIs and resources. "
              "Write one request per line and nothing else: no numbering, no explanations.")
    user = (f"Example\n{bfcl_situation(BFCL_EXAMPLE['config'])}\nMasked requests:\n{example_masked}\n"
            f"Completed requests:\n" + "\n".join(BFCL_EXAMPLE["requests"]) + "\n\n"
            f"Now this one\n{bfcl_situation(config)}\nMasked requests:\n{masked}\nCompleted requests:")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def acp_prompt(context: str, group: str, answer: str, masked: str, p: float) -> list[dict[str, str]]:
    blocks = []
    for ex in ACP_EXAMPLES:
        ex_masked = mask_text(ex["question"], p, new_rng(EXAMPLE_SEED))
        blocks.append(f"Context: {ex['context']}\nQuestion type: {ex['group']}\nAnswer: {ex['answer']}\n"
                      f"Masked question: {ex_masked}\nCompleted question: {ex['question']}")
    system = ("You complete a masked yes/no question about a planning problem. Every \"_\" stands for a "
              "missing piece of text. Use only entities and terms that appear in the context. Output "
              "only the completed question.")
    user = ("\n\n".join(blocks) + f"\n\nContext: {context}\nQuestion type: {group}\nAnswer: {answer}\n"
            f"Masked question: {masked}\nCompleted question:")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def chat_prompt(masked: str, tools: str) -> list[dict[str, str]]:
    """The generic prompt: the masked user requests of a tool-calling conversation and its tools."""
    system = ("You fill in the blanks of the requests a user makes to an assistant that can call the "
              "tools listed. Every \"_\" stands for a missing piece of text: a few characters, part of a "
              "word, or a punctuation mark. Keep the same number of requests, one per line, each "
              "starting with \"user:\". Requests must be things the listed tools can serve. Output only "
              "the completed requests, nothing else.")
    user = f"Tools:\n{tools}\n\nMasked requests:\n{masked}\n\nCompleted requests:"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


# --------------------------------------------------------------------------------------------
# Reply parsing


def parse_bfcl_reply(reply: str, n_turns: int) -> list[str]:
    """Non-empty lines with ≥ 8 whitespace tokens, at most ``n_turns`` of them."""
    lines = [line.strip() for line in reply.split("\n")]
    return [line for line in lines if word_count(line) >= MIN_WORDS][:n_turns]


def parse_user_lines(reply: str, n_turns: int) -> list[str]:
    """The non-empty contents of the ``user:`` lines (case-insensitive), at most ``n_turns``."""
    found = [m.group(1).strip() for line in reply.split("\n") if (m := _USER_LINE.match(line))]
    return [t for t in found if t][:n_turns]


def parse_acp_reply(reply: str) -> str:
    """The first line (minus a leading "Completed question:") with ≥ 8 tokens, else ``""``."""
    for line in reply.split("\n"):
        line = _COMPLETED.sub("", line).strip()
        if word_count(line) >= MIN_WORDS:
            return line
    return ""


def blank_problem(reply: str, masked: str, source: str) -> str | None:
    """Why ``reply`` did not fill its blanks: ``blanks`` = ``_`` in the masked text beyond those of the
    unmasked ``source`` text, ``left`` = ``_`` in the reply beyond the source's; a problem when
    ``left ≥ max(1, blanks / 2)``. ``None`` otherwise."""
    own = source.count("_")
    blanks, left = masked.count("_") - own, reply.count("_") - own
    if blanks > 0 and left > 0 and 2 * left >= blanks:
        return f"the reply keeps {left} of its {blanks} blanks"
    return None


# --------------------------------------------------------------------------------------------
# Styles: what a preset's ``blankfill_style`` hook returns


@dataclass
class FillJob:
    """What every output of one blankfill run shares."""

    preset: BlankfillPreset
    params: dict[str, Any]
    seed: int | None
    mode: GenMode

    def provenance(self, source: Trajectory, pos: int, *, modified: bool, modification: str | None,
                   **extra: Any) -> dict[str, Any]:
        return provenance(METHOD, self.params, self.seed, source=source, position=pos, modified=modified,
                          modification=modification, **extra)

    def environment(self) -> dict[str, Any]:
        """A new trajectory's environment: the preset's kind only."""
        return {"kind": self.preset.environment_kind}

    def instructions(self, source: Trajectory, pos: int, tid: str, messages: list[Message], changed: bool,
                     environment: dict[str, Any] | None, tools: list[dict[str, Any]] | None,
                     record: dict[str, Any]) -> Trajectory:
        """An instruction-only trajectory (``needs_completion``), or the empty placeholder."""
        gen = self.provenance(source, pos, modified=changed,
                              modification="instructions rewritten" if changed else None,
                              needs_completion=True, **record)
        if not messages:
            return empty_trajectory(tid, gen, environment=environment, benchmark=self.preset.name,
                                    error="no usable conversation line in the reply")
        metadata = {"benchmark": self.preset.name, "turn_alignment": "known", "tool_results": "absent",
                    "generation": gen}
        traj = Trajectory(id=tid, messages=messages, output=None, tools=tools, environment=environment,
                          metadata=metadata)
        traj.attributes = self.preset.derive_attributes(traj)
        return traj


class BlankfillStyle(Protocol):
    """Masking, prompt and reply parsing of one kind of data."""

    def prompt(self, traj: Trajectory, p: float, rng: np.random.Generator) -> Prompt:
        """The request for ``traj`` (``context["masked"]``: the masked text); draws the mask."""
        ...

    def build(self, job: FillJob, source: Trajectory, pos: int, tid: str, reply: str | None,
              record: dict[str, Any]) -> Trajectory:
        """The output trajectory of one reply (``None``: the request failed)."""
        ...


class BlankfillPreset(SourcePreset, LabelPreset, Protocol):
    """What ``blankfill`` reads of a preset."""

    def blankfill_style(self) -> BlankfillStyle:
        """How ``blankfill`` masks, prompts and parses for this data."""
        ...


class T1Blankfill:
    """T1 conversations: every ``role: content`` line masked and refilled."""

    def prompt(self, traj: Trajectory, p: float, rng: np.random.Generator) -> Prompt:
        masked = mask_lines(t1_turns(traj), p, rng)
        return Prompt(t1_prompt(masked, p), {"masked": masked})

    def build(self, job: FillJob, source: Trajectory, pos: int, tid: str, reply: str | None,
              record: dict[str, Any]) -> Trajectory:
        messages = conversation_lines(reply) if reply is not None else []
        changed = [(m.role, m.content) for m in messages] != t1_turns(source)
        return job.instructions(source, pos, tid, messages, changed, job.environment(), source.tools, record)


def bfcl_environment(source: Trajectory, mode: GenMode, kind: str | None) -> dict[str, Any]:
    """A new BFCL trajectory's environment (``kind``: the preset's): the source's ``initial_config``;
    ``involved_classes`` the source's (default) or the config's keys (reference)."""
    env = source.environment or {}
    config = env.get("initial_config") or {}
    classes = list(config) if mode == "reference" else list(env.get("involved_classes") or config)
    return {"kind": kind, "initial_config": config, "involved_classes": classes, "path": [],
            "excluded_function": []}


def bfcl_tools(classes: list[str], fallback: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Tool definitions of ``classes`` from the BFCL function docs (``fallback`` when unavailable)."""
    try:
        from synae.adapters.bfcl import func_doc_dir, tool_definitions

        doc_dir = func_doc_dir()
        return tool_definitions(classes, doc_dir) if doc_dir is not None and classes else fallback
    except (SynaeError, OSError, ValueError):  # docs missing or unreadable: keep the source's tools
        return fallback


class BFCLBlankfill:
    """BFCL: the user turns masked and refilled for the source's API configuration."""

    def prompt(self, traj: Trajectory, p: float, rng: np.random.Generator) -> Prompt:
        requests = "\n".join(user_messages(traj)).split("\n")
        masked = "\n".join(mask_text(line, p, rng) for line in requests)
        config = (traj.environment or {}).get("initial_config") or {}
        return Prompt(bfcl_prompt(masked, config, p), {"masked": masked})

    def build(self, job: FillJob, source: Trajectory, pos: int, tid: str, reply: str | None,
              record: dict[str, Any]) -> Trajectory:
        source_turns = user_messages(source)
        turns = parse_bfcl_reply(reply, len(source_turns)) if reply is not None else []
        environment = bfcl_environment(source, job.mode, job.preset.environment_kind)
        return job.instructions(source, pos, tid, [Message(role="user", content=t) for t in turns],
                                turns != source_turns, environment,
                                bfcl_tools(environment["involved_classes"], source.tools), record)


class ACPBlankfill:
    """ACP: the question masked and refilled; context, group and answer kept."""

    def prompt(self, traj: Trajectory, p: float, rng: np.random.Generator) -> Prompt:
        context, question = acp_parts(traj)
        masked = mask_text(question, p, rng)
        group = str(traj.attributes.get("group") or "")
        return Prompt(acp_prompt(context, group, traj.output or "", masked, p), {"masked": masked})

    def build(self, job: FillJob, source: Trajectory, pos: int, tid: str, reply: str | None,
              record: dict[str, Any]) -> Trajectory:
        context, question = acp_parts(source)
        new_question = parse_acp_reply(reply) if reply is not None else ""
        if not new_question:
            gen = job.provenance(source, pos, modified=True, modification=None, **record)
            return empty_trajectory(tid, gen, environment=job.environment(), benchmark=job.preset.name,
                                    error="no question of at least 8 words in the reply")
        changed = new_question != question
        gen = job.provenance(source, pos, modified=changed,
                             modification="question rewritten" if changed else None, **record)
        traj = acp_trajectory(tid, context, new_question, source.output or "", source.attributes.get("group"),
                              generation=gen, base=source, preset=job.preset.name,
                              environment=job.environment())
        traj.attributes = {**traj.attributes, **job.preset.derive_attributes(traj)}
        return traj


class ChatBlankfill:
    """Generic tool-calling conversations: the user requests masked and refilled (module docstring)."""

    def prompt(self, traj: Trajectory, p: float, rng: np.random.Generator) -> Prompt:
        masked = user_lines([mask_text(t, p, rng) for t in chat_user_turns(traj)])
        return Prompt(chat_prompt(masked, tools_summary(traj.tools)), {"masked": masked})

    def build(self, job: FillJob, source: Trajectory, pos: int, tid: str, reply: str | None,
              record: dict[str, Any]) -> Trajectory:
        source_turns = chat_user_turns(source)
        turns = parse_user_lines(reply, len(source_turns)) if reply is not None else []
        return job.instructions(source, pos, tid, [Message(role="user", content=t) for t in turns],
                                turns != source_turns, source.environment, source.tools, record)


# --------------------------------------------------------------------------------------------


def blankfill(dataset: Dataset, p: float = 0.5, *, preset: BlankfillPreset, llm: LLMOptions | None = None,
              seed: int | None = 123, mode: GenMode = "default", llm_at_p0: bool = False,
              drop_empty: bool = False) -> Dataset:
    """Blank-filled version of ``dataset`` (see the module docstring); one LLM request per row."""
    check_mode(mode)
    prob = check_fraction("p", p)
    tag = f"{METHOD}_prob{frac_tag(p)}"
    use_llm = prob > 0 or llm_at_p0
    options = require_llm(llm, METHOD) if use_llm else llm
    temperature = DEFAULT_TEMPERATURE
    if options is not None and options.temperature is not None:
        temperature = options.temperature
    params: dict[str, Any] = {"p": p, "benchmark": preset.name, "llm_at_p0": llm_at_p0}
    if not use_llm:
        out = [derive(t, new_id=f"{tag}_{i}", generation=provenance(
            METHOD, params, seed, source=t, position=i, modified=False, modification=None))
            for i, t in enumerate(dataset)]
        return make_dataset(out, name=tag, source=dataset)

    style = preset.blankfill_style()
    rng = new_rng(seed)
    prompts = [style.prompt(traj, prob, rng) for traj in dataset]
    assert options is not None
    replies = send(prompts, options, temperature=temperature, description=f"{METHOD} p={p}", seed=seed)
    job = FillJob(preset, params, seed, mode)
    out = []
    for i, (traj, prompt, reply) in enumerate(zip(dataset, prompts, replies, strict=True)):
        if reply.text is not None:
            source = style.prompt(traj, 0.0, new_rng(0)).context["masked"]  # p = 0: nothing masked
            reply = check_reply(reply, blank_problem(reply.text, prompt.context["masked"], source)
                                or copy_problem(reply.text, prompt, source))
        record = llm_record(prompt, reply, options, temperature, request_seed(seed, i))
        record["masked"] = prompt.context["masked"]
        out.append(style.build(job, traj, i, f"{tag}_{i}", None if reply.error else reply.text, record))
    kept, n_dropped = finish(out, drop_empty=drop_empty)
    result = make_dataset(kept, name=tag, source=dataset)
    result.n_skipped = n_dropped
    return result


register(Method(METHOD, blankfill, "p", default_grid=(0.1, 0.3, 0.5, 0.7, 0.9), llm=True,
                summary="mask a fraction p of each text and let an LLM fill the blanks"))

__all__ = ["ACPBlankfill", "BFCLBlankfill", "BlankfillStyle", "ChatBlankfill", "T1Blankfill", "blank_problem",
           "blankfill",
           "mask_lines", "mask_text", "parse_acp_reply", "parse_bfcl_reply", "parse_user_lines",
           "split_pieces"]
