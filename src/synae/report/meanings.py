"""Plain-language meaning of a metric ID for the report's metric table (from the metric registry)."""

from __future__ import annotations

from synae.metrics import registry


def meaning(metric_id: str) -> str:
    """One sentence saying what the metric measures ("" for an ID the registry does not know)."""
    try:
        return registry.meaning(metric_id)
    except KeyError:
        return ""
