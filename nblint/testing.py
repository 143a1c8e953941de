"""Running a rule's VALID / INVALID examples: the tests use this, and so can a rule author at a prompt.

An example becomes a real notebook file (nbformat 4.5 JSON, written as nbformat writes it) in a
folder, with any data files it asks for beside it, and goes through the same engine as `nblint check`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from nblint.engine import check_file
from nblint.findings import Finding
from nblint.rules import all_options
from nblint.rules.base import Rule, Valid

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
        notebook = dict(source) if isinstance(source, Mapping) else make_notebook([source] if isinstance(source, str) else source)
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
    path = write_example(example, folder)
    options = {key: option.parsed_default() for key, option in all_options().items()}
    for key, value in example.options.items():
        options[key] = all_options()[key].parse(value)
    result = check_file(path, {rule.code}, options)
    return [finding for finding in result.findings if finding.code == rule.code]
