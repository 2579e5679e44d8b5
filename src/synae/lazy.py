"""Names a package re-exports but imports only when one is first read (PEP 562 module ``__getattr__``),
so that importing the package for one light module does not load its heavy siblings."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def lazy_export(package: str, homes: Mapping[str, str], name: str) -> Any:
    """``name`` read from ``package``: the attribute of the same name of the module ``homes[name]``
    (imported on first use; Python caches the module). An unknown name raises :class:`AttributeError`
    as a missing module attribute does."""
    if name not in homes:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return getattr(importlib.import_module(homes[name]), name)
