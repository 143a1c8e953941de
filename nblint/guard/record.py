"""A kernel's record on disk: where it lives, how its memory-mapped file is laid out, and how to read it back.

One folder per kernel under `<jupyter runtime dir>/nblint/` (`jupyter --runtime-dir`, which honours
`JUPYTER_RUNTIME_DIR`), named `<pid>-<start time>`:
- `kernel.json`: what is known when the kernel starts (the notebook, pid, start time, the memory limit and its
  source, the cgroup's oom_kill count at the start), written once (again if VS Code names the notebook later);
- `ring`: a fixed-size file the kernel maps into memory (MAP_SHARED): a header (state, clean mark, exit code,
  heartbeat), the last cells as they started, a ring of memory samples and the running cell's source. The
  kernel writes into the page cache, so whatever was written is there after a SIGKILL;
- `fatal.txt`: what `faulthandler` writes on SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL (the Python frames);
- `term.txt`: faulthandler's frames when a SIGTERM arrives (then the kernel dies of it as before);
- `told`: who told of the death (`why`, `kernel`), one word a line.

This module imports no IPython: `nblint why` reads records with it.
"""

from __future__ import annotations

import json
import os
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = b"NBLREC01"
# header: magic, state, exit code, reason, ended, heartbeat, cells started, samples written, running,
# highest recursion limit set, the execution count that set it, where os._exit was called (file:line)
HEADER = struct.Struct("<8sIi16sddQQIQi200s")
CELL_SLOTS = 256
CELL = struct.Struct("<iddI16s64sH400s")  # execution count, started, ended, status, hash, cell id, len, first line
CELL_SIZE = 512
SAMPLE_SLOTS = 8192
SAMPLE = struct.Struct("<dQQQ")  # time, rss, cgroup usage (0: none), cell number (cells started, 1-based)
CELLS_AT = 4096
SAMPLES_AT = CELLS_AT + CELL_SLOTS * CELL_SIZE
SOURCE_AT = SAMPLES_AT + SAMPLE_SLOTS * SAMPLE.size
SOURCE_SIZE = 65536  # 4 bytes of length, then the running cell's source (UTF-8, cut)
RING_SIZE = SOURCE_AT + SOURCE_SIZE

# where the fields the kernel updates sit in the header
AT_STATE, AT_HEARTBEAT, AT_CELLS, AT_SAMPLES, AT_RUNNING, AT_RECURSION, AT_WHERE = 8, 40, 48, 56, 64, 68, 80
AT_CELL_ENDED = 12  # in a cell slot: ended, then status

RUNNING, CLEAN, EXITED, UNLOADED = 0, 1, 2, 3
CELL_RUNNING, CELL_OK, CELL_ERROR = 0, 1, 2

KEEP_KERNELS = 50
KEEP_SECONDS = 14 * 24 * 3600

assert CELL.size <= CELL_SIZE and HEADER.size == AT_WHERE + 200 <= CELLS_AT


def runtime_dir() -> Path:
    """Jupyter's runtime directory (jupyter_core's answer where it is installed, else the same rules)."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        return Path(jupyter_runtime_dir())
    except Exception:
        pass
    if os.environ.get("JUPYTER_RUNTIME_DIR"):
        return Path(os.environ["JUPYTER_RUNTIME_DIR"])
    if os.environ.get("JUPYTER_DATA_DIR"):
        return Path(os.environ["JUPYTER_DATA_DIR"]) / "runtime"
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "jupyter" / "runtime"


def records_dir() -> Path:
    return runtime_dir() / "nblint"


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


@dataclass
class Cell:
    execution_count: int
    started: float
    ended: float
    status: int
    hash: str
    cell_id: str
    first_line: str


@dataclass
class Sample:
    time: float
    rss: int
    usage: int  # the cgroup's usage, 0 where no cgroup limit binds
    cell: int  # which cell ran (cells started so far), 0 before the first


@dataclass
class Record:
    folder: Path
    kernel: dict
    state: int = RUNNING
    exit_code: int | None = None
    reason: str = ""
    ended: float = 0.0
    heartbeat: float = 0.0
    cells_started: int = 0
    running: bool = False
    recursion_limit: int = 0
    recursion_cell: int = 0
    exit_where: str = ""
    cells: list[Cell] = field(default_factory=list)  # oldest first
    samples: list[Sample] = field(default_factory=list)  # oldest first
    source: str = ""  # the source of the last cell that started
    fatal: str = ""
    fatal_time: float = 0.0
    term: str = ""
    term_time: float = 0.0
    told: set[str] = field(default_factory=set)

    @property
    def pid(self) -> int:
        return int(self.kernel.get("pid", 0))

    @property
    def notebook(self) -> str:
        return str(self.kernel.get("notebook") or "")

    @property
    def last_cell(self) -> Cell | None:
        return self.cells[-1] if self.cells else None

    def alive(self) -> bool:
        """The recorded process is still running (same pid, same start, same boot)."""
        boot = _boot_id()
        if boot and self.kernel.get("boot_id") and boot != self.kernel["boot_id"]:
            return False
        ticks = process_start_ticks(self.pid)
        if ticks is None:
            return False
        recorded = self.kernel.get("start_ticks")
        return recorded is None or ticks == recorded


def read_record(folder: Path) -> Record | None:
    """The record in `folder`, or None when it is not one (half-written, foreign, unreadable)."""
    try:
        kernel = json.loads((folder / "kernel.json").read_text(encoding="utf-8"))
        if not isinstance(kernel, dict):
            return None
        with open(folder / "ring", "rb") as stream:
            data = stream.read(RING_SIZE)
    except (OSError, ValueError):
        return None
    if len(data) < RING_SIZE or data[:8] != MAGIC:
        return None
    (_, state, exit_code, reason, ended, heartbeat, cells, samples, running, limit, limit_cell, where) = (
        HEADER.unpack_from(data, 0)
    )
    record = Record(
        folder,
        kernel,
        state=state,
        exit_code=exit_code if state == EXITED else None,
        reason=_text(reason),
        ended=ended,
        heartbeat=heartbeat,
        cells_started=cells,
        running=bool(running),
        recursion_limit=limit,
        recursion_cell=limit_cell,
        exit_where=_text(where),
    )
    for number in range(max(0, cells - CELL_SLOTS), cells):
        count, started, finished, status, digest, cell_id, length, line = CELL.unpack_from(
            data, CELLS_AT + (number % CELL_SLOTS) * CELL_SIZE
        )
        record.cells.append(
            Cell(
                count,
                started,
                finished,
                status,
                _text(digest),
                _text(cell_id),
                line[:length].decode("utf-8", "replace"),
            )
        )
    for number in range(max(0, samples - SAMPLE_SLOTS), samples):
        when, rss, usage, cell = SAMPLE.unpack_from(data, SAMPLES_AT + (number % SAMPLE_SLOTS) * SAMPLE.size)
        if when:
            record.samples.append(Sample(when, rss, usage, cell))
    (length,) = struct.unpack_from("<I", data, SOURCE_AT)
    record.source = data[SOURCE_AT + 4 : SOURCE_AT + 4 + min(length, SOURCE_SIZE - 4)].decode("utf-8", "replace")
    record.fatal, record.fatal_time = _read_dump(folder / "fatal.txt")
    record.term, record.term_time = _read_dump(folder / "term.txt")
    try:
        record.told = set((folder / "told").read_text(encoding="utf-8").split())
    except OSError:
        pass
    return record


def _read_dump(path: Path) -> tuple[str, float]:
    try:
        with open(path, "rb") as stream:
            text = stream.read(256 * 1024).decode("utf-8", "replace")
        return text, os.stat(path).st_mtime
    except OSError:
        return "", 0.0


def all_records(folder: Path | None = None) -> list[Record]:
    folder = records_dir() if folder is None else folder
    try:
        entries = [entry for entry in folder.iterdir() if entry.is_dir()]
    except OSError:
        return []
    records = [record for record in map(read_record, entries) if record is not None]
    records.sort(key=lambda r: float(r.kernel.get("started", 0)), reverse=True)
    return records


def mark_told(record: Record, by: str) -> None:
    if by in record.told:
        return
    try:
        with open(record.folder / "told", "a", encoding="utf-8") as stream:
            stream.write(by + "\n")
        record.told.add(by)
    except OSError:
        pass


# -- the process, the machine -------------------------------------------------------------------------


def process_start_ticks(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat (clock ticks after boot): with the pid, tells a process from a later one."""
    if pid <= 0:
        return None
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        return int(text.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def boot_id() -> str:
    return _boot_id()


def uptime() -> float | None:
    try:
        return float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def now() -> float:
    return time.time()
