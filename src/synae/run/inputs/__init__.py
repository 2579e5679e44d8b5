"""Reading a run's inputs: datasets with the preset's stored attributes (:mod:`.data`), files
streamed chunk by chunk with one parse per pass (:mod:`.streaming`), and precomputed embeddings
(:mod:`.precomputed`)."""
