"""Reading a notebook: bytes -> a Notebook, or the findings that say why it cannot be read.

Never writes. The JSON is read with the standard library; nbformat is imported only for what needs it
(upgrading a v3 notebook in memory, and naming the first schema error of a notebook our quick
structural check finds suspect), so a clean v4 notebook costs no nbformat import at all.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from nblint.core.read import cellwise, jsonload, schema
from nblint.core.read.encoding import json_error_text, utf16_message
from nblint.core.read.files import HandedBytes, read_regular_buffer
from nblint.core.read.jsonlocator import locate_lines, path_deeper_than


def _marker_line(text: str, marker: str, start: int = 0) -> int:
    """Where the first line at or after `start` that is `marker` alone or followed by a space begins (git
    writes conflict markers so: "<<<<<<< HEAD", ">>>>>>> branch"); -1 when none does. Found with
    str.find, which skips through a 200 MB notebook ten times faster than a multiline regex."""
    position = text.find(marker, start)
    while position != -1:
        after = text[position + len(marker) : position + len(marker) + 1]
        if (position == 0 or text[position - 1] == "\n") and after in ("", " ", "\n"):
            return position
        position = text.find(marker, position + 1)
    return -1


PYTHON_LANGUAGES = {"python", "python2", "python3", "ipython", "ipython2", "ipython3", "pyspark", "py"}


class Unreadable(Exception):
    """The file cannot be analysed; `code` is NB002, NB003 or NB004 and the message says why."""

    def __init__(self, code: str, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Cell:
    """One cell of a notebook, as nblint reads it."""

    index: int  # into the notebook's `cells`, markdown and raw cells included
    cell_type: str
    source: str
    data: dict
    # The raw JSON path of this cell and the key that holds its source ("source", or "input" in v3).
    json_path: tuple
    source_key: str = "source"

    @property
    def id(self) -> str | None:
        value = self.data.get("id")
        return value if isinstance(value, str) else None

    @property
    def metadata(self) -> dict:
        value = self.data.get("metadata")
        return value if isinstance(value, dict) else {}

    @property
    def tags(self) -> list[str]:
        tags = self.metadata.get("tags")
        return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []

    @property
    def outputs(self) -> list:
        value = self.data.get("outputs")
        return value if isinstance(value, list) else []

    @property
    def execution_count(self) -> int | None:
        value = self.data.get("execution_count")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @cached_property
    def lines(self) -> list[str]:
        return split_lines(self.source)


def split_lines(source: str) -> list[str]:
    """Lines as the JSON's source list holds them: split at \\n only (a form feed is not a line break)."""
    lines = source.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


@dataclass
class MagicLine:
    """An IPython line the engine masked before parsing (`%pip install x`, `!ls`, `files = !ls`)."""

    cell: int
    line: int  # 1-based within the cell
    column: int  # 1-based
    text: str  # the original line, stripped of indentation


@dataclass
class Notebook:
    """A notebook as read from its file: its JSON (as nbformat 4), cells and text."""

    path: Path
    text: str | None  # None when read cell by cell (nblint.core.read.cellwise): a big file
    data: dict  # the notebook JSON, upgraded in memory to nbformat 4 when it was older
    original_major: int
    cells: list[Cell]
    # Schema problems that do not stop the analysis: (message, json path, file line).
    schema_error: tuple[str, tuple, int | None] | None = None
    # Filled by the program builder: the magic lines it masked.
    magic_lines: list[MagicLine] = field(default_factory=list)

    @property
    def metadata(self) -> dict:
        value = self.data.get("metadata")
        return value if isinstance(value, dict) else {}

    @property
    def minor(self) -> int:
        value = self.data.get("nbformat_minor")
        return value if isinstance(value, int) else 0

    @cached_property
    def language(self) -> str | None:
        """The kernel's language as the metadata says, lower-cased; None when it does not say."""
        meta = self.metadata
        info = meta.get("language_info")
        if isinstance(info, dict) and isinstance(info.get("name"), str) and info["name"]:
            return info["name"].lower()
        spec = meta.get("kernelspec")
        if isinstance(spec, dict):
            if isinstance(spec.get("language"), str) and spec["language"]:
                return spec["language"].lower()
            name = spec.get("name")
            if isinstance(name, str) and name:
                lowered = name.lower()
                if "python" in lowered or lowered.startswith(("py", "conda")):
                    return "python"
        return None

    @property
    def is_python(self) -> bool:
        language = self.language
        return language is None or language in PYTHON_LANGUAGES

    @property
    def is_python2(self) -> bool:
        meta = self.metadata
        info = meta.get("language_info")
        if isinstance(info, dict):
            version = info.get("version")
            if isinstance(version, str) and version.startswith("2."):
                return True
            codemirror = info.get("codemirror_mode")
            if isinstance(codemirror, dict) and codemirror.get("version") == 2:
                return True
        spec = meta.get("kernelspec")
        return isinstance(spec, dict) and spec.get("name") == "python2"

    @cached_property
    def python_version(self) -> tuple[int, int] | None:
        """(major, minor) of the Python the notebook was last run with, as `language_info.version` says."""
        info = self.metadata.get("language_info")
        version = info.get("version") if isinstance(info, dict) else None
        if not isinstance(version, str):
            return None
        parts = version.split(".")
        if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
            return None
        return int(parts[0]), int(parts[1])

    @cached_property
    def _json_lines(self) -> dict:
        # (filled when the notebook was read cell by cell, with no text kept)
        return locate_lines(self.text or "", max_depth=6 if self.original_major < 4 else 4)

    def json_line(self, path: tuple) -> int | None:
        """The file line of a JSON path, or of its nearest recorded ancestor."""
        return _nearest_line(self._json_lines, path)

    def source_json_line(self, cell: Cell, line: int) -> int | None:
        """The file line holding `line` (1-based) of the cell's source."""
        if self.original_major >= 4 or cell.json_path:
            exact = self._json_lines.get(cell.json_path + (cell.source_key, line - 1))
            if exact is not None:
                return exact
        return self.json_line(cell.json_path + (cell.source_key,))


def read_notebook(path: Path) -> Notebook:
    """Read and check the structure of one notebook. Raises Unreadable."""
    try:
        handed = HandedBytes(read_regular_buffer(path))
    except OSError as exc:
        raise Unreadable("NB002", f"cannot read file: {exc.strerror or exc}") from None
    return parse_notebook(path, handed)


def parse_notebook(path: Path, file_bytes: bytes | HandedBytes) -> Notebook:
    """`file_bytes` handed over (HandedBytes, read from `path`) are dropped once decoded, so the bytes, the
    text and the parsed JSON are never alive at once; a big file's are parsed cell by cell (cellwise)."""
    raw = file_bytes.take() if isinstance(file_bytes, HandedBytes) else file_bytes
    del file_bytes
    if not raw or raw.isspace():  # (not `raw.strip()`, which copies the file)
        raise Unreadable("NB002", "file is empty, not a notebook")
    utf16 = utf16_message(raw, path.name)
    if utf16 is not None:
        raise Unreadable("NB002", utf16)
    if isinstance(raw, bytearray) and len(raw) >= cellwise.CELLWISE_FROM:
        try:
            loaded, raw = cellwise.read_cellwise(raw, path)
        except OSError as exc:
            raise Unreadable("NB002", f"cannot read file: {exc.strerror or exc}") from None
        if loaded is not None:
            # Nothing the text checks below find (a conflict marker, a NUL byte, bytes that are not
            # UTF-8) parses as JSON, so a file read cell by cell has none of them.
            data, lines = loaded
            return _notebook(path, None, data, lines)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise Unreadable(
            "NB002",
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}, line {line}), not a notebook",
            line,
        ) from None
    del raw

    start = _marker_line(text, "<" * 7)
    if start != -1 and _marker_line(text, ">" * 7, start + 7) != -1:
        line = text.count("\n", 0, start) + 1
        raise Unreadable(
            "NB003",
            f"unresolved merge conflict: marker '{text[start : start + 7]}' at line {line}; "
            "resolve it (nbdime's `nbdime mergetool` understands notebooks), then commit",
            line,
            1,
        )
    nul = text.find("\x00", 0, 1024)
    if nul != -1:  # (JSON never holds one: named here, before the parser's "invalid control character")
        line = text.count("\n", 0, nul) + 1
        column = nul - text.rfind("\n", 0, nul)
        raise Unreadable(
            "NB002", f"a NUL byte at line {line} column {column}: not JSON text, not a notebook", line, column
        )

    try:
        data = jsonload.load_json(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(
            "NB002",
            f"not valid JSON: {json_error_text(exc)} at line {exc.lineno} column {exc.colno}",
            exc.lineno,
            exc.colno,
        ) from None
    except jsonload.TooBigInteger as exc:
        raise Unreadable(
            "NB002",
            f"an integer of {exc.digits:,} digits at {schema.format_path(exc.path)} is over Python's limit of "
            f"{sys.get_int_max_str_digits():,} digits for reading integers, so Jupyter cannot open this notebook; "
            "store the value as a string",
            _line_of_path(locate_lines(text), exc.path),
        ) from None
    except RecursionError:
        too_deep = path_deeper_than(text, jsonload.MAX_DEPTH)
        if too_deep is None:
            raise Unreadable("NB002", "JSON nested too deeply to read, not a notebook") from None
        raise _too_deep(locate_lines(text), too_deep) from None
    return _notebook(path, text, data, None)


def _notebook(path: Path, text: str | None, data: Any, lines: dict | None) -> Notebook:
    """The Notebook of parsed JSON: checked for what every rule relies on, upgraded when older than v4.
    `lines`, the JSON line table, when it is known already; else it is found from `text` when needed."""
    if not isinstance(data, dict):
        raise Unreadable("NB004", f"not a notebook: the top level is a JSON {_json_type(data)}, not an object")
    major = data.get("nbformat")
    if not isinstance(major, int) or isinstance(major, bool):
        raise Unreadable("NB004", "not a notebook: no integer 'nbformat' version at the top level")
    too_deep = jsonload.deepest(data)  # before anything walks it
    if too_deep is not None:
        raise _too_deep(lines if lines is not None else locate_lines(text or ""), too_deep)

    if major < 4:
        cells, data = _upgrade(data, major)
    elif major == 4:
        cells = None
    else:
        raise Unreadable("NB004", f"nbformat {major} is newer than this nblint understands (4)")

    schema_error = None
    if major == 4:
        fatal = schema.fatal_problem(data)
        if fatal is not None:
            raise Unreadable(
                "NB004", f"notebook does not match the nbformat schema at {schema.describe_path(fatal[1])}: {fatal[0]}"
            )
        problem = schema.quick_check(data)
        if problem is not None:
            schema_error = schema.first_error(data, fallback=problem)

    if cells is None:
        cells = [_make_cell(index, cell, ("cells", index), "source") for index, cell in enumerate(data["cells"])]
    notebook = Notebook(path, text, data, major, cells)
    if lines is not None:
        notebook.__dict__["_json_lines"] = lines  # the cached_property, filled
    if schema_error is not None:
        message, json_path = schema_error
        notebook.schema_error = (message, json_path, notebook.json_line(json_path))
    return notebook


def _too_deep(lines: dict, path: tuple) -> Unreadable:
    return Unreadable(
        "NB004",
        f"JSON nested more than {jsonload.MAX_DEPTH:,} levels deep at {schema.format_path(path)}: Python's json "
        "reader, which Jupyter uses, gives up near 1,000 levels, so Jupyter cannot open this notebook",
        _line_of_path(lines, path),
    )


def _line_of_path(lines: dict, path: tuple) -> int | None:
    return _nearest_line(lines, path)


def _nearest_line(lines: dict, path: tuple) -> int | None:
    """The file line of `path`, or of its nearest recorded ancestor (the locator records a few levels)."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def _make_cell(index: int, cell: dict, json_path: tuple, source_key: str) -> Cell:
    """`cell` is nbformat 4 (upgraded when the file is older); json_path and source_key say where its
    source sits in the raw file ("input" in a v3 code cell)."""
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    cell_type = cell.get("cell_type")
    return Cell(index, cell_type if isinstance(cell_type, str) else "", source, cell, json_path, source_key)


def _upgrade(data: dict, major: int) -> tuple[list[Cell], dict]:
    """Upgrade an nbformat 1-3 notebook to 4 in memory, keeping where each cell sat in the raw file."""
    worksheets = data.get("worksheets")
    if not isinstance(worksheets, list) or not worksheets:
        raise Unreadable("NB004", f"nbformat {major} notebook without worksheets, cannot be read")
    origins = []
    for w, sheet in enumerate(worksheets):
        sheet_cells = sheet.get("cells") if isinstance(sheet, dict) else None
        if not isinstance(sheet_cells, list):
            raise Unreadable("NB004", f"nbformat {major} notebook: worksheet {w} has no list of cells")
        for j, cell in enumerate(sheet_cells):
            if not isinstance(cell, dict):
                raise Unreadable("NB004", f"nbformat {major} notebook: cell {j} of worksheet {w} is not an object")
            key = "input" if cell.get("cell_type") == "code" else "source"
            origins.append((("worksheets", w, "cells", j), key))
    import logging

    logging.disable(logging.WARNING)  # nbformat logs the schema problems of old notebooks to stderr
    try:
        from nblint.core.read.nbformat_import import import_nbformat

        nbformat = import_nbformat()
        from nbformat import versions

        old = versions[major].to_notebook_json(data, minor=data.get("nbformat_minor", 0))  # rejoins split lines
        upgraded = nbformat.convert(old, 4)
    except Exception as exc:  # nbformat raises many kinds on malformed old notebooks
        raise Unreadable("NB004", f"nbformat {major} notebook could not be upgraded: {_one_line(exc)}") from None
    finally:
        logging.disable(logging.NOTSET)
    new_cells = upgraded.get("cells", [])
    if len(new_cells) != len(origins):  # heading cells and the like: keep the raw positions approximate
        origins = [((), "source")] * len(new_cells)
    cells = []
    for index, (cell, (json_path, key)) in enumerate(zip(new_cells, origins)):
        if isinstance(cell, dict):
            cell.pop("id", None)  # nbformat.convert invents random ids; the file has none (reports must not vary)
        made = _make_cell(index, cell, json_path, key)
        cells.append(made)
    return cells, upgraded


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), "null")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
