"""Per-call limits for executing environment tools: no hang, no blow-up, no leaked global state.

Two layers guard every tool execution (BFCL, T1):

1. **Argument caps from each tool's semantics** (:func:`bfcl_argument_problem`), checked before the
   call — the only defence against a single huge C-level operation, which no in-process timer can
   interrupt. BFCL ``MathAPI``: ``power`` with integer base and exponent whose result would have
   more than :data:`MAX_RESULT_DIGITS` decimal digits (``exponent · log10|base|``); ``logarithm`` and
   ``square_root`` with a ``precision`` above :data:`MAX_PRECISION` digits; ``round_number`` with
   ``|decimal_places|`` above :data:`MAX_PRECISION`. Generic caps (integer size, argument volume)
   live in :mod:`synae.envs.bfcl`.
   Before the caps, every argument must have the type its parameter declares
   (:func:`annotation_problem`): a float ``precision`` never reaches an integer-only cap.
2. **A wall-clock limit** (:func:`run_limited`, default :data:`CALL_TIMEOUT` seconds): a call still
   running after the limit is interrupted by an exception raised in its thread at the next Python
   bytecode (``PyThreadState_SetAsyncExc``, fired by one shared watchdog thread that keeps every
   running call's deadline) and becomes an error result. Pure-Python loops are
   always interrupted; a single C operation is bounded by layer 1. Inside a trajectory budget
   (:mod:`synae.envs.budget`) a call gets at most the trajectory's remaining environment time and
   its time is charged to it; a call stopped because the trajectory's time ran out raises
   :class:`~synae.envs.budget.BudgetExceeded` instead of giving an error result.

:func:`isolated_numeric_state` runs a call with a private :mod:`decimal` context and restores the
:mod:`mpmath` working precision afterwards, so that a call setting ``getcontext().prec`` or
``mpmath.mp.dps`` (BFCL ``square_root``, ``logarithm``) cannot change later calls.
"""

from __future__ import annotations

import ctypes
import decimal
import functools
import heapq
import inspect
import itertools
import math
import os
import sys
import threading
import time
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from synae.envs.budget import current_budget

CALL_TIMEOUT = 10.0  # seconds one tool call may run
MAX_RESULT_DIGITS = 100_000  # decimal digits of an integer power result
MAX_PRECISION = 1_000  # digits of precision / decimal places a math tool may be asked for
T = TypeVar("T")


class CallTimeout(Exception):
    """Raised inside a tool call that ran past its time limit."""


@contextmanager
def isolated_numeric_state() -> Iterator[None]:
    """Run the body with a fresh copy of the decimal context and the mpmath precision restored after."""
    mpmath = sys.modules.get("mpmath")
    prec = mpmath.mp.prec if mpmath is not None else None
    try:
        with decimal.localcontext():
            yield
    finally:
        if mpmath is not None and prec is not None:
            mpmath.mp.prec = prec


def run_limited(call: Callable[[], T], timeout: float = CALL_TIMEOUT) -> T:
    """``call()`` with :func:`isolated_numeric_state`; raises :class:`CallTimeout` when it runs longer
    than ``timeout`` seconds (interrupted at the next bytecode; see the module docstring). Inside a
    trajectory budget the limit is at most the remaining time, and running out of it raises
    :class:`~synae.envs.budget.BudgetExceeded` (also before the call when nothing is left)."""
    budget = current_budget()
    if budget is None:
        return _run_limited(call, timeout)
    budget.check()
    left = budget.remaining()
    with budget.charging():
        try:
            return _run_limited(call, min(timeout, left))
        except CallTimeout:
            if left < timeout:  # stopped by the trajectory's budget, not by its own limit
                raise budget.exceeded() from None
            raise


class _Watch:
    """One running call's deadline: :meth:`fire` interrupts its thread unless :meth:`finish` came
    first; :meth:`finish` withdraws an interrupt fired but perhaps not yet delivered."""

    def __init__(self, thread_id: int, deadline: float) -> None:
        self.thread_id, self.deadline = thread_id, deadline
        self.lock = threading.Lock()
        self.done = self.fired = False

    def fire(self) -> None:
        with self.lock:
            if not self.done:
                self.fired = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread_id),
                                                           ctypes.py_object(CallTimeout))

    def finish(self) -> None:
        with self.lock:
            self.done = True
            if self.fired:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread_id), None)


class _Watchdog:
    """One daemon thread that fires every watched call's deadline, earliest first (a heap), instead
    of a timer thread started per call (starting a thread costs about as much as a typical tool
    call). Finished calls leave the heap when they reach its top, or in a sweep once they
    outnumber the running ones four to one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, timeout: float) -> _Watch:
        """Watch the calling thread for ``timeout`` seconds from now."""
        watch = _Watch(threading.get_ident(), time.monotonic() + timeout)
        with self._cond:
            if len(self._heap) > 1024 and 4 * sum(not w.done for *_, w in self._heap) < len(self._heap):
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="synae-call-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        return watch

    def _loop(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)[2].fire()


_WATCHDOG = _Watchdog()


def _reset_watchdog() -> None:  # a forked child has no watchdog thread and perhaps a held lock
    global _WATCHDOG
    _WATCHDOG = _Watchdog()


os.register_at_fork(after_in_child=_reset_watchdog)


def _run_limited(call: Callable[[], T], timeout: float) -> T:
    watch = _WATCHDOG.watch(timeout)
    try:
        try:
            with isolated_numeric_state():
                return call()
        finally:
            watch.finish()
    except CallTimeout:
        raise CallTimeout(f"the call ran longer than {timeout:g} s and was stopped") from None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _power(bound: Mapping[str, Any]) -> str | None:
    base, exponent = _integer(bound.get("base")), _integer(bound.get("exponent"))
    if base is None or exponent is None or exponent <= 0 or abs(base) <= 1:
        return None
    digits = exponent * math.log10(abs(base))
    if digits > MAX_RESULT_DIGITS:
        return f"power(): the result would have about {digits:.3g} digits (limit {MAX_RESULT_DIGITS})"
    return None


def _number(value: Any) -> float | None:
    """A number argument, or a string spelling one (``"1e8"``), as a float; else ``None``."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _precision(name: str, key: str) -> Callable[[Mapping[str, Any]], str | None]:
    def check(bound: Mapping[str, Any]) -> str | None:
        value = _number(bound.get(key))
        if value is not None and not abs(value) <= MAX_PRECISION:  # NaN too
            return f"{name}(): {key}={bound[key]!r:.40} exceeds the limit of {MAX_PRECISION} digits"
        return None

    return check


BFCL_CAPS: dict[tuple[str, str], Callable[[Mapping[str, Any]], str | None]] = {
    ("MathAPI", "power"): _power,
    ("MathAPI", "logarithm"): _precision("logarithm", "precision"),
    ("MathAPI", "square_root"): _precision("square_root", "precision"),
    ("MathAPI", "round_number"): _precision("round_number", "decimal_places"),
}


def bfcl_argument_problem(class_name: str, method: str, bound: Mapping[str, Any]) -> str | None:
    """Why a BFCL call's (name-bound) arguments exceed its semantic caps, or ``None``."""
    check = BFCL_CAPS.get((class_name, method))
    return check(bound) if check is not None else None


# --------------------------------------------------------------------------------------------
# Declared types


def _type_name(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else str(annotation).replace("typing.", "")


def type_problem(value: Any, annotation: Any) -> str | None:
    """Why ``value`` does not have the declared type ``annotation``, or ``None``. JSON typing:
    ``int`` takes integers (not booleans, not floats), ``float`` integers and floats (not booleans),
    ``str``, ``bool``, ``list[X]`` / ``List[X]`` (every element checked), ``dict[K, V]`` /
    ``Dict[K, V]`` (every value checked), ``Optional``/``Union`` (some member fits); any other
    annotation (``Any``, a class) is not checked. One leniency: a string is accepted where a number
    is declared (bfcl-eval's own ground truth passes ``ticket_id='ticket_001'`` to an ``int``); the
    semantic caps read such a string as the number it spells."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        members = typing.get_args(annotation)
        return None if any(type_problem(value, m) is None for m in members) else \
            f"expected {_type_name(annotation)}, got {type(value).__name__}"
    expected = origin or annotation
    if annotation is type(None):
        ok = value is None
    elif expected in (int, float) and isinstance(value, str):
        ok = True
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif expected in (str, bool, list, dict):
        ok = isinstance(value, expected)
    else:
        return None
    if not ok:
        return f"expected {_type_name(annotation)}, got {type(value).__name__} {value!r:.50}"
    args = typing.get_args(annotation)
    items = value if expected is list else value.values() if expected is dict else ()
    element = args[-1] if args else None
    if element is not None:
        for item in items:
            problem = type_problem(item, element)
            if problem is not None:
                return f"an element: {problem}"
    return None


@functools.cache
def _declared(function: Callable[..., Any]) -> dict[str, tuple[Any, Any]]:
    """Parameter name → (type hint, default) of the hinted parameters (none when the hints cannot
    be resolved)."""
    try:
        hints = typing.get_type_hints(function)
        parameters = inspect.signature(function).parameters
    except (NameError, TypeError, ValueError):
        return {}
    return {name: (hints[name], p.default) for name, p in parameters.items() if name in hints}


def annotation_problem(method: Callable[..., Any], bound: Mapping[str, Any]) -> str | None:
    """The first name-bound argument of ``method`` whose value does not have its parameter's
    declared type (:func:`type_problem`), as ``"<name>: <why>"``; an explicit ``None`` is accepted
    where the parameter's default is ``None``. Methods whose hints cannot be resolved are not
    checked."""
    declared = _declared(getattr(method, "__func__", method))
    for name, value in bound.items():
        if name not in declared or (value is None and declared[name][1] is None):
            continue
        problem = type_problem(value, declared[name][0])
        if problem is not None:
            return f"{name}: {problem}"
    return None
