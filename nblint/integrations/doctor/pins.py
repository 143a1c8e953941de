"""The project's own pins, found from the notebook's folder upwards: requirements*.txt, pyproject.toml
`[project] dependencies`, environment.yml (its conda and pip lists). The first folder holding any wins."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

from nblint.rules.machine.facts import Pin

_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*((?:[<>=!~]=?|===)[^;#]*)?")
_CONDA = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9._-]*)\s*(=|==|>=|<=|>|<|!=)?\s*([^=\s]*)")


def _pip_line(text: str, file: str, number: int) -> Pin | None:
    text = text.split("#", 1)[0].strip()
    if not text or text.startswith(("-", ".", "/")) or "://" in text or " @ " in text:
        return None
    match = _REQUIREMENT.match(text)
    if match is None or not match.group(2):
        return None
    return Pin(match.group(1), match.group(2).replace(" ", ""), file, number)


def _environment_yml(path: Path, shown: str) -> list[Pin]:
    pins, in_pip = [], False
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        stripped = raw.strip()
        if not stripped.startswith("- "):
            in_pip = in_pip and not stripped
            continue
        item = stripped[2:].strip().strip("'\"")
        if item.rstrip(":") == "pip" and item.endswith(":"):
            in_pip = True
            continue
        if in_pip and raw.startswith(" " * 4):
            pin = _pip_line(item, shown, number)
        else:
            match = _CONDA.match(item.split("::")[-1])
            pin = None
            if match and match.group(2) and match.group(3) and match.group(1) != "python":
                operator, version = match.group(2), match.group(3)
                if operator == "=":  # conda's `=1.24` is a prefix: 1.24.*
                    operator, version = "==", version if version.endswith("*") else version + ".*"
                pin = Pin(match.group(1), operator + version.replace(".**", ".*"), shown, number)
        if pin is not None:
            pins.append(pin)
    return pins


def project_pins(folder: Path) -> list[Pin]:
    for current in [folder, *folder.parents]:
        pins: list[Pin] = []
        found = False
        for path in sorted(current.glob("requirements*.txt")):
            found = True
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                pin = _pip_line(line, path.name if current == folder else str(path), number)
                if pin is not None:
                    pins.append(pin)
        pyproject = current / "pyproject.toml"
        if pyproject.is_file():
            try:
                table = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                table = {}
            dependencies = (
                table.get("project", {}).get("dependencies", []) if isinstance(table.get("project"), dict) else []
            )
            lines = pyproject.read_text(encoding="utf-8").splitlines()
            for dependency in dependencies if isinstance(dependencies, list) else []:
                if isinstance(dependency, str):
                    number = next((i for i, line in enumerate(lines, 1) if dependency in line), 0)
                    found = True
                    pin = _pip_line(dependency, str(pyproject), number)
                    if pin is not None:
                        pins.append(pin)
        for name in ("environment.yml", "environment.yaml"):
            if (current / name).is_file():
                found = True
                pins.extend(_environment_yml(current / name, str(current / name)))
        if found or (current / ".git").exists():
            return pins
    return []
