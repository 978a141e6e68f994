"""Use both cores for the per-debtor phases (options, audit) without threads (the work is
pure Python and holds the interpreter): the first parts run in forked children, the last here.

Forked children share the parent's memory copy-on-write, so inputs are not copied or pickled;
only results travel back, pickled through a pipe. Where fork is unavailable, or there is one
part, everything runs here, in order.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def workers() -> int:
    """Cores this process may use (the affinity mask, not the machine's total), at most 2: the
    measured gain of a third process did not pay for its pickling on the machines we target."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 1
    return max(1, min(2, usable))


def fork_map(fn: Callable[[Any], T], parts: Sequence[Any]) -> list[T]:
    """``[fn(p) for p in parts]``, the parts but the last in forked children."""
    if len(parts) <= 1 or sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(p) for p in parts]
    ctx = multiprocessing.get_context("fork")
    running = []
    for part in parts[:-1]:
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_child, args=(receive, send, fn, part), daemon=True)
        child.start()
        send.close()
        running.append((child, receive))
    last = fn(parts[-1])
    results: list[T] = []
    try:
        for child, receive in running:
            try:
                ok, value = receive.recv()
            except EOFError:
                raise RuntimeError(f"a worker process died (exit code {child.exitcode}); "
                                   "it may have run out of memory") from None
            if not ok:
                raise RuntimeError(f"a worker process failed: {value}")
            results.append(value)
    finally:
        for child, receive in running:
            receive.close()
            child.join()
    return [*results, last]


def _child(receive, send, fn: Callable[[Any], Any], part: Any) -> None:
    # The child must not hold the read end: if the parent dies (kill -9), writing then fails
    # (EPIPE) and the child ends instead of waiting forever on a full pipe.
    receive.close()
    try:
        result = (True, fn(part))
    except BaseException as exc:
        # Where it failed, not the message: messages may quote input data.
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        result = (False, f"{type(exc).__name__} at {os.path.basename(frame.filename)}:{frame.lineno}")
    try:
        send.send(result)
    except BrokenPipeError:
        pass  # the parent is gone; nobody wants the result
    send.close()
