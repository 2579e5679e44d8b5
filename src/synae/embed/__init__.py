"""Text embeddings: one :class:`Embedder` protocol, three backends, one pipeline.

- ``minilm`` (default): all-MiniLM-L6-v2 via sentence-transformers, local and offline;
- ``lexical``: hashed word n-grams, no model (tests, quick looks);
- ``openai:<model>``: any OpenAI-compatible ``/v1/embeddings`` endpoint.

:func:`make_pipeline` builds the :class:`EmbeddingPipeline` (chunk + pool, de-duplicate, cache) from
:class:`synae.config.EmbeddingSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass

from synae.config import EmbeddingSettings, cache_root
from synae.embed.base import Embedder, EmbeddingStats
from synae.embed.cache import EmbeddingCache
from synae.embed.pipeline import EmbeddingOutput, EmbeddingPipeline
from synae.errors import ConfigError
from synae.files import cache_dir_usable


def get_embedder(name: str, settings: EmbeddingSettings | None = None) -> Embedder:
    """The embedder called ``name``: ``minilm``, ``lexical`` or ``openai:<model>``."""
    settings = settings or EmbeddingSettings()
    if name == "minilm":
        from synae.embed.local import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder()
    if name == "lexical":
        from synae.embed.lexical import LexicalEmbedder

        return LexicalEmbedder()
    if name.startswith("openai:"):
        from synae.embed.openai import OpenAIEmbedder

        return OpenAIEmbedder(name.split(":", 1)[1], base_url=settings.base_url, api_key=settings.api_key)
    raise ConfigError(f"unknown embedder {name!r} (expected minilm, lexical or openai:<model>)")


def make_pipeline(settings: EmbeddingSettings | None = None, embedder: Embedder | None = None, *,
                  progress: bool = True) -> EmbeddingPipeline:
    """An :class:`EmbeddingPipeline` for ``settings`` (cache under ``cache_root()/embeddings`` unless
    ``settings.cache_dir`` is set; no cache when ``settings.cache`` is false, or — with a warning —
    when the cache folder cannot be written: :func:`synae.files.cache_dir_usable`)."""
    settings = settings or EmbeddingSettings()
    embedder = embedder or get_embedder(settings.model, settings)
    cache = None
    root = settings.cache_dir or (cache_root() / "embeddings")
    if settings.cache and embedder.cacheable and cache_dir_usable(root, "embedding cache"):
        identity = {"model": embedder.model_id, "window": embedder.window, "chunking": settings.chunking,
                    "normalise": "l2", "pooling": "token_weighted_mean", "dtype": "float32",
                    "batch_size": settings.batch_size, "max_windows": settings.max_windows}
        cache = EmbeddingCache(root, identity)
    return EmbeddingPipeline(embedder, cache=cache, chunking=settings.chunking,
                             batch_size=settings.batch_size, progress=progress,
                             max_windows=settings.max_windows)


@dataclass(frozen=True)
class PipelineFactory:
    """A picklable recipe for an :class:`EmbeddingPipeline`, for executors that build one pipeline per
    worker (:meth:`synae.run.executors.Executor.embed`): ``embedder`` is a name (built in the
    worker by :func:`get_embedder`), an :class:`Embedder` (sent as is) or a ready pipeline (sent as
    is, ``settings`` unused)."""

    settings: EmbeddingSettings
    embedder: str | Embedder | EmbeddingPipeline | None = None
    progress: bool = False

    def __call__(self) -> EmbeddingPipeline:
        if isinstance(self.embedder, EmbeddingPipeline):
            return self.embedder
        emb = get_embedder(self.embedder, self.settings) if isinstance(self.embedder, str) else self.embedder
        return make_pipeline(self.settings, emb, progress=self.progress)


__all__ = ["Embedder", "EmbeddingCache", "EmbeddingOutput", "EmbeddingPipeline", "EmbeddingStats",
           "PipelineFactory", "get_embedder", "make_pipeline"]
