"""How much memory this kernel can still allocate, and where that figure comes from.

The smallest of:
- the cgroup's limit minus its current usage (v2 `memory.max` - `memory.current`, walking up the
  kernel's cgroup path; v1 `memory.limit_in_bytes` - `memory.usage_in_bytes`): what a container,
  a Kubernetes pod or systemd gives the kernel before its OOM killer acts;
- `MEM_LIMIT` (bytes; JupyterHub spawners set it) minus the kernel's own resident size;
- the machine's available memory (psutil's `virtual_memory().available`, else `MemAvailable` of
  /proc/meminfo).

GPU memory is a separate figure, read only where torch is already imported and CUDA initialised.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_NO_LIMIT = 1 << 60  # cgroup v1 writes 9223372036854771712 for "no limit"


@dataclass(frozen=True)
class Figure:
    available: int  # bytes
    source: str  # where it comes from, for `%nblint`


def available_memory() -> tuple[Figure | None, list[Figure]]:
    """(the smallest figure, every figure found). (None, []) when nothing can be read."""
    # A figure at or below zero is wrong (a limit set but not enforced, a kernel already past it), not
    # "nothing fits": it is left out rather than refusing every allocation.
    figures = [
        f
        for f in (_cgroup_v2(), _cgroup_v1(), _mem_limit(), _address_space(), _machine())
        if f is not None and f.available > 0
    ]
    if not figures:
        return None, []
    return min(figures, key=lambda f: f.available), figures


def available_bytes() -> int | None:
    figure, _ = available_memory()
    return figure.available if figure is not None else None


def gpu_free_memory() -> Figure | None:
    """Free memory of the current CUDA device, only when torch is imported and CUDA already in use
    (initialising CUDA from the guard would take seconds and memory)."""
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None) if torch is not None else None
    try:
        if cuda is None or not cuda.is_initialized():
            return None
        free, _total = cuda.mem_get_info()
        return Figure(int(free), f"torch.cuda.mem_get_info() of cuda:{cuda.current_device()}")
    except Exception:
        return None


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _cgroup_path(version_two: bool) -> str | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if version_two and hierarchy == "0" and controllers == "":
            return path
        if not version_two and "memory" in controllers.split(","):
            return path
    return None


def _cgroup_v2() -> Figure | None:
    relative = _cgroup_path(version_two=True)
    if relative is None or not (CGROUP_ROOT / "cgroup.controllers").exists():
        return None
    best: Figure | None = None
    folder = CGROUP_ROOT / relative.lstrip("/")
    while True:  # a parent's limit binds too: take the tightest on the way up
        limit = _read_int(folder / "memory.max")
        used = _read_int(folder / "memory.current")
        if limit is not None and used is not None:
            figure = Figure(max(0, limit - used), f"cgroup v2 memory.max - memory.current ({folder})")
            if best is None or figure.available < best.available:
                best = figure
        if folder == CGROUP_ROOT or CGROUP_ROOT not in folder.parents:
            return best
        folder = folder.parent


def _cgroup_v1() -> Figure | None:
    relative = _cgroup_path(version_two=False)
    base = CGROUP_ROOT / "memory"
    for folder in ((base / relative.lstrip("/")) if relative else None, base):
        if folder is None:
            continue
        limit = _read_int(folder / "memory.limit_in_bytes")
        used = _read_int(folder / "memory.usage_in_bytes")
        if limit is not None and used is not None and limit < _NO_LIMIT:
            return Figure(max(0, limit - used), f"cgroup v1 memory.limit_in_bytes - memory.usage_in_bytes ({folder})")
    return None


def _mem_limit() -> Figure | None:
    text = os.environ.get("MEM_LIMIT", "").strip()
    if not text:
        return None
    try:
        limit = int(float(text))
    except ValueError:
        from nblint.core.options import OptionError, parse_size

        try:
            limit = parse_size(text)
        except OptionError:
            return None
    rss = _own_rss()
    if rss is None:
        return None
    return Figure(limit - rss, "MEM_LIMIT minus this kernel's resident memory")


def _address_space() -> Figure | None:
    """RLIMIT_AS (`ulimit -v`, HPC nodes, some containers) minus this process's virtual size."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft <= 0:
            return None
        size = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError, ValueError, IndexError):
        return None
    return Figure(soft - size, "RLIMIT_AS (ulimit -v) minus this kernel's virtual size")


def _own_rss() -> int | None:
    try:
        fields = Path("/proc/self/statm").read_text().split()
        return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    psutil = _psutil()
    try:
        return int(psutil.Process().memory_info().rss) if psutil is not None else None
    except Exception:
        return None


def _machine() -> Figure | None:
    psutil = _psutil()
    if psutil is not None:
        try:
            return Figure(int(psutil.virtual_memory().available), "the machine's available memory (psutil)")
        except Exception:
            pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return Figure(int(line.split()[1]) * 1024, "the machine's available memory (/proc/meminfo)")
    except (OSError, ValueError, IndexError):
        pass
    return None


def _psutil():
    """psutil comes with ipykernel; without it the /proc files serve."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil
