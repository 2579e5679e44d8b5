"""Agents behind one protocol (``docs/method.md`` §7.4).

The turn loop (:mod:`synae.downstream.loop`) asks an agent for one reply per *step* through
:meth:`Agent.respond`, passing an :class:`AgentStep`: the chat messages to send, the tool definitions
(tool-calling protocol), the phase (``plan`` — a T1 code plan; ``output`` — the T1 recommendation;
``call`` — one BFCL/generic tool-calling step; ``answer`` — the ACP yes/no answer), the turn and step
indices and the run index.

- :class:`ModelAgent` — any OpenAI-compatible chat model (native tool calling, or ``call_format =
  "python"`` for models without it: the reply text is a Python list of calls). ``seed = run index``.
- :class:`OracleAgent` — replays the reference trajectory (its plans, calls and output); needs no LLM.
- :class:`NoisyOracleAgent` — the oracle with each reference call statement corrupted with
  probability ``rate`` (dropped, or one literal argument altered) and each output corrupted with
  probability ``rate`` (ACP answer flipped, T1 recommendation replaced). Its randomness is seeded per
  (seed, agent name, run, trajectory id, phase, turn, step), so identical trajectories get identical
  noise on D and D′.

Scripted agents read ``AgentStep.reference``; model agents never see it. On the command line an
agent is a model name, ``oracle`` or ``noisy-oracle:<rate>`` (:func:`make_agent`).
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from synae.config import DEFAULT_SEED, Config
from synae.errors import ConfigError
from synae.schema import FunctionCall, ToolCall, Trajectory
from synae.toolcalls import (
    callee_name,
    iter_calls_postorder,
    parse_calls,
    parse_module,
    render_call,
    to_tool_calls,
)
from synae.views import turns

Phase = Literal["plan", "output", "call", "answer"]
CallFormat = Literal["native", "python"]
NO_PLANNING = 'print("No planning needed")'
NOISY_OUTPUT_T1 = "Sorry, I could not find any attractions that match your request."


@dataclass(frozen=True)
class AgentStep:
    """What the loop asks for: one reply to ``messages`` (plain OpenAI chat dicts)."""

    reference: Trajectory  # read by scripted baselines only
    run: int
    phase: Phase
    turn: int  # 1-based user turn (the last turn for ``output``/``answer``)
    step: int  # 0-based step within the turn (``call`` phase)
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    temperature: float = 0.5  # the benchmark's default, used when the agent sets none


@dataclass
class AgentReply:
    """One agent reply: text and/or tool calls; ``error`` when the agent failed (counted a failure)."""

    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    error: str | None = None
    llm_calls: int = 0
    cached: bool = False
    usage: dict[str, int] = field(default_factory=dict)


class Agent(Protocol):
    """Anything that can answer an :class:`AgentStep`."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str | None:  # the LLM model, ``None`` for scripted baselines
        ...

    @property
    def call_format(self) -> CallFormat: ...

    async def respond(self, step: AgentStep) -> AgentReply:
        ...


# --------------------------------------------------------------------------------------------
# Model agents


def _as_tool_call(raw: Any, index: int) -> ToolCall:
    """A ``ToolCall`` from a client reply entry (model or dict); arguments kept verbatim."""
    if isinstance(raw, ToolCall):
        return raw
    if hasattr(raw, "model_dump"):
        raw = raw.model_dump()
    function = raw.get("function") or {}
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments if arguments is not None else {})
    return ToolCall(id=str(raw.get("id") or f"call_{index}"),
                    function=FunctionCall(name=str(function.get("name") or ""), arguments=arguments))


def sendable_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat messages as every OpenAI-compatible server accepts them: a ``None`` content (an
    assistant turn that only calls tools) is sent as ``""`` (llama-cpp-python answers ``null`` with
    HTTP 500)."""
    return [{**m, "content": ""} if m.get("content") is None else m for m in messages]


@dataclass
class ModelAgent:
    """An OpenAI-compatible chat model. ``temperature=None`` takes the benchmark default (T1/ACP 0.5,
    BFCL 0.001); ``seed`` is the run index (``docs/method.md`` §7.4)."""

    model: str
    client: Any  # synae.llm.client.LLMClient
    temperature: float | None = None
    max_tokens: int = 512
    call_format: CallFormat = "native"
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.model

    def request(self, step: AgentStep) -> Any:
        """The deterministic :class:`ChatRequest` for a step (same step → same cache key)."""
        from synae.llm.client import ChatRequest

        native_tools = step.tools if (step.tools and self.call_format == "native") else None
        return ChatRequest(
            messages=sendable_messages(step.messages),
            model=self.model,
            temperature=self.temperature if self.temperature is not None else step.temperature,
            max_tokens=self.max_tokens,
            seed=step.run,
            tools=native_tools,
            tool_choice="auto" if native_tools else None,
        )

    async def respond(self, step: AgentStep) -> AgentReply:
        from synae.llm.client import LLMError
        from synae.llm.text_tools import parse_text_tool_calls

        try:
            response = await self.client.achat(self.request(step))
        except LLMError as exc:
            return AgentReply(error=f"llm_failed: {exc}", llm_calls=1)
        raw_calls = response.tool_calls or []
        content = response.text or None
        if not raw_calls and step.tools and self.call_format == "native":
            raw_calls = parse_text_tool_calls(content)  # llama.cpp: the calls as JSON text
            content = None if raw_calls else content
        calls = [_as_tool_call(c, i) for i, c in enumerate(raw_calls)]
        usage = response.usage if isinstance(response.usage, dict) else {}
        return AgentReply(content=content, tool_calls=calls, llm_calls=1,
                          cached=bool(response.cached), usage=dict(usage or {}))


# --------------------------------------------------------------------------------------------
# Scripted baselines


def reference_turn_codes(reference: Trajectory, turn: int) -> list[str]:
    """The reference's call code of one user turn, one string per assistant tool-call message
    (its ``code``, else its ``tool_calls`` rendered as Python call lines)."""
    for t in turns(reference):
        if t.index == turn:
            return [m.code if m.code is not None else
                    "\n".join(render_call(c.function.name, c.function.parsed_arguments())
                              for c in m.tool_calls or ())
                    for m in t.tool_call_messages]
    return []


def _stable_seed(*parts: Any) -> int:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _perturbed_constant(node: ast.Constant) -> ast.Constant:
    value = node.value
    if isinstance(value, bool):
        new: Any = not value
    elif isinstance(value, int):
        new = value + 1
    elif isinstance(value, float):
        new = value * 1.5 + 1.0
    else:
        new = f"{value!s}_x"
    return ast.copy_location(ast.Constant(value=new), node)


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST) -> None:
        self.target = target

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return _perturbed_constant(node) if node is self.target else node


def perturb_code(code: str, rate: float, rng: np.random.Generator) -> str:
    """Corrupt each statement that calls a tool with probability ``rate``: half of the time one of
    its literal arguments is altered (strings get ``_x`` appended, numbers change, booleans flip),
    otherwise — or when it has no literal — the statement is dropped. Unchanged code is returned
    verbatim; unparsable code is returned as is. Parsed with :mod:`ast`, never executed."""
    tree = parse_module(code)
    if isinstance(tree, str) or rate <= 0:
        return code
    changed = False
    body: list[ast.stmt] = []
    for stmt in tree.body:
        has_tool_call = any(callee_name(c)[0] not in (None, "print") for c in iter_calls_postorder(stmt))
        if not has_tool_call or rng.random() >= rate:
            body.append(stmt)
            continue
        changed = True
        literals = [n for c in iter_calls_postorder(stmt) for arg in [*c.args, *(k.value for k in c.keywords)]
                    for n in ast.walk(arg)
                    if isinstance(n, ast.Constant) and isinstance(n.value, (str, int, float))]
        if literals and rng.random() < 0.5:
            target = literals[int(rng.integers(len(literals)))]
            body.append(_Replace(target).visit(stmt))
    if not changed:
        return code
    return ast.unparse(ast.Module(body=body, type_ignores=[]))


def _flip_answer(answer: str | None) -> str:
    return "no" if (answer or "").strip().lower() == "yes" else "yes"


@dataclass
class OracleAgent:
    """Replays the reference: its plan per T1 turn, its calls per BFCL step, its output/answer."""

    name: str = "oracle"
    model: str | None = None
    call_format: CallFormat = "native"

    def noisy(self, text: str, step: AgentStep) -> str:  # the oracle adds no noise
        return text

    def noisy_output(self, output: str, step: AgentStep) -> str:
        return output

    async def respond(self, step: AgentStep) -> AgentReply:
        ref = step.reference
        if step.phase in ("output", "answer"):
            return AgentReply(content=self.noisy_output(ref.output or "", step))
        codes = reference_turn_codes(ref, step.turn)
        if step.phase == "plan":
            code = self.noisy("\n".join(codes), step).strip() or NO_PLANNING
            return AgentReply(content=f"Replaying the reference plan.\n<CODE>\n{code}\n</CODE>")
        if step.step >= len(codes):
            return AgentReply(content="Done.")
        code = self.noisy(codes[step.step], step)
        if self.call_format == "python":
            return AgentReply(content=code)
        parsed = parse_calls(code).calls
        return AgentReply(content=None if parsed else "Done.",
                          tool_calls=to_tool_calls(parsed, turn=step.turn))


@dataclass
class NoisyOracleAgent(OracleAgent):
    """The oracle with seeded corruption at ``rate`` (see the module docstring)."""

    rate: float = 0.1
    seed: int = DEFAULT_SEED
    name: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ConfigError(f"noisy-oracle rate must be in [0, 1], got {self.rate}")
        self.name = self.name or f"noisy-oracle:{self.rate:g}"

    def _rng(self, step: AgentStep, what: str) -> np.random.Generator:
        return np.random.default_rng(_stable_seed(self.seed, self.name, step.run, step.reference.id,
                                                  what, step.turn, step.step))

    def noisy(self, text: str, step: AgentStep) -> str:
        return perturb_code(text, self.rate, self._rng(step, "calls"))

    def noisy_output(self, output: str, step: AgentStep) -> str:
        if self._rng(step, "output").random() >= self.rate:
            return output
        return _flip_answer(output) if step.phase == "answer" else NOISY_OUTPUT_T1


def make_agent(spec: str, config: Config, *, client: Any = None, temperature: float | None = None,
               max_tokens: int = 512, call_format: CallFormat = "native") -> Agent:
    """An agent from its command-line form: ``oracle``, ``noisy-oracle:<rate>`` or a model name
    (which needs ``client``, an :class:`synae.llm.client.LLMClient` built by
    :func:`synae.run.factory.llm_client`; ``None`` is a :class:`ConfigError`)."""
    if spec == "oracle":
        return OracleAgent()
    if spec.startswith("noisy-oracle"):
        _, _, rate = spec.partition(":")
        try:
            value = float(rate) if rate else 0.1
        except ValueError:
            raise ConfigError(f"agent {spec!r}: the noise rate must be a number, "
                              "e.g. noisy-oracle:0.3") from None
        return NoisyOracleAgent(rate=value, seed=config.seed)
    if not spec.strip():
        raise ConfigError("empty agent name")
    if client is None:
        raise ConfigError(f"agent {spec!r} is a model and needs an LLM client")
    return ModelAgent(model=spec, client=client, temperature=temperature, max_tokens=max_tokens,
                      call_format=call_format)
