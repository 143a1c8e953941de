"""What the guard's watchers cost while a cell runs.

    python3 bench/guard_watch.py [--seconds 10]

1. The watcher thread's CPU time (time.thread_time) over a cell that sleeps `--seconds`, in a real kernel
   (jupyter_client + ipykernel) with MEM_LIMIT set, as a share of one core (target: < 1%).
2. The per-cell cost in the main thread of arming and pausing the watcher and wrapping / restoring the
   output streams (pre_run_cell + post_run_cell of watch.py and flood.py), median over 10,000 cells.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def thread_cost(seconds: float) -> tuple[float, int]:
    from jupyter_client.manager import start_new_kernel
    from kernel import run

    with tempfile.TemporaryDirectory() as folder:
        env = dict(
            os.environ,
            IPYTHONDIR=str(Path(folder) / "ipython"),
            MEM_LIMIT=str(4 << 30),
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        )
        manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=folder)
        try:
            run(
                client,
                "%load_ext nblint\nimport time\nfrom nblint.guard.extension import _GUARDS\n"
                "watch = next(iter(_GUARDS.values())).watch\n",
            )
            run(
                client,
                f"cpu, samples = watch.cpu_seconds, watch.samples\ntime.sleep({seconds})\n",
                timeout=seconds + 60,
            )
            out = run(client, "print(watch.cpu_seconds - cpu, watch.samples - samples)\n").stdout.split()
            return float(out[0]), int(out[1])
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def per_cell(cells: int = 10_000) -> float:
    from nblint.guard.flood import Flood
    from nblint.guard.watch import Watch

    watch = Watch(0.9, lambda: True)
    flood = Flood(10_000_000, lambda: True)
    times = []
    for _ in range(cells):
        started = time.perf_counter()
        watch.pre_run_cell()
        flood.pre_run_cell()
        flood.post_run_cell()
        watch.post_run_cell()
        times.append(time.perf_counter() - started)
    watch.close()
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    print(f"watch + flood per cell in the main thread: median {per_cell() * 1e6:.1f} us")
    cpu, samples = thread_cost(args.seconds)
    print(
        f"watcher thread over a {args.seconds:g} s cell: {cpu * 1000:.1f} ms CPU ({cpu / args.seconds:.3%} of a core), "
        f"{samples} samples; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
