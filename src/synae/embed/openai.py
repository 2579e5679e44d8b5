"""Any OpenAI-compatible ``/v1/embeddings`` endpoint, called with httpx.

Base URL, model and key come from the arguments or ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``. The
endpoint's tokenizer is not available locally, so long texts are chunked on *whitespace words*: the
window is ``window_words`` words (default 4 096, well inside the 8 191-token limit of OpenAI's
embedding models); the pipeline pools the windows as for a local model.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from synae.errors import ConfigError, SynaeError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_WINDOW_WORDS = 4096


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible HTTP endpoint."""

    cacheable = True
    chunk_slack = 0  # joining whitespace words and splitting again is exact

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 window_words: int = DEFAULT_WINDOW_WORDS, timeout: float = 60.0,
                 max_retries: int = 3) -> None:
        if not model:
            raise ConfigError("openai embedder: a model name is required (--embedder openai:<model>)")
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY")
        self.model = model
        self.name = f"openai:{model}"
        self.model_id = f"openai:{model}@{self.base_url}"
        self.window: int | None = window_words + 2  # the pipeline reserves 2 positions for special tokens
        self.timeout = timeout
        self.max_retries = max_retries
        self._dimension: int | None = None
        self._client: httpx.Client | None = None

    @property
    def dimension(self) -> int | None:
        return self._dimension

    def tokenize(self, texts: Sequence[str]) -> list[list[Any]]:
        return [t.split() for t in texts]

    def detokenize(self, tokens: Sequence[Any]) -> str:
        return " ".join(tokens)

    def _post(self, batch: list[str]) -> list[list[float]]:
        if self._client is None:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout)
        payload = {"model": self.model, "input": batch}
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                response = self._client.post("/embeddings", json=payload)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return _parse(response, len(batch), self.base_url)
                last = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code not in (408, 409, 429) and response.status_code < 500:
                    break
            if attempt < self.max_retries:
                time.sleep(min(0.5 * 2**attempt, 8.0))
        raise SynaeError(f"embedding request to {self.base_url}/embeddings failed ({last})")

    def encode(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        rows: list[list[float]] = []
        for s in range(0, len(texts), batch_size):
            rows.extend(self._post(list(texts[s:s + batch_size])))
        out = np.asarray(rows, dtype=np.float64)
        self._dimension = int(out.shape[1]) if out.ndim == 2 else self._dimension
        return out


def _parse(response: httpx.Response, n: int, url: str) -> list[list[float]]:
    try:
        data = response.json()["data"]
        items = sorted(data, key=lambda d: d.get("index", 0))
        vectors = [list(map(float, d["embedding"])) for d in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise SynaeError(f"{url}/embeddings returned an unexpected body ({exc!r})") from None
    if len(vectors) != n:
        raise SynaeError(f"{url}/embeddings returned {len(vectors)} vectors for {n} inputs")
    return vectors
