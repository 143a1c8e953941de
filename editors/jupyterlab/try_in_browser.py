"""Try `nblint server` where JupyterLab users meet it: JupyterLab 4 + jupyterlab-lsp in headless Chromium.

Run it with the Python of an environment that holds jupyterlab, jupyterlab-lsp, playwright and nblint with
its `server` extra (a separate venv, so that a development venv stays clean):

    python -m venv /work/jlab-venv
    /work/jlab-venv/bin/pip install jupyterlab jupyterlab-lsp playwright -e ".[server]"
    /work/jlab-venv/bin/python editors/jupyterlab/try_in_browser.py --out /tmp/jlab-try

It installs nothing: a missing piece (Chromium, jupyterlab-lsp, playwright, the server extra) is named in a
one-line message, exit 2. Playwright drives the system Chromium (`--chromium`, default /usr/bin/chromium), so
no browser download is needed.

What it does: writes a project folder holding a `nblint.toml` beside three notebooks, starts JupyterLab on it
(fresh settings, workspaces and runtime folders; no token prompt), opens each notebook and reads what the
browser shows:

- `loud.ipynb`: NB101 on `np.zeros((100000, 100000))`, and NB501/NB502 on `!pip install requests` (which
  jupyterlab-lsp sends as `get_ipython().getoutput(...)`); the config selects NB501/NB502, off by default;
- `quiet.ipynb`: the same cells; `per-file-ignores` in the config beside it drops NB101 there;
- `skipped.ipynb`: the same cells; `exclude`d, so no diagnostics at all.

jupyterlab-lsp sends these as `ROOT/.virtual_documents/proj/*.ipynb`: the config only takes effect if the
server maps that back to `ROOT/proj/`. It times each page load to the first diagnostic on screen (jupyterlab-lsp
starts the server again on each load), hovers the NB101 range, opens the diagnostics panel, and saves
screenshots. Exit 0 when everything expected was seen, 1 otherwise; a JSON summary goes to OUT/summary.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

CONFIG = """\
# beside the notebooks (jupyterlab-lsp sends them from ../.virtual_documents/proj/)
extend-select = ["NB501", "NB502"]
exclude = ["skipped.ipynb"]
per-file-ignores = { "quiet.ipynb" = ["NB101"] }
"""

CELLS = [
    "import numpy as np\nimport pandas as pd",
    "a = np.zeros((100000, 100000))",  # NB101
    'df = pd.read_csv("/Users/alice/projects/churn/train.csv")',  # NB503
    "!pip install requests",  # NB501 (unpinned), sent as get_ipython().getoutput("pip install requests")
    "!pip install requests==2.32.3",  # NB502 (`!pip`, not `%pip`)
]

# per notebook: the codes the server must publish (read from the WebSocket), those it must not, and those
# the browser must show. jupyterlab-lsp never shows a diagnostic that starts on a line it rewrote (`!`, `%`
# lines: `skipInspect` in its virtual document), so NB501/NB502 are published but not shown.
EXPECTED = {
    "loud.ipynb": ({"NB101", "NB503", "NB501", "NB502"}, set(), {"NB101", "NB503"}),
    "quiet.ipynb": ({"NB503", "NB501", "NB502"}, {"NB101"}, {"NB503"}),
    "skipped.ipynb": (set(), {"NB101", "NB503", "NB501", "NB502"}, set()),
}

LINT_RANGE = ".jp-Notebook .cm-lintRange"
FIRST_DIAGNOSTIC_TIMEOUT = 60.0  # seconds: a loaded machine; an absent diagnostic is reported, not hung on
QUIET_WAIT = 10.0  # seconds to watch a notebook that should show nothing


class Traffic:
    """The LSP messages between the page and jupyter-lsp's WebSocket (/lsp/ws/nblint), with their times."""

    def __init__(self, page, started: float) -> None:
        self.started = started
        self.initialize_sent: float | None = None
        self.initialize_answered: float | None = None
        self.first_publish: float | None = None
        self.published: dict[str, list[dict]] = {}  # uri -> the last diagnostics published on it
        page.on("websocket", self._socket)

    def _socket(self, socket) -> None:
        if "/lsp/ws/" in socket.url:
            socket.on("framesent", lambda payload: self._frame(payload, sent=True))
            socket.on("framereceived", lambda payload: self._frame(payload, sent=False))

    def _frame(self, payload, sent: bool) -> None:
        try:
            message = json.loads(payload)
        except (TypeError, ValueError):
            return
        now = time.monotonic() - self.started
        if sent and message.get("method") == "initialize" and self.initialize_sent is None:
            self.initialize_sent, self._initialize_id = now, message.get("id")
        elif not sent and self.initialize_sent is not None and self.initialize_answered is None:
            if "result" in message and message.get("id") == self._initialize_id:
                self.initialize_answered = now
        if not sent and message.get("method") == "textDocument/publishDiagnostics":
            params = message["params"]
            self.published[params["uri"]] = params["diagnostics"]
            if params["diagnostics"] and self.first_publish is None:
                self.first_publish = now

    def codes(self) -> set[str]:
        return {d.get("code") for found in self.published.values() for d in found}


def missing_prerequisite(chromium: str) -> str | None:
    """The first thing this try needs and does not find, as a message; None when all are there."""
    if shutil.which(chromium) is None and not Path(chromium).is_file():
        return f"no Chromium at {chromium} (Debian: apt-get install -y chromium; or pass --chromium PATH)"
    for module, package in [
        ("jupyterlab", "jupyterlab"),
        ("jupyter_lsp", "jupyterlab-lsp"),
        ("playwright", "playwright"),
        ("pygls", "nblint's server extra (pip install -e '.[server]')"),
        ("nblint", "nblint (pip install -e '.[server]')"),
    ]:
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not importable from {sys.executable}: install {package} in this environment"
    lab_lsp = Path(sys.prefix, "share", "jupyter", "labextensions", "@jupyter-lsp", "jupyterlab-lsp")
    if not lab_lsp.is_dir():
        return f"the jupyterlab-lsp lab extension is not installed in {sys.prefix} (pip install jupyterlab-lsp)"
    from importlib.metadata import entry_points

    if not any(ep.name == "nblint" for ep in entry_points(group="jupyter_lsp_spec_v1")):
        return "nblint's jupyter_lsp_spec_v1 entry point is not registered (reinstall nblint in this environment)"
    return None


def write_notebook(path: Path, cells: list[str]) -> None:
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [], "source": src}
            for i, src in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1) + "\n")


def write_project(root: Path) -> Path:
    project = root / "proj"
    project.mkdir(parents=True)
    (project / "nblint.toml").write_text(CONFIG)
    for name in EXPECTED:
        write_notebook(project / name, CELLS)
    return project


def write_lab_settings(settings: Path) -> None:
    """No news or update checks (they would reach the internet and put a notification on the screenshots)."""
    folder = settings / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_lab(root: Path, state: Path, port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTER_CONFIG_DIR=str(state / "config"),  # the user's own jupyter config stays out of it
    )
    write_lab_settings(state / "settings")
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.root_dir={root}",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to open the diagnostics panel
        "--LabApp.news_url=",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")  # containers run as root
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=root)


def wait_for_lab(port: int, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"JupyterLab exited with {process.returncode} before it answered (see its log)")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"JupyterLab did not answer on port {port} within {timeout:.0f} s")


def shown_codes(page) -> set[str]:
    """Codes shown in the diagnostics panel (jupyterlab-lsp's listing of what the server published)."""
    page.evaluate("() => window.jupyterapp.commands.execute('lsp:show-diagnostics-panel')")
    page.wait_for_selector(".lsp-diagnostics-panel-content", timeout=10_000)
    time.sleep(0.5)
    texts = page.eval_on_selector_all(
        ".lsp-diagnostics-panel-content td, .lsp-diagnostics-panel-content th",
        "cells => cells.map(c => c.textContent.trim())",
    )
    return {
        word
        for text in texts
        for word in text.replace(":", " ").split()
        if word.startswith("NB") and word[2:].isdigit()
    }


def open_notebook(context, port: int, name: str, shots: Path, show_any: bool) -> dict:
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    started = time.monotonic()
    traffic = Traffic(page, started)
    page.goto(f"http://127.0.0.1:{port}/lab/tree/proj/{name}?reset", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    cells_at = time.monotonic() - started
    shown_at = None
    try:
        page.wait_for_selector(LINT_RANGE, timeout=(FIRST_DIAGNOSTIC_TIMEOUT if show_any else QUIET_WAIT) * 1000)
        shown_at = time.monotonic() - started
    except Exception:  # playwright's TimeoutError: none appeared
        pass
    time.sleep(2.0)  # let every cell's diagnostics land before reading them
    page.screenshot(path=str(shots / f"{name}.png"))
    entry: dict = {
        "cells_visible_s": round(cells_at, 2),
        "first_diagnostic_shown_s": shown_at and round(shown_at, 2),
        "first_diagnostic_published_s": traffic.first_publish and round(traffic.first_publish, 2),
        "initialize_answered_in_s": (
            round(traffic.initialize_answered - traffic.initialize_sent, 2) if traffic.initialize_answered else None
        ),
    }
    ranges = page.query_selector_all(LINT_RANGE)
    entry["lint_ranges"] = len(ranges)
    if ranges:
        ranges[0].hover()
        try:
            page.wait_for_selector(".cm-tooltip-lint, .cm-tooltip-hover, .lsp-tooltip", timeout=5_000)
            time.sleep(0.8)
            tooltip = page.query_selector_all(".cm-tooltip-lint, .cm-tooltip-hover, .lsp-tooltip")
            entry["hover_text"] = " | ".join(t.inner_text().strip()[:300] for t in tooltip)
        except Exception:
            entry["hover_text"] = None
        page.screenshot(path=str(shots / f"{name}-hover.png"))
        page.mouse.move(0, 0)
    entry["shown"] = sorted(shown_codes(page))
    page.screenshot(path=str(shots / f"{name}-panel.png"))
    entry["published"] = sorted(traffic.codes())
    entry["published_lines"] = sorted(
        (d.get("code"), d["range"]["start"]["line"]) for found in traffic.published.values() for d in found
    )
    entry["published_uris"] = sorted(traffic.published)
    entry["console_problems"] = [line[:300] for line in console if line.startswith(("error", "pageerror"))]
    page.close()
    return entry


def time_reloads(context, port: int, loads: int) -> list[dict]:
    """Page load to first diagnostic published and shown, `loads` times (each load starts the server again)."""
    figures = []
    for _ in range(loads):
        page = context.new_page()
        started = time.monotonic()
        traffic = Traffic(page, started)
        page.goto(f"http://127.0.0.1:{port}/lab/tree/proj/loud.ipynb?reset", wait_until="domcontentloaded")
        page.wait_for_selector(LINT_RANGE, timeout=FIRST_DIAGNOSTIC_TIMEOUT * 1000)
        shown = time.monotonic() - started
        figures.append(
            {
                "shown_s": round(shown, 2),
                "published_s": traffic.first_publish and round(traffic.first_publish, 2),
                "initialize_s": (
                    round(traffic.initialize_answered - traffic.initialize_sent, 2)
                    if traffic.initialize_answered
                    else None
                ),
            }
        )
        page.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=Path("jlab-try"), help="screenshots, logs, summary.json")
    parser.add_argument("--loads", type=int, default=3, help="timed page loads of loud.ipynb after the first")
    parser.add_argument("--keep", action="store_true", help="keep the project folder (and .virtual_documents)")
    args = parser.parse_args(argv)
    problem = missing_prerequisite(args.chromium)
    if problem:
        print(f"try_in_browser: {problem}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="nblint-jlab-"))
    root, state = work / "root", work / "state"
    write_project(root)
    port = free_port()
    lab = start_lab(root, state, port, args.out / "jupyterlab.log")
    report: dict = {"root": str(root), "notebooks": {}}
    try:
        wait_for_lab(port, lab)
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(state / "chromium-profile"),
                executable_path=args.chromium,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 800},
            )
            for name, (_, _, show) in EXPECTED.items():
                report["notebooks"][name] = open_notebook(context, port, name, args.out, bool(show))
            report["reloads"] = time_reloads(context, port, args.loads)
            context.close()
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.kill()
    virtual = root / ".virtual_documents" / "proj"
    report["virtual_documents"] = sorted(p.name for p in virtual.iterdir()) if virtual.is_dir() else []
    failures = []
    for name, (published, not_published, shown) in EXPECTED.items():
        entry = report["notebooks"][name]
        sent, seen = set(entry["published"]), set(entry["shown"])
        if published - sent:
            failures.append(f"{name}: the server did not publish {sorted(published - sent)} (it sent {sorted(sent)})")
        if not_published & sent:
            failures.append(f"{name}: the server published {sorted(not_published & sent)}")
        if shown != seen:
            failures.append(f"{name}: the browser shows {sorted(seen)}, expected {sorted(shown)}")
        if any(".virtual_documents" not in uri for uri in entry["published_uris"]):
            failures.append(f"{name}: diagnostics on a URI outside .virtual_documents: {entry['published_uris']}")
    hover = report["notebooks"]["loud.ipynb"].get("hover_text") or ""
    if "NB101" not in hover:
        failures.append(f"loud.ipynb: the hover over the first diagnostic does not name its code: {hover!r}")
    report["failures"] = failures
    (args.out / "summary.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    loads = report.get("reloads") or []
    for key, what in [
        ("initialize_s", "initialize answered in"),
        ("published_s", "page load -> first diagnostic published"),
        ("shown_s", "page load -> first diagnostic on screen"),
    ]:
        figures = [load[key] for load in loads if load.get(key) is not None]
        if figures:
            print(f"{what}: median {statistics.median(figures):.2f} s over {len(figures)} loads ({figures})")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
