"""blankfill (docs/method.md §8.5): deterministic masking, and the LLM round trip against a loopback
OpenAI-compatible server (prompt contents, parsing of good and bad replies, turn counts)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import Config, LLMSettings
from synae.errors import ConfigError
from synae.generate import LLMOptions, blankfill
from synae.generate.blankfill import (
    blank_problem,
    mask_lines,
    mask_text,
    parse_acp_reply,
    parse_bfcl_reply,
    split_pieces,
)
from synae.generate.prompts import T1_EXAMPLE, acp_parts, t1_lines
from synae.generate.prompts import t1_turns as conversation_turns
from synae.presets import get_preset
from synae.run.factory import llm_client
from synae.schema import Dataset
from synae.views import user_messages

T1, BFCL, ACP = get_preset("t1"), get_preset("bfcl"), get_preset("acp")


def test_split_pieces():
    assert split_pieces("Hello, worlds! abcdefghi") == [
        ("Hell", True), ("o", True), (",", True), (" ", False), ("worl", True), ("ds", True), ("!", True),
        (" ", False), ("abcd", True), ("efgh", True), ("i", True)]


def test_mask_extremes_and_whitespace():
    rng = np.random.default_rng(0)
    assert mask_text("Hello, world!\n  ok", 0.0, rng) == "Hello, world!\n  ok"
    assert mask_text("Hello, world!\n  ok", 1.0, rng) == "___ ___\n  _"


def test_mask_draws_one_random_per_piece_in_order():
    text = "Find Scenic spots in Denver, CO."
    pieces = split_pieces(text)
    ref = np.random.default_rng(11)
    expected = "".join("_" if m and ref.random() < 0.5 else p for p, m in pieces)
    rng = np.random.default_rng(11)
    assert mask_text(text, 0.5, rng) == expected
    assert rng.random() == ref.random()  # same number of draws


def test_mask_lines_keeps_role_prefixes():
    turns = [("assistant", "Hi! Where to?"), ("user", "Boston, for Art.")]
    masked = mask_lines(turns, 1.0, np.random.default_rng(0))
    assert masked == "assistant: __ __ __\nuser: ___ _ __"


def test_parsers():
    reply = "Completed requests:\nshort line\n" + "\n".join(f"word {i} " * 5 for i in range(4))
    assert len(parse_bfcl_reply(reply, 3)) == 3
    assert parse_bfcl_reply("too short", 2) == []
    assert parse_acp_reply("\nCompleted question: Is the action applicable in this state right now?") == \
        "Is the action applicable in this state right now?"
    assert parse_acp_reply("yes") == ""
    assert parse_acp_reply("Sure!\nIs the following action applicable in this state: go?") == \
        "Is the following action applicable in this state: go?"


def _subset(dataset: Dataset, n: int) -> Dataset:
    return Dataset(trajectories=dataset.trajectories[:n], name=dataset.name, source=dataset.source)


def _llm(server: ScriptedOpenAIServer, **kwargs) -> LLMOptions:
    settings = LLMSettings(base_url=server.base_url, max_retries=0)
    return LLMOptions(model="gen-model", settings=settings, client=llm_client(Config(llm=settings)), **kwargs)


def _between(text: str, start: str, end: str) -> str:
    return text.rsplit(start, 1)[1].split(end, 1)[0]


def _body_for(bodies: list[dict], needle: str) -> dict:
    """The one request whose user message contains ``needle`` (requests run concurrently)."""
    found = [b for b in bodies if needle in b["messages"][-1]["content"]]
    assert len(found) == 1
    return found[0]


def test_t1_round_trip(t1_turns):
    data = _subset(t1_turns, 4)

    def responder(body):
        user = body["messages"][1]["content"]
        masked = _between(user, "Masked conversation:\n", "\n\nCompleted conversation:")
        completed = masked.replace("_", "x")
        # a reply without the leading "assistant:" gets it prepended; blank lines are skipped
        return completed.removeprefix("assistant: ").replace("\nuser:", "\n\nUSER:", 1)

    with ScriptedOpenAIServer(responder=responder) as server:
        result = blankfill(data, 0.5, llm=_llm(server), preset=T1)
        requests = server.requests
    assert len(requests) == 4 and len(result) == 4
    rng = np.random.default_rng(123)
    masked = [mask_lines(conversation_turns(t), 0.5, rng) for t in data]
    for m, traj, src in zip(masked, result, data, strict=True):
        body = _body_for(requests, f"Masked conversation:\n{m}\n")
        assert body["model"] == "gen-model" and body["temperature"] == 0.2
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        assert "start with \"assistant:\"" in system and "same number of turns" in system
        assert user.endswith(f"Masked conversation:\n{m}\n\nCompleted conversation:")
        assert "Example masked conversation" in user
        gen = traj.metadata["generation"]
        assert gen["masked"] == m and gen["source_id"] == src.id and gen["prompt"] == body["messages"]
        assert traj.id.startswith("blankfill_prob0_5_")
        # roles lower-cased, turn count kept
        assert [(x.role, x.content) for x in traj.messages] == \
            [tuple(line.split(": ", 1)) for line in m.replace("_", "x").split("\n")]
        assert len(traj.messages) == len(conversation_turns(src)) == 6
        assert gen["needs_completion"] is True and traj.output is None
        assert "type" in traj.attributes


def test_t1_bad_replies_kept_as_empty_and_droppable(t1_turns):
    data = _subset(t1_turns, 3)
    first_user = [next(m.content for m in t.messages if m.role == "user") for t in data]
    assert len(set(first_user)) == 3

    def responder(body):
        user = body["messages"][1]["content"].rsplit("Masked conversation:\n", 1)[1]
        replies = [Reply.text(""), Reply.error(400, message="bad request"),
                   Reply.text("assistant: Hi!\nuser: Art in Boston please.")]
        return next(r for text, r in zip(first_user, replies, strict=True) if f"user: {text}\n" in user)

    with ScriptedOpenAIServer(responder=responder) as server:
        result = blankfill(data, 0.0, llm=_llm(server), llm_at_p0=True, preset=T1)
        errors = [t.metadata["generation"].get("parse_error") for t in result]
        assert [len(t.messages) for t in result] == [0, 0, 2]
        assert errors[0] == "no usable conversation line in the reply"
        assert errors[1].startswith("llm error (http_400)")
        assert errors[2] is None
        # a re-run on the same endpoint is answered from the cache (keyed by endpoint and request);
        # --drop-empty removes the empty ones and counts them
        server.clear()
        server.push(Reply.text(""))
        dropped = blankfill(data, 0.0, llm=_llm(server), llm_at_p0=True, drop_empty=True, preset=T1)
        assert len(server.requests) == 1  # only the failed request is sent again
    assert len(dropped) == 1 and dropped.n_skipped == 2


def test_p0_copies_without_llm(acp):
    data = _subset(acp, 5)
    result = blankfill(data, 0, preset=ACP)
    assert [t.messages for t in result] == [t.messages for t in data]
    assert not any(t.metadata["generation"]["modified"] for t in result)
    with pytest.raises(ConfigError, match="generator model"):
        blankfill(data, 0.5, preset=ACP)


def test_bfcl_round_trip(bfcl_newer):
    data = _subset(bfcl_newer, 3)

    def responder(body):
        user = body["messages"][1]["content"]
        masked = _between(user, "Now this one\n", "\nCompleted requests:").split("Masked requests:\n", 1)[1]
        lines = masked.replace("_", "x").split("\n")
        return "\n".join([*lines, "one more request that is long enough to be kept here", "too short"])

    with ScriptedOpenAIServer(responder=responder) as server:
        result = blankfill(data, 0.1, llm=_llm(server, temperature=0.7), preset=BFCL)
        bodies = server.requests
    for traj, src in zip(result, data, strict=True):
        body = _body_for(bodies, traj.metadata["generation"]["masked"])
        assert body["temperature"] == 0.7
        user = body["messages"][1]["content"]
        config = src.environment["initial_config"]
        assert f"APIs: {', '.join(sorted(config))}" in user.split("Now this one", 1)[1]
        if "GorillaFileSystem" in config:
            assert "- GorillaFileSystem: files " in user
        n = len(user_messages(src))
        turns = user_messages(traj)
        assert len(turns) <= n  # truncated to the source's turn count
        assert all(len(t.split()) >= 8 for t in turns)
        assert traj.environment["initial_config"] == config
        assert traj.environment["involved_classes"] == src.environment["involved_classes"]
        assert traj.environment["path"] == [] and traj.environment["excluded_function"] == []
        assert traj.tools and {t["function"]["name"] for t in traj.tools} >= \
            {c.function.name for m in src.messages for c in m.tool_calls or ()}


def test_bfcl_reference_mode_uses_config_keys(bfcl_newer):
    # an entry whose involved classes differ from its config keys
    entry = next(t for t in bfcl_newer if set(t.environment["involved_classes"]) !=
                 set(t.environment["initial_config"]))
    data = Dataset(trajectories=[entry], name="one")
    line = "please move every report file into the archive folder right now thanks"
    with ScriptedOpenAIServer(default_text=line) as server:
        ref = blankfill(data, 0.5, llm=_llm(server), mode="reference", preset=BFCL)
        default = blankfill(data, 0.5, llm=_llm(server), preset=BFCL)
    assert ref[0].environment["involved_classes"] == list(entry.environment["initial_config"])
    assert default[0].environment["involved_classes"] == entry.environment["involved_classes"]
    assert user_messages(ref[0]) == [line]


@pytest.mark.data
def test_acp_round_trip(real_acp):
    data = _subset(real_acp, 3)

    first_context = acp_parts(data[0])[0]

    def responder(body):
        user = body["messages"][1]["content"]
        if f"Context: {first_context}\n" in user:
            return "yes"  # too short to be a question
        masked = _between(user, "Masked question: ", "\nCompleted question:")
        return "Completed question: " + masked.replace("_", "x")

    with ScriptedOpenAIServer(responder=responder) as server:
        result = blankfill(data, 0.5, llm=_llm(server), preset=ACP)
        bodies = [_body_for(server.requests, f"Context: {acp_parts(t)[0]}\n") for t in data]
    rng = np.random.default_rng(123)
    assert result[0].messages == [] and "8 words" in result[0].metadata["generation"]["parse_error"]
    for body, traj, src in zip(bodies[1:], result.trajectories[1:], data.trajectories[1:], strict=True):
        context, question = acp_parts(src)
        user = body["messages"][1]["content"]
        assert f"Context: {context}\n" in user and f"Answer: {src.output}\n" in user
        assert "applicable_actions_bool" in user and "progression_bool" in user  # the two worked examples
        new_context, new_question = acp_parts(traj)
        assert new_context == context and traj.output == src.output
        assert "_" not in new_question and re.sub("x", "", new_question) != ""
        assert traj.messages[0].content == f"{context}\n{new_question}\nOnly answer yes or no."
        assert traj.attributes["domain"] == src.attributes["domain"]
        assert traj.metadata["generation"]["modified"] == (new_question != question)
    # the masks come from one rng over the dataset, in order
    masks = [mask_text(acp_parts(t)[1], 0.5, rng) for t in data]
    assert [t.metadata["generation"]["masked"] for t in result] == masks


def test_generic_fills_user_requests_with_the_tools_in_the_prompt(chat):
    data = _subset(chat, 4)

    def responder(body):
        masked = body["messages"][1]["content"].split("Masked requests:\n", 1)[1].split("\n\n", 1)[0]
        assert masked.startswith("user: ") and "\n" not in masked
        return "Sure:\nuser: What is the weather in Bergen right now?\nuser: one too many"

    with ScriptedOpenAIServer(responder=responder) as server:
        result = blankfill(data, 0.5, llm=_llm(server), preset=get_preset("generic"))
        prompt = server.requests[0]["messages"]
    assert "- get_weather(city: string, unit?: string): Current weather of a city." in prompt[1]["content"]
    assert "- create_event(title: string, date: string, duration_minutes?: integer)" in prompt[1]["content"]
    for source, traj in zip(data, result, strict=True):
        gen = traj.metadata["generation"]
        assert [(m.role, m.content) for m in traj.messages] == \
            [("user", "What is the weather in Bergen right now?")]
        assert traj.tools == source.tools and traj.output is None and traj.environment is None
        assert gen["needs_completion"] and gen["modified"] and gen["source_id"] == source.id
        assert gen["masked"].count("_") > 0 and gen["params"]["benchmark"] == "generic"
    rng = np.random.default_rng(123)  # the first request's mask draws come first
    first = "user: " + mask_text(data[0].messages[1].content, 0.5, rng)
    assert result[0].metadata["generation"]["masked"] == first


def test_replies_that_keep_their_blanks_or_copy_the_example_are_parse_errors(chat, t1_turns):
    def echo_masked(body):  # the masked requests sent back unfilled
        return body["messages"][1]["content"].split("Masked requests:\n", 1)[1].split("\n\n", 1)[0]

    with ScriptedOpenAIServer(responder=echo_masked) as server:
        kept = blankfill(_subset(chat, 3), 0.5, llm=_llm(server), preset=get_preset("generic"))
    example = t1_lines(T1_EXAMPLE)

    def copy_example(body):
        user = body["messages"][1]["content"]
        return user.split("Completed conversation:\n", 1)[1].split("\n\n", 1)[0]

    with ScriptedOpenAIServer(responder=copy_example) as server:
        copied = blankfill(_subset(t1_turns, 2), 0.3, llm=_llm(server), preset=T1)
    # before: both became trajectories with parse errors 0
    assert all(t.messages == [] and "keeps" in t.metadata["generation"]["parse_error"] for t in kept)
    assert all(t.messages == [] and "copies its prompt" in t.metadata["generation"]["parse_error"]
               for t in copied)
    assert copied[0].metadata["generation"]["reply"].startswith(example[:20])


def test_blank_problem_counts_only_the_blanks_masking_added():
    assert blank_problem("my_file.txt is ready", "my_file.txt is _ady", "my_file.txt is ready") is None
    assert blank_problem("my_file.txt _ _", "my_file.txt _ _", "my_file.txt is ready") == \
        "the reply keeps 2 of its 2 blanks"
