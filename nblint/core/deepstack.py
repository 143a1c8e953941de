"""Run analysis on a thread with a deep stack.

libcst's visitors and code generator recurse once per level of nesting, and real notebooks hold
expressions thousands of terms long (a 2,000-term `[255]*8+[245]+...` list in a Kaggle notebook makes
ruff abort its run with a stack overflow). A thread with a large stack and a high recursion limit
lets such cells be analysed like any other, instead of dying with RecursionError or a segfault.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

T = TypeVar("T")

STACK_BYTES = 512 * 1024 * 1024  # address space only: pages are touched as the stack grows
RECURSION_LIMIT = 200_000
MIN_STACK_BYTES = 8 * 1024 * 1024
BYTES_PER_LEVEL = STACK_BYTES // RECURSION_LIMIT


def stack_sizes() -> list[int]:
    """The stack sizes to try, biggest first: under an address-space limit (`ulimit -v`, as small CI runners
    and HPC login nodes set) a 512 MiB stack cannot even be reserved, so start at an eighth of the limit."""
    biggest = STACK_BYTES
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY and soft > 0:
            biggest = min(biggest, soft // 8)
    except (ImportError, AttributeError, OSError, ValueError):
        pass
    sizes = []
    size = biggest - biggest % (1024 * 1024)
    while size >= MIN_STACK_BYTES:
        sizes.append(size)
        size //= 2
    return sizes


def recursion_limit_for(stack: int) -> int:
    return max(sys.getrecursionlimit(), min(RECURSION_LIMIT, stack // BYTES_PER_LEVEL))


def start_thread(make: Callable[[], threading.Thread]) -> threading.Thread | None:
    """Start the thread `make` builds with the biggest stack the process may have and raise the recursion
    limit to match; None when not even a small one can start (the caller runs on its own thread)."""
    previous_size, previous_limit = threading.stack_size(), sys.getrecursionlimit()
    try:
        for size in stack_sizes():
            try:
                threading.stack_size(size)
                thread = make()
                # Raised before the thread starts: raised after, a thread that ran first hit the old limit
                # (a deeply nested notebook was read or not, from one run to the next).
                sys.setrecursionlimit(recursion_limit_for(size))
                thread.start()
            except (RuntimeError, MemoryError, ValueError):
                sys.setrecursionlimit(previous_limit)
                continue
            return thread
    finally:
        threading.stack_size(previous_size)
    return None


def call_with_deep_stack(function: Callable[..., T], *args, **kwargs) -> T:
    result: list = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(function(*args, **kwargs))
        except BaseException as exc:  # handed back to the caller's thread as is
            error.append(exc)

    previous_limit = sys.getrecursionlimit()
    thread = start_thread(lambda: threading.Thread(target=target, name="nblint-deep-stack"))
    if thread is None:
        return function(*args, **kwargs)  # no room for a bigger stack: the default one, and its limit
    thread.join()
    sys.setrecursionlimit(previous_limit)
    if error:
        raise error[0]
    return result[0]


class DeepStackThread:
    """One long-lived deep-stack thread that runs calls one at a time, for a process that makes many
    (a pool worker checks hundreds of notebooks). A fresh thread per call gets a fresh stack whose pages
    are faulted in and zeroed again, and fresh malloc arenas for libcst's native parser: on real
    notebooks that was ~10% more CPU than running them all on one thread."""

    def __init__(self) -> None:
        import queue

        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        # The recursion limit it sets stays for the life of the process.
        self._thread = start_thread(lambda: threading.Thread(target=self._serve, name="nblint-deep-stack", daemon=True))

    def _serve(self) -> None:
        while True:
            function, args, kwargs, outcome, done = self._requests.get()
            try:
                outcome.append((True, function(*args, **kwargs)))
            except BaseException as exc:  # handed back to the caller's thread as is
                outcome.append((False, exc))
            done.set()

    def call(self, function: Callable[..., T], *args, **kwargs) -> T:
        if self._thread is None:
            return function(*args, **kwargs)  # no room for a bigger stack: the caller's own
        outcome: list = []
        done = threading.Event()
        self._requests.put((function, args, kwargs, outcome, done))
        done.wait()
        succeeded, value = outcome[0]
        if not succeeded:
            raise value
        return value
