"""Checking many files: each with the settings of its own configuration, results in a stable order.

The flow of a run:

1. Plan (main process): each file gets a Profile, the codes enabled for it (after per-file-ignores) and
   the rule options, found once per configuration by the ConfigResolver. Workers receive the profiles
   rather than rediscovering configuration files.
2. Cache (when a Cache is given): each notebook's bytes are hashed and looked up; a hit is the stored
   result, with no JSON parsing, libcst or rules. A run that would stay in process anyway (below)
   looks up and checks each notebook with one read; a bigger run looks everything up in the main
   process first, so a warm run ends there, without a pool, and only the misses go on.
3. Check what is left, in process or in a pool of worker processes:
   - in process when `jobs` is 1, when one file is left, or (jobs unset) when fewer than
     POOL_MIN_FILES are left: a pool costs start-up that a handful of notebooks does not repay;
   - otherwise `jobs` workers (default: the CPUs this process may use). The biggest files go first so
     no large notebook starts last and runs alone; at most IN_FLIGHT_PER_WORKER tasks per worker are
     queued at a time, and results stream back as they finish: no process holds every notebook.
   Notebooks are checked on a deep-stack thread (nblint.deepstack): one for the whole run in process,
   one per worker in a pool, and a worker stores its own cache entries. Workers start with fork where that is the platform's norm
   (Linux: cheapest start) and spawn elsewhere; they get everything through their initializer's
   arguments, never through state inherited by fork (NBLINT_START_METHOD=spawn tests that).
   A worker that dies (a segfault, the OOM killer) never ends the run: the tasks it may have held are
   re-run one per fresh worker, and one that kills its worker again is reported as NB000.
4. Results are sorted by path, findings within a file by (cell, line, column): the same report
   whatever finished first, whatever `jobs` is.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from nblint.core.deepstack import call_with_deep_stack
from nblint.core.read.files import HandedBytes, read_regular_buffer, read_regular_bytes
from nblint.run.config import ConfigResolver
from nblint.run.dependencies import recording
from nblint.run.pipeline import FileResult, check_file
from nblint.run.progress import Silent

# Below this many notebooks to check (jobs unset) the run stays in process. Measured on the 2-core
# machine with fork (bench/pool_threshold.py, median of 5): with the corpus's larger notebooks (85th
# percentile of code, ~30 ms each) a pool of 2 breaks even at 3 and wins from 4 (0.94x, then 0.87-0.91x);
# with median ones (~6 ms each) it does not win below 8, but loses at most 5-10% (a pool costs
# ~15-25 ms: fork, first-use tables, results back). Under spawn a worker also pays ~0.3 s of imports.
POOL_MIN_FILES = 4
IN_FLIGHT_PER_WORKER = 4
COLLECTION_THRESHOLDS = (100_000, 50, 100)  # gc thresholds while checking: see fewer_collections()
START_METHOD_VARIABLE = "NBLINT_START_METHOD"


@dataclass(frozen=True)
class Profile:
    """What a worker needs to check a notebook as its configuration says."""

    enabled: frozenset[str]
    options: Mapping[str, Any]
    fingerprint: str  # for the cache key


@dataclass(frozen=True)
class Task:
    """One notebook to check: the path read, the path shown, its profile (settings) and its size."""

    path: str  # as found by discovery: what is read
    shown: str  # as reported
    profile: int  # index into the run's profiles
    size: int  # bytes on disk, to start the biggest first


def available_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # honours taskset and container CPU sets
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_one(path: Path, resolver: ConfigResolver) -> FileResult:
    settings = resolver.for_path(path)
    return check_file(path, settings.rules_for(path), settings.options, display_path=str(path))


def check_files(
    files: list[Path], resolver: ConfigResolver, jobs: int | None = None, cache=None, progress=None
) -> list[FileResult]:
    """Check `files`; `jobs` None chooses (see the module docstring); `cache` is an nblint.cache.Cache;
    `progress` (an nblint.run.progress.Progress) hears when each notebook starts and finishes."""
    progress = progress if progress is not None else Silent()
    tasks, profiles = plan(files, resolver)
    if cache is not None and not cache.prepare():
        cache = None  # an unwritable project folder: check without a cache rather than fail
    if choose_workers(jobs, len(tasks)) <= 1:
        # In process whatever the cache holds: each notebook is read once, looked up, checked on a miss.
        results = _check_in_process(tasks, profiles, cache, look_up=True, progress=progress)
    else:
        results, pending = [], tasks
        if cache is not None:  # hits first, in this process: a warm run never starts a pool
            pending = []
            for task in tasks:
                hit = _lookup(task, profiles[task.profile], cache)
                if hit is None:
                    pending.append(task)
                else:
                    results.append(hit)
                    progress.finished(task.shown)
        workers = min(choose_workers(jobs, len(pending)), _workers_the_descriptors_allow())
        if workers <= 1:
            results.extend(_check_in_process(pending, profiles, cache, look_up=False, progress=progress))
        else:

            def on_result(result: FileResult) -> None:
                results.append(result)
                progress.finished(result.path)

            try:
                _check_in_pool(pending, profiles, cache, workers, on_result, progress)
            except OSError as exc:  # no processes to be had (`ulimit -n`, `ulimit -u`): check here instead
                import errno

                if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.EAGAIN, errno.ENOMEM):
                    raise
                import gc

                gc.collect()  # the broken pool's pipes: closed, so this process can open notebooks again
                print(
                    f"nblint: warning: cannot start worker processes ({exc.strerror or exc}); checking in this process",
                    file=sys.stderr,
                )
                done = {result.path for result in results}
                left = [task for task in pending if task.shown not in done]
                results.extend(_check_in_process(left, profiles, cache, look_up=False, progress=progress))
    results.sort(key=lambda result: result.path)
    return results


def _check_in_process(tasks: list[Task], profiles: list[Profile], cache, look_up: bool, progress) -> list[FileResult]:
    def check_all() -> list[FileResult]:
        results = []
        for task in tasks:
            progress.started(task.shown)
            results.append(_check_task(task, profiles[task.profile], cache, look_up))
            progress.finished(task.shown)
        return results

    with fewer_collections():
        return call_with_deep_stack(check_all)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Parsing allocates millions of small objects and frees them by reference counting; the cyclic
    collector, run every 700 allocations by default, then keeps re-scanning the live tree for nothing
    (10% of a run over real notebooks). Collect less often while checking; the module-level objects of
    the imports are frozen out of the scans. Restored afterwards."""
    import gc

    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*COLLECTION_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def choose_workers(jobs: int | None, to_check: int) -> int:
    if to_check <= 1:
        return 1
    if jobs is None:
        if to_check < POOL_MIN_FILES:
            return 1
        jobs = available_cpus()
    return max(1, min(jobs, to_check))


def _workers_the_descriptors_allow() -> int:
    """A pool costs file descriptors (the executor's queues, ~4 per worker): under a small `ulimit -n` a pool
    would fail to start, or starve the reading of notebooks. 1 (check in process) when there is no room."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return 1 << 30
        in_use = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 8
    except (ImportError, OSError, ValueError):
        return 1 << 30
    room = soft - in_use - 16  # kept for reading notebooks, the cache and the reporters
    return max(1, room // 6)


def plan(files: Iterable[Path], resolver: ConfigResolver) -> tuple[list[Task], list[Profile]]:
    profiles: list[Profile] = []
    index_of: dict[tuple[int, frozenset[str]], int] = {}
    tasks = []
    for path in files:
        settings = resolver.for_path(path)
        enabled = settings.rules_for(path)
        key = (id(settings), enabled)
        index = index_of.get(key)
        if index is None:
            index = index_of[key] = len(profiles)
            profiles.append(Profile(enabled, settings.options, settings.fingerprint(path)))
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0  # reported as unreadable when checked
        tasks.append(Task(str(path), str(path), index, size))
    return tasks, profiles


# -- one notebook ---------------------------------------------------------------------------------


def _lookup(task: Task, profile: Profile, cache) -> FileResult | None:
    from nblint.run.cache import content_digest

    try:
        raw = read_regular_bytes(task.path)
    except OSError:
        return None  # checked, and reported as unreadable, like any other miss
    return cache.load(cache.entry_path(task.path, profile.fingerprint), content_digest(raw), task.shown)


def _check_task(task: Task, profile: Profile, cache, look_up: bool = False) -> FileResult:
    """Check one notebook (on the caller's deep-stack thread) and store the result in the cache; with
    `look_up`, return the cached result instead when there is one (one read of the file either way)."""
    path = Path(task.path)
    try:
        raw = read_regular_buffer(path)  # a buffer the reader can cut as it parses (a big file)
    except OSError:
        raw = None  # check_file reads it again and reports why it cannot (NB002); nothing to cache
    digest = entry = None
    if cache is not None and raw is not None:
        from nblint.run.cache import content_digest

        digest, entry = content_digest(raw), cache.entry_path(task.path, profile.fingerprint)
        if look_up:
            hit = cache.load(entry, digest, task.shown)
            if hit is not None:
                return hit
    handed = HandedBytes(raw) if raw is not None else None
    del raw  # the reader drops the bytes once decoded
    with recording() as sizes:
        result = check_file(path, profile.enabled, profile.options, display_path=task.shown, raw=handed)
    result.dependencies = dict(sizes)
    result.findings.sort(key=lambda finding: finding.sort_key())
    # NB000 (an internal error) may be passing (memory, a bug fixed next release): never keep it.
    if entry is not None and not any(f.code == "NB000" for f in result.findings):
        cache.store(entry, digest, result)
    return result


def _internal_error(task: Task, profile: Profile, message: str) -> FileResult:
    from nblint.core.findings import Finding
    from nblint.rules import CHECK_RULES

    result = FileResult(task.shown, could_not_check=True)  # counted apart in the summary, NB000 or not
    if "NB000" in profile.enabled:
        rule = CHECK_RULES["NB000"]
        result.findings.append(Finding(rule.code, rule.name, message, rule.severity, task.shown))
    return result


# -- the pool -------------------------------------------------------------------------------------

# A worker's share of the run, set by its initializer, and the one deep-stack thread it checks on.
_worker_profiles: list[Profile] = []
_worker_cache = None
_worker_thread = None


def _init_worker(profiles: list[Profile], cache) -> None:
    global _worker_profiles, _worker_cache, _worker_thread
    import signal

    from nblint.core.deepstack import DeepStackThread

    _worker_profiles, _worker_cache = profiles, cache
    _worker_thread = DeepStackThread()  # one for all the worker's notebooks: a thread each cost 10% more
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle: it ends us
    import gc

    gc.freeze()  # a worker only checks notebooks: collect as fewer_collections() does, for its lifetime
    gc.set_threshold(*COLLECTION_THRESHOLDS)


def _run_in_worker(task: Task) -> FileResult:
    result = _worker_thread.call(_check_task, task, _worker_profiles[task.profile], _worker_cache)
    result.dependencies = {}  # stored by the worker already; no need to ship them back
    return result


def _start_context():
    import multiprocessing

    method = os.environ.get(START_METHOD_VARIABLE) or ("fork" if sys.platform.startswith("linux") else None)
    return multiprocessing.get_context(method)


def _check_in_pool(
    tasks: list[Task],
    profiles: list[Profile],
    cache,
    workers: int,
    on_result: Callable[[FileResult], None],
    progress=None,
) -> None:
    progress = progress if progress is not None else Silent()
    queue = sorted(tasks, key=lambda task: task.size, reverse=True)
    while queue:
        suspects, queue = _run_pool(queue, profiles, cache, workers, on_result, progress)
        if suspects:
            print(
                f"nblint: warning: a worker process died (a crash, or the system ran out of memory); "
                f"re-checking the {len(suspects)} notebook{'s' if len(suspects) != 1 else ''} it may have held, "
                "each in a fresh worker",
                file=sys.stderr,
                flush=True,
            )
        for task in suspects:  # each alone, so the one that kills a worker is known
            died_again, _ = _run_pool([task], profiles, cache, 1, on_result, progress)
            if died_again:
                on_result(
                    _internal_error(
                        task,
                        profiles[task.profile],
                        "the worker process checking this notebook died (a crash in a native library, or the "
                        "system ran out of memory); run `nblint check --jobs 1` on it alone to see more",
                    )
                )


def _run_pool(
    queue: list[Task], profiles: list[Profile], cache, workers: int, on_result: Callable[[FileResult], None], progress
) -> tuple[list[Task], list[Task]]:
    """Run `queue` in one pool. Returns ([], []) when every task finished, else, when a worker died,
    (the tasks that were in flight: one of them killed it, the rest were not started yet)."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    waiting = iter(queue)
    in_flight: dict[Any, Task] = {}
    unsent: list[Task] = []  # refused by a pool that had just broken
    broken = False
    executor = ProcessPoolExecutor(
        workers, mp_context=_start_context(), initializer=_init_worker, initargs=(profiles, cache)
    )
    try:

        def fill() -> None:
            nonlocal broken
            while not broken and len(in_flight) < workers * IN_FLIGHT_PER_WORKER:
                task = next(waiting, None)
                if task is None:
                    return
                try:
                    in_flight[executor.submit(_run_in_worker, task)] = task
                    # Queued in a worker rather than started, but the oldest in flight is the one a
                    # worker is on: what the progress line names.
                    progress.started(task.shown)
                except BrokenProcessPool:
                    broken = True
                    unsent.append(task)

        fill()
        while in_flight and not broken:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                task = in_flight.pop(future)
                try:
                    on_result(future.result())
                except BrokenProcessPool:
                    broken = True
                    in_flight[future] = task
                except Exception as exc:  # a result that could not travel back, say: one notebook's problem
                    on_result(
                        _internal_error(
                            task, profiles[task.profile], f"internal error in a worker: {type(exc).__name__}: {exc}"
                        )
                    )
            fill()
    except BaseException:  # Ctrl-C: stop the workers now rather than after their current notebooks
        _terminate(executor)
        raise
    executor.shutdown(wait=True, cancel_futures=True)
    if not broken:
        return [], []
    return list(in_flight.values()), unsent + list(waiting)


def _terminate(executor) -> None:
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        try:
            process.terminate()
        except Exception:
            pass
    executor.shutdown(wait=False, cancel_futures=True)
