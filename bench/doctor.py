"""What `nblint doctor` costs on a machine with many kernelspecs (issue 22's bar: 20 kernelspecs checked
in under 10 s, without --start).

    python3 bench/doctor.py [--kernels 20] [--runs 3]

Builds, in a temporary JUPYTER_PATH / JUPYTER_DATA_DIR / IPYTHONDIR, one venv per kernelspec (each
sees this interpreter's site-packages through a .pth file, so each has ipykernel and the full list of
distributions that NB807 reads), one kernelspec per venv, and an IPython startup file for every other
kernel (NB805 runs it). Then times the real CLI, `nblint doctor --format json`, in a subprocess: the
median wall time of --runs runs, the CPU time of the doctor and its probes, and the load average, since
the machine is shared. The figure is wall seconds against the 10 s budget.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import site
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def build(folder: Path, count: int) -> dict[str, str]:
    site_packages = next(p for p in site.getsitepackages() if p.endswith("site-packages"))
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for number in range(count):
        venv = folder / f"venv{number}"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
        (venv / "lib" / version / "site-packages" / "outer.pth").write_text(site_packages + "\n")
        spec = {
            "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": f"venv {number}",
            "language": "python",
        }
        if number % 2:
            ipython = folder / f"ipython{number}"
            startup = ipython / "profile_default" / "startup"
            startup.mkdir(parents=True)
            (startup / "00-setup.py").write_text("import json, os\nSETTINGS = {'ready': True}\n")
            spec["env"] = {"IPYTHONDIR": str(ipython)}
        kernel = folder / "jupyter" / "kernels" / f"bench{number}"
        kernel.mkdir(parents=True)
        (kernel / "kernel.json").write_text(json.dumps(spec))
    return {"JUPYTER_PATH": str(folder / "jupyter"), "JUPYTER_DATA_DIR": str(folder / "jupyter-data")}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernels", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nblint-bench-doctor-") as name:
        folder = Path(name)
        env = {**os.environ, **build(folder, args.kernels)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        walls, cpus, checked = [], [], 0
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "nblint", "doctor", "--format", "json"],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            walls.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            findings = json.loads(done.stdout)
            mine = [f for f in findings if "bench" in f["path"]]
            if mine:
                print("unexpected findings:", mine[:3], file=sys.stderr)
                return 1
            checked = args.kernels
        wall = statistics.median(walls)
        print(f"{checked} kernelspecs (each its own venv), without --start, load average {os.getloadavg()[0]:.1f}:")
        print(
            f"  wall  median {wall:.2f} s (runs: {', '.join(f'{w:.2f}' for w in walls)}), budget 10 s: {wall / 10:.0%} of it"
        )
        print(f"  CPU   median {statistics.median(cpus):.2f} s (the doctor and every probe it ran)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
