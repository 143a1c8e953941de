"""The watcher: while a cell runs, a thread samples the kernel's memory and stops the cell before the
limit that would get the kernel killed.

- Armed by `pre_run_cell`, paused by `post_run_cell`: it never samples, and never fires, between cells.
- Every ~100 ms (faster when the usage nears the threshold and grows fast) it reads the usage of each
  limit that can kill the kernel: the cgroup's (v2 `memory.current`, v1 `memory.usage_in_bytes`, less
  the inactive page cache the kernel reclaims before it kills anything), this kernel's resident size
  against `MEM_LIMIT`, the machine's used memory against its total.
- Past `interrupt-at` (default 90% of the limit), while the cell itself has grown, it raises `CellStopped`
  (a `MemoryError`) in the main thread with `PyThreadState_SetAsyncExc`, only while the main thread runs
  the cell's code. IPython shows the exception's `_render_traceback_`: one line, no traceback. The kernel
  and every variable from earlier cells survive.
- A thread can only stop Python code: one C call that allocates past the limit (`np.ones(huge)`) is not
  interrupted; the exception arrives when it returns, if it returns. See docs/guard.md.
- Any error inside the watcher stops the watcher, quietly; the cell goes on.
"""

from __future__ import annotations

import collections
import ctypes
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, cast

INTERVAL = 0.1  # seconds between samples far from the threshold
FASTEST = 0.005  # the shortest interval, close to the threshold while memory grows fast
RATE_WINDOW = 1.0  # seconds of samples behind the growth rate
MIN_GROWTH = 32 << 20  # a cell that has not grown by this much since it started is never stopped
MACHINE_GROWTH = 0.05  # ... and, against the machine's memory, unless this kernel grew by 5% of it


class CellStopped(MemoryError):
    """Raised in the main thread by the watcher. Raised asynchronously, the exception is built without
    arguments; the watcher makes a subclass per stop that carries its line."""

    line = "nblint stopped this cell: the kernel neared its memory limit"

    def __str__(self) -> str:
        return self.line

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31m{self.line}\x1b[0m"]


@dataclass
class Limit:
    """One figure that can get the kernel killed, and how to read its usage now."""

    name: str  # for the message: "cgroup limit", "MEM_LIMIT", "the machine's memory"
    limit: int  # bytes
    usage: Callable[[], int | None]
    threshold: int  # bytes of usage at which the cell is stopped
    own_growth: int = 0  # the machine's figure: this kernel must have grown by this much too
    start: int = 0  # usage when the cell started


def _statm_rss() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


try:
    _PAGE = os.sysconf("SC_PAGE_SIZE")
except (ValueError, OSError, AttributeError):
    _PAGE = 4096


def _read_number(path: Path) -> int | None:
    try:
        with open(path, "rb") as handle:
            return int(handle.read())
    except (OSError, ValueError):
        return None


def _stat_field(path: Path, field: bytes) -> int:
    try:
        with open(path, "rb") as handle:
            for line in handle:
                key, _, value = line.partition(b" ")
                if key == field:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _cgroup_usage(usage_file: Path, stat_file: Path, inactive: bytes, threshold: int) -> Callable[[], int | None]:
    def usage() -> int | None:
        used = _read_number(usage_file)
        if used is not None and used >= threshold:
            # Near the threshold only (memory.stat is a longer read): page cache that is not in use is
            # reclaimed before the OOM killer acts, as Docker's and the kubelet's "working set" count it.
            used -= _stat_field(stat_file, inactive)
        return used

    return usage


def _machine_used() -> int | None:
    try:
        total = available = None
        with open("/proc/meminfo", "rb") as handle:
            for line in handle:
                if line.startswith(b"MemTotal:"):
                    total = int(line.split()[1]) * 1024
                elif line.startswith(b"MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
        return None if total is None or available is None else total - available
    except (OSError, ValueError, IndexError):
        return None


def _machine_total() -> int | None:
    try:
        with open("/proc/meminfo", "rb") as handle:
            for line in handle:
                if line.startswith(b"MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def cgroup_limit() -> tuple[int, Path, str] | None:
    """(limit, folder, version) of the tightest cgroup memory limit over this kernel, or None."""
    from nblint.guard.memory import _NO_LIMIT, CGROUP_ROOT, _cgroup_path

    best: tuple[int, Path, str] | None = None
    relative = _cgroup_path(version_two=True)
    if relative is not None and (CGROUP_ROOT / "cgroup.controllers").exists():
        folder = CGROUP_ROOT / relative.lstrip("/")
        while True:
            limit = _read_number(folder / "memory.max")  # "max" is no limit: not a number
            used = _read_number(folder / "memory.current")
            if limit is not None and used is not None and (best is None or limit - used < best[0] - _used(best)):
                best = (limit, folder, "v2")
            if folder == CGROUP_ROOT or CGROUP_ROOT not in folder.parents:
                break
            folder = folder.parent
    if best is not None:
        return best
    relative = _cgroup_path(version_two=False)
    base = CGROUP_ROOT / "memory"
    for v1_folder in ((base / relative.lstrip("/")) if relative else None, base):
        if v1_folder is None:
            continue
        limit = _read_number(v1_folder / "memory.limit_in_bytes")
        if limit is not None and limit < _NO_LIMIT and (v1_folder / "memory.usage_in_bytes").exists():
            return (limit, v1_folder, "v1")
    return None


def _used(entry: tuple[int, Path, str]) -> int:
    limit, folder, version = entry
    return _read_number(folder / ("memory.current" if version == "v2" else "memory.usage_in_bytes")) or 0


def mem_limit() -> int | None:
    text = os.environ.get("MEM_LIMIT", "").strip()
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError:
        from nblint.core.options import OptionError, parse_size

        try:
            return parse_size(text)
        except OptionError:
            return None


def limits(interrupt_at: float | int) -> list[Limit]:
    """The figures that can get this kernel killed, each with the usage at which the cell is stopped:
    `interrupt-at` as a fraction of each limit, or as a size of the usage that binds (the cgroup's, else
    this kernel's resident size)."""
    found: list[Limit] = []
    cgroup = cgroup_limit()
    if cgroup is not None:
        limit, folder, version = cgroup
        threshold = _threshold(interrupt_at, limit)
        if version == "v2":
            usage = _cgroup_usage(folder / "memory.current", folder / "memory.stat", b"inactive_file", threshold)
        else:
            usage = _cgroup_usage(
                folder / "memory.usage_in_bytes", folder / "memory.stat", b"total_inactive_file", threshold
            )
        found.append(Limit("cgroup limit", limit, usage, threshold))
    env_limit = mem_limit()
    if env_limit is not None:
        found.append(Limit("MEM_LIMIT", env_limit, _statm_rss, _threshold(interrupt_at, env_limit)))
    if isinstance(interrupt_at, int) and not found:  # a size, and no limit: this kernel's resident size
        found.append(Limit("interrupt-at", interrupt_at, _statm_rss, interrupt_at))
    total = _machine_total()
    if total is not None and isinstance(interrupt_at, float):
        found.append(
            Limit(
                "the machine's memory",
                total,
                _machine_used,
                _threshold(interrupt_at, total),
                own_growth=int(total * MACHINE_GROWTH),
            )
        )
    return found


def _threshold(interrupt_at: float | int, limit: int) -> int:
    return int(interrupt_at * limit) if isinstance(interrupt_at, float) else min(interrupt_at, limit)


def _main_runs_cell(main_ident: int) -> bool:
    """Whether the main thread is inside IPython's `run_code` (executing a cell's code): the only place
    where an exception is the cell's to take (not IPython's own machinery before or after it)."""
    import sys

    frame = sys._current_frames().get(main_ident)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "run_code" and code.co_filename.endswith("interactiveshell.py"):
            return True
        frame = frame.f_back
    return False


def _rate_text(rate: float) -> str:
    if rate >= 1e9:
        return f"growing {rate / 1e9:.1f} GB/s"
    if rate >= 1e6:
        return f"growing {rate / 1e6:.0f} MB/s"
    return "growing"


class Watch:
    """The watcher thread and its switches. `enabled()` is asked when each cell starts (`%nblint off`)."""

    def __init__(self, interrupt_at: float | int | None, enabled: Callable[[], bool]) -> None:
        self.interrupt_at = interrupt_at
        self.enabled = enabled
        self.main_ident = cast(int, threading.main_thread().ident)  # the main thread has started: its ident is set
        self._armed = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.broken: str | None = None  # why the watcher stopped, if it did (for %nblint)
        self.stops = 0  # cells stopped
        self.samples = 0
        self.last_limits: list[Limit] = []
        self.cpu_seconds = 0.0  # CPU time of the watcher thread (time.thread_time), for the bench

    # -- IPython events (main thread; each costs a few microseconds) ---------------------------

    def pre_run_cell(self, info=None) -> None:
        if self.interrupt_at is None or self.broken is not None or self._closed:
            return
        try:
            if not self.enabled():
                return
        except Exception:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="nblint-watch", daemon=True)
            self._thread.start()
        self._idle.clear()
        self._armed.set()

    def post_run_cell(self, result=None) -> None:
        self._armed.clear()
        self._idle.set()

    def close(self) -> None:
        self._closed = True
        self._armed.set()
        self._idle.set()

    def status(self) -> str:
        if self.interrupt_at is None:
            return "interrupt-at: false (running cells are never stopped)"
        if self.broken is not None:
            return f"interrupt-at: the watcher stopped after an internal error ({self.broken})"
        what = (
            f"{self.interrupt_at:.0%} of the limit"
            if isinstance(self.interrupt_at, float)
            else format_size(self.interrupt_at)
        )
        return f"interrupt-at: {what} (a running cell is stopped with MemoryError there); {self.stops} cells stopped"

    # -- the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._closed:
                self._armed.wait()
                if self._closed:
                    return
                self._watch_cell()
        except Exception as exc:  # never break the kernel: the watcher stops, the cells run on
            self.broken = f"{type(exc).__name__}: {exc}"[:200]

    def _watch_cell(self) -> None:
        cpu = time.thread_time()
        try:
            found = limits(cast("float | int", self.interrupt_at))  # pre_run_cell arms the watcher only when it is set
            self.last_limits = found
            own_start = _statm_rss() or 0
            histories: list[collections.deque[tuple[float, int]]] = [collections.deque() for _ in found]
            for limit in found:
                limit.start = limit.usage() or 0
            fired_at = 0.0
            while self._armed.is_set() and found:
                now = time.monotonic()
                wait = INTERVAL
                for limit, history in zip(found, histories):
                    used = limit.usage()
                    self.samples += 1
                    if used is None:
                        continue
                    history.append((now, used))
                    while now - history[0][0] > RATE_WINDOW:
                        history.popleft()
                    rate = _rate(history)
                    if used >= limit.threshold:
                        if (
                            used - limit.start >= MIN_GROWTH
                            and now - fired_at > 1.0
                            and (not limit.own_growth or (_statm_rss() or 0) - own_start >= limit.own_growth)
                            and self._fire(limit, used, rate)
                        ):
                            fired_at = now
                    elif rate > 0:  # the time to the threshold at this rate, sampled ~5 times on the way
                        wait = min(wait, max(FASTEST, (limit.threshold - used) / rate / 5))
                if self._idle.wait(wait):
                    break
        finally:
            self.cpu_seconds += time.thread_time() - cpu

    def _fire(self, limit: Limit, used: int, rate: float) -> bool:
        if not self._armed.is_set() or not _main_runs_cell(self.main_ident):
            return False
        line = stop_line(limit, used, rate)
        stopped = type("CellStopped", (CellStopped,), {"line": line, "__module__": __name__})
        count = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.main_ident), ctypes.py_object(stopped))
        if count > 1:  # never happens for a live thread id; undo as CPython's docs say
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.main_ident), None)
            return False
        if count == 1:
            self.stops += 1
        return count == 1


def _rate(history) -> float:
    if len(history) < 2:
        return 0.0
    (t0, u0), (t1, u1) = history[0], history[-1]
    return (u1 - u0) / (t1 - t0) if t1 > t0 else 0.0


def format_size(size: float) -> str:
    """1.38 GiB, 543 MiB: two decimals in GiB, where the gap to a limit is a few percent of it."""
    if size >= 1024**3:
        return f"{size / 1024**3:.2f} GiB"
    from nblint.core.options import format_size as one_decimal

    return one_decimal(size)


def stop_line(limit: Limit, used: int, rate: float) -> str:
    if limit.name == "interrupt-at":
        reached = f"the kernel reached {format_size(used)}, past interrupt-at = {format_size(limit.threshold)}"
    else:
        reached = f"the kernel reached {format_size(used)} of the {format_size(limit.limit)} it may use ({limit.name})"
    growing = f", {_rate_text(rate)}" if rate > 1e6 else ""
    return (
        f"nblint stopped this cell: {reached}{growing}; the kernel and the variables of earlier cells are "
        f"kept (what this cell assigned so far too). Free memory (del big objects, then gc.collect()), "
        f"process the data in chunks (chunksize=, a generator), or use a smaller dtype (float32, category); "
        f"interrupt-at sets where nblint stops a cell (false: never)"
    )


def attach(shell, options: dict, enabled: Callable[[], bool]) -> Watch:
    """Start watching the cells of `shell` (the thread starts with the first cell)."""
    from nblint.core.options import INTERRUPT_AT

    watch = Watch(options.get(INTERRUPT_AT.key, INTERRUPT_AT.parsed_default()), enabled)
    shell.events.register("pre_run_cell", watch.pre_run_cell)
    shell.events.register("post_run_cell", watch.post_run_cell)
    return watch


def detach(shell, watch: Watch) -> None:
    watch.close()
    for event, callback in (("pre_run_cell", watch.pre_run_cell), ("post_run_cell", watch.post_run_cell)):
        try:
            shell.events.unregister(event, callback)
        except ValueError:
            pass
