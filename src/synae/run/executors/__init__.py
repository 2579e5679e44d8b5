"""Where the distributable stages of an evaluation run: ``local`` (this process; the default) or
``ray`` (a Ray cluster). See :mod:`synae.run.executors.base` for the interface and docs/scale.md."""

from __future__ import annotations

from typing import Literal

from synae.errors import ConfigError
from synae.run.executors.base import ChatBatch, Device, Executor, PerItem
from synae.run.executors.local import LocalExecutor

ExecutorName = Literal["local", "ray"]


def make_executor(name: str = "local", *, device: str = "auto", ray_address: str | None = None,
                  workers: int | None = None, ray_connect_timeout: float = 30.0) -> Executor:
    """The executor called ``name``. ``device``: ``auto`` | ``cpu`` | ``cuda`` (k-NN screening, and
    the GPU actors of the ray executor); ``ray_address``: the cluster to join (``None``: start a
    local Ray instance) within ``ray_connect_timeout`` seconds; ``workers``: threads of the local
    map stage. Choosing ``ray`` without Ray installed raises
    :class:`~synae.errors.MissingDependencyError` at once."""
    if name == "local":
        return LocalExecutor(device=device, workers=workers)
    if name == "ray":
        from synae.run.executors.ray_executor import RayExecutor

        return RayExecutor(address=ray_address, device=device, connect_timeout=ray_connect_timeout)
    raise ConfigError(f"unknown executor {name!r} (expected local or ray)")


__all__ = ["ChatBatch", "Device", "Executor", "ExecutorName", "LocalExecutor", "PerItem", "make_executor"]
