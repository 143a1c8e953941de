"""Building the machine a MachineValid / MachineInvalid example describes, for real, in a folder: kernelspecs
in a JUPYTER_PATH of its own, a fresh venv (`python -m venv --without-pip`) with small distributions
written into it, scripts on a PATH, files beside the notebook; then the doctor's own diagnosis."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from nblint.core.findings import Finding


def _fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def _script(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def build(machine: dict[str, Any], folder: Path) -> dict[str, str]:
    """Write the machine under folder; returns the environment variables Jupyter must run with."""
    places = {
        "python": sys.executable,
        "missing": str(folder / "gone" / "bin" / "python"),
        "tmp": str(folder),
        "bin": str(folder / "bin"),
        "ipythondir": str(folder / "ipython"),
        "venvbin": str(folder / "venv" / "bin"),
        "venv": str(folder / "venv" / "bin" / "python"),
    }
    (folder / "bin").mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("not a program\n", encoding="utf-8")
    text = json.dumps(machine)
    if "{venv" in text or machine.get("venv_packages"):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")], check=True, timeout=60)
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        site = folder / "venv" / "lib" / version / "site-packages"
        for name, package in (machine.get("venv_packages") or {}).items():
            module = name.replace("-", "_")
            info = site / f"{module}-{package['version']}.dist-info"
            info.mkdir(parents=True, exist_ok=True)
            lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {package['version']}"]
            lines += [f"Requires-Dist: {r}" for r in package.get("requires", [])]
            (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
            (info / "RECORD").write_text("", encoding="utf-8")
            (site / f"{module}.py").write_text(package.get("module", ""), encoding="utf-8")
    for name, body in (machine.get("scripts") or {}).items():
        _script(folder / "bin" / name, _fill(body, places))
    for name, body in (machine.get("venv_scripts") or {}).items():
        _script(folder / "venv" / "bin" / name, _fill(body, places))
    for name, body in (machine.get("startup") or {}).items():
        startup = folder / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True, exist_ok=True)
        (startup / name).write_text(body, encoding="utf-8")
    for name, body in (machine.get("files") or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body, encoding="utf-8")
    for name, spec in (machine.get("kernels") or {}).items():
        kernel = folder / "jupyter" / "kernels" / name
        kernel.mkdir(parents=True, exist_ok=True)
        spec = {"display_name": name, "language": "python", **spec}
        spec["argv"] = [_fill(word, places) for word in spec["argv"]]
        if "env" in spec:
            spec["env"] = {key: _fill(value, places) for key, value in spec["env"].items()}
        (kernel / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return {"JUPYTER_PATH": str(folder / "jupyter"), "JUPYTER_DATA_DIR": str(folder / "jupyter-data")}


def run_machine_example(rule, example, notebook_path: Path, options: dict) -> list[Finding]:
    from nblint.integrations.doctor.diagnose import diagnose

    machine = dict(getattr(example, "machine", {}) or {})
    environ = build(machine, notebook_path.parent)
    saved = {key: os.environ.get(key) for key in environ}
    os.environ.update(environ)
    try:
        findings = diagnose([notebook_path], frozenset({rule.code}), options, start=bool(machine.get("start"))).findings
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return [finding for finding in findings if finding.code == rule.code]
