"""Prompts of the downstream agent loops, written fresh for synae (``docs/method.md`` §7.5).

All prompts are pure functions of their inputs, so the same step always produces the same request
(and hits the LLM reply cache on a re-run). Reference tool calls are never shown to an agent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from synae.schema import Message

# ---------------------------------------------------------------------------------------------
# T1 code protocol (§7.5)

T1_PLAN_SYSTEM = (
    "You are an expert travel planner. You help a user find tourist attractions by writing short "
    "Python programs that call the tools described below. You only call the given tools; you never "
    "invent other functions."
)

T1_PLANNING_RULES = """\
Planning rules:
1. Keep track of everything the user has said so far in the conversation, not only the last message.
2. Call a tool as soon as its mandatory parameters are known (search_attractions needs a city or a state).
3. Use entity values (cities, states, neighborhoods, attraction types, attraction names) exactly as they \
are written in the conversation.
4. Do not fill optional parameters that the user did not give.
5. Reuse earlier results from the cache when they are still valid: load them with \
get_results_from_cache(key=...) choosing the key from the cache summary below.
6. Save results that may be reused later with save_to_cache(key=..., value=...) under a new, unique key.
7. When nothing new is needed for the latest user message, output exactly: print("No planning needed")
8. Write plain statements only: assignments and calls with keyword arguments. No imports, loops, \
conditionals, attribute access, indexing or arithmetic."""

T1_EXAMPLES = """\
Worked examples:

Example 1
user: I'd like to see some art in Chicago.
Reasoning: the city and the attraction type are known, so search now and keep the result.
<CODE>
art = search_attractions(city="Chicago", type=["Art"])
save_to_cache(key="chicago_art", value=art)
</CODE>

Example 2
user: I'm heading to Oregon soon.
assistant: Great choice! What kind of places do you enjoy?
user: Mostly scenic spots, ideally in the Pearl District of Portland.
Cache summary: {"oregon_attractions": "Attraction search results in OR."}
Reasoning: the earlier state search is still valid; narrow it down instead of searching again.
<CODE>
oregon = get_results_from_cache(key="oregon_attractions")
scenic = filter_attractions(prior_results=oregon, city="Portland", neighborhood=["Pearl District"], \
type=["Scenic"])
save_to_cache(key="portland_pearl_scenic", value=scenic)
</CODE>

Example 3
user: Could you list them by name?
Cache summary: {"portland_pearl_scenic": "Attraction search results in OR. ... attraction type(s): [Scenic]."}
Reasoning: sort the cached scenic by their name.
<CODE>
scenic = get_results_from_cache(key="portland_pearl_scenic")
sorted_scenic = sort_results(results=scenic, column="attraction_name", ascending=True)
save_to_cache(key="portland_pearl_scenic_by_name", value=sorted_scenic)
</CODE>

Example 4
user: Thanks, that sounds good!
Reasoning: nothing new is asked.
<CODE>
print("No planning needed")
</CODE>"""

T1_OUTPUT_FORMAT = (
    "Output format: first a brief reasoning (one or two sentences), then the code between <CODE> and "
    "</CODE>. Do not use Markdown code fences."
)

T1_OUTPUT_SYSTEM = (
    "You are a friendly travel planner who recommends tourist attractions to the user, based on the "
    "conversation and on the attraction search results you found."
)

T1_MAX_RECORDS_PER_KEY = 30  # records per cache key shown in the output prompt


def render_conversation(messages: Sequence[Message]) -> str:
    """User messages and scripted assistant responses, role-labelled, one per line (``role: text``)."""
    lines = []
    for m in messages:
        if m.role == "user":
            lines.append(f"user: {m.content or ''}")
        elif m.role == "assistant" and m.content and m.content.strip():
            lines.append(f"assistant: {m.content}")
    return "\n".join(lines)


def t1_plan_messages(tool_docs: str, conversation: Sequence[Message],
                     cache_summary: Mapping[str, str]) -> list[dict[str, Any]]:
    """The plan prompt for one user turn: tool docs, rules, examples, conversation, cache summary."""
    summary = json.dumps(dict(cache_summary), ensure_ascii=False, indent=1) if cache_summary else "{} (empty)"
    user = "\n\n".join([
        "Available tools:\n" + tool_docs,
        T1_PLANNING_RULES,
        T1_EXAMPLES,
        "Conversation so far:\n" + render_conversation(conversation),
        "Cache summary (key: description of the stored results):\n" + summary,
        T1_OUTPUT_FORMAT,
        "Now write the plan for the latest user message.",
    ])
    return [{"role": "system", "content": T1_PLAN_SYSTEM}, {"role": "user", "content": user}]


def render_cache_contents(contents: Mapping[str, Mapping[str, Any]]) -> str:
    """Per cache key (``T1Environment.cache_contents()``): its summary and its (capped) records with
    name, type, neighborhood, city and state; a capped list says how many records were left out."""
    if not contents:
        return "(no results were found or saved)"
    blocks = []
    for key, entry in contents.items():
        records = entry.get("records", [])
        lines = [f"[{key}] {entry.get('summary', '')}"]
        lines += [f"- {r.get('attraction_name')} ({r.get('type')}), {r.get('neighborhood')}, "
                  f"{r.get('city')}, {r.get('state')}" for r in records]
        hidden = int(entry.get("n_records", len(records))) - len(records)
        if hidden > 0:
            lines.append(f"... and {hidden} more")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def t1_output_messages(conversation: Sequence[Message], cache_text: str) -> list[dict[str, Any]]:
    """The final recommendation prompt (after the last user message)."""
    user = "\n\n".join([
        "Conversation:\n" + render_conversation(conversation),
        "Attraction search results you found (cache contents):\n" + cache_text,
        "Write your final recommendation to the user: the attractions that fit what they asked for.",
    ])
    return [{"role": "system", "content": T1_OUTPUT_SYSTEM}, {"role": "user", "content": user}]


# ---------------------------------------------------------------------------------------------
# BFCL / generic tool-calling protocol (§7.5)

TOOL_SYSTEM = (
    "You are an expert in composing function calls. You are given a user request and a set of "
    "functions. Fulfil the request by calling one or more of the functions. If none of the functions "
    "applies, or the request lacks parameters that a function requires, say so instead of calling. "
    "When you call functions, return only the calls, with no other text."
)

PYTHON_FORMAT = (
    "Write the calls as a Python list, e.g. [func_name1(param1=value1, param2=value2), "
    "func_name2(param=value)], and nothing else. When no call is needed, answer in plain text."
    "\n\nAvailable functions (JSON):\n"
)


def tool_system_message(tools: Sequence[dict[str, Any]] | None, call_format: str) -> dict[str, Any]:
    """The system message; with ``call_format = "python"`` it also lists the functions and the format."""
    content = TOOL_SYSTEM
    if call_format == "python":
        functions = [t.get("function", t) for t in tools or ()]
        content += "\n\n" + PYTHON_FORMAT + json.dumps(functions, ensure_ascii=False)
    return {"role": "system", "content": content}


# ---------------------------------------------------------------------------------------------
# ACP (§7.5)

ACP_CUE = "Only answer yes or no."


def acp_messages(reference_user_text: str) -> list[dict[str, Any]]:
    """One user message: context, newline, question, newline, the yes/no cue (added when missing)."""
    text = reference_user_text.rstrip()
    if not text.endswith(ACP_CUE):
        text = f"{text}\n{ACP_CUE}"
    return [{"role": "user", "content": text}]
