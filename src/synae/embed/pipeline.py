"""Embed texts exactly as ``docs/method.md`` §2.4 says: each distinct text once, long texts chunked
into windows and mean-pooled (never silently truncated), L2-normalised, cached on disk.

For a text with more than W − 2 model tokens (W = window incl. 2 special tokens) the token ids are
split into consecutive windows of S = W − 10 tokens, each window is decoded back to text and
embedded, the window vectors (each L2-normalised) are averaged with weights = their token counts,
and the mean is L2-normalised. A decoded window that still exceeds W − 2 tokens is counted in
``n_truncated`` (expected 0). With chunking off, texts over W − 2 tokens are truncated by the model
and counted in ``n_truncated``. Vectors are returned as float32 (the cached precision), so a cold
and a warm run give bitwise identical results.

Cost bound: a text gets at most ``max_windows`` windows (``embedding.max_windows``); a longer text
is embedded from its first ``max_windows`` × S tokens and counted in ``n_capped`` (reported with
the results, never silent). ``None`` lifts the cap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from synae.embed.base import Embedder, EmbeddingStats
from synae.embed.cache import EmbeddingCache, TextInfo, text_key
from synae.files import write_or_disable

SPECIAL_TOKENS = 2
RETOKENISE_SLACK = 8  # S = W − 2 − 8 = W − 10; an embedder may set ``chunk_slack`` (0 for words)
ENCODE_CHUNK = 512  # texts per encode call (progress granularity)
PROGRESS_MIN_TEXTS = 256


@dataclass
class EmbeddingOutput:
    """Vectors of the input texts: text i has vector ``unique[inverse[i]]`` (equal texts share one
    bitwise-equal row). ``vectors`` expands them (n × d float32)."""

    unique: np.ndarray  # u × d float32, one row per distinct text
    inverse: np.ndarray  # n int64
    stats: EmbeddingStats

    @property
    def vectors(self) -> np.ndarray:
        rows: np.ndarray = self.unique[self.inverse]
        return rows


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    unit: np.ndarray = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    return unit


@contextlib.contextmanager
def _progress(total: int, label: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr; log lines (:class:`~synae.llm.progress.LogProgress`) when stderr
    is not a terminal; a no-op when disabled or small."""
    from rich.console import Console

    console = Console(stderr=True)
    if not enabled or total < PROGRESS_MIN_TEXTS:
        yield lambda n: None
        return
    if not console.is_terminal:
        from synae.llm.progress import LogProgress

        log = LogProgress(total, label)
        log.start()
        yield log.advance
        log.finish()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), transient=True, console=console) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


class EmbeddingPipeline:
    """Chunk, pool, de-duplicate and cache around one :class:`Embedder`."""

    def __init__(self, embedder: Embedder, *, cache: EmbeddingCache | None = None, chunking: bool = True,
                 batch_size: int = 16, progress: bool = True, max_windows: int | None = None) -> None:
        self.embedder = embedder
        self.cache = cache if embedder.cacheable else None
        self.chunking = chunking
        self.batch_size = batch_size
        self.progress = progress
        self.max_windows = max_windows

    def _step(self) -> int:
        """S, the tokens of one window (``window`` − 2 − the embedder's slack, at least 1)."""
        limit = (self.embedder.window or 0) - SPECIAL_TOKENS
        return max(1, limit - getattr(self.embedder, "chunk_slack", RETOKENISE_SLACK))

    def _capped(self, info: TextInfo) -> bool:
        """The text had more tokens than ``max_windows`` windows hold (only those were embedded)."""
        return (self.max_windows is not None and self.chunking and self.embedder.window is not None
                and info.windows >= self.max_windows and info.tokens > self.max_windows * self._step())

    def embed(self, texts: Sequence[str]) -> EmbeddingOutput:
        """Embed ``texts`` (duplicates embedded once; cached vectors reused)."""
        positions: dict[str, int] = {}
        inverse = np.fromiter((positions.setdefault(t, len(positions)) for t in texts), dtype=np.int64,
                              count=len(texts))
        unique = list(positions)
        keys = [text_key(t) for t in unique] if self.cache is not None else []
        found, cached, infos = (self.cache.lookup(keys) if self.cache is not None else ({}, None, {}))
        missing = [i for i in range(len(unique)) if not keys or keys[i] not in found]
        new_vectors, new_infos = self._embed_unique([unique[i] for i in missing])
        dim = (new_vectors.shape[1] if new_vectors is not None and new_vectors.size
               else cached.shape[1] if cached is not None else (self.embedder.dimension or 0))
        out = np.zeros((len(unique), dim), dtype=np.float32)
        info_list: list[TextInfo | None] = [None] * len(unique)
        if cached is not None:
            hit_rows = np.array([i for i in range(len(unique)) if keys[i] in found], dtype=np.int64)
            out[hit_rows] = cached[[found[keys[i]] for i in hit_rows]]
            for i in hit_rows:
                info_list[i] = infos[keys[i]]
        if missing:
            assert new_vectors is not None  # embedded above whenever a text was missing
            out[missing] = new_vectors
            for i, info in zip(missing, new_infos, strict=False):
                info_list[i] = info
            cache = self.cache
            if cache is not None and not write_or_disable(
                    lambda: cache.add([keys[i] for i in missing], new_vectors, new_infos),
                    "embedding cache", cache.dir):
                self.cache = None  # the vectors just computed are kept; later batches skip the cache
        stats = self._stats(len(texts), info_list, n_cached=len(unique) - len(missing), dim=dim)
        return EmbeddingOutput(unique=out, inverse=inverse, stats=stats)

    def _stats(self, n_texts: int, infos: list[TextInfo | None], *, n_cached: int,
               dim: int) -> EmbeddingStats:
        tokens = [i.tokens for i in infos if i is not None]
        return EmbeddingStats(
            model=self.embedder.model_id, dimension=dim or self.embedder.dimension,
            window=self.embedder.window,
            chunking=self.chunking, n_texts=n_texts, n_unique=len(infos),
            n_multi_window=sum(1 for i in infos if i is not None and i.windows > 1),
            n_windows=sum(i.windows for i in infos if i is not None), max_tokens=max(tokens, default=0),
            mean_tokens=float(np.mean(tokens)) if tokens else 0.0,
            n_truncated=sum(1 for i in infos if i is not None and i.truncated),
            n_cached=n_cached, n_embedded=len(infos) - n_cached, max_windows=self.max_windows,
            n_capped=sum(1 for i in infos if i is not None and self._capped(i)))

    def _plan(self, texts: list[str]) -> tuple[list[str], list[int], list[float], list[TextInfo]]:
        """Pieces to encode, the text each belongs to, its pooling weight, and per-text info."""
        window = self.embedder.window
        if window is None:
            return (list(texts), list(range(len(texts))), [1.0] * len(texts),
                    [TextInfo(len(t.split()), 1, False) for t in texts])
        limit = window - SPECIAL_TOKENS
        step = self._step()
        end_cap = self.max_windows * step if self.max_windows is not None else None
        pieces: list[str] = []
        owner: list[int] = []
        weight: list[float] = []
        infos: list[TextInfo] = []
        token_lists = self.embedder.tokenize(texts)
        windows_to_check: list[int] = []
        for i, (text, tokens) in enumerate(zip(texts, token_lists, strict=False)):
            if len(tokens) <= limit or not self.chunking:
                pieces.append(text)
                owner.append(i)
                weight.append(1.0)
                infos.append(TextInfo(len(tokens), 1, len(tokens) > limit))
                continue
            n_win = 0
            for s in range(0, len(tokens) if end_cap is None else min(len(tokens), end_cap), step):
                chunk = tokens[s:s + step]
                windows_to_check.append(len(pieces))
                pieces.append(self.embedder.detokenize(chunk))
                owner.append(i)
                weight.append(float(len(chunk)))
                n_win += 1
            infos.append(TextInfo(len(tokens), n_win, False))
        if windows_to_check:  # re-tokenised windows must fit; count any that do not
            lengths = self.embedder.tokenize([pieces[p] for p in windows_to_check])
            for p, toks in zip(windows_to_check, lengths, strict=False):
                if len(toks) > limit:
                    o = owner[p]
                    infos[o] = TextInfo(infos[o].tokens, infos[o].windows, True)
        return pieces, owner, weight, infos

    def _embed_unique(self, texts: list[str]) -> tuple[np.ndarray | None, list[TextInfo]]:
        """Vectors (float32, L2-normalised) of distinct texts. Each encoded chunk is normalised in
        float64 and stored as float32 at once; only multi-window texts get a float64 pooling row."""
        if not texts:
            return None, []
        pieces, owner, weight, infos = self._plan(texts)
        owners, weights = np.asarray(owner), np.asarray(weight)
        multi = np.array([i.windows > 1 for i in infos], dtype=bool)
        pool_row = np.full(len(texts), -1, dtype=np.int64)
        pool_row[multi] = np.arange(int(multi.sum()))
        out: np.ndarray | None = None
        pooled: np.ndarray | None = None
        with _progress(len(pieces), f"embedding ({self.embedder.name})", self.progress) as advance:
            for s in range(0, len(pieces), ENCODE_CHUNK):
                batch = pieces[s:s + ENCODE_CHUNK]
                raw = np.asarray(self.embedder.encode(batch, self.batch_size), dtype=np.float64)
                vectors = _normalise(raw)
                if out is None:
                    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                    pooled = np.zeros((int(multi.sum()), vectors.shape[1]))
                who = owners[s:s + len(batch)]
                single = ~multi[who]
                out[who[single]] = vectors[single]
                if not single.all():  # token-weighted sum of the windows of multi-window texts
                    assert pooled is not None  # allocated with ``out`` on the first batch
                    w = weights[s:s + len(batch)][~single, None]
                    np.add.at(pooled, pool_row[who[~single]], vectors[~single] * w)
                advance(len(batch))
        assert out is not None and pooled is not None
        if multi.any():
            out[multi] = _normalise(pooled)
        return out, infos
