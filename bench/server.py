"""`nblint server` speed: re-analysing a notebook after a one-character edit, against a cold `nblint check`.

    python3 bench/server.py [--cells 100] [--edits 40] [--runs 5] [--notebook FILE]

What the server does on each edit, timed in process (the analysis job the server runs on its analysis
thread, without the JSON-RPC around it): the editor's cells -> notebook JSON -> the engine, with the
notebook's CellCache, findings by cell. The notebook is nblint.testing.many_cells_notebook(N) (the
scaling tests' generator: one cell in five markdown, the rest numpy code with a loop) unless --notebook
names a real one. Each edit types one character into a different code cell, keeping it valid Python.
Reported: the median (and 90th percentile) of the edits, the first analysis (opening the notebook:
nothing cached), and a cold `nblint check --no-cache` of the same notebook in a fresh process (median of
--runs), with their ratio. The issue's target: under 50 ms median for 100 cells.

Then the same through the real server (`nblint server --debounce 0` over stdio, driven by the tests'
JSON-RPC client): from sending an edit to receiving the diagnostics it changes, each edit adding or
removing an allocation nblint reports in one cell of the notebook.

    python3 bench/server.py --startup [--runs 10]

Startup as JupyterLab meets it (it restarts the server on every page load): a fresh `nblint server`
process per run, spoken to by the tests' client. Reported: from starting the process to the answer to
`initialize` (target: under 0.5 s), and from sending `didOpen` of a small notebook (sent right after
`initialized`, as clients do) to its first diagnostics (target: under 1 s); medians and maxima of --runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nblint.run.config import Overrides  # noqa: E402
from nblint.server.analysis import Analyser  # noqa: E402
from nblint.server.documents import CODE, MARKUP, CellSnapshot, NotebookSnapshot  # noqa: E402
from nblint.server.settings import ServerSettings  # noqa: E402
from nblint.testing import many_cells_notebook, notebook_text  # noqa: E402


def snapshot_of(path: Path, data: dict, version: int = 1) -> NotebookSnapshot:
    cells = []
    for index, cell in enumerate(data["cells"]):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        kind = MARKUP if cell.get("cell_type") == "markdown" else CODE
        language = {"markdown": "markdown", "raw": "raw"}.get(cell.get("cell_type"), "python")  # as VS Code sends them
        cells.append(CellSnapshot(f"vscode-notebook-cell:{path}#{index}", kind, language, source))
    return NotebookSnapshot(path.as_uri(), version, path, tuple(cells), None)


def type_one_character(snapshot: NotebookSnapshot, edit: int) -> NotebookSnapshot:
    """A keystroke in the edit-th code cell (round the notebook): a digit after its first digit, or a
    space at the end of its first line, so the cell stays valid Python."""
    code = [i for i, cell in enumerate(snapshot.cells) if cell.kind == CODE]
    index = code[(edit * 7) % len(code)]
    cell = snapshot.cells[index]
    text = cell.text
    digit = next((i for i, ch in enumerate(text) if ch.isdigit()), None)
    if digit is not None:
        text = text[: digit + 1] + "1" + text[digit + 1 :]
    else:
        first_end = text.find("\n")
        text = text + " " if first_end < 0 else text[:first_end] + " " + text[first_end:]
    cells = list(snapshot.cells)
    cells[index] = CellSnapshot(cell.uri, cell.kind, cell.language, text, cell.metadata)
    return NotebookSnapshot(snapshot.uri, snapshot.version + 1, snapshot.path, tuple(cells), snapshot.metadata)


def cold_check(path: Path, runs: int) -> float:
    times = []
    for _ in range(runs + 1):  # the first is a warm-up (bytecode, the OS's file cache)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "nblint", "check", "--no-cache", str(path)],
            capture_output=True,
            cwd=path.parent,
            env={"PYTHONPATH": str(REPO), "PATH": ""},
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def through_the_server(data: dict, edits: int) -> list[float]:
    sys.path.insert(0, str(REPO / "tests"))
    from lspclient import LspClient

    times = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.ipynb"
        path.write_text(notebook_text(data), encoding="utf-8")
        client = LspClient("--debounce", "0", cwd=Path(folder), env={"PYTHONPATH": str(REPO)})
        try:
            client.request(
                "initialize",
                {
                    "processId": None,
                    "rootUri": Path(folder).as_uri(),
                    "capabilities": {"notebookDocument": {"synchronization": {}}},
                },
            )
            client.notify("initialized", {})
            snapshot = snapshot_of(path, data)
            client.notify(
                "notebookDocument/didOpen",
                {
                    "notebookDocument": {
                        "uri": snapshot.uri,
                        "notebookType": "jupyter-notebook",
                        "version": 1,
                        "cells": [{"kind": cell.kind, "document": cell.uri} for cell in snapshot.cells],
                    },
                    "cellTextDocuments": [
                        {"uri": cell.uri, "languageId": cell.language, "version": 1, "text": cell.text}
                        for cell in snapshot.cells
                    ],
                },
            )
            code = [cell for cell in snapshot.cells if cell.kind == CODE]
            target = code[len(code) // 2]
            line = "big = np.zeros((10**6, 10**6))\n"
            for edit in range(edits):
                adding = edit % 2 == 0
                start = {"line": 0, "character": 0}
                end = {"line": 1, "character": 0} if not adding else start
                before = len(client.publications)
                sent = time.perf_counter()
                client.notify(
                    "notebookDocument/didChange",
                    {
                        "notebookDocument": {"uri": snapshot.uri, "version": edit + 2},
                        "change": {
                            "cells": {
                                "textContent": [
                                    {
                                        "document": {"uri": target.uri, "version": edit + 2},
                                        "changes": [
                                            {"range": {"start": start, "end": end}, "text": line if adding else ""}
                                        ],
                                    }
                                ]
                            }
                        },
                    },
                )
                client.wait_for(
                    lambda target=target, before=before: any(
                        uri == target.uri for uri, _ in client.publications[before:]
                    ),
                    60,
                )
                times.append(time.perf_counter() - sent)
        finally:
            client.shutdown()
    return times


STARTUP_CELLS = ["import numpy as np\n", "N = 100_000\n", "x = np.zeros((N, N))\n", "!pip install pandas\n"]


def startup(runs: int) -> int:
    """Fresh servers: process start -> initialize answered, didOpen -> first diagnostics."""
    sys.path.insert(0, str(REPO / "tests"))
    from lspclient import LspClient

    answered, diagnosed = [], []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "startup.ipynb"
        data = {
            "cells": [
                {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": text}
                for text in STARTUP_CELLS
            ],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        path.write_text(notebook_text(data), encoding="utf-8")
        cells = [
            CellSnapshot(f"{path.as_uri()}#cell{index}", CODE, "python", text)
            for index, text in enumerate(STARTUP_CELLS)
        ]
        for _ in range(runs + 1):  # the first is a warm-up (bytecode, the OS's file cache)
            start = time.perf_counter()
            client = LspClient("--debounce", "0", cwd=Path(folder), env={"PYTHONPATH": str(REPO)})
            try:
                client.request(
                    "initialize",
                    {
                        "processId": None,
                        "rootUri": Path(folder).as_uri(),
                        "capabilities": {"notebookDocument": {"synchronization": {}}},
                    },
                )
                initialized = time.perf_counter()
                client.notify("initialized", {})
                client.notify(
                    "notebookDocument/didOpen",
                    {
                        "notebookDocument": {
                            "uri": path.as_uri(),
                            "notebookType": "jupyter-notebook",
                            "version": 1,
                            "cells": [{"kind": CODE, "document": cell.uri} for cell in cells],
                        },
                        "cellTextDocuments": [
                            {"uri": cell.uri, "languageId": "python", "version": 1, "text": cell.text} for cell in cells
                        ],
                    },
                )
                opened = time.perf_counter()
                client.wait_for(
                    lambda client=client: any(found for _, found in client.publications), 60, "the first diagnostics"
                )
                published = time.perf_counter()
            finally:
                client.shutdown()
            answered.append(initialized - start)
            diagnosed.append(published - opened)
    answered, diagnosed = answered[1:], diagnosed[1:]
    print(
        f"process start -> initialize answered: median {statistics.median(answered) * 1000:.0f} ms, "
        f"max {max(answered) * 1000:.0f} ms ({runs} runs; target 500 ms)"
    )
    print(
        f"didOpen -> first diagnostics:         median {statistics.median(diagnosed) * 1000:.0f} ms, "
        f"max {max(diagnosed) * 1000:.0f} ms (target 1000 ms)"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average (1 min) after the run: {load:.2f} on {os.cpu_count()} CPUs")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=100)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--notebook", type=Path, help="a real notebook instead of the generated one")
    parser.add_argument("--startup", action="store_true", help="time fresh servers: initialize, first diagnostics")
    args = parser.parse_args()
    if args.startup:
        return startup(args.runs)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.ipynb"
        if args.notebook is not None:
            data = json.loads(args.notebook.read_text(encoding="utf-8"))
            path.write_bytes(args.notebook.read_bytes())
        else:
            data = many_cells_notebook(args.cells)
            path.write_text(notebook_text(data), encoding="utf-8")
        analyser = Analyser(ServerSettings(Overrides()))
        snapshot = snapshot_of(path, data)

        start = time.perf_counter()
        first = analyser.notebook(snapshot)
        opening = time.perf_counter() - start

        edits, cpu = [], []
        for edit in range(args.edits):
            snapshot = type_one_character(snapshot, edit)
            start, start_cpu = time.perf_counter(), time.thread_time()
            outcome = analyser.notebook(snapshot)
            edits.append(time.perf_counter() - start)
            cpu.append(time.thread_time() - start_cpu)
        cold = cold_check(path, args.runs)

    cells = len(snapshot.cells)
    code_cells = sum(cell.kind == CODE for cell in snapshot.cells)
    lines = sum(cell.text.count("\n") + 1 for cell in snapshot.cells if cell.kind == CODE)
    median = statistics.median(edits)
    p90 = sorted(edits)[int(len(edits) * 0.9) - 1]
    findings = sum(len(found) for found in outcome.findings.values())
    print(
        f"notebook: {args.notebook or f'many_cells_notebook({args.cells})'}: {cells} cells ({code_cells} code, ~{lines} lines), "
        f"{sum(len(found) for found in first.findings.values())} findings on open, {findings} after the edits"
    )
    print(f"open (nothing cached):            {opening * 1000:7.1f} ms")
    print(
        f"one-character edit, median:       {median * 1000:7.1f} ms   (90th percentile {p90 * 1000:.1f} ms, {len(edits)} edits)"
    )
    print(
        f"  its CPU time, median:           {statistics.median(cpu) * 1000:7.1f} ms   (what it costs on an idle core)"
    )
    print(f"cold `nblint check --no-cache`:   {cold * 1000:7.1f} ms   (median of {args.runs}, a fresh process)")
    print(f"edit / cold check:                {median / cold:7.3f}")
    round_trips = through_the_server(data, args.edits)
    print(
        f"through the server, edit -> diagnostics, median: {statistics.median(round_trips) * 1000:.1f} ms "
        f"(90th percentile {sorted(round_trips)[int(len(round_trips) * 0.9) - 1] * 1000:.1f} ms, --debounce 0)"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average (1 min) after the run: {load:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
