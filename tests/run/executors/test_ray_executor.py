"""The Ray executor on a real local 2-node cluster (one CPU per node) gives the local executor's
results: k-NN values and memberships, map-stage outputs, embeddings, and LLM replies through the
same reply cache (a second run sends nothing). Select with ``-m ray``."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from helpers.knn_data import check_near_copies_reuse, tied_sets
from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import LLMSettings, load_config
from synae.embed import EmbeddingPipeline
from synae.embed.lexical import LexicalEmbedder
from synae.llm.client import ChatRequest, ChatResponse, LLMError
from synae.metrics import knn
from synae.run.executors import LocalExecutor, PerItem
from synae.run.inputs.data import load_dataset
from synae.run.scoring import evaluation
from synae.run.scoring.evaluation import Evaluator
from synae.schema import Dataset, Message, Trajectory
from synae.views import instruction_transcript

ray_cluster_utils = pytest.importorskip("ray.cluster_utils")

from synae.run.executors.ray_executor import RayExecutor, split_concurrency  # noqa: E402

# a hang (a task that can never be scheduled, a node that never joins) fails the test, not the run
pytestmark = [pytest.mark.ray, pytest.mark.timeout(240)]
NODE = {"num_cpus": 1, "object_store_memory": 96 * 1024 * 1024}


@pytest.fixture(scope="module")
def executor() -> Iterator[RayExecutor]:
    # Ray's temp folder in a fresh place (short: socket paths must fit 107 bytes), so that no file
    # of an earlier, killed cluster (its ray_current_cluster address file) is read
    temp_root = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    saved = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = temp_root
    cluster = ray_cluster_utils.Cluster(initialize_head=True,
                                        head_node_args={**NODE, "include_dashboard": False})
    try:
        cluster.add_node(**NODE)
        cluster.wait_for_nodes(timeout=120)
        ex = RayExecutor(address=cluster.address, device="auto")
        try:
            yield ex
        finally:
            ex.close()
    finally:
        cluster.shutdown()
        if saved is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = saved
        shutil.rmtree(temp_root, ignore_errors=True)


def test_cluster_has_two_nodes(executor: RayExecutor) -> None:
    assert executor.n_cpus == 2 and executor.n_gpus == 0
    assert sum(1 for n in executor._ray.nodes() if n["Alive"]) == 2


def test_knn_equals_local(executor: RayExecutor) -> None:
    rng = np.random.default_rng(11)
    # 8 blocks per pass (2 CPUs x 4 tasks) at any size: duplicate real rows tie, some copies
    x, y = np.round(rng.normal(size=(140, 8)), 1), np.round(rng.normal(size=(100, 8)) + 0.1, 1)
    x[1::9] = x[0]
    y[:24] = x[rng.integers(0, 140, 24)]
    local = LocalExecutor(device="cpu")
    for k in (1, 3, 5):
        want, got = local.knn_precision_recall(x, y, k), executor.knn_precision_recall(x, y, k)
        assert [(g.value, g.details) for g in got] == [(w.value, w.details) for w in want]
        assert all(np.array_equal(a, b) for a, b in
                   zip(knn.knn_membership(x, y, k), executor.knn_membership(x, y, k), strict=True))
    ref = executor.knn_prepare(x, 3)
    assert np.array_equal(ref.radii_sq, knn.prepare(x, 3).radii_sq)
    small = executor.knn_precision_recall(x[:3], y, 3)  # n <= k: precision None, as locally
    assert small[0].value is None and small[0].reason == knn.knn_precision_recall(x[:3], y, 3)[0].reason


def test_knn_pass_keeps_what_near_copies_reads(executor: RayExecutor,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The radii tasks return the LOO distances and the membership tasks each synthetic row's two
    best real columns (joined on the driver): the reference then holds both, equal to the numpy
    engine's, and ``near_copies`` makes no pass of its own yet equals the local value — also after
    another synthetic set used the same reference (it travels again without its last pass)."""
    x, y = tied_sets(12)
    ref = executor.knn_prepare(x, 3)
    executor.knn_precision_recall(ref, y[::-1], 3)
    check_near_copies_reuse(lambda ref, y: executor.knn_precision_recall(ref, y, 3), ref, x, y, monkeypatch)


def test_map_and_embed_equal_local(executor: RayExecutor) -> None:
    trajs = [Trajectory(id=str(i), messages=[Message(role="user", content=f"plan a trip to city {i % 7}"),
                                             Message(role="assistant", content=f"ok {i}")])
             for i in range(23)]
    fn = PerItem(instruction_transcript)
    assert executor.map_batches(fn, trajs, batch_size=5) == LocalExecutor().map_batches(fn, trajs, 5)
    texts = executor.map_batches(fn, trajs, batch_size=5)
    make = functools.partial(EmbeddingPipeline, LexicalEmbedder(), progress=False)
    vectors, stats = executor.embed(make, texts, shard_size=6)
    want, _ = LocalExecutor().embed(make, texts)
    assert np.array_equal(vectors, want)
    assert stats is not None and stats.n_texts == len(texts)


def test_llm_stage_uses_the_same_reply_cache(executor: RayExecutor, tmp_path) -> None:
    requests = [ChatRequest(messages=[{"role": "user", "content": f"q{i % 9}"}], model="m")
                for i in range(14)]
    settings = LLMSettings(cache_dir=tmp_path / "llm", concurrency=3, timeout=5.0, max_retries=1,
                           backoff_base=0.01)
    with ScriptedOpenAIServer(responder=lambda body: "A:" + body["messages"][0]["content"]) as server:
        first = executor.chat_many(settings, requests, base_url=server.base_url, api_key="k")
        assert len(server.requests) == 9  # distinct requests, each sent once
        second = executor.chat_many(settings, requests, base_url=server.base_url, api_key="k")
        assert len(server.requests) == 9  # second run: 0 new requests
        local = LocalExecutor().chat_many(settings, requests, base_url=server.base_url, api_key="k")
        assert len(server.requests) == 9  # the local executor reads the same cache
    texts = [r.text if isinstance(r, ChatResponse) else None for r in first.responses]
    assert texts == [f"A:q{i % 9}" for i in range(14)]
    assert [r.text for r in second.responses if isinstance(r, ChatResponse)] == texts
    assert first.usage["calls"] == 9 and second.usage["calls"] == 0 and second.usage["cached"] == 14
    assert local.usage == second.usage


def test_llm_failures_come_back_as_llm_errors(executor: RayExecutor, tmp_path) -> None:
    settings = LLMSettings(cache_dir=tmp_path / "llm", timeout=5.0, max_retries=0)
    request = ChatRequest(messages=[{"role": "user", "content": "q"}], model="m")
    with ScriptedOpenAIServer(replies=[Reply.error(400, message="bad model")]) as server:
        out = executor.chat_many(settings, [request], base_url=server.base_url, api_key="k")
    error = out.responses[0]
    assert isinstance(error, LLMError) and error.kind == "http_400" and "bad model" in str(error)
    assert out.usage["failed"] == 1 and out.usage["calls"] == 0


def test_concurrency_split() -> None:
    assert split_concurrency(8, 3) == [3, 3, 2]
    assert sum(split_concurrency(5, 5)) == 5


def test_evaluator_on_ray_equals_the_local_evaluator(executor: RayExecutor, bench_data,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Record features as map tasks (batches of 16 trajectories, joined in order), embeddings
    (actors building the pipeline from a PipelineFactory) and both k-NN passes on the cluster:
    every metric record equals the local run's, embedding statistics included."""
    config = load_config(embedding={"model": "lexical"})
    real = load_dataset(bench_data / "t1" / "t1_attraction_turns_with_output.csv")
    syn = Dataset(real.trajectories[1::3], name="third")

    def outcomes(ev: Evaluator) -> dict[str, tuple]:
        report = ev.evaluate(syn)
        return {i: (m.status, m.value, m.reason, m.details) for i, m in report.metrics.items()}

    local = outcomes(Evaluator(real, config))
    mapped: list[int] = []
    original = executor.map_batches

    def recording(fn, items, batch_size):  # the real map, counted
        mapped.append(len(items))
        return original(fn, items, batch_size)

    monkeypatch.setattr(evaluation, "MAP_BATCH", 16)
    monkeypatch.setattr(executor, "map_batches", recording)
    on_ray = Evaluator(real, config, executor=executor)
    assert outcomes(on_ray) == local
    assert mapped == [-(-len(real) // 16), -(-len(syn) // 16)] and mapped[0] > 1  # real, then synthetic
    assert on_ray.executor is executor and on_ray._pipeline is None  # nothing embedded in this process
    on_ray.close()  # not the evaluator's executor: left running
    assert executor._ray.is_initialized()


def test_no_address_starts_a_new_local_instance() -> None:
    """``address=None`` starts a local instance even when Ray's address file names a cluster that
    is gone (as after a killed run), instead of trying to join it. In a subprocess: this process's
    driver is connected to the module's cluster."""
    temp_root = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: socket paths
    (temp_root / "ray").mkdir()
    (temp_root / "ray" / "ray_current_cluster").write_text("192.0.2.2:6379")
    script = ("from synae.run.executors.ray_executor import RayExecutor\n"
              "ex = RayExecutor()\n"
              "print('started', ex._owns)\n"
              "ex.close()\n")
    env = {**os.environ, "RAY_TMPDIR": str(temp_root)}
    env.pop("RAY_ADDRESS", None)
    try:
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             timeout=180, env=env)
    finally:
        shutil.rmtree(temp_root, ignore_errors=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["started", "True"]


def test_an_embedding_actor_that_dies_is_replaced_once_then_a_clear_error(executor: RayExecutor,
                                                                          tmp_path) -> None:
    import ray

    from helpers import ray_faults
    from helpers.ray_faults import DyingPipeline
    from synae.errors import ExecutorError

    ray.cloudpickle.register_pickle_by_value(ray_faults)  # the workers cannot import tests/helpers

    texts = [f"plan a trip to city {i}" for i in range(9)]
    want, _ = LocalExecutor().embed(functools.partial(EmbeddingPipeline, LexicalEmbedder(), progress=False),
                                    texts)
    vectors, _ = executor.embed(DyingPipeline(tmp_path / "once"), texts, shard_size=100)
    assert np.array_equal(vectors, want) and (tmp_path / "once").read_text() == "1"  # retried once
    with pytest.raises(ExecutorError, match=r"a Ray embedding actor died, and again after one retry"):
        executor.embed(DyingPipeline(tmp_path / "twice", deaths=5), texts, shard_size=100)
    assert (tmp_path / "twice").read_text() == "2"  # two actors, no third try


def test_an_address_where_nothing_answers_is_a_clear_error_within_the_timeout() -> None:
    """Nothing listening: refused at once (no Ray start). A listener that never speaks Ray's
    protocol: ``ray.init`` must give up after the connect timeout — in a subprocess, whose exit
    also shows that the abandoned connection attempt does not hold the process."""
    import socket
    import time

    from synae.errors import SynaeError
    from synae.run.executors.ray_executor import probe_address

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(SynaeError, match=rf"cannot join the Ray cluster at 127\.0\.0\.1:{free}: no answer"):
        probe_address(f"127.0.0.1:{free}", 2.0)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        script = ("import sys\nfrom synae.errors import SynaeError\n"
                  "from synae.run.executors.ray_executor import RayExecutor\n"
                  f"try:\n    RayExecutor(address={address!r}, connect_timeout=3)\n"
                  "except SynaeError as exc:\n    print(exc)\n    sys.exit(2)\n")
        start = time.monotonic()
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr[-2000:]
    assert f"the Ray cluster at {address}: TimeoutError: no reply within 3 s" in out.stdout
    assert time.monotonic() - start < 60
