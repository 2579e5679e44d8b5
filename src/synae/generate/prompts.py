"""Prompt pieces the LLM generators share (``docs/method.md`` §8.5, §8.7): T1 format rules, BFCL resource
summaries, ACP context parts, generic tool summaries, and the hand-written worked examples.

The worked examples are written for synae (no benchmark item is quoted), so they can ship with the
package whatever the license of the benchmark data.
"""

from __future__ import annotations

from typing import Any

from synae.schema import Trajectory

ACP_SUFFIX = "Only answer yes or no."

T1_RULES = (
    "- The output must start with \"assistant:\".\n"
    "- Roles strictly alternate between \"user:\" and \"assistant:\".\n"
    "- Write exactly one line per turn, in the form \"role: content\".\n"
)

T1_EXAMPLE = [
    ("assistant", "Hi there! Are you planning a trip soon?"),
    ("user", "Yes, I'm heading to Chicago and I'd love to see some Art attractions."),
    ("assistant", "Chicago has plenty of Art to offer. Is there a neighborhood you'd like to stay close to?"),
    ("user", "Somewhere near the Loop would be great."),
    ("assistant", "Got it. Would you like me to narrow it down to the most popular places?"),
    ("user", "Sure, show me the ones that are open in the evening."),
]

BFCL_EXAMPLE: dict[str, Any] = {
    "classes": ["GorillaFileSystem", "TwitterAPI"],
    "config": {
        "GorillaFileSystem": {"root": {"alex": {"type": "directory", "contents": {
            "notes": {"type": "directory", "contents": {
                "ideas.txt": {"type": "file", "content": "Launch plan draft and open questions."}}},
            "summary.md": {"type": "file", "content": "Weekly summary."}}}}},
        "TwitterAPI": {"username": "alex_dev", "tweets": {"0": {"id": 0, "content": "Hello!"}}},
    },
    "requests": [
        "Go into the notes folder and show me every line of ideas.txt that mentions the launch plan.",
        "Make a copy of ideas.txt called launch.txt in the same folder so that I can edit it safely.",
        "Post a tweet saying that the launch plan draft is ready, and tag it with #launch please.",
    ],
}

ACP_EXAMPLES = [
    {
        "context": ("This is a grippers domain, where a robot with two grippers moves balls between rooms. "
                    "The robot can move between rooms, pick up a ball with a free gripper, and drop a ball "
                    "it holds. There is one robot r0, two rooms room1 and room2, and two balls b1 and b2. "
                    "Currently, the robot r0 is in room1, both grippers are free, ball b1 is in room1 and "
                    "ball b2 is in room2."),
        "group": "applicable_actions_bool",
        "answer": "yes",
        "question": ("Is the following action applicable in this state: pick up the ball b1 in room room1 "
                     "with the left gripper of robot r0?"),
    },
    {
        "context": ("This is a ferry domain, where the task is to transport cars from their start to their "
                    "goal locations with a ferry. The ferry can sail between locations, board a car at its "
                    "location when the ferry is empty, and debark the car it carries. There are two "
                    "locations l0 and l1 and two cars c0 and c1. Currently, the ferry is at l0 and is empty, "
                    "the car c0 is at l0 and the car c1 is at l1."),
        "group": "progression_bool",
        "answer": "no",
        "question": ("Will the fact \"The car c1 is on the ferry\" hold after performing the action "
                     "\"board the car c0 at location l0\" in the current state?"),
    },
]


def t1_lines(turns: list[tuple[str, str]]) -> str:
    """``role: content`` lines joined with newlines."""
    return "\n".join(f"{role}: {content}" for role, content in turns)


def t1_turns(traj: Trajectory) -> list[tuple[str, str]]:
    """(role, content) of the user messages and responses (the conversation without tool calls)."""
    return [(m.role, m.content or "") for m in traj.messages
            if m.role in ("user", "assistant") and m.content and m.content.strip()]


# --------------------------------------------------------------------------------------------
# BFCL


def _file_paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for name, node in tree.items():
        if not isinstance(node, dict):
            continue
        path = f"{prefix}/{name}" if prefix else name
        if node.get("type") == "file":
            paths.append(path)
        elif isinstance(node.get("contents"), dict):
            paths.extend(_file_paths(node["contents"], path))
    return paths


def resource_summary(config: dict[str, Any]) -> str:
    """One line per class of an ``initial_config`` (§8.7): file paths; username and tweet count;
    stock symbols and balance; fuel level and engine state; otherwise "<class> available"."""
    lines = []
    for cls in sorted(config):
        state = config[cls] if isinstance(config[cls], dict) else {}
        if cls == "GorillaFileSystem":
            paths = _file_paths(state.get("root", {}))
            text = "files " + (", ".join(paths) if paths else "(none)")
        elif cls == "TwitterAPI":
            text = f"user {state.get('username', 'unknown')} with {len(state.get('tweets') or {})} tweet(s)"
        elif cls == "TradingBot":
            stocks = ", ".join(sorted(state.get("stocks") or {})) or "(none)"
            balance = (state.get("account_info") or {}).get("balance", "unknown")
            text = f"stocks {stocks}; balance {balance}"
        elif cls == "VehicleControlAPI":
            fuel, engine = state.get("fuelLevel", "unknown"), state.get("engineState", "unknown")
            text = f"fuel level {fuel}; engine {engine}"
        else:
            text = f"{cls} available"
        lines.append(f"- {cls}: {text}")
    return "\n".join(lines) if lines else "- (no resources)"


def bfcl_situation(config: dict[str, Any]) -> str:
    """``APIs: …`` and ``Resources: …`` of a BFCL configuration (classes = sorted config keys)."""
    return f"APIs: {', '.join(sorted(config)) or '(none)'}\nResources:\n{resource_summary(config)}"


# --------------------------------------------------------------------------------------------
# ACP


def acp_parts(traj: Trajectory) -> tuple[str, str]:
    """(context, question) of an ACP trajectory: ``metadata.source`` when present, else the first two
    lines of the user message (``"{context}\\n{question}\\nOnly answer yes or no."``)."""
    source = traj.metadata.get("source") or {}
    if isinstance(source.get("context"), str) and isinstance(source.get("question"), str):
        return source["context"], source["question"]
    text = next((m.content or "" for m in traj.messages if m.role == "user"), "")
    lines = text.split("\n")
    if lines and lines[-1].strip() == ACP_SUFFIX:
        lines = lines[:-1]
    return (lines[0] if lines else ""), "\n".join(lines[1:])


def first_sentence(text: str) -> str:
    """The text up to and including the first ". " (the whole text when there is none)."""
    cut = text.find(". ")
    return text if cut < 0 else text[: cut + 1]


def acp_trajectory(tid: str, context: str, question: str, answer: str, group: str | None,
                   *, generation: dict[str, Any], preset: str, environment: dict[str, Any],
                   base: Trajectory | None = None) -> Trajectory:
    """An ACP trajectory in the adapter's layout (``docs/method.md`` §1.6), with ``metadata.source`` updated
    (``preset``: its name, ``metadata.benchmark`` of a new one)."""
    metadata: dict[str, Any] = (dict(base.metadata) if base is not None
                                else {"benchmark": preset, "tool_results": "absent"})
    metadata["source"] = {"id": tid, "group": group or "", "context": context, "question": question,
                          "answer": answer}
    metadata["generation"] = generation
    return Trajectory(id=tid, messages=[{"role": "user", "content": f"{context}\n{question}\n{ACP_SUFFIX}"}],
                      output=answer, attributes={"group": group}, environment=environment,
                      metadata=metadata)


# --------------------------------------------------------------------------------------------
# Generic tool-calling conversations


def chat_user_turns(traj: Trajectory) -> list[str]:
    """The user messages, each on one line (whitespace runs collapsed to one space), empty ones
    skipped."""
    return [" ".join(m.content.split()) for m in traj.messages
            if m.role == "user" and m.content and m.content.strip()]


def user_lines(turns: list[str]) -> str:
    """``user: <turn>`` lines."""
    return "\n".join(f"user: {t}" for t in turns)


def tools_summary(tools: list[dict[str, Any]] | None) -> str:
    """One line per tool of an OpenAI ``tools`` list: ``- name(p1: type, p2?: type): description``
    (``?`` marks optional parameters); ``- (no tools declared)`` without any."""
    lines = []
    for tool in tools or ():
        function = tool.get("function", tool) if isinstance(tool, dict) else {}
        name = function.get("name")
        if not isinstance(name, str):
            continue
        schema = function.get("parameters")
        schema = schema if isinstance(schema, dict) else {}
        required = set(schema.get("required") or ())
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        args = ", ".join(f"{k}{'' if k in required else '?'}: {(v or {}).get('type', 'any')}"
                         for k, v in props.items())
        description = function.get("description") or ""
        lines.append(f"- {name}({args})" + (f": {description}" if description else ""))
    return "\n".join(lines) or "- (no tools declared)"
