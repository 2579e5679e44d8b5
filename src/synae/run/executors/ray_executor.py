"""The Ray executor: the same stages as :class:`~synae.run.executors.local.LocalExecutor`, spread over
a Ray cluster (``address=None`` starts a new local instance, else ``ray.init(address=…)`` joins one;
``auto`` joins the cluster ``ray start`` last started on this machine).

- **map**: one task per batch; ``fn`` travels with the task (cloudpickle), results come back in order.
- **embeddings**: a pool of actors spread over the nodes, each building its pipeline once (one model
  load per actor; one actor per GPU when the cluster has GPUs); shards go round-robin to the actors;
  the vectors are concatenated in input order and the statistics merged
  (:meth:`EmbeddingStats.merge`, so ``n_unique`` counts distinct texts per shard). Pools live until
  :meth:`close`. An actor holds what it reserves for its whole life, so a pool reserving one CPU per
  actor would starve every later task of the CPUs (a deadlock when the pool covers the cluster):
  CPU actors reserve none (the driver runs one stage at a time, so they never compete with tasks).
  A GPU actor reserves its GPU, so a k-NN stage on GPUs first releases the pool (the next
  embedding stage loads the model again).
- **k-NN**: the distinct rows are found on the driver (:class:`synae.metrics.knn._Points`) and put in
  the object store once; radii are row-block tasks (:func:`~synae.metrics.knn_device.radii_rows`:
  each block of distinct rows against all of them, exact float64 recheck inside the task), which
  also return the rows' leave-one-out distances (``KnnReference.loo_sq``); the membership pass is
  one task per block of synthetic rows against all real rows
  (:func:`~synae.metrics.knn_device.membership_rows`), returning the block's synthetic memberships,
  its partial real memberships, which are OR-ed — exactly the local engine's merge —, and its rows'
  two best real columns, from which the driver settles each synthetic row's nearest real row
  (``KnnReference.last_pass``). So every radius, membership, precision and recall equals
  :mod:`synae.metrics.knn`'s, and the privacy metric ``near_copies`` makes no pass of its own
  (:func:`~synae.metrics.knn.leave_one_out_sq`, :func:`~synae.metrics.knn.nearest_real`). Tasks take one CPU
  each, and one GPU (torch screening) when ``device`` resolves to ``cuda`` on the cluster, else
  the numpy engine.
- **LLM calls**: async actors (no CPU reserved, one per node by default), each with its own
  :class:`~synae.llm.client.LLMClient` on the *same* reply-cache folder; the endpoint's
  ``concurrency`` is split between them (Σ per-actor limits = ``concurrency``); requests are routed
  by cache key, so identical requests meet in one client and are sent once, as locally.

Failures: joining a cluster (``address`` given) is bounded by ``connect_timeout`` seconds — a TCP
probe of ``HOST:PORT`` first (:func:`probe_address`: nothing listening, or no answer in time, is a
:class:`~synae.errors.SynaeError` at once), then ``ray.init`` itself must return within the same
time — so a wrong address never hangs. An embedding actor that dies (killed, out of memory) is
replaced and its stage run again once; a second death raises
:class:`~synae.errors.ExecutorError` with one clear message (exit code 5), never Ray's traceback.

Ray is imported lazily; without it, constructing the executor raises
:class:`~synae.errors.MissingDependencyError` with the install hint ``pip install 'synae[ray]'``.
"""

from __future__ import annotations

import math
import re
import socket
import threading
from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any, TypeVar

import numpy as np

from synae.config import LLMSettings
from synae.embed import EmbeddingPipeline, EmbeddingStats
from synae.errors import ConfigError, ExecutorError, MissingDependencyError, SynaeError
from synae.llm.client import ChatRequest, ChatResponse, LLMClient, LLMError
from synae.metrics import knn
from synae.metrics.knn_device import membership_rows, radii_rows
from synae.run.executors.base import (
    ChatBatch,
    Executor,
    MembershipPair,
    batches,
    check_lengths,
    llm_settings_for_workers,
)

T = TypeVar("T")
R = TypeVar("R")
RAY_HINT = "pip install 'synae[ray]'"


def import_ray() -> Any:
    """The ``ray`` module, or :class:`MissingDependencyError` with the install hint."""
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("ray", RAY_HINT) from None
    return ray


def probe_address(address: str | None, timeout: float) -> None:
    """Check that something answers at a cluster ``address`` (``HOST:PORT`` or ``ray://HOST:PORT``)
    within ``timeout`` seconds — a TCP connection, opened and closed. ``None``, ``auto`` and
    ``local`` are not probed. Nothing listening or no answer in time is a
    :class:`~synae.errors.SynaeError` naming the address; a malformed address a
    :class:`~synae.errors.ConfigError`."""
    if not address or address in ("auto", "local"):
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"--ray-address {address!r}: expected HOST:PORT, ray://HOST:PORT, auto or local")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        raise SynaeError(f"cannot join the Ray cluster at {address}: no answer at {host}:{port} within "
                         f"{timeout:g} s ({why}); check --ray-address (compute.ray_connect_timeout)"
                         ) from None


def _init_within(ray: Any, timeout: float, **options: Any) -> None:
    """``ray.init(**options)`` that must return within ``timeout`` seconds (run in a daemon thread:
    a cluster that accepts the connection but never answers would otherwise hang the run)."""
    outcome: list[BaseException | None] = []

    def start() -> None:
        try:
            ray.init(**options)
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=start, name="synae-ray-init", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise TimeoutError(f"no reply within {timeout:g} s (compute.ray_connect_timeout)")
    if outcome[0] is not None:
        raise outcome[0]


def _shipped(ref: knn.KnnReference) -> knn.KnnReference:
    """``ref`` as the membership tasks read it: without its LOO distances and its last pass (whose
    synthetic input may be as large as the points)."""
    return knn.KnnReference(ref.points, ref.radii_sq, ref.n, ref.k)


def _map_batch(fn: Callable[[list[Any]], list[Any]], batch: list[Any]) -> list[Any]:
    out = fn(batch)
    check_lengths(out, len(batch), "map_batches")
    return out


class _EmbedWorker:
    """Actor body: one pipeline (one model load) per actor."""

    def __init__(self, make_pipeline: Callable[[], EmbeddingPipeline]) -> None:
        self.pipeline = make_pipeline()

    def embed(self, texts: list[str]) -> tuple[np.ndarray, EmbeddingStats]:
        out = self.pipeline.embed(texts)
        return out.vectors, out.stats


_ErrorTuple = tuple[str, str, int | None, int, float | None]


class _ChatWorker:
    """Async actor body: an :class:`LLMClient` serving its share of the requests. Errors travel as
    plain tuples (``LLMError``'s constructor does not survive pickling) and usage as counter deltas."""

    def __init__(self, settings: LLMSettings, base_url: str | None, api_key: str | None) -> None:
        self.client = LLMClient(settings, base_url=base_url, api_key=api_key, progress=False)

    async def chat(self, requests: list[ChatRequest]
                   ) -> tuple[list[ChatResponse | _ErrorTuple], dict[str, int]]:
        before = self.client.usage.as_dict()
        replies = await self.client.achat_many(requests, progress=False)
        after = self.client.usage.as_dict()
        out: list[ChatResponse | _ErrorTuple] = [
            (r.kind, r.message, r.status, r.attempts, r.retry_after) if isinstance(r, LLMError) else r
            for r in replies]
        return out, {name: after[name] - before[name] for name in after}

    def close(self) -> None:
        self.client.close()


def split_concurrency(total: int, parts: int) -> list[int]:
    """``total`` request slots split into ``parts`` near-equal positive shares (``parts`` ≤ ``total``)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class RayExecutor(Executor):
    """Stages as Ray tasks and actors. ``address``: a running cluster (``None``: start a local Ray
    instance, shut down again by :meth:`close`); ``tasks_per_worker``: k-NN blocks per CPU (or GPU)
    of the cluster; ``llm_actors``: LLM actors (default: one per alive node, at most ``concurrency``)."""

    name = "ray"

    def __init__(self, *, address: str | None = None, device: str = "auto", tasks_per_worker: int = 4,
                 llm_actors: int | None = None, connect_timeout: float = 30.0) -> None:
        ray = import_ray()
        if device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"unknown device {device!r} (expected auto, cpu or cuda)")
        self._ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            probe_address(address, connect_timeout)
            try:
                # no address: always a new instance ("local"; never the cluster a stale
                # /tmp/ray/ray_current_cluster names), listening on loopback only
                options: dict[str, Any] = dict(address=address or "local", include_dashboard=False,
                                               log_to_driver=False, configure_logging=False)
                if address:
                    _init_within(ray, connect_timeout, **options)
                else:
                    ray.init(**options, _node_ip_address="127.0.0.1")
            except Exception as exc:  # Ray's own start/connect errors: one clear line, exit 2
                where = f"the Ray cluster at {address}" if address else "a local Ray instance"
                raise SynaeError(f"cannot start or join {where}: {type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
        resources = ray.cluster_resources()
        self.n_cpus = max(1, int(resources.get("CPU", 1)))
        self.n_gpus = int(resources.get("GPU", 0))
        if device == "cuda" and not self.n_gpus:
            raise ConfigError("device 'cuda' requested but the Ray cluster has no GPU")
        self.device = device
        self._knn_device = "cuda" if device != "cpu" and self.n_gpus else None
        self.tasks_per_worker = tasks_per_worker
        self.llm_actors = llm_actors
        self._remote: dict[str, Any] = {}
        self._embed_pools: dict[int, tuple[Callable[[], EmbeddingPipeline], list[Any]]] = {}

    # -- helpers -------------------------------------------------------------------------------
    def _fn(self, name: str, fn: Callable[..., Any], **options: Any) -> Any:
        if name not in self._remote:
            self._remote[name] = self._ray.remote(fn).options(**options)
        return self._remote[name]

    def _knn_task(self, name: str, fn: Callable[..., Any]) -> Any:
        gpu = self._knn_device is not None
        if gpu:  # the embedding actors hold the GPUs
            self._release_embed_pools()
        return self._fn(name, fn, num_gpus=1 if gpu else 0, num_cpus=1)

    def _knn_spans(self, n_rows: int) -> list[tuple[int, int]]:
        workers = self.n_gpus if self._knn_device else self.n_cpus
        return batches(n_rows, max(1, math.ceil(n_rows / (workers * self.tasks_per_worker))))

    # -- 1. map --------------------------------------------------------------------------------
    def map_batches(self, fn: Callable[[list[T]], list[R]], items: Sequence[T], batch_size: int) -> list[R]:
        task = self._fn("map", _map_batch, num_cpus=1)
        refs = [task.remote(fn, list(items[s:e])) for s, e in batches(len(items), batch_size)]
        return [r for part in self._ray.get(refs) for r in part]

    # -- 2. embeddings -------------------------------------------------------------------------
    def _embed_pool(self, make_pipeline: Callable[[], EmbeddingPipeline], n_shards: int) -> list[Any]:
        key = id(make_pipeline)
        if key not in self._embed_pools:
            gpu = self.n_gpus > 0 and self.device != "cpu"
            size = max(1, min(self.n_gpus if gpu else self.n_cpus, n_shards))
            actor = self._ray.remote(_EmbedWorker).options(
                num_gpus=1 if gpu else 0, num_cpus=0, scheduling_strategy="SPREAD")
            self._embed_pools[key] = (make_pipeline, [actor.remote(make_pipeline) for _ in range(size)])
        return self._embed_pools[key][1]

    def embed(self, make_pipeline: Callable[[], EmbeddingPipeline], texts: Sequence[str],
              shard_size: int = 4096) -> tuple[np.ndarray, EmbeddingStats | None]:
        """Embed ``texts`` on the actor pool; an actor death drops the pool and runs the stage again
        on a new one, once (see the module docstring)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), None
        spans = batches(len(texts), shard_size)
        for retry in (False, True):
            pool = self._embed_pool(make_pipeline, len(spans))
            refs = [pool[i % len(pool)].embed.remote(list(texts[s:e])) for i, (s, e) in enumerate(spans)]
            try:
                parts = self._ray.get(refs)
                break
            except self._ray.exceptions.RayActorError as exc:
                self._drop_embed_pool(id(make_pipeline))
                if retry:
                    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # Ray colours its messages
                    first = text.splitlines()[0] if text else ""
                    raise ExecutorError(f"embedding failed: a Ray embedding actor died, and again after "
                                        f"one retry ({type(exc).__name__}: {first[:300]}); no results "
                                        "were written") from None
        return np.concatenate([v for v, _ in parts]), reduce(EmbeddingStats.merge, [s for _, s in parts])

    # -- 3. exact k-NN -------------------------------------------------------------------------
    def knn_prepare(self, x: np.ndarray, k: int = 3) -> knn.KnnReference:
        n = int(x.shape[0])
        if n <= k:  # no radii to compute
            return knn.prepare(x, k)
        pts = knn._Points.of(x)
        ref = self._ray.put(pts)
        task = self._knn_task("radii", radii_rows)
        refs = [task.remote(ref, k, s, e, self._knn_device) for s, e in self._knn_spans(pts.rows.shape[0])]
        parts = self._ray.get(refs)
        return knn.KnnReference(pts, np.concatenate([p[0] for p in parts]), n, k,
                                loo_sq=np.concatenate([p[1] for p in parts]))

    def _membership(self, xr: knn.KnnReference, xs: knn.KnnReference, source: object) -> MembershipPair:
        real_ref, syn_ref = self._ray.put(_shipped(xr)), self._ray.put(_shipped(xs))
        task = self._knn_task("membership", membership_rows)
        refs = [task.remote(real_ref, syn_ref, s, e, self._knn_device)
                for s, e in self._knn_spans(xs.points.rows.shape[0])]
        parts = self._ray.get(refs)
        syn_in = None if xr.radii_sq is None else np.concatenate([p[0] for p in parts])
        real_in = None if xs.radii_sq is None else np.logical_or.reduce([p[1] for p in parts])
        nearest = knn._NearestTop2.concat([p[2] for p in parts])
        xr.last_pass = (source, knn._nearest_of(nearest, xr.points, xs.points))
        return syn_in, real_in

    # -- 4. LLM calls ---------------------------------------------------------------------------
    def chat_many(self, settings: LLMSettings, requests: Sequence[ChatRequest], *,
                  base_url: str | None = None, api_key: str | None = None) -> ChatBatch:
        if not requests:
            return ChatBatch([], {})
        settings = llm_settings_for_workers(settings)
        keys = [r.cache_key() for r in requests]
        nodes = sum(1 for node in self._ray.nodes() if node.get("Alive"))
        n_actors = max(1, min(self.llm_actors or nodes, settings.concurrency, len(set(keys))))
        shares = split_concurrency(settings.concurrency, n_actors)
        actor_cls = self._ray.remote(_ChatWorker)
        actors = [actor_cls.options(num_cpus=0, max_concurrency=max(2, share), scheduling_strategy="SPREAD")
                  .remote(settings.model_copy(update={"concurrency": share}), base_url, api_key)
                  for share in shares]
        owner = [int(key[:8], 16) % n_actors for key in keys]  # identical requests -> one client
        groups = [[i for i in range(len(requests)) if owner[i] == a] for a in range(n_actors)]
        try:
            results = self._ray.get([actor.chat.remote([requests[i] for i in group])
                                     for actor, group in zip(actors, groups, strict=True)])
            self._ray.get([actor.close.remote() for actor in actors])
        finally:
            for actor in actors:
                self._ray.kill(actor)
        responses: list[ChatResponse | LLMError | None] = [None] * len(requests)
        usage: dict[str, int] = {}
        for group, (replies, counts) in zip(groups, results, strict=True):
            for i, reply in zip(group, replies, strict=True):
                responses[i] = reply if isinstance(reply, ChatResponse) else LLMError(
                    reply[0], reply[1], status=reply[2], attempts=reply[3], retry_after=reply[4])
            for name, value in counts.items():
                usage[name] = usage.get(name, 0) + value
        return ChatBatch([r for r in responses if r is not None], usage)

    # -- lifecycle ------------------------------------------------------------------------------
    def _drop_embed_pool(self, key: int) -> None:
        _, actors = self._embed_pools.pop(key, (None, []))
        for actor in actors:
            self._ray.kill(actor)  # a dead actor is killed without complaint

    def _release_embed_pools(self) -> None:
        for key in list(self._embed_pools):
            self._drop_embed_pool(key)

    def close(self) -> None:
        """Kill the embedding actors; shut Ray down when this executor started it."""
        self._release_embed_pools()
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
