"""A notebook document as the editor holds it, turned into the notebook JSON `nblint check` would read.

LSP 3.17 sends a notebook's cells (kind, text, metadata, execution summary) and its metadata, but no
outputs. So the cells' text is the editor's, and what the editor does not send comes from the file on
disk where it can be matched: a cell whose source is the same as a saved cell's gets that cell's id,
outputs and execution count (so NB7xx report what would be committed, and they disappear from a
cell once its edited text is saved without them). The notebook's metadata is the editor's when it
looks like nbformat metadata (VS Code keeps it at the top level, or under `metadata` or
`custom.metadata`), else the file's: a client that sends none must not make every notebook "missing a
kernelspec" (NB601).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_NBFORMAT_METADATA_KEYS = ("kernelspec", "language_info")
MARKUP, CODE = 1, 2  # NotebookCellKind


@dataclass(frozen=True)
class CellSnapshot:
    uri: str
    kind: int  # NotebookCellKind
    language: str
    text: str
    metadata: Any = None


@dataclass(frozen=True)
class NotebookSnapshot:
    """One version of a notebook document, copied on the event loop so analysis can run elsewhere."""

    uri: str
    version: int
    path: Path
    cells: tuple[CellSnapshot, ...]
    metadata: Any = None


def notebook_json(snapshot: NotebookSnapshot, saved: dict | None) -> tuple[bytes, bool]:
    """The notebook as nbformat 4 JSON: the editor's cells and metadata, completed from `saved`; and
    whether its metadata is known (from the editor or the file), rather than assumed empty."""
    saved_cells = _saved_cells_by_source(saved)
    cells = []
    for cell in snapshot.cells:
        data: dict[str, Any] = {
            "cell_type": _cell_type(cell),
            "metadata": _cell_metadata(cell.metadata),
            "source": cell.text,
        }
        match = saved_cells.get(cell.text)
        if match:
            found = match.pop(0)
            if isinstance(found.get("id"), str):
                data["id"] = found["id"]
            if not data["metadata"] and isinstance(found.get("metadata"), dict):
                data["metadata"] = found["metadata"]
            if data["cell_type"] == "code":
                data["outputs"] = found.get("outputs", []) if found.get("cell_type") == "code" else []
                data["execution_count"] = found.get("execution_count")
        if data["cell_type"] == "code":
            data.setdefault("outputs", [])
            data.setdefault("execution_count", None)
        cells.append(data)
    metadata = _notebook_metadata(snapshot.metadata)
    if metadata is None and isinstance(saved, dict) and isinstance(saved.get("metadata"), dict):
        metadata = saved["metadata"]
    known = metadata is not None
    metadata = metadata if metadata is not None else {}
    minor = saved.get("nbformat_minor") if isinstance(saved, dict) else None
    minor = minor if isinstance(minor, int) and not isinstance(minor, bool) else 4
    if minor >= 5:
        _give_ids(cells)
    elif any("id" in cell for cell in cells):
        minor = 5  # ids the editor kept (a 4.4 schema would call them unexpected)
        _give_ids(cells)
    notebook = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": minor}
    return json.dumps(notebook, ensure_ascii=False).encode("utf-8"), known  # compact: its lines are never shown


def _give_ids(cells: list[dict]) -> None:
    """Cell ids are required from nbformat 4.5 on, and a cell added in the editor has none until it is
    saved: give it one that no other cell has (an id shared with a saved cell would be a false NB606)."""
    taken = {cell["id"] for cell in cells if "id" in cell}
    for index, cell in enumerate(cells):
        if "id" not in cell:
            fresh = f"unsaved-{index}"
            while fresh in taken:
                fresh += "-"
            cell["id"] = fresh
            taken.add(fresh)


def _cell_type(cell: CellSnapshot) -> str:
    if cell.kind == MARKUP:
        return "markdown"
    return "raw" if cell.language == "raw" else "code"


def _cell_metadata(metadata: Any) -> dict:
    """nbformat cell metadata from the editor's (VS Code nests it under `metadata`, older versions under
    `custom.metadata`): where tags such as `nblint-ignore[NB201]` are."""
    if not isinstance(metadata, dict):
        return {}
    custom = metadata.get("custom")
    for inner in (metadata.get("metadata"), custom.get("metadata") if isinstance(custom, dict) else None):
        if isinstance(inner, dict):
            return inner
    return {
        key: value for key, value in metadata.items() if key not in ("id", "attachments", "execution_count", "custom")
    }


def _notebook_metadata(metadata: Any) -> dict | None:
    if not isinstance(metadata, dict):
        return None
    for candidate in (metadata, metadata.get("metadata"), (metadata.get("custom") or {}).get("metadata")):
        if isinstance(candidate, dict) and any(key in candidate for key in _NBFORMAT_METADATA_KEYS):
            return candidate
    return None


def _saved_cells_by_source(saved: dict | None) -> dict[str, list[dict]]:
    by_source: dict[str, list[dict]] = {}
    cells = saved.get("cells") if isinstance(saved, dict) else None
    for cell in cells if isinstance(cells, list) else ():
        if isinstance(cell, dict):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            if isinstance(source, str):
                by_source.setdefault(source, []).append(cell)
    return by_source


class SavedNotebooks:
    """The saved JSON of each notebook file, read again only when its size or mtime changes."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[int, int], dict | None]] = {}

    def get(self, path: Path) -> dict | None:
        try:
            status = os.stat(path)
        except OSError:
            self._cache.pop(path, None)
            return None
        stamp = (status.st_mtime_ns, status.st_size)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (OSError, ValueError, RecursionError):
            data = None
        data = data if isinstance(data, dict) else None
        self._cache[path] = (stamp, data)
        return data


# jupyterlab-lsp sends a notebook as ROOT/.virtual_documents/REL/nb.ipynb: the notebook is ROOT/REL/nb.ipynb
VIRTUAL_DOCUMENTS = ".virtual_documents"


def real_path(path: Path) -> Path:
    """The notebook a jupyterlab-lsp virtual document stands for (configuration is looked up from there)."""
    parts = path.parts
    if VIRTUAL_DOCUMENTS in parts[:-1]:
        index = len(parts) - 1 - parts[::-1].index(VIRTUAL_DOCUMENTS)
        return Path(*parts[:index], *parts[index + 1 :])
    return path


# jupyterlab-lsp's IPython overrides (packages/jupyterlab-lsp/src/transclusions/ipython/overrides.ts), undone
# line for line: `!cmd` -> `get_ipython().getoutput("cmd")` (not escaped), `%magic args` ->
# `get_ipython().run_line_magic("magic", " args")` (`"` and `\` escaped), `?x` / `x?` -> run_line_magic('pinfo', ...),
# each with the `x = ` prefix it may have had.
_PREFIX = r"^(\s*|\s*\S+\s*=\s*)"
_GETOUTPUT = re.compile(_PREFIX + r'get_ipython\(\)\.getoutput\("(.*)"\)\s*$')
_LINE_MAGIC = re.compile(_PREFIX + r'get_ipython\(\)\.run_line_magic\("(.*?)", "(.*)"\)\s*$')
_PINFO = re.compile(r"^(\s*)get_ipython\(\)\.run_line_magic\('(pinfo2?)',( {1,2})'(.*?)'\)\s*$")


def ipython_lines(text: str) -> str:
    """A jupyterlab-lsp virtual document with its overridden IPython lines as the user wrote them, so that
    the engine masks them (and the install rules read them) as it does in the notebook. Lines keep their numbers."""
    if "get_ipython()" not in text:
        return text
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if "get_ipython()" not in line:
            continue
        match = _GETOUTPUT.match(line)
        if match:
            lines[number] = f"{match.group(1)}!{match.group(2)}"
            continue
        match = _LINE_MAGIC.match(line)
        if match:
            arguments = re.sub(r'\\([\\"])', r"\1", match.group(3))
            lines[number] = f"{match.group(1)}%{match.group(2)}{arguments}"
            continue
        match = _PINFO.match(line)
        if match:
            marks = "?" if match.group(2) == "pinfo" else "??"
            name = match.group(4)
            lines[number] = (
                f"{match.group(1)}{name}{marks}" if len(match.group(3)) == 2 else f"{match.group(1)}{marks}{name}"
            )
    return "\n".join(lines)
