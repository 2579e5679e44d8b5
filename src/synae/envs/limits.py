"""Per-call limits for executing environment tools: no hang, no blow-up, no leaked global state.

Two layers guard every tool execution (BFCL, T1):

1. **Argument caps from each tool's semantics** (:func:`bfcl_argument_problem`), checked before the
   call — the only defence against a single huge C-level operation, which no in-process timer can
   interrupt. BFCL ``MathAPI``: ``power`` with integer base and exponent whose result would have
   more than :data:`MAX_RESULT_DIGITS` decimal digits (``exponent · log10|base|``); ``logarithm`` and
   ``square_root`` with a ``precision`` above :data:`MAX_PRECISION` digits; ``round_number`` with
   ``|decimal_places|`` above :data:`MAX_PRECISION`. Generic caps (integer size, argument volume)
   live in :mod:`synae.envs.bfcl`.
2. **A wall-clock limit** (:func:`run_limited`, default :data:`CALL_TIMEOUT` seconds): a call still
   running after the limit is interrupted by an exception raised in its thread at the next Python
   bytecode (``PyThreadState_SetAsyncExc``) and becomes an error result. Pure-Python loops are
   always interrupted; a single C operation is bounded by layer 1.

:func:`isolated_numeric_state` runs a call with a private :mod:`decimal` context and restores the
:mod:`mpmath` working precision afterwards, so that a call setting ``getcontext().prec`` or
``mpmath.mp.dps`` (BFCL ``square_root``, ``logarithm``) cannot change later calls.
"""

from __future__ import annotations

import ctypes
import decimal
import math
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

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
    than ``timeout`` seconds (interrupted at the next bytecode; see the module docstring)."""
    thread_id = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def interrupt() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                                           ctypes.py_object(CallTimeout))

    timer = threading.Timer(timeout, interrupt)
    timer.daemon = True
    try:
        try:
            timer.start()
            with isolated_numeric_state():
                return call()
        finally:
            timer.cancel()
            with lock:
                state["done"] = True
                if state["fired"]:  # fired but perhaps not yet delivered: withdraw it
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)
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


def _precision(name: str, key: str) -> Callable[[Mapping[str, Any]], str | None]:
    def check(bound: Mapping[str, Any]) -> str | None:
        value = _integer(bound.get(key))
        if value is not None and abs(value) > MAX_PRECISION:
            return f"{name}(): {key}={value} exceeds the limit of {MAX_PRECISION} digits"
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
