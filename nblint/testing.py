"""Running a rule's VALID / INVALID examples: the tests use this, and so can a rule author at a prompt.

An example becomes a real notebook file (nbformat 4.5 JSON, written as nbformat writes it) in a
folder, with any data files it asks for beside it, and goes through the same engine as `nblint check`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from nblint.core.findings import Finding
from nblint.rules import all_options
from nblint.rules.base import Rule, Valid
from nblint.run.pipeline import check_file

PYTHON_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "version": "3.11.7"},
}


def make_cell(source: str | Mapping[str, Any], index: int) -> dict:
    if isinstance(source, Mapping):
        cell = {"id": f"cell-{index}", "metadata": {}, **source}
        if cell.get("cell_type", "code") == "code":
            cell.setdefault("cell_type", "code")
            cell.setdefault("execution_count", None)
            cell.setdefault("outputs", [])
        cell.setdefault("source", "")
        if isinstance(cell["source"], str):
            cell["source"] = split_source(cell["source"])
        return cell
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": f"cell-{index}",
        "metadata": {},
        "outputs": [],
        "source": split_source(source),
    }


def split_source(text: str) -> list[str]:
    """A source string as nbformat stores it: one string per line, each keeping its newline."""
    return text.splitlines(keepends=True)


def make_notebook(cells: Sequence[str | Mapping[str, Any]], metadata: Mapping[str, Any] | None = None) -> dict:
    return {
        "cells": [make_cell(cell, index) for index, cell in enumerate(cells)],
        "metadata": dict(PYTHON_METADATA if metadata is None else metadata),
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_text(notebook: Mapping[str, Any]) -> str:
    """JSON text laid out as nbformat writes it (indent 1, sorted keys, trailing newline)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_example(example: Valid, folder: Path, name: str = "example.ipynb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    source = example.source
    if example.raw:
        path.write_text(source, encoding="utf-8")
    else:
        notebook = (
            dict(source)
            if isinstance(source, Mapping)
            else make_notebook([source] if isinstance(source, str) else source)
        )
        path.write_text(notebook_text(notebook), encoding="utf-8")
    for relative, size in example.files.items():
        data_path = folder / relative
        data_path.parent.mkdir(parents=True, exist_ok=True)
        with open(data_path, "wb") as handle:
            if size:
                handle.truncate(size)  # sparse: a "3 GiB" CSV costs no disk
    return path


def run_example(rule: type[Rule], example: Valid | Any, folder: Path) -> list[Finding]:
    """The findings of `rule` alone on one example."""
    if not isinstance(example, Valid):
        example = Valid(example)
    options = {key: option.parsed_default() for key, option in all_options().items()}
    for key, value in example.options.items():
        options[key] = all_options()[key].parse(value)
    if example.live:
        return run_live_example(rule, example, options)
    path = write_example(example, folder)
    if getattr(rule, "machine", False):  # NB8xx: the example describes a machine, built for real
        from nblint.integrations.doctor.examples import run_machine_example

        return run_machine_example(rule, example, path, options)
    result = check_file(path, {rule.code}, options)
    return [finding for finding in result.findings if finding.code == rule.code]


def run_live_example(rule: type[Rule], example: Valid, options: Mapping[str, Any]) -> list[Finding]:
    """A one-cell example checked as the guard checks a cell, in a namespace that `example.live` builds
    (it may need the test extras: pandas, numpy)."""
    from nblint.core.code.program import build_program
    from nblint.guard.check import cell_findings, one_cell_notebook
    from nblint.guard.values import LiveValues

    namespace: dict[str, Any] = {}
    exec(compile(example.live, f"<live values for {rule.code}>", "exec"), namespace)
    notebook = one_cell_notebook(example.source)
    program = build_program(notebook)
    if program.module is None:
        return []
    findings = cell_findings(notebook, program, [rule], options, LiveValues(namespace))
    return [finding for finding in findings if finding.code == rule.code]


# -- large notebooks, for the scaling tests and bench/large_inputs.py ------------------------------


def many_cells_notebook(n: int) -> dict:
    """n cells, one in five markdown, the rest small numpy code with a loop."""
    cells: list = []
    for i in range(n):
        if i % 5 == 0:
            cells.append({"cell_type": "markdown", "source": f"## Step {i}\n"})
        else:
            cells.append(
                f"import numpy as np\nx{i} = np.zeros(({i % 97}, 3))\nfor j in range(10):\n    print(x{i}[j % 3])\n"
            )
    return make_notebook(cells)


def big_outputs_notebook(n: int, image_bytes: int = 256 * 1024) -> dict:
    """n cells, each with a PNG-like base64 payload of image_bytes and a 200-line stream, as plots and logs."""
    image = "iVBORw0KGgo" + "A" * (image_bytes - 11)
    cells = []
    for i in range(n):
        cells.append(
            {
                "cell_type": "code",
                "source": f"plot({i})\n",
                "execution_count": i + 1,
                "outputs": [
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {"image/png": image, "text/plain": ["<Figure>"]},
                    },
                    {"output_type": "stream", "name": "stdout", "text": [f"step {k}\n" for k in range(200)]},
                ],
            }
        )
    return make_notebook(cells)


def long_cell_notebook(n: int) -> dict:
    """One code cell of about n lines: small functions and conditional expressions calling them."""
    lines = []
    for i in range(n):
        if i % 4 == 0:
            lines.append(f"def f{i}(a, b=1):\n    return a * b + {i}")
        else:
            lines.append(f"v{i} = f{(i // 4) * 4}({i}) if {i} % 3 else [{i}, {i + 1}]")
    return make_notebook(["import pandas as pd\n" + "\n".join(lines) + "\n"])


# The extreme cells of issues 11 and 19, each one statement: (what it is, its source for a size n).
EXTREME_CELLS = {
    "list of numbers": lambda n: "xs = [" + ", ".join(str(i % 1000) for i in range(n)) + "]\n",
    "dict of items": lambda n: "d = {" + ", ".join(f"{i}: {i % 7}" for i in range(n)) + "}\n",
    "nested lists": lambda n: (
        "m = [" + ", ".join("[" + ", ".join(["1.5"] * 100) + "]" for _ in range(n // 100)) + "]\n"
    ),
    "nested pairs": lambda n: "pairs = [" + ", ".join(f"[{i}, {i + 1}]" for i in range(0, n, 2)) + "]\n",  # issue 19
    "sum chain": lambda n: "s = " + " + ".join(f"a{i % 10}" for i in range(n)) + "\n",
    "attribute chain": lambda n: "v = a" + ".b" * n + "\n",
    "call chain": lambda n: "v = f" + "()" * n + "\n",
    "nested defs": lambda n: "".join("    " * i + f"def f{i}():\n" for i in range(n)) + "    " * n + "pass\n",
}
EXTREME_FULL_SIZE = {
    "list of numbers": 1_000_000,
    "dict of items": 100_000,
    "nested lists": 1_000_000,
    "nested pairs": 1_000_000,  # 500,000 pairs
    "sum chain": 10_000,
    "attribute chain": 10_000,
    "call chain": 10_000,
    "nested defs": 1_000,
}
