"""Synthetic data generators (``docs/method.md``): controlled degradations of a real dataset and
LLM-based synthesis, all reproducible under a seed and with provenance on every trajectory.

Python API — every method takes a :class:`~synae.schema.Dataset` and returns new one(s)::

    from synae.generate import oversample, invalidate, dropmin, relabel, blankfill, fewshot
    syn = oversample(real, 0.3, seed=123)                 # ids oversample_frac0_3_{i}
    bad = invalidate(real_valid, 0.5, target="output")    # T1 outputs with swapped types
    skewed, relabeled = relabel(real_valid)               # the case study (two datasets)
    new = fewshot(real, 3, llm=LLMOptions(model="gpt-4o-mini"))

``mode="reference"`` reproduces the research's accidents (e.g. selection with replacement);
``mode="default"`` fixes them. :func:`run_sweep` runs a parameter sweep; the CLI is
``synae generate``.
"""

from __future__ import annotations

from synae.generate.blankfill import blankfill
from synae.generate.common import frac_tag, provenance
from synae.generate.dropmin import dropmin
from synae.generate.fewshot import fewshot
from synae.generate.invalidate import invalidate
from synae.generate.llm_support import LLMOptions
from synae.generate.oversample import oversample
from synae.generate.registry import METHODS, Generated, get_method
from synae.generate.relabel import relabel
from synae.generate.sweep import run_sweep

__all__ = ["METHODS", "Generated", "LLMOptions", "blankfill", "dropmin", "fewshot", "frac_tag", "get_method",
           "invalidate", "oversample", "provenance", "relabel", "run_sweep"]
