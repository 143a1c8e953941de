"""How a kernel died, from its record (nblint.guard.record): the cause from a fixed vocabulary, each with the
evidence it rests on, the running cell, the memory curve, and what to do. `nblint why` prints these; the next
kernel of the same notebook tells the newest in one line. No IPython here.

The causes:
- `out-of-memory`: the kernel log's "Killed process PID" line for this kernel, or its cgroup's `oom_kill`
  count risen since it started (the cgroup whose limit binds), or its last samples at the limit;
- `killed`: no fatal error, no exit, no shutdown, and memory far below the limit: a signal from outside
  (SIGTERM shows in the record; SIGKILL leaves nothing, so the signal is then not named);
- `segfault` (SIGSEGV, SIGBUS), `abort` (SIGABRT): faulthandler's "Fatal Python error" and the frames;
- `stack-overflow`: a SIGSEGV with faulthandler's frames cut at its depth limit and one frame repeated, or
  after the recursion limit was raised far past its default (recursion through C code then runs out of the
  C stack before it meets the limit);
- `exit`: `os._exit(code)`, written by the kernel just before it ended;
- `unknown`: none of these can be shown.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from nblint.guard import record as R

CAUSES = ("out-of-memory", "killed", "segfault", "abort", "stack-overflow", "exit", "unknown")
AT_LIMIT = 0.9  # a sample this close to the limit is "at the limit"
FAR_BELOW = 0.7  # memory under this share of the limit is "far below" it
DEEP_RECURSION = 20_000  # a recursion limit above this outgrows the C stack through C recursion

_FATAL = re.compile(r"Fatal Python error: ([^\n]+)")
_FRAME = re.compile(r'^\s+File "(.*)", line (\d+) in (.*)$')
_CELL_FILE = re.compile(r"(?:[/\\]ipykernel_\d+[/\\]\d+\.py$|^<ipython-input-\d+-[0-9a-f]+>$)")
_SIGNALS = {
    "Segmentation fault": ("SIGSEGV", "segfault"),
    "Bus error": ("SIGBUS", "segfault"),
    "Aborted": ("SIGABRT", "abort"),
    "Floating point exception": ("SIGFPE", "unknown"),
    "Illegal instruction": ("SIGILL", "unknown"),
}


@dataclass
class Death:
    notebook: str
    kernel_pid: int
    cause: str
    evidence: list[str]
    signal: str | None
    exit_code: int | None
    execution_count: int | None
    cell_id: str | None
    code: str | None  # the first line of the running (or last) cell
    line: int | None  # the cell's line where a fatal error or os._exit happened
    peak_memory: int | None
    memory_limit: int | None
    started: str
    died: str
    # more for the text report
    running: bool = False
    line_text: str | None = None
    limit_source: str = ""
    start_memory: int | None = None
    last_memory: int | None = None
    rate: float | None = None  # bytes per second over the last samples of the cell
    frames: list[str] = field(default_factory=list)
    advice: str = ""
    told: list[str] = field(default_factory=list)
    died_at: float = 0.0
    record: R.Record | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("record")
        data.pop("died_at")
        return data


# -- finding deaths -------------------------------------------------------------------------------


def deaths(records: list[R.Record] | None = None, kernel_log: list[tuple[float, str]] | None = None) -> list[Death]:
    """Every recorded kernel that died (no clean mark, process gone), newest first."""
    records = R.all_records() if records is None else records
    dead = [record for record in records if record.state in (R.RUNNING, R.EXITED) and not record.alive()]
    if not dead:
        return []
    log = kernel_log if kernel_log is not None else read_kernel_log()
    found = [explain(record, log) for record in dead]
    found.sort(key=lambda d: d.died_at, reverse=True)
    return found


def matches(death: Death, notebooks: list[str]) -> bool:
    """`nblint why analysis.ipynb`: the same file (resolved), else the same trailing path."""
    recorded = death.notebook
    for given in notebooks:
        try:
            if Path(given).resolve() == Path(recorded).resolve():
                return True
        except (OSError, ValueError):
            pass
        tail = given.replace("\\", "/").lstrip("./")
        if tail and recorded.replace("\\", "/").endswith("/" + tail) or recorded == given:
            return True
    return False


def explain(record: R.Record, log: list[tuple[float, str]] | None) -> Death:
    kernel = record.kernel
    limit = kernel.get("memory_limit")
    limit = int(limit) if isinstance(limit, (int, float)) else None
    cell = record.last_cell
    curve = _curve(record)
    evidence: list[str] = []
    signal_name = exit_code = line = line_text = None
    frames: list[str] = []
    died_at = record.heartbeat
    cause = "unknown"

    fatal = _FATAL.search(record.fatal) if record.fatal else None
    log_lines = _kill_lines(record, log)
    if fatal:
        what = fatal.group(1).strip()
        signal_name, cause = _SIGNALS.get(what, (None, "unknown"))
        if "stack overflow" in what.lower():
            cause = "stack-overflow"
        frames = current_frames(record.fatal)
        evidence.append(f'faulthandler: "Fatal Python error: {what}"' + (f" ({signal_name})" if signal_name else ""))
        if cause == "segfault" and signal_name == "SIGSEGV":
            overflow = _stack_overflow_evidence(record, record.fatal, frames)
            if overflow:
                cause = "stack-overflow"
                evidence.append(overflow)
        line = _cell_line(frames)
        died_at = record.fatal_time or died_at
    elif record.state == R.EXITED:
        cause, exit_code = "exit", record.exit_code
        evidence.append(
            f"the kernel called os._exit({exit_code})"
            + (f" at {record.exit_where}" if record.exit_where else "")
            + " (written to the record just before the process ended)"
        )
        if _CELL_FILE.search(record.exit_where.rsplit(":", 1)[0]):
            try:
                line = int(record.exit_where.rsplit(":", 1)[1])
            except ValueError:
                pass
        died_at = record.ended or died_at
    elif record.term:
        cause, signal_name = "killed", "SIGTERM"
        evidence.append("the kernel received SIGTERM (faulthandler wrote its frames as the signal arrived)")
        frames = current_frames(record.term)
        died_at = record.term_time or died_at
    else:
        oom: list[tuple[float, str] | str] = list(log_lines)
        for when, _text in log_lines:
            died_at = when
        rise = _oom_rise(record)
        if rise:
            oom.append(rise)
        peak = curve["peak"]
        at_limit = limit and peak is not None and curve["last"] is not None and curve["last"] >= AT_LIMIT * limit
        if at_limit:
            oom.append(f"the last memory sample was {_size(curve['last'])} of the {_size(limit)} limit")
        if oom:
            cause, signal_name = "out-of-memory", "SIGKILL" if (log_lines or rise) else None
            evidence.extend(text if isinstance(text, str) else f'the kernel log: "{text[1]}"' for text in oom)
        else:
            last = curve["last"]
            quiet = "no fatal error, exit or shutdown request was recorded: the process was ended by a signal it did not handle"
            if limit and last is not None and last < FAR_BELOW * limit:
                cause = "killed"
                evidence.append(quiet)
                evidence.append(f"memory was {_size(last)} at the last sample, far below the {_size(limit)} limit")
                if kernel.get("oom_kill_at_start") is not None and _current_oom(record) is not None:
                    evidence.append(f"the cgroup's oom_kill count stayed at {_current_oom(record)}")
                if log is not None and log:
                    evidence.append("the kernel log has no out-of-memory kill of this pid")
            else:
                evidence.append(quiet + "; nothing shows which")
    if line is not None and record.source:
        lines = record.source.splitlines()
        if 0 < line <= len(lines):
            line_text = lines[line - 1].strip()[:200]
    death = Death(
        notebook=record.notebook,
        kernel_pid=record.pid,
        cause=cause,
        evidence=evidence,
        signal=signal_name,
        exit_code=exit_code,
        execution_count=cell.execution_count if cell else None,
        cell_id=(cell.cell_id or None) if cell else None,
        code=cell.first_line if cell else None,
        line=line,
        peak_memory=curve["peak"],
        memory_limit=limit,
        started=_iso(float(kernel.get("started", 0))),
        died=_iso(died_at),
        running=bool(cell) and record.running,
        line_text=line_text,
        limit_source=str(kernel.get("limit_source", "")),
        start_memory=curve["start"],
        last_memory=curve["last"],
        rate=curve["rate"],
        frames=frames[:12],
        told=sorted(record.told),
        died_at=died_at,
        record=record,
    )
    death.advice = advice(death, record)
    return death


def _curve(record: R.Record) -> dict:
    """The memory of the last cell: at its start, its peak, the last sample, the rate over the last ~2 s.
    The figure is the cgroup's usage where a cgroup limit binds, else the resident size."""
    cgroup = bool(record.kernel.get("usage_file"))

    def figure(sample: R.Sample) -> int:
        return sample.usage if cgroup and sample.usage else sample.rss

    samples = record.samples
    mine = [s for s in samples if s.cell == record.cells_started] or samples[-1:]
    if not mine:
        return {"start": None, "peak": None, "last": None, "rate": None}
    last = mine[-1]
    earlier = [s for s in mine if last.time - s.time >= 1.0]
    base = earlier[-1] if earlier else mine[0]
    rate = (figure(last) - figure(base)) / (last.time - base.time) if last.time > base.time else None
    return {"start": figure(mine[0]), "peak": max(figure(s) for s in mine), "last": figure(last), "rate": rate}


def _oom_rise(record: R.Record) -> str | None:
    """Counted only for the cgroup whose limit binds: a machine-wide cgroup counts others' kills too."""
    kernel = record.kernel
    start = kernel.get("oom_kill_at_start")
    if start is None or not kernel.get("usage_file"):
        return None
    now = _current_oom(record)
    if now is not None and now > start:
        return f"the cgroup's oom_kill count rose from {start} to {now} since the kernel started ({kernel['oom_file']})"
    return None


def _current_oom(record: R.Record) -> int | None:
    from nblint.guard.recorder import oom_kill_count

    return oom_kill_count(record.kernel.get("oom_file"))


def _kill_lines(record: R.Record, log: list[tuple[float, str]] | None) -> list[tuple[float, str]]:
    """The kernel log's OOM-kill lines for this pid, after this kernel started (a pid is reused)."""
    pid = record.pid
    needle = re.compile(rf"Killed process {pid}\b")
    since = record.kernel.get("uptime_at_start")
    boot = _boot_time()
    found = []
    for uptime, text in log or ():
        if needle.search(text) and (since is None or uptime >= since - 1):
            found.append((boot + uptime if boot else record.heartbeat, text.strip()))
    return found


def _stack_overflow_evidence(record: R.Record, text: str, frames: list[str]) -> str | None:
    if frames and any(line.strip() == "..." for line in _current_block(text)):
        counts: dict[str, int] = {}
        for frame in frames:
            counts[frame] = counts.get(frame, 0) + 1
        frame, count = max(counts.items(), key=lambda item: item[1])
        if count >= 20:
            return f"faulthandler's frames are cut at its depth limit, {count} of them {frame.strip()}: recursion"
    if record.recursion_limit > DEEP_RECURSION:
        stack = record.kernel.get("stack_limit")
        stack_text = f"the {_size(stack)} C stack" if stack else "the C stack"
        where = f" in cell [{record.recursion_cell}]" if record.recursion_cell else ""
        return (
            f"the recursion limit had been raised to {record.recursion_limit:,} (sys.setrecursionlimit{where}):"
            f" recursion that deep through C code (repr, pickle, copy.deepcopy, json) runs out of {stack_text}"
            " before it meets the limit"
        )
    return None


def _current_block(text: str) -> list[str]:
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("Current thread"):
            block = []
            for item in lines[index + 1 :]:
                if not item.strip():
                    break
                block.append(item)
            return block
    # one thread only: "Stack (most recent call first):"
    for index, line in enumerate(lines):
        if "most recent call first" in line:
            return [item for item in lines[index + 1 :] if item.startswith("  ")]
    return []


def current_frames(text: str) -> list[str]:
    """The crashing thread's frames, most recent first, as faulthandler wrote them."""
    return [line.strip() for line in _current_block(text) if _FRAME.match(line)]


def _cell_line(frames: list[str]) -> int | None:
    """The running cell's own line: the outermost frame in a cell's file (IPython runs the cell there)."""
    line = None
    for frame in frames:
        match = _FRAME.match("  " + frame)
        if match and _CELL_FILE.search(match.group(1)):
            line = int(match.group(2))
    return line


# -- the kernel log --------------------------------------------------------------------------------


def read_kernel_log() -> list[tuple[float, str]] | None:
    """(seconds after boot, text) of each kernel log record, from /dev/kmsg; None where it is not readable."""
    try:
        handle = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    records = []
    try:
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                chunk = os.read(handle, 16384)
            except BlockingIOError:
                break
            except BrokenPipeError:  # a record overwritten while reading: go on with the next
                continue
            except OSError:
                break
            if not chunk:
                break
            head, _, text = chunk.decode("utf-8", "replace").partition(";")
            fields = head.split(",")
            try:
                records.append((int(fields[2]) / 1e6, text.split("\n", 1)[0]))
            except (IndexError, ValueError):
                continue
    finally:
        os.close(handle)
    return records


def _boot_time() -> float | None:
    up = R.uptime()
    return time.time() - up if up is not None else None


# -- words -----------------------------------------------------------------------------------------


def _size(value) -> str:
    from nblint.core.options import format_size

    return format_size(value) if value is not None else "?"


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).astimezone().isoformat(timespec="seconds") if when else ""


def summary(death: Death) -> str:
    """The cause in a few words: `killed by the out-of-memory killer at 1.0 of 1.0 GiB`."""
    where = f" at line {death.line} of the cell" if death.line else ""
    if death.cause == "out-of-memory":
        if death.peak_memory and death.memory_limit:
            return f"killed by the out-of-memory killer at {_size(death.peak_memory)} of {_size(death.memory_limit)}"
        return "killed by the out-of-memory killer"
    if death.cause == "killed":
        by = f"by {death.signal}" if death.signal else "by a signal"
        memory = f" with {_size(death.last_memory)} of {_size(death.memory_limit)} in use" if death.last_memory else ""
        return f"killed {by} from outside the kernel{memory}"
    if death.cause == "segfault":
        return f"a segmentation fault ({death.signal}){where}"
    if death.cause == "abort":
        return f"aborted (SIGABRT){where}"
    if death.cause == "stack-overflow":
        return f"the C stack overflowed (SIGSEGV){where}"
    if death.cause == "exit":
        return f"os._exit({death.exit_code}){where}"
    if death.signal:
        return f"a fatal {death.signal}{where}"
    return "no record shows how"


def cell_words(death: Death) -> str:
    if death.execution_count is None:
        return "before any cell ran"
    doing = "while running" if death.running else "after running"
    code = f" {death.code}" if death.code else ""
    return f"{doing} cell [{death.execution_count}]{code}"


def advice(death: Death, record: R.Record) -> str:
    cause = death.cause
    if cause == "out-of-memory":
        return (
            "the cell needed more memory than the kernel may use: work in chunks (pd.read_csv(..., chunksize=...),"
            " a generator, smaller dtypes), `del` what earlier cells hold, or ask for a bigger limit; `nblint check`"
            " (NB101, NB103, NB104) and the guard refuse the allocations they can size before they run"
        )
    if cause == "killed":
        return (
            "something outside the kernel ended it: an idle culler (JupyterHub's cull-idle, a platform's idle"
            " timeout), a person (kill), the platform (a preempted node, a time limit); look in the server's or"
            " the platform's log at the time it died"
        )
    if cause == "segfault":
        return (
            "a crash in compiled code, not in Python: the frames show the call that made it; update or reinstall"
            " the binary package it is in (its wheel must match this Python and NumPy), and report it upstream"
            " with the cell"
        )
    if cause == "abort":
        return (
            'a C library gave up (an assertion, a double free, OpenMP\'s "OMP: Error #15", CUDA): its message'
            " is in the kernel's stderr (the Jupyter server's log); fix what it names"
        )
    if cause == "stack-overflow":
        return (
            "recursion deeper than the C stack: keep sys.setrecursionlimit near its default (NB204 flags raising"
            " it), make the recursion iterative, or give a base case (NB203 flags a function without one)"
        )
    if cause == "exit":
        return (
            "os._exit ends the process at once, with no cleanup and no traceback: raise an exception or return"
            " instead (sys.exit in a cell only stops the cell)"
        )
    return "the Jupyter server's log (its terminal) may say more about how the kernel ended"


def display_name(notebook: str) -> str:
    return Path(notebook).name if notebook.endswith(".ipynb") else notebook


def tell_line(death: Death, earlier: int = 0) -> str:
    clock = datetime.fromtimestamp(death.died_at).strftime("%H:%M:%S") if death.died_at else "an unknown time"
    more = f" ({earlier} earlier death{'s' if earlier > 1 else ''} too)" if earlier else ""
    name = display_name(death.notebook)
    return (
        f"nblint: the previous kernel of {name} died at {clock} {cell_words(death)}: {summary(death)}{more};"
        f" nblint why {name} for the details"
    )


def tell_previous(shell, recorder) -> None:
    """In a new kernel: one line about the newest death of this notebook not yet told, at once when the
    extension is loaded from a cell, else in the first cell's output."""
    if recorder.kernel.get("notebook_source") == "connection file":
        return  # no notebook name: nothing ties this kernel to an earlier one
    notebook = recorder.kernel.get("notebook")
    records = [
        r
        for r in R.all_records(recorder.folder.parent)
        if r.notebook == notebook and r.pid != recorder.pid and not r.told
    ]
    if not records:
        return
    found = deaths(records)
    if not found:
        return
    line = tell_line(found[0], len(found) - 1)
    for death in found:
        assert death.record is not None  # deaths() come from explain(), which sets the record
        R.mark_told(death.record, "kernel")
    if _in_a_cell(shell):
        print(line, file=sys.stderr)
        return

    def once(info=None) -> None:
        try:
            shell.events.unregister("pre_run_cell", once)
        except Exception:
            pass
        print(line, file=sys.stderr)

    shell.events.register("pre_run_cell", once)


def _in_a_cell(shell) -> bool:
    """ipykernel sets the shell's parent header while it handles an execute request."""
    header = getattr(shell, "parent_header", None)
    if isinstance(header, dict):
        return bool(header.get("header", header).get("msg_id")) if header else False
    return getattr(getattr(shell, "kernel", None), "shell", None) is None
