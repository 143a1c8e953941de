"""The kernel's flight recorder: started with the guard, it keeps a small record of this kernel on disk (see
nblint.guard.record for the layout) so that `nblint why`, or the next kernel of the same notebook, can tell
how it ended.

In the kernel it costs: one `pre_run_cell` and one `post_run_cell` callback (a hash of the cell and a few
`struct.pack_into` into a memory-mapped file: tens of microseconds), and a sampler thread that reads the
kernel's resident size and its cgroup's usage every 200 ms while a cell runs (every 5 s when idle, as a
heartbeat). `os._exit` and `sys.setrecursionlimit` are wrapped to write their argument first; the kernel's
`do_shutdown` to write the clean mark when a shutdown or a restart is requested; `atexit` writes it when the
interpreter ends normally. Any error inside the recorder stops it quietly: the kernel never notices.
"""

from __future__ import annotations

import atexit
import faulthandler
import functools
import hashlib
import json
import mmap
import os
import resource
import shutil
import signal
import struct
import sys
import threading
import time
from pathlib import Path

from nblint.guard import record as R

BUSY_INTERVAL = 0.2  # seconds between memory samples while a cell runs
IDLE_INTERVAL = 5.0  # between heartbeats while no cell runs


class Recorder:
    def __init__(self, shell, folder: Path | None = None) -> None:
        self.shell = shell
        self.pid = os.getpid()
        self.started = time.time()
        self.enabled = False
        self.folder: Path | None = None
        self._map: mmap.mmap | None = None
        self._files: list = []
        self._fds: list[int] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._cells = 0
        self._samples = 0
        self._running = False
        self._thread: threading.Thread | None = None
        self._restore: list[tuple[object, str, object]] = []
        self._notebook_from_vscode = False
        self._base = folder

    # -- start and stop ----------------------------------------------------------------------------

    def start(self) -> None:
        base = self._base or R.records_dir()
        base.mkdir(parents=True, exist_ok=True)
        prune(base, keep_pid=self.pid)
        self.folder = base / f"{self.pid}-{int(self.started * 1000)}"
        self.folder.mkdir()
        self.kernel = self._describe()
        self._write_kernel_json()
        with open(self.folder / "ring", "w+b") as stream:
            stream.truncate(R.RING_SIZE)
            self._map = mmap.mmap(stream.fileno(), R.RING_SIZE)
        R.HEADER.pack_into(
            self._map, 0, R.MAGIC, R.RUNNING, 0, b"", 0.0, time.time(), 0, 0, 0, sys.getrecursionlimit(), 0, b""
        )
        self._open_sources()
        self._enable_faulthandler()
        self._wrap()
        self.enabled = True
        self.sample()
        self._thread = threading.Thread(target=self._sampler, name="nblint-recorder", daemon=True)
        self._thread.start()

    def stop(self, reason: str = "unload") -> None:
        """The extension is unloaded: no more recording, and the record says so (not a death)."""
        self.mark(R.UNLOADED, reason)
        self._disable()

    def _disable(self) -> None:
        self.enabled = False
        self._stop.set()
        self._wake.set()
        shell = self.shell
        for event, callback in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
            try:
                shell.events.unregister(event, callback)
            except Exception:
                pass
        for owner, name, original in self._restore:
            try:
                setattr(owner, name, original)
            except Exception:
                pass
        self._restore = []
        try:
            atexit.unregister(self._at_exit)
        except Exception:
            pass

    def _fail(self) -> None:
        """An internal error: the recorder goes quiet, the kernel goes on."""
        try:
            self._disable()
        except Exception:
            pass

    # -- what is known at the start -----------------------------------------------------------------

    def _describe(self) -> dict:
        notebook, source = _notebook(self.shell)
        limit, limit_source, usage_file, oom_file = binding_limit()
        try:
            stack = resource.getrlimit(resource.RLIMIT_STACK)[0]
        except (OSError, ValueError):
            stack = -1
        return {
            "version": 1,
            "notebook": notebook,
            "notebook_source": source,
            "connection_file": _connection_file(),
            "cwd": os.getcwd(),
            "pid": self.pid,
            "started": self.started,
            "start_ticks": R.process_start_ticks(self.pid),
            "boot_id": R.boot_id(),
            "uptime_at_start": R.uptime(),
            "memory_limit": limit,
            "limit_source": limit_source,
            "usage_file": usage_file,
            "oom_file": oom_file,
            "oom_kill_at_start": oom_kill_count(oom_file) if oom_file else None,
            "stack_limit": stack if stack != resource.RLIM_INFINITY else None,
            "python": sys.version.split()[0],
        }

    def _write_kernel_json(self) -> None:
        from nblint.core.atomic import write_bytes_atomic

        assert self.folder is not None  # set by start() before any write
        write_bytes_atomic(self.folder / "kernel.json", json.dumps(self.kernel, indent=1).encode(), durable=False)

    def _open_sources(self) -> None:
        self._rss_fd = self._usage_fd = None
        try:
            self._rss_fd = os.open("/proc/self/statm", os.O_RDONLY)
            self._fds.append(self._rss_fd)
        except OSError:
            pass
        if self.kernel.get("usage_file"):
            try:
                self._usage_fd = os.open(self.kernel["usage_file"], os.O_RDONLY)
                self._fds.append(self._usage_fd)
            except OSError:
                pass
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _enable_faulthandler(self) -> None:
        assert self.folder is not None  # called from start(), after the folder is made
        fatal = open(self.folder / "fatal.txt", "w")
        self._files.append(fatal)
        faulthandler.enable(file=fatal, all_threads=True)
        os.register_at_fork(after_in_child=self._after_fork)
        if hasattr(faulthandler, "register") and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            term = open(self.folder / "term.txt", "w")
            self._files.append(term)
            faulthandler.register(signal.SIGTERM, file=term, all_threads=False, chain=True)

    def _after_fork(self) -> None:
        """A forked child (multiprocessing) is not this kernel: its crashes go to stderr, not to our record."""
        if not self.enabled or os.getpid() == self.pid:
            return
        try:
            # sys.__stderr__ may be None: faulthandler then falls back to sys.stderr (any error is caught below)
            faulthandler.enable(file=sys.__stderr__, all_threads=True)  # type: ignore[arg-type]
            if hasattr(faulthandler, "unregister"):
                faulthandler.unregister(signal.SIGTERM)
        except Exception:
            pass

    def _wrap(self) -> None:
        shell = self.shell
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        atexit.register(self._at_exit)
        recorder = self

        real_exit = os._exit

        @functools.wraps(real_exit)
        def _exit(code):
            recorder._at_os_exit(code)
            real_exit(code)

        os._exit = _exit  # type: ignore[assignment]  # a deliberate wrapper; its parameter name differs from os._exit's
        self._restore.append((os, "_exit", real_exit))

        real_limit = sys.setrecursionlimit

        @functools.wraps(real_limit)
        def setrecursionlimit(limit):
            real_limit(limit)
            recorder._at_recursion_limit(limit)

        sys.setrecursionlimit = setrecursionlimit
        self._restore.append((sys, "setrecursionlimit", real_limit))

        kernel = getattr(shell, "kernel", None)
        real_shutdown = getattr(kernel, "do_shutdown", None)
        if kernel is not None and callable(real_shutdown):

            @functools.wraps(real_shutdown)
            def do_shutdown(restart, *args, **kwargs):
                recorder.mark(R.CLEAN, "restart" if restart else "shutdown")
                return real_shutdown(restart, *args, **kwargs)

            kernel.do_shutdown = do_shutdown
            self._restore.append((kernel, "do_shutdown", real_shutdown))

    # -- marks -------------------------------------------------------------------------------------

    def mark(self, state: int, reason: str, code: int = 0, where: str = "") -> None:
        if self._map is None or os.getpid() != self.pid:
            return
        try:
            with self._lock:
                (_, old, *_rest) = R.HEADER.unpack_from(self._map, 0)
                if old != R.RUNNING:
                    return  # the first mark stands: after a requested shutdown, whatever follows is part of it
                struct.pack_into("<Ii16sd", self._map, R.AT_STATE, state, code, reason.encode()[:16], time.time())
                if where:
                    struct.pack_into("<200s", self._map, R.AT_WHERE, where.encode()[:200])
        except Exception:
            pass

    def _at_exit(self) -> None:
        self.mark(R.CLEAN, "exit")

    def _at_os_exit(self, code) -> None:
        try:
            frame = sys._getframe(2)
            where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        except Exception:
            where = ""
        try:
            number = int(code)
        except Exception:
            number = -1
        self.mark(R.EXITED, "os._exit", number, where)

    def _at_recursion_limit(self, limit) -> None:
        if self._map is None or os.getpid() != self.pid:
            return
        try:
            with self._lock:
                offset = R.AT_RECURSION
                (highest,) = struct.unpack_from("<Q", self._map, offset)
                if int(limit) > highest:
                    struct.pack_into("<Qi", self._map, offset, int(limit), _execution_count(self.shell))
        except Exception:
            pass

    # -- cells -------------------------------------------------------------------------------------

    def pre_run_cell(self, info) -> None:
        if not self.enabled:
            return
        try:
            raw = getattr(info, "raw_cell", None)
            raw = raw if isinstance(raw, str) else ""
            cell_id = getattr(info, "cell_id", None)
            cell_id = cell_id if isinstance(cell_id, str) else ""
            encoded = raw.encode("utf-8", "replace")
            digest = hashlib.sha1(encoded).hexdigest()[:16].encode()
            line = first_line(raw).encode("utf-8", "replace")[:400]
            now = time.time()
            with self._lock:
                assert self._map is not None  # enabled implies start() mapped the ring
                # IPython counts the cell before pre_run_cell: its number is one less when it is stored
                count = _execution_count(self.shell) - (1 if getattr(info, "store_history", False) else 0)
                R.CELL.pack_into(
                    self._map,
                    R.CELLS_AT + (self._cells % R.CELL_SLOTS) * R.CELL_SIZE,
                    count,
                    now,
                    0.0,
                    R.CELL_RUNNING,
                    digest,
                    cell_id.encode()[:64],
                    len(line),
                    line,
                )
                body = encoded[: R.SOURCE_SIZE - 4]
                struct.pack_into("<I", self._map, R.SOURCE_AT, len(body))
                self._map[R.SOURCE_AT + 4 : R.SOURCE_AT + 4 + len(body)] = body
                self._cells += 1
                self._running = True
                struct.pack_into("<dQ", self._map, R.AT_HEARTBEAT, now, self._cells)
                struct.pack_into("<I", self._map, R.AT_RUNNING, 1)
            if not self._notebook_from_vscode and self.kernel.get("notebook_source") != "JPY_SESSION_NAME":
                self._learn_vscode_notebook()
            self.sample()
            self._wake.set()
        except Exception:
            self._fail()

    def post_run_cell(self, result) -> None:
        if not self.enabled or not self._cells:
            return
        try:
            ok = getattr(result, "success", False)
            slot = R.CELLS_AT + ((self._cells - 1) % R.CELL_SLOTS) * R.CELL_SIZE
            with self._lock:
                assert self._map is not None  # enabled implies start() mapped the ring
                struct.pack_into(
                    "<dI", self._map, slot + R.AT_CELL_ENDED, time.time(), R.CELL_OK if ok else R.CELL_ERROR
                )
                self._running = False
                struct.pack_into("<I", self._map, R.AT_RUNNING, 0)
        except Exception:
            self._fail()

    def _learn_vscode_notebook(self) -> None:
        path = self.shell.user_ns.get("__vsc_ipynb_file__")
        if isinstance(path, str) and path:
            self._notebook_from_vscode = True
            self.kernel["notebook"] = path
            self.kernel["notebook_source"] = "__vsc_ipynb_file__"
            self._write_kernel_json()

    # -- samples -----------------------------------------------------------------------------------

    def sample(self) -> None:
        rss = usage = 0
        if self._rss_fd is not None:
            try:
                rss = int(os.pread(self._rss_fd, 128, 0).split()[1]) * self._page
            except (OSError, ValueError, IndexError):
                pass
        if self._usage_fd is not None:
            try:
                usage = int(os.pread(self._usage_fd, 64, 0))
            except (OSError, ValueError):
                pass
        now = time.time()
        with self._lock:
            assert self._map is not None  # sample() runs only after start() mapped the ring
            R.SAMPLE.pack_into(
                self._map, R.SAMPLES_AT + (self._samples % R.SAMPLE_SLOTS) * R.SAMPLE.size, now, rss, usage, self._cells
            )
            self._samples += 1
            struct.pack_into("<d", self._map, R.AT_HEARTBEAT, now)
            struct.pack_into("<Q", self._map, R.AT_SAMPLES, self._samples)

    def _sampler(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.wait(BUSY_INTERVAL if self._running else IDLE_INTERVAL)
                self._wake.clear()
                if self._stop.is_set() or not self.enabled:
                    return
                self.sample()
        except Exception:
            self._fail()


# -- figures ---------------------------------------------------------------------------------------


def binding_limit() -> tuple[int | None, str, str | None, str | None]:
    """(the limit past which this kernel gets killed, its source, the file whose usage counts against it,
    the file that counts OOM kills there). The tightest cgroup limit (v2 walking up, v1), else MEM_LIMIT,
    else the machine's memory."""
    from nblint.guard import memory as M

    best = None
    relative = M._cgroup_path(version_two=True)
    if relative is not None and (M.CGROUP_ROOT / "cgroup.controllers").exists():
        folder = M.CGROUP_ROOT / relative.lstrip("/")
        while True:
            limit = M._read_int(folder / "memory.max")
            if limit is not None and (folder / "memory.current").exists() and (best is None or limit < best[0]):
                best = (
                    limit,
                    f"cgroup v2 memory.max ({folder})",
                    str(folder / "memory.current"),
                    str(folder / "memory.events"),
                )
            if folder == M.CGROUP_ROOT or M.CGROUP_ROOT not in folder.parents:
                break
            folder = folder.parent
    relative = M._cgroup_path(version_two=False)
    base = M.CGROUP_ROOT / "memory"
    for v1_folder in ((base / relative.lstrip("/")) if relative else None, base):
        if v1_folder is None:
            continue
        limit = M._read_int(v1_folder / "memory.limit_in_bytes")
        if limit is not None and limit < M._NO_LIMIT and (best is None or limit < best[0]):
            best = (
                limit,
                f"cgroup v1 memory.limit_in_bytes ({v1_folder})",
                str(v1_folder / "memory.usage_in_bytes"),
                str(v1_folder / "memory.oom_control"),
            )
            break
    if best is not None:
        return best
    own = None
    if relative is not None and (base / relative.lstrip("/") / "memory.oom_control").exists():
        own = str(base / relative.lstrip("/") / "memory.oom_control")
    text = os.environ.get("MEM_LIMIT", "").strip()
    if text:
        try:
            return int(float(text)), "MEM_LIMIT", None, own
        except ValueError:
            pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024, "the machine's memory (/proc/meminfo MemTotal)", None, own
    except (OSError, ValueError, IndexError):
        pass
    return None, "unknown", None, own


def oom_kill_count(path: str | None) -> int | None:
    """`oom_kill N` of memory.events (v2) or memory.oom_control (v1)."""
    if not path:
        return None
    try:
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
    except (OSError, ValueError):
        pass
    return None


def first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def _execution_count(shell) -> int:
    try:
        return int(shell.execution_count)
    except Exception:
        return 0


def _notebook(shell) -> tuple[str, str]:
    name = os.environ.get("JPY_SESSION_NAME", "")
    if name:
        return _absolute(name), "JPY_SESSION_NAME"
    path = getattr(shell, "user_ns", {}).get("__vsc_ipynb_file__")
    if isinstance(path, str) and path:
        return path, "__vsc_ipynb_file__"
    return _connection_file() or f"kernel {os.getpid()}", "connection file"


def _absolute(name: str) -> str:
    """jupyter_server sends the notebook's path relative to its root; the kernel runs in the notebook's folder."""
    if os.path.isabs(name):
        return name
    for candidate in (Path.cwd() / name, Path.cwd() / Path(name).name):
        if candidate.exists():
            return str(candidate)
    return name


def _connection_file() -> str:
    try:
        from ipykernel.kernelapp import IPKernelApp

        if IPKernelApp.initialized():
            return str(IPKernelApp.instance().abs_connection_file)
    except Exception:
        pass
    return ""


def prune(base: Path, keep_pid: int = 0) -> None:
    """Keep the newest KEEP_KERNELS records of the last KEEP_SECONDS; never a running kernel's."""
    try:
        folders = [entry for entry in base.iterdir() if entry.is_dir()]
    except OSError:
        return
    dated = []
    for folder in folders:
        try:
            dated.append((os.stat(folder / "ring").st_mtime, folder))
        except OSError:
            dated.append((os.stat(folder).st_mtime if folder.exists() else 0.0, folder))
    dated.sort(reverse=True)
    cutoff = time.time() - R.KEEP_SECONDS
    for index, (when, folder) in enumerate(dated):
        if index < R.KEEP_KERNELS - 1 and when >= cutoff:
            continue
        record = R.read_record(folder)
        if record is not None and (record.pid == keep_pid or record.alive()):
            continue
        shutil.rmtree(folder, ignore_errors=True)


_RECORDER: list[Recorder] = []


def start(shell) -> Recorder | None:
    """Start this process's recorder once; None (and nothing changed) when it cannot start."""
    if _RECORDER:
        return _RECORDER[0]
    recorder = Recorder(shell)
    try:
        recorder.start()
    except Exception:
        recorder._fail()
        return None
    _RECORDER.append(recorder)
    return recorder


def stop() -> None:
    while _RECORDER:
        try:
            _RECORDER.pop().stop()
        except Exception:
            pass
