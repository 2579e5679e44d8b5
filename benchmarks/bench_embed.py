"""Embedding pipeline overhead (figures in docs/benchmarks/metrics.md).

    python benchmarks/bench_embed.py [--n 400] [--repeats 2]

Compares, on the same distinct texts, (1) a bare ``SentenceTransformer.encode`` (batch size 16) with
(2) synae's :class:`EmbeddingPipeline` with the cache disabled (tokenise, plan windows, encode,
normalise, pool). Sets: short T1 messages; T1 instruction transcripts; "long" texts of 4 transcripts
each (several windows). The bare encode gets exactly the window texts the pipeline plans, so both
encode the same pieces; the difference is the pipeline's own work (tokenising, planning, pooling).
Overhead = pipeline time / bare time − 1 (minimum over repeats, to damp noise from other processes).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from synae.config import EmbeddingSettings
    from synae.datapaths import data_path
    from synae.embed import make_pipeline
    from synae.embed.local import SentenceTransformerEmbedder, load_sentence_transformer
    from synae.run.inputs.data import load_dataset
    from synae.views import instruction_transcript, text_sequence

    ds = load_dataset(data_path("t1", "t1_attraction_turns_with_output.csv"))
    messages = list(dict.fromkeys(c for t in ds for _, c in text_sequence(t)))[: args.n]
    transcripts = list(dict.fromkeys(instruction_transcript(t) for t in ds))[: args.n // 4]
    long_texts = ["\n".join(transcripts[i:i + 4]) for i in range(0, len(transcripts) - 3, 4)]  # 2–4 windows
    embedder = SentenceTransformerEmbedder()
    model = load_sentence_transformer(embedder.path)
    model.encode(["warm up"], batch_size=16)
    pipe = make_pipeline(EmbeddingSettings(cache=False), embedder, progress=False)
    for label, texts in (("messages", messages), ("transcripts", transcripts), ("long", long_texts)):
        pieces = pipe._plan(texts)[0]  # the exact window texts the pipeline encodes
        bare = best_of(args.repeats, lambda p=pieces: model.encode(p, batch_size=16))
        piped = best_of(args.repeats, lambda t=texts: pipe.embed(t))
        out = pipe.embed(texts)
        print(json.dumps({"bench": "embed_overhead", "set": label, "n_texts": len(texts),
                          "n_pieces": len(pieces),
                          "n_multi_window": out.stats.n_multi_window, "bare_s": round(bare, 2),
                          "pipeline_s": round(piped, 2), "texts_per_s": round(len(texts) / piped, 1),
                          "overhead": round(piped / bare - 1, 4),
                          "norms_ok": bool(np.allclose(np.linalg.norm(out.vectors, axis=1), 1, atol=1e-5))}),
              flush=True)


if __name__ == "__main__":
    main()
