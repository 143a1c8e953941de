"""The guard while a cell runs, in real kernels (jupyter_client + ipykernel): the memory watcher stops a cell
before the limit that would get the kernel killed, and the kernel lives on with its variables.

The limit is a memory cgroup of the kernel's own where one can be made (root, cgroup v1 or v2; skipped,
saying why, elsewhere), else `MEM_LIMIT`, which the guard takes as a limit too. Every allocation here is a
few hundred MiB, inside the kernel's limit.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("ipykernel", reason="the guard's tests need ipykernel (the test extra)")

from cgroupkernel import NoCgroup, cgroup_kernel, oom_kills  # noqa: E402
from kernel import run, start_kernel  # noqa: E402

GIB = 1 << 30
MIB = 1 << 20
# Grows by 8 MiB of written pages per step until stopped, at most to 1.25 GiB (past every limit here, and
# within what a test may take of this machine were the watcher to miss it).
GROW_FOREVER = "data = []\nwhile len(data) < 160:\n    data.append(b'x' * (8 << 20))\n"


def grow_to(upto: int) -> str:
    return (
        f"import os\npage = os.sysconf('SC_PAGE_SIZE')\ndata = []\n"
        f"while int(open('/proc/self/statm').read().split()[1]) * page < {upto}:\n"
        f"    data.append(b'x' * (8 << 20))\nprint('grew to', len(data))\n"
    )


def _start_mem_limit_kernel(folder, limit: int, config: str = ""):
    import os

    if config:
        (folder / "nblint.toml").write_text(config)
    os.environ["MEM_LIMIT"] = str(limit)
    try:  # start_kernel drops MEM_LIMIT from its environment; put it back for this kernel only
        from jupyter_client.manager import start_new_kernel
        from kernel import REPO

        env = dict(
            os.environ,
            IPYTHONDIR=str(folder / "ipython"),
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        )
        return start_new_kernel(kernel_name="python3", env=env, cwd=str(folder), startup_timeout=60)
    finally:
        del os.environ["MEM_LIMIT"]


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """A kernel whose MEM_LIMIT is 512 MiB."""
    folder = tmp_path_factory.mktemp("watch-mem-limit")
    manager, client = _start_mem_limit_kernel(folder, 512 * MIB)
    try:
        setup = run(client, "%load_ext nblint\nearlier = 'kept'\n")
        assert setup.status == "ok", setup.shown
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.slow
def test_a_loop_growing_past_mem_limit_is_stopped_in_one_line_and_the_kernel_keeps_its_variables(limited):
    stopped = run(limited, GROW_FOREVER)
    assert stopped.status == "error" and stopped.ename == "CellStopped", stopped.shown
    assert len(stopped.traceback) == 1 and "Traceback" not in stopped.shown, stopped.traceback
    line = stopped.traceback[0]
    assert "nblint stopped this cell: the kernel reached " in line and "of the 512 MiB it may use (MEM_LIMIT)" in line
    assert re.search(r", growing [\d.]+ [MG]B/s;", line) and "chunks" in line and "smaller dtype" in line
    after = run(limited, "print(earlier, isinstance(MemoryError(), MemoryError), len(data) > 10)\ndel data\n")
    assert after.status == "ok" and after.stdout.strip() == "kept True True", after.shown
    # `except MemoryError` in the notebook's own code sees it as what it is.
    caught = run(
        limited,
        "try:\n"
        + "".join("    " + line + "\n" for line in GROW_FOREVER.splitlines())
        + "except MemoryError as exc:\n    del data\n    print('caught', type(exc).__name__)\n",
    )
    assert caught.status == "ok" and caught.stdout.strip() == "caught CellStopped", caught.shown


@pytest.mark.slow
def test_a_cell_under_the_limit_that_frees_what_it_used_is_never_stopped(limited):
    for _ in range(3):  # 400 MiB of the 460 MiB at which the cell would be stopped, then freed
        result = run(limited, grow_to(400 * MIB) + "del data\n")
        assert result.status == "ok" and result.stdout.startswith("grew to"), result.shown


@pytest.mark.slow
@pytest.mark.xfail(
    reason="flaky on a loaded machine: the watcher's first sample can come late (seen once in CI-like run)",
    strict=False,
)
def test_nblint_off_lets_the_cell_grow_and_on_stops_it_again(limited):
    bounded = grow_to(490 * MIB)  # past the 90% threshold (461 MiB), under the limit
    off = run(limited, "%nblint off\n")
    assert off.status == "ok" and "guard off" in off.stdout
    ran = run(limited, bounded)
    assert ran.status == "ok" and ran.stdout.startswith("grew to"), ran.shown
    run(limited, "%nblint on\n")
    # Memory an earlier cell holds past the threshold stops nothing: only a cell that grows is stopped.
    small = run(limited, "more = [0] * 1000\nprint(len(more))\n")
    assert small.status == "ok" and small.stdout.strip() == "1000", small.shown
    run(limited, "del data\n")
    stopped = run(limited, bounded)
    assert stopped.status == "error" and stopped.ename == "CellStopped", stopped.shown
    run(limited, "del data\n")


@pytest.mark.slow
def test_the_watcher_costs_under_one_percent_of_a_core_over_a_ten_second_cell(limited):
    cell = (
        "import time\nfrom nblint.guard.extension import _GUARDS\nwatch = next(iter(_GUARDS.values())).watch\n"
        "cpu, samples = watch.cpu_seconds, watch.samples\ntime.sleep(10)\n"
    )
    assert run(limited, cell, timeout=60).status == "ok"
    result = run(limited, "print(watch.cpu_seconds - cpu, watch.samples - samples)\n")
    seconds, samples = result.stdout.split()
    assert float(seconds) < 0.1, result.stdout  # 1% of 10 s
    assert int(samples) >= 50, result.stdout  # it did sample: ~100 ms apart, for each limit


@pytest.mark.slow
def test_interrupt_at_as_a_size_from_the_configuration_stops_the_cell_there(tmp_path):
    (tmp_path / "nblint.toml").write_text('interrupt-at = "300 MiB"\n')
    manager, client = start_kernel(tmp_path)  # no MEM_LIMIT: the size is of the kernel's resident memory
    try:
        assert run(client, "%load_ext nblint\nkept = 7\n").status == "ok"
        status = run(client, "%nblint\n")
        assert "interrupt-at: 300 MiB" in status.stdout, status.stdout
        stopped = run(client, GROW_FOREVER)
        assert stopped.status == "error" and stopped.ename == "CellStopped", stopped.shown
        assert "past interrupt-at = 300 MiB" in stopped.traceback[0]
        assert run(client, "del data\nprint(kept)\n").stdout.strip() == "7"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_interrupt_at_false_never_starts_the_watcher_and_bad_values_are_refused(tmp_path):
    from nblint.core.options import OptionError, parse_threshold

    assert parse_threshold(0.9) == 0.9 and parse_threshold("85%") == 0.85 and parse_threshold(1) == 1.0
    assert parse_threshold("1.5 GiB") == 3 * GIB // 2 and parse_threshold(False) is None
    for bad in (0, 1.5, "0%", "150%", "lots", True, "0 GiB"):
        with pytest.raises(OptionError):
            parse_threshold(bad)


@pytest.mark.slow
def test_an_internal_error_stops_the_watcher_quietly_and_the_cells_run(tmp_path):
    manager, client = start_kernel(tmp_path)
    try:
        assert run(client, "%load_ext nblint\n").status == "ok"
        broken = run(client, "import nblint.guard.watch as w\nw.limits = lambda at: 1 / 0\n")
        assert broken.status == "ok", broken.shown
        ran = run(client, "print('ran')\n")
        assert ran.status == "ok" and ran.stdout.strip() == "ran" and ran.stderr == "", ran.shown
        status = run(client, "%nblint\n")
        assert "the watcher stopped after an internal error (ZeroDivisionError" in status.stdout, status.stdout
        assert run(client, "print('still')\n").stdout.strip() == "still"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


# -- in a memory cgroup of the kernel's own ------------------------------------------------------------


@pytest.fixture(scope="module")
def in_cgroup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("watch-cgroup")
    try:
        with cgroup_kernel(folder, GIB) as (manager, client, cgroup):
            setup = run(client, "%load_ext nblint\nearlier = list(range(1000))\n")
            assert setup.status == "ok", setup.shown
            yield manager, client, cgroup
    except NoCgroup as exc:
        pytest.skip(f"no memory cgroup of its own for the kernel: {exc}")


@pytest.mark.slow
@pytest.mark.xfail(
    reason="passes alone (2 of 2 in 5 s); in the whole suite on a loaded 2-core machine the cell got no reply "
    "in 60 s once (issue 19: find why before this mark goes)",
    strict=False,
)
def test_in_a_1_gib_cgroup_a_growing_loop_is_stopped_before_the_oom_killer(in_cgroup):
    manager, client, cgroup = in_cgroup
    pid = manager.provisioner.pid if manager.provisioner is not None else None
    status = run(client, "%nblint\n")
    assert "from cgroup v" in status.stdout, status.stdout  # the guard sees the cgroup as its limit
    for _ in range(2):  # twice: a stopped kernel can be stopped again
        stopped = run(client, GROW_FOREVER)
        assert stopped.status == "error" and stopped.ename == "CellStopped", stopped.shown
        assert "of the 1.00 GiB it may use (cgroup limit)" in stopped.traceback[0], stopped.traceback
        after = run(client, "print(sum(earlier), len(data) > 50)\ndel data\n")
        assert after.status == "ok" and after.stdout.strip() == "499500 True", after.shown
    assert oom_kills(cgroup) == 0
    assert manager.is_alive() and (pid is None or manager.provisioner.pid == pid)


@pytest.mark.slow
@pytest.mark.xfail(
    reason="passes alone (2 of 2 in 5 s); in the whole suite on a loaded 2-core machine the cell got no reply "
    "in 60 s once (issue 19: find why before this mark goes)",
    strict=False,
)
def test_in_a_1_gib_cgroup_a_cell_using_600_mib_and_freeing_it_is_never_stopped(in_cgroup):
    _, client, cgroup = in_cgroup
    for _ in range(3):
        result = run(client, grow_to(600 * MIB) + "del data\n")
        assert result.status == "ok" and result.stdout.startswith("grew to"), result.shown
    assert oom_kills(cgroup) == 0


# -- an output flood ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_output_flood_past_10_mb_is_held_back_and_written_whole_to_the_file_it_names(tmp_path):
    import os

    runtime = tmp_path / "runtime"
    os.environ["JUPYTER_RUNTIME_DIR"] = str(runtime)
    try:
        manager, client = start_kernel(tmp_path)
    finally:
        del os.environ["JUPYTER_RUNTIME_DIR"]
    try:
        assert run(client, "%load_ext nblint\n").status == "ok"
        line = "y" * 99
        flood = run(client, f"for i in range(200_000):\n    print(i, {line!r})\nprint('end')\n", timeout=120)
        assert flood.status == "ok", flood.stderr[-500:]
        assert len(flood.stdout) <= 10_000_000 and "end" not in flood.stdout
        said = re.search(
            r"nblint held back ([\d.]+) MB of this cell's output \(max-cell-output = 10.0 MB\); "
            r"all ([\d.]+) MB of it is in (\S+)",
            flood.stderr,
        )
        assert said and flood.stderr.count("passed max-cell-output") == 1, flood.stderr[-1000:]
        written = (
            (tmp_path / said.group(3)).read_text() if not said.group(3).startswith("/") else open(said.group(3)).read()
        )
        assert said.group(3).startswith(str(runtime / "nblint"))
        expected = "".join(f"{i} {line}\n" for i in range(200_000)) + "end\n"
        assert written.endswith(expected) and len(written) - len(expected) < 2000  # the guard's NB401 warning first
        small = run(client, "import sys\nprint('small')\nprint(type(sys.stdout).__name__)\n")
        assert small.stdout == "small\n_Wrapped\n", small.shown  # wrapped while a cell runs
        run(client, "%nblint off\n")
        assert type_after(client) == "OutStream"  # off: the streams are the kernel's own
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def type_after(client) -> str:
    return run(client, "import sys\nprint(type(sys.stdout).__name__)\n").stdout.strip()
