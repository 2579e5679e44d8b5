import json

import numpy as np
import pytest

from synae.config import load_config
from synae.metrics.privacy import privacy_features, token_spans, view_text
from synae.run.scoring.evaluation import Evaluator
from synae.schema import Dataset, FunctionCall, Message, ToolCall, Trajectory

WORDS = [f"w{i}" for i in range(400)]
LEXICAL = load_config(embedding={"model": "lexical"})


def trajectory(rng, name, user=None):
    user = user or " ".join(rng.choice(WORDS, 30))
    call = ToolCall(id="c0", function=FunctionCall(name="search", arguments={"q": str(rng.choice(WORDS)),
                                                                             "limit": int(rng.integers(9))}))
    return Trajectory(id=name, output=" ".join(rng.choice(WORDS, 20)), messages=[
        Message(role="user", content=user), Message(role="assistant", tool_calls=[call]),
        Message(role="tool", content="ok", tool_call_id="c0")])


def sample(n, seed, prefix):
    rng = np.random.default_rng(seed)
    return [trajectory(rng, f"{prefix}{i}") for i in range(n)]


def features(evaluator, trajs, name):
    f = evaluator.features(Dataset(trajs, name=name))
    f.privacy = privacy_features(trajs)  # what Evaluator.features attaches when a metric needs "privacy"
    return f


def evaluate(real, synthetic):
    ev = Evaluator(Dataset(real, name="real"), LEXICAL, preset="generic", metric_patterns="privacy.*",
                   embedder="lexical", progress=False)
    real_f = features(ev, real, "real")
    return ev, real_f, ev.compute_metrics(real_f, features(ev, synthetic, "syn"))


REAL = sample(120, 1, "r")


def oversample(n, seed):
    """n copies of randomly chosen real trajectories (the oversampling extreme)."""
    picks = np.random.default_rng(seed).integers(0, len(REAL), n)
    return [REAL[i].model_copy(update={"id": f"c{j}"}) for j, i in enumerate(picks)]


def test_copies_score_one_on_every_privacy_metric():
    copies = oversample(80, 5)
    _, _, results = evaluate(REAL, copies)
    assert {r.status for r in results.values()} == {"ok"} and len(results) == 10
    for mid, r in results.items():
        expected = 0.0 if mid.endswith("pii_echo") else 1.0  # no PII anywhere: nothing can leak
        assert r.value == expected, mid
    leak = results["privacy.instructions.exact_copies"].details["leaks"][0]
    copied, source = copies[leak["synthetic"]], REAL[leak["real"]]
    assert view_text(copied, "instructions") == view_text(source, "instructions")
    near = results["privacy.instructions.near_copies"].details
    assert near["dcr"]["q100"] == 0.0 and near["threshold"] > 0


def test_an_independent_sample_rarely_copies():
    _, _, results = evaluate(REAL, sample(100, 2, "s"))
    assert results["privacy.instructions.exact_copies"].value == 0.0
    assert results["privacy.instructions.verbatim_spans"].value == 0.0
    assert results["privacy.tool_calls.exact_copies"].value < 0.2  # short call views do repeat
    assert results["privacy.instructions.near_copies"].value < 0.2


def test_verbatim_spans_found_where_planted_and_nowhere_else():
    rng = np.random.default_rng(3)
    source = REAL[10].messages[0].content.split()
    syn = sample(60, 4, "p")
    for i in (3, 7):
        own = syn[i].messages[0].content.split()
        syn[i] = trajectory(rng, f"p{i}", " ".join(own[:5] + source[2:17] + own[5:]))
    _, _, results = evaluate(REAL, syn)
    r = results["privacy.instructions.verbatim_spans"]
    assert r.value == pytest.approx(2 / 60) and r.details["span_tokens"] == 12
    leaks = {leak["synthetic"]: leak for leak in r.details["leaks"]}
    assert set(leaks) == {3, 7}
    assert leaks[3]["tokens"] == 15 and leaks[3]["real"] == 10 and leaks[3]["span"] == [5, 20]
    text = view_text(syn[3], "instructions")
    spans = token_spans(text)
    start, end = spans[5][0], spans[19][1]
    assert text[start:end] == " ".join(source[2:17])


def test_one_echoed_email_is_counted_and_never_written():
    address = "jane.doe@corp-mail.example"
    real = list(REAL)
    real[4] = trajectory(np.random.default_rng(8), "r4", f"please mail {address} about w1 w2 w3")
    syn = sample(50, 6, "e")
    syn[9] = trajectory(np.random.default_rng(9), "e9", f"ask {address.upper()} and fake@nowhere.example")
    syn[11] = trajectory(np.random.default_rng(10), "e11", "mail other.person@nowhere.example")
    _, _, results = evaluate(real, syn)
    r = results["privacy.instructions.pii_echo"]
    assert r.details["echoed_values"] == 1 and r.details["by_kind"] == {"email": 1}
    assert r.value == pytest.approx(1 / 2)  # of the 2 synthetic trajectories with PII, 1 echoes
    occurrence = r.details["leaks"][0]["occurrences"][0]
    assert r.details["leaks"][0]["synthetic"] == 9
    assert occurrence["real"] == 4 and len(occurrence["hash"]) == 12 and occurrence["kind"] == "email"
    text = json.dumps([x.to_json_dict() for x in results.values()])
    assert address not in text.lower() and "jane" not in text.lower()


def test_subset_keeps_privacy_features():
    ev = Evaluator(Dataset(REAL, name="real"), LEXICAL, preset="generic", metric_patterns="privacy.*",
                   embedder="lexical", progress=False)
    f = features(ev, REAL, "real")
    sub = f.subset([3, 3, 0])
    view = sub.privacy.views["instructions"]
    assert view.view_hash[0] == view.view_hash[1] == f.privacy.views["instructions"].view_hash[3]
    assert view.pii is not None and view.tokens is not None
    assert len(view.pii) == 3 and view.tokens.offsets[-1] == 90
    assert view.token_key[0] == view.token_key[1] == f.privacy.views["instructions"].token_key[3] != 0


def test_token_hashes_are_kept_only_for_verbatim_spans_and_keys_agree_either_way():
    """Without ``verbatim_spans`` a view keeps one token-sequence key per trajectory instead of
    every token's hash; the loose whole-trajectory keys (near copies) are the same either way."""
    from synae.metrics.privacy import trajectory_keys

    lean_ev = Evaluator(Dataset(REAL, name="real"), LEXICAL, preset="generic",
                        metric_patterns="privacy.*.exact_copies", embedder="lexical", progress=False)
    full_ev = Evaluator(Dataset(REAL, name="real"), LEXICAL, preset="generic", metric_patterns="privacy.*",
                        embedder="lexical", progress=False)
    lean = lean_ev.features(Dataset(REAL, name="real")).privacy
    full = full_ev.features(Dataset(REAL, name="real")).privacy
    assert lean is not None and full is not None
    assert all(v.tokens is None and v.pii is None for v in lean.views.values())
    assert full.views["instructions"].tokens is not None  # its verbatim_spans is selected
    assert full.views["tool_calls"].tokens is None  # tool calls have no verbatim_spans
    for loose in (False, True):
        assert np.array_equal(trajectory_keys(lean, loose), trajectory_keys(full, loose))
    assert np.count_nonzero(trajectory_keys(lean, True))


@pytest.mark.parametrize("text", ["hello, world!", "a_b-c d.e", "tool_16(query='x y', limit=7)",
                                  "  tabs\tand\x1cseps ", "café au lait", "naïve_x 42", "!!!", "", "ÀB_c d",
                                  "x\u2028y", "e-mail@x.org"])
def test_token_key_is_the_hash_of_the_regex_tokens(text):
    """The ASCII fast path and the regex give one key for the same token sequence; punctuation,
    spacing and case do not change it, another token sequence does."""
    from synae.metrics.privacy import _TOKEN, _hash64, _token_key

    assert _token_key(text) == _hash64(" ".join(_TOKEN.findall(text)))
    assert _token_key(f" {text} ...;") == _token_key(text)
    assert _token_key(text + " extra") != _token_key(text)


def _splitmix_reference(hashes: list[int]) -> int:
    """The chained key of one trajectory, written out with Python integers."""
    mask = (1 << 64) - 1
    key = 0
    for h in hashes:
        z = ((key ^ h) + 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        key = z ^ (z >> 31)
    return key


def test_trajectory_keys_chain_the_view_hashes_and_differ_when_any_view_differs():
    from synae.metrics.features import PrivacyFeatures, ViewFeatures
    from synae.metrics.privacy import trajectory_keys

    def view(hashes: list[int]) -> ViewFeatures:
        exact = np.array(hashes, dtype=np.uint64)
        return ViewFeatures(exact != 0, exact, exact ^ np.uint64(1), None, None)

    rows = [(5, 7, 9), (5, 7, 9), (7, 5, 9), (5, 0, 9), (0, 0, 0), (0, 0, 2**64 - 1), (5, 7, 8)]
    features = PrivacyFeatures({target: view([r[j] for r in rows])
                                for j, target in enumerate(("instructions", "tool_calls", "output"))})
    keys = trajectory_keys(features).tolist()
    assert keys[0] == keys[1] == _splitmix_reference([5, 7, 9])
    assert keys[4] == 0  # no view at all
    assert keys[5] == _splitmix_reference([0, 0, 2**64 - 1]) != 0
    assert len({keys[i] for i in (0, 2, 3, 5, 6)}) == 5  # swapped, missing or changed views key apart
    loose = trajectory_keys(features, loose=True).tolist()
    assert loose[3] == _splitmix_reference([5 ^ 1, 0, 9 ^ 1])  # an absent view counts as 0 either way
