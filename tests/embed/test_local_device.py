"""Device choice of the local sentence-transformers embedder."""

from __future__ import annotations

import numpy as np
import pytest

from synae.embed.local import SentenceTransformerEmbedder, load_sentence_transformer, resolve_torch_device
from synae.errors import ConfigError

torch = pytest.importorskip("torch")
HAS_GPU = torch.cuda.is_available()


def test_resolve_device() -> None:
    assert resolve_torch_device("cpu") == "cpu"
    assert resolve_torch_device("auto") == ("cuda" if HAS_GPU else "cpu")
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_torch_device("gpu0")
    if not HAS_GPU:
        with pytest.raises(ConfigError, match="no GPU"):
            resolve_torch_device("cuda")


def test_device_is_unknown_until_the_model_loads() -> None:
    embedder = SentenceTransformerEmbedder(device="auto")
    assert embedder.device is None and embedder.requested_device == "auto"
    assert embedder.dimension == 384  # metadata without loading


@pytest.mark.slow
def test_encodes_on_the_resolved_device() -> None:
    embedder = SentenceTransformerEmbedder(device="auto")
    vec = embedder.encode(["Find museums in Paris."], batch_size=4)
    assert embedder.device == ("cuda" if HAS_GPU else "cpu")
    assert str(embedder.model.device).startswith(embedder.device)
    cpu = load_sentence_transformer(embedder.path, "cpu").encode(["Find museums in Paris."])
    assert vec.shape == (1, 384) and np.allclose(vec, cpu, atol=1e-4)
