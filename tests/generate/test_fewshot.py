"""fewshot (docs/method.md §8.7): example draws, RNG order, prompts and reply parsing against a loopback
OpenAI-compatible server."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import Config, LLMSettings
from synae.errors import ConfigError
from synae.generate import LLMOptions, fewshot
from synae.generate.common import dataset_counts
from synae.generate.fewshot import (
    draw_examples,
    parse_acp_question,
    parse_bfcl_requests,
    parse_conversation_json,
)
from synae.generate.prompts import acp_parts
from synae.presets import get_preset
from synae.presets.t1 import load_ontology
from synae.run.factory import llm_client
from synae.schema import Dataset
from synae.views import user_messages

T1, BFCL, ACP = get_preset("t1"), get_preset("bfcl"), get_preset("acp")

T1_REPLY = "\n".join(["assistant: Hi! How can I help you plan your day?",
                      "user: I'm visiting Denver and I like Scenic places.",
                      "assistant: Denver has great Scenic spots. Any neighborhood in mind?",
                      "user: Somewhere near downtown.",
                      "assistant: Do you prefer morning or evening visits?",
                      "user: Evening, please.",
                      "assistant: Extra line that must be cut."])


def _llm(server: ScriptedOpenAIServer, **kwargs) -> LLMOptions:
    settings = LLMSettings(base_url=server.base_url, max_retries=0)
    return LLMOptions(model="gen", settings=settings, client=llm_client(Config(llm=settings)), **kwargs)


def _subset(dataset: Dataset, n: int) -> Dataset:
    return Dataset(trajectories=dataset.trajectories[:n], name=dataset.name, source=dataset.source)


@pytest.mark.parametrize(("k", "drawn"), [(1, [3]), (3, [3, 153, 133]), (5, [3, 153, 133, 12, 204])])
def test_t1_reference_draws(k, drawn):
    ids = list(range(225))
    assert np.random.default_rng(123).choice(ids, size=k).tolist() == drawn
    # reference: the drawn rows in dataset order
    assert draw_examples(np.random.default_rng(123), ids, k, replace=True) == sorted(drawn)
    # default: without replacement, in draw order
    expected = np.random.default_rng(123).choice(ids, size=k, replace=False).tolist()
    assert draw_examples(np.random.default_rng(123), ids, k, replace=False) == expected


def test_parsers():
    reply = "Request 1: " + "a " * 8 + "\nRequest 2: short\nRequest 3: " + "b " * 9
    assert parse_bfcl_requests(reply, 5) == [("a " * 8).strip(), ("b " * 9).strip()]
    assert parse_bfcl_requests("\n".join(["c " * 8] * 6), 2) == [("c " * 8).strip()] * 2
    assert parse_acp_question("\n\nQuestion: Is it applicable?\nmore") == "Is it applicable?"
    msgs, err = parse_conversation_json('```json\n[{"role": "assistant", "content": "Hi"}, '
                                        '{"role": "user", "content": "Art in Boston"}]\n```')
    assert err is None and [m.role for m in msgs] == ["assistant", "user"]
    bad_role = parse_conversation_json('{"messages": [{"role": "robot", "content": "x"}]}')
    assert bad_role[0] == [] and bad_role[1].startswith("message 0")
    assert parse_conversation_json("not json")[1].startswith("reply is not JSON")


@pytest.mark.data
def test_t1_fixed_reference(real_t1_turns):
    with ScriptedOpenAIServer(default_text=T1_REPLY) as server:
        result = fewshot(real_t1_turns, 3, n_out=4, mode="reference", llm=_llm(server), preset=T1)
        bodies = server.requests
    assert len(bodies) == 4  # identical prompts are still distinct requests (per-output seed)
    assert sorted(b["seed"] for b in bodies) == [123, 124, 125, 126]
    assert result.name == "fewshot_fixed_ex3"
    assert [t.id for t in result] == [f"fewshot_fixed_ex3_{i}" for i in range(4)]
    for traj in result:
        gen = traj.metadata["generation"]
        assert gen["examples"] == ["3", "133", "153"]  # drawn 3, 153, 133 → dataset order
        assert len(traj.messages) == 6 and traj.messages[0].role == "assistant"
        assert traj.messages[-1].content == "Evening, please."
        assert gen["temperature"] == 0.5 and gen["needs_completion"] is True and gen["modified"] is True
        assert traj.attributes["type"] == "Scenic"
    user = bodies[0]["messages"][1]["content"]
    system = bodies[0]["messages"][0]["content"]
    assert "exactly 6 turns" in system
    first_example = "\n".join(f"{m.role}: {m.content}" for m in real_t1_turns[3].messages if m.content)
    assert first_example in user
    assert (user.index(real_t1_turns[133].messages[0].content)
            < user.index(real_t1_turns[153].messages[1].content))


@pytest.mark.data
def test_t1_random_redraws_and_zero_shot(real_t1_turns):
    with ScriptedOpenAIServer(default_text=T1_REPLY) as server:
        result = fewshot(real_t1_turns, 1, n_out=3, examples="random", llm=_llm(server), preset=T1)
        zero = fewshot(real_t1_turns, 0, n_out=2, llm=_llm(server), preset=T1)
        bodies = server.requests
    rng = np.random.default_rng(123)
    expected = [[str(rng.choice(225, size=1, replace=False)[0])] for _ in range(3)]
    assert [t.metadata["generation"]["examples"] for t in result] == expected
    assert result.name == "fewshot_rand_ex1"
    zero_prompts = [b for b in bodies if "Example conversations" not in b["messages"][1]["content"]]
    assert len(zero_prompts) == 2 and zero.name == "fewshot_fixed_ex0"


def test_t1_conditioned_zero_shot(t1_turns):
    conv = [{"role": "assistant", "content": "Hello! Planning a trip?"},
            {"role": "user", "content": "Yes, I want Culinary spots in Austin."}]

    def responder(body):
        return json.dumps(conv) if "Culinary" in body["messages"][1]["content"] else "sorry, no JSON"

    with ScriptedOpenAIServer(responder=responder) as server:
        result = fewshot(t1_turns, 0, condition_on="type", targets=["Culinary", "Guided"], llm=_llm(server),
                         preset=T1)
    assert result.name == "fewshot_fixed_ex0_bytype" and len(result) == 2
    good, bad = result
    assert [m.content for m in good.messages] == [c["content"] for c in conv]
    assert good.metadata["generation"]["target"] == "Culinary"
    assert bad.messages == [] and bad.metadata["generation"]["parse_error"].startswith("reply is not JSON")
    prompt = result[0].metadata["generation"]["prompt"][1]["content"]
    assert "looking for Culinary attractions" in prompt and "never claims to have found" in prompt


def test_bfcl_rng_order_and_parsing(bfcl_newer):
    lines = "\n".join(f"Request {i}: please list every file in the current folder number {i} now"
                      for i in range(1, 7))
    with ScriptedOpenAIServer(default_text="Here are the requests:\n" + lines) as server:
        result = fewshot(bfcl_newer, 1, n_out=5, llm=_llm(server), preset=BFCL)
        bodies = server.requests
    rng = np.random.default_rng(123)
    examples = rng.choice(200, size=1, replace=False).tolist()
    refs = rng.choice(200, size=5).tolist()
    n_turns = [int(rng.choice([2, 3, 4, 5])) for _ in range(5)]
    for traj, ref, n in zip(result, refs, n_turns, strict=True):
        gen = traj.metadata["generation"]
        assert gen["source_position"] == ref and gen["n_turns"] == n
        assert gen["examples"] == [bfcl_newer[examples[0]].id]
        turns = user_messages(traj)
        assert len(turns) == n and turns[0].startswith("please list every file")
        source_env = bfcl_newer[ref].environment
        assert traj.environment["initial_config"] == source_env["initial_config"]
        assert traj.environment["involved_classes"] == source_env["involved_classes"]
        body = next(b for b in bodies if b["seed"] == gen["request_seed"])
        assert f"Generate exactly {n} requests" in body["messages"][1]["content"]
        assert "Request i:" in body["messages"][0]["content"]


@pytest.mark.data
def test_acp_examples_answers_and_parse(real_acp):
    def responder(body):
        answer = "yes" if "the answer is yes" in body["messages"][1]["content"] else "no"
        return f"Question: Is the action legal in this state? ({answer})"

    with ScriptedOpenAIServer(responder=responder) as server:
        one = fewshot(real_acp, 1, n_out=3, llm=_llm(server), preset=ACP)
        three = fewshot(real_acp, 3, n_out=4, mode="reference", llm=_llm(server), preset=ACP)
        bodies = server.requests
    assert all(t.metadata["generation"]["examples"] == [] for t in one)  # k = 1 → no examples
    rng = np.random.default_rng(123)
    groups = [list(range(130)), list(range(130, 260))]
    ex = [p for g in groups for p in draw_examples(rng, g, 1, replace=True)]
    refs = rng.choice(260, size=4).tolist()
    answers = rng.choice(["yes", "no"], size=4).tolist()
    for traj, ref, answer in zip(three, refs, answers, strict=True):
        gen = traj.metadata["generation"]
        assert gen["examples"] == [real_acp[p].id for p in ex] and gen["answer"] == answer
        assert traj.output == answer and gen["source_position"] == ref
        context, question = acp_parts(traj)
        assert context == acp_parts(real_acp[ref])[0]
        assert question == f"Is the action legal in this state? ({answer})"
        assert traj.attributes == {k: real_acp[ref].attributes[k] for k in ("group", "domain")}
        body = next(b for b in bodies if b["seed"] == gen["request_seed"] and
                    f"Context: {context}" in b["messages"][1]["content"])
        user = body["messages"][1]["content"]
        assert user.count("Context (first sentence): ") == 2
        assert f"such that the answer is {answer}" in user


def test_failures_are_kept_and_errors(acp):
    data = _subset(acp, 10)
    with ScriptedOpenAIServer(responder=lambda body: Reply.error(500)) as server:
        result = fewshot(data, 0, n_out=2, llm=_llm(server), preset=ACP)
    assert [t.messages for t in result] == [[], []]
    assert all("llm error (http_500)" in t.metadata["generation"]["parse_error"] for t in result)
    with pytest.raises(ConfigError, match="distinct examples"), ScriptedOpenAIServer() as server:
        fewshot(data, 24, llm=_llm(server), preset=ACP)
    with pytest.raises(ConfigError, match="examples must be"):
        fewshot(data, 1, examples="sometimes", llm=LLMOptions(model="x"), preset=ACP)


def test_t1_conditioned_targets_drawn_over_ontology_types(t1_turns):
    with ScriptedOpenAIServer(default_text="[]") as server:
        result = fewshot(t1_turns, 0, n_out=5, condition_on="type", llm=_llm(server), preset=T1)
    types = load_ontology().types
    expected = np.random.default_rng(123).choice(types, size=5).tolist()
    assert [t.metadata["generation"]["target"] for t in result] == expected
    assert all(t.messages == [] for t in result)  # "[]" is not a usable conversation


def test_t1_conditioned_few_shot_uses_examples_of_the_target(t1_turns):
    with ScriptedOpenAIServer(default_text=T1_REPLY) as server:
        result = fewshot(t1_turns, 1, condition_on="type", targets=["Guided", "Art"], llm=_llm(server),
                         preset=T1)
    for traj, target in zip(result, ["Guided", "Art"], strict=True):
        example = next(t for t in t1_turns if t.id == traj.metadata["generation"]["examples"][0])
        assert example.attributes["type"] == target
        assert f"looking for {target} attractions" in traj.metadata["generation"]["prompt"][1]["content"]
    with pytest.raises(ConfigError, match="type, city or state"):
        fewshot(t1_turns, 0, condition_on="domain", llm=LLMOptions(model="x"), preset=T1)


def test_generic_requests_for_a_reference_s_tools(chat):
    def responder(body):
        return "Request 1: Will it rain in Quito tomorrow?\nRequest 2: and this line is one too many"

    with ScriptedOpenAIServer(responder=responder) as server:
        result = fewshot(chat, 2, n_out=4, llm=_llm(server), preset=get_preset("generic"))
        prompts = [b["messages"][1]["content"] for b in server.requests]
    rng = np.random.default_rng(123)  # (1) examples, (2) references
    examples = draw_examples(rng, list(range(30)), 2, replace=False)
    references = rng.choice(30, size=4).tolist()
    assert [t.metadata["generation"]["source_position"] for t in result] == references
    for traj, ref in zip(result, references, strict=True):
        gen = traj.metadata["generation"]
        assert gen["examples"] == [chat[p].id for p in examples] and gen["n_turns"] == 1
        assert [(m.role, m.content) for m in traj.messages] == [("user", "Will it rain in Quito tomorrow?")]
        assert traj.tools == chat[ref].tools and gen["needs_completion"] and gen["modified"]
    assert all(f"Request 1: {chat[examples[0]].messages[1].content}" in p for p in prompts)
    assert all("Generate exactly 1 requests" in p and "- list_events(date: string)" in p for p in prompts)
    with pytest.raises(ConfigError, match="not defined for generic"):
        fewshot(chat, 0, condition_on="topic", llm=LLMOptions(model="x"), preset=get_preset("generic"))


def test_garbage_replies_are_parse_errors(chat, t1_turns, acp):
    garbage = "Sure! I would be happy to help you with that task, just let me know."
    with ScriptedOpenAIServer(default_text=garbage) as server:
        generic = fewshot(chat, 1, n_out=3, llm=_llm(server), preset=get_preset("generic"))
        t1 = fewshot(_subset(t1_turns, 10), 1, n_out=2, llm=_llm(server), preset=T1)
        acp_out = fewshot(_subset(acp, 10), 0, n_out=2, llm=_llm(server), preset=ACP)
    # before: every reply became a trajectory (parse errors 0)
    for result, why in ((generic, "no 'Request i:' line"), (t1, "no 'user:' line"), (acp_out, "no question")):
        assert all(t.messages == [] and why in t.metadata["generation"]["parse_error"] for t in result)
        assert all(t.metadata["generation"]["reply"] == garbage for t in result)  # raw reply kept
        assert dataset_counts(result)["n_parse_errors"] == len(result)


def test_a_reply_copying_the_example_is_a_parse_error_and_identical_outputs_are_counted(chat):
    def copy_example(body):
        user = body["messages"][1]["content"]
        return next(line for line in user.split("\n") if line.startswith("Request 1: "))

    with ScriptedOpenAIServer(responder=copy_example) as server:
        copied = fewshot(chat, 1, n_out=3, llm=_llm(server), preset=get_preset("generic"))
    assert all("copies its prompt" in t.metadata["generation"]["parse_error"] for t in copied)
    same = "Request 1: Please add a dentist appointment to my calendar for next Monday morning."
    with ScriptedOpenAIServer(default_text=same) as server:
        result = fewshot(chat, 1, n_out=4, llm=_llm(server), preset=get_preset("generic"))
    counts = dataset_counts(result)
    assert counts["n_parse_errors"] == 0 and counts["n_duplicates"] == 3  # before: not counted
    assert [t.metadata["generation"].get("duplicate_of") for t in result] == [None] + [result[0].id] * 3
