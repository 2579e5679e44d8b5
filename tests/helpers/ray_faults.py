"""Faults for the Ray executor tests: an embedding pipeline factory whose actor dies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from synae.embed import EmbeddingPipeline
from synae.embed.lexical import LexicalEmbedder


@dataclass(frozen=True)
class DyingPipeline:
    """Builds a lexical pipeline in an actor, except that its first ``deaths`` calls end the actor's
    process at once (``os._exit``, as a kill or the OOM killer would); ``marker`` counts the deaths
    across processes."""

    marker: Path
    deaths: int = 1

    def __call__(self) -> EmbeddingPipeline:
        died = int(self.marker.read_text()) if self.marker.exists() else 0
        if died < self.deaths:
            self.marker.write_text(str(died + 1))
            os._exit(1)
        return EmbeddingPipeline(LexicalEmbedder(), progress=False)
