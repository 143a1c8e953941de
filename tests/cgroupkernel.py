"""A real kernel in a memory cgroup of its own, for the guard's tests that must come near a real limit.

cgroup v1 (`/sys/fs/cgroup/memory/NAME`, `memory.limit_in_bytes`) or v2 (`/sys/fs/cgroup/NAME`,
`memory.max`, with the memory controller enabled for the root's children). The kernel gets there through
a kernelspec whose argv is a wrapper script writing its own pid into `cgroup.procs` before it execs
ipykernel. `make_cgroup` says why when no cgroup can be made (not root, no writable memory controller);
the tests skip with that reason.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from kernel import REPO

ROOT = Path("/sys/fs/cgroup")


class NoCgroup(Exception):
    """No memory cgroup can be made here; the message says why."""


def make_cgroup(limit: int) -> Path:
    name = f"nblint-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    errors = []
    if (ROOT / "memory" / "memory.limit_in_bytes").exists():
        folder = ROOT / "memory" / name
        try:
            folder.mkdir()
            (folder / "memory.limit_in_bytes").write_text(str(limit))
            return folder
        except OSError as exc:
            errors.append(f"cgroup v1 {folder}: {exc}")
            _remove(folder)
    if (ROOT / "cgroup.controllers").exists():
        folder = ROOT / name
        try:
            if "memory" not in (ROOT / "cgroup.subtree_control").read_text().split():
                raise OSError("the memory controller is not enabled in cgroup.subtree_control")
            folder.mkdir()
            (folder / "memory.max").write_text(str(limit))
            (folder / "memory.swap.max").write_text("0") if (folder / "memory.swap.max").exists() else None
            return folder
        except OSError as exc:
            errors.append(f"cgroup v2 {folder}: {exc}")
            _remove(folder)
    raise NoCgroup("; ".join(errors) or f"no memory controller under {ROOT} (neither cgroup v1 nor v2)")


def _remove(folder: Path) -> None:
    for _ in range(50):  # rmdir fails while a process is still leaving it
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)


def oom_kills(folder: Path) -> int:
    """The cgroup's count of OOM kills (v1 memory.oom_control, v2 memory.events)."""
    for name in ("memory.oom_control", "memory.events"):
        try:
            for line in (folder / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except OSError:
            continue
    return 0


@contextmanager
def cgroup_kernel(folder: Path, limit: int, env_extra: dict | None = None):
    """(manager, client, cgroup folder) of a kernel in a fresh cgroup of `limit` bytes; all removed after."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    cgroup = make_cgroup(limit)
    manager = client = None
    try:
        specs = folder / "kernels"
        spec = specs / "nblint-cgroup"
        spec.mkdir(parents=True, exist_ok=True)
        wrapper = folder / "in-cgroup.sh"
        wrapper.write_text(
            f"#!/bin/sh\necho $$ > {cgroup}/cgroup.procs || exit 3\n"
            f'exec {sys.executable} -m ipykernel_launcher -f "$1"\n'
        )
        wrapper.chmod(0o755)
        (spec / "kernel.json").write_text(
            json.dumps(
                {"argv": [str(wrapper), "{connection_file}"], "display_name": "nblint cgroup", "language": "python"}
            )
        )
        env = dict(os.environ)
        env["IPYTHONDIR"] = str(folder / "ipython")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        env.pop("MEM_LIMIT", None)
        env.update(env_extra or {})
        manager = KernelManager(
            kernel_name="nblint-cgroup", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)])
        )
        manager.start_kernel(env=env, cwd=str(folder))
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        yield manager, client, cgroup
    finally:
        if client is not None:
            client.stop_channels()
        if manager is not None and manager.has_kernel:
            manager.shutdown_kernel(now=True)
        _remove(cgroup)
