"""Kernel deaths in real kernels (jupyter_client + ipykernel), and what `nblint why` and the next kernel say.

Each kernel records under its own JUPYTER_RUNTIME_DIR (tmp_path) with JPY_SESSION_NAME set as jupyter_server
sets it. The OOM kill runs in a memory cgroup of its own (cgroup v1 or v2) and skips where none can be made.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest

pytest.importorskip("ipykernel", reason="the recorder's tests need ipykernel (the test extra)")

from conftest import run_nblint  # noqa: E402
from kernel import REPO, run  # noqa: E402


def _start(tmp_path: Path, kernel_name: str = "python3", extra_env: dict | None = None):
    from jupyter_client.manager import KernelManager

    env = dict(os.environ)
    env["IPYTHONDIR"] = str(tmp_path / "ipython")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env["JPY_SESSION_NAME"] = str(tmp_path / "analysis.ipynb")
    env.pop("MEM_LIMIT", None)
    env.update(extra_env or {})
    manager = KernelManager(kernel_name=kernel_name)
    manager.start_kernel(env=env, cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    client.loaded = run(client, "%load_ext nblint\nx = 1\n")  # what loading the guard said
    assert client.loaded.status == "ok", client.loaded.shown
    return manager, client


def _wait_dead(manager, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while manager.is_alive():
        assert time.monotonic() < deadline, "the kernel did not die"
        time.sleep(0.05)


def _why(tmp_path: Path, *args: str):
    result = run_nblint("why", *args, env={"JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")})
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _die(tmp_path: Path, cell: str, kernel_name: str = "python3"):
    manager, client = _start(tmp_path, kernel_name)
    try:
        client.execute(cell)
        _wait_dead(manager)
    finally:
        client.stop_channels()
        if manager.is_alive():
            manager.shutdown_kernel(now=True)
    result = _why(tmp_path, "--format", "json", str(tmp_path / "analysis.ipynb"))
    assert result.returncode == 1, result.stdout + result.stderr
    (death,) = json.loads(result.stdout)
    return death


@pytest.mark.slow
@pytest.mark.parametrize(
    "cell, cause, signal_name, line",
    [
        ("import ctypes\n\nctypes.string_at(0)\n", "segfault", "SIGSEGV", 3),
        ("import os\nos.abort()\n", "abort", "SIGABRT", 2),
        (
            "import sys\nsys.setrecursionlimit(10**6)\nnested = []\nfor _ in range(10**6):\n    nested = [nested]\nrepr(nested)\n",
            "stack-overflow",
            "SIGSEGV",
            6,
        ),
    ],
)
def test_a_fatal_error_is_told_with_its_cause_and_the_cells_line(tmp_path, cell, cause, signal_name, line):
    death = _die(tmp_path, cell)
    assert death["cause"] == cause and death["signal"] == signal_name, death
    assert death["execution_count"] == 2 and death["line"] == line, death
    assert death["code"] == cell.splitlines()[0] and death["evidence"], death
    assert death["notebook"] == str(tmp_path / "analysis.ipynb")
    assert death["started"] <= death["died"]


@pytest.mark.slow
def test_os_exit_is_an_exit_with_its_code(tmp_path):
    death = _die(tmp_path, "import os\nos._exit(3)\n")
    assert death["cause"] == "exit" and death["exit_code"] == 3 and death["line"] == 2, death


@pytest.mark.slow
def test_kill_9_from_outside_is_killed_and_the_next_kernel_says_so_once(tmp_path):
    manager, client = _start(tmp_path)
    try:
        client.execute("import time\ntime.sleep(60)\n")
        time.sleep(0.5)
        os.kill(manager.provisioner.process.pid, signal.SIGKILL)
        _wait_dead(manager)
    finally:
        client.stop_channels()
    second, client2 = _start(tmp_path)
    try:
        first = client2.loaded
        assert "nblint: the previous kernel of analysis.ipynb died at" in first.stderr, first.shown
        assert "while running cell [2] import time: killed by a signal from outside the kernel" in first.stderr
        assert "nblint why analysis.ipynb for the details" in first.stderr
        again = run(client2, "y = 3\n")
        assert "previous kernel" not in again.shown
    finally:
        client2.stop_channels()
        second.shutdown_kernel(now=False)
    result = _why(tmp_path, "--format", "json")
    (death,) = json.loads(result.stdout)
    assert result.returncode == 1 and death["cause"] == "killed" and death["execution_count"] == 2, death
    text = _why(tmp_path)
    assert text.returncode == 0 and "no kernel death recorded" in text.stdout, text.stdout  # told by `why` already
    assert _why(tmp_path, "--all").returncode == 1


@pytest.mark.slow
def test_a_clean_shutdown_and_a_requested_restart_are_no_deaths(tmp_path):
    manager, client = _start(tmp_path)
    try:
        manager.restart_kernel(now=False)
        client.wait_for_ready(timeout=60)
        assert run(client, "%load_ext nblint\n").status == "ok"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    records = list((tmp_path / "runtime" / "nblint").iterdir())
    assert len(records) == 2
    result = _why(tmp_path, "--all", "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout) == [], result.stdout


def _make_cgroup(tmp_path: Path) -> tuple[Path, Path]:
    name = f"nblint-why-{uuid.uuid4().hex[:8]}"
    v2 = Path("/sys/fs/cgroup/cgroup.controllers")
    if v2.exists() and "memory" in v2.read_text():
        folder, limit_file = Path("/sys/fs/cgroup") / name, "memory.max"
    else:
        folder, limit_file = Path("/sys/fs/cgroup/memory") / name, "memory.limit_in_bytes"
    try:
        folder.mkdir()
        (folder / limit_file).write_text(str(1 << 30))
    except OSError as exc:
        pytest.skip(f"no memory cgroup of its own can be made here ({exc}), so no real OOM kill")
    return folder, folder / "cgroup.procs"


@pytest.mark.slow
def test_an_oom_kill_in_a_small_cgroup_is_out_of_memory(tmp_path):
    folder, procs = _make_cgroup(tmp_path)
    try:
        spec = tmp_path / "kernels" / "cgrouped"
        spec.mkdir(parents=True)
        wrapper = spec / "launch.sh"
        wrapper.write_text(f'#!/bin/sh\necho $$ > {procs}\nexec {sys.executable} -m ipykernel_launcher -f "$1"\n')
        wrapper.chmod(0o755)
        (spec / "kernel.json").write_text(
            json.dumps({"argv": [str(wrapper), "{connection_file}"], "display_name": "cgrouped", "language": "python"})
        )
        os.environ["JUPYTER_PATH"] = str(tmp_path)
        try:
            death = _die(
                tmp_path, "n = 2 * 1024**3\nblob = b'x' * n  # nblint: ignore[NB103]\n", kernel_name="cgrouped"
            )
        finally:
            os.environ.pop("JUPYTER_PATH", None)
        assert death["cause"] == "out-of-memory", death
        assert death["memory_limit"] == 1 << 30 and death["execution_count"] == 2
        assert any("oom_kill" in item or "Killed process" in item for item in death["evidence"]), death
    finally:
        for _ in range(50):
            try:
                folder.rmdir()
                break
            except OSError:
                time.sleep(0.1)


def test_no_record_is_no_death_and_exit_0(tmp_path):
    result = _why(tmp_path, str(tmp_path / "analysis.ipynb"))
    assert result.returncode == 0 and "no kernel death recorded for" in result.stdout, result.stdout
    assert json.loads(_why(tmp_path, "--format", "json").stdout) == []


@pytest.mark.slow
def test_a_guard_loaded_at_startup_tells_in_the_first_cells_output(tmp_path):
    from kernel import start_kernel

    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text('c.InteractiveShellApp.extensions = ["nblint"]\n')
    os.environ["JPY_SESSION_NAME"] = str(tmp_path / "startup.ipynb")
    try:
        manager, client = start_kernel(tmp_path)
        try:
            client.execute("import os\nos.abort()\n")
            _wait_dead(manager)
        finally:
            client.stop_channels()
        manager, client = start_kernel(tmp_path)
        try:
            first, second = run(client, "1\n"), run(client, "2\n")
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=False)
    finally:
        os.environ.pop("JPY_SESSION_NAME", None)
    assert first.stderr.startswith("nblint: the previous kernel of startup.ipynb died at "), first.shown
    assert "while running cell [1] import os: aborted (SIGABRT) at line 2 of the cell" in first.stderr
    assert "previous kernel" not in second.shown
