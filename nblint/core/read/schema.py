"""A quick structural check of nbformat 4, and nbformat's own validator for the notebooks it flags.

Importing nbformat's validator pulls in jsonschema (over a second where nbdime is installed), so every
notebook first gets this cheap check of the schema's main constraints; only a notebook it finds
suspect pays for the validator, whose first error (with its JSON path) becomes NB004.
"""

from __future__ import annotations

import copy
from typing import Any

from nblint.core.lazyre import lazy_compile

_CELL_ID = lazy_compile(r"^[a-zA-Z0-9_-]{1,64}$")

_TOP_KEYS = {"metadata", "nbformat_minor", "nbformat", "cells"}
_CELL_KEYS = {
    "code": ({"cell_type", "metadata", "source", "outputs", "execution_count"}, {"id"}),
    "markdown": ({"cell_type", "metadata", "source"}, {"id", "attachments"}),
    "raw": ({"cell_type", "metadata", "source"}, {"id", "attachments"}),
}
_OUTPUT_KEYS = {
    "execute_result": {"output_type", "execution_count", "data", "metadata"},
    "display_data": {"output_type", "data", "metadata"},
    "stream": {"output_type", "name", "text"},
    "error": {"output_type", "ename", "evalue", "traceback"},
}

Problem = tuple[str, tuple]


def _is_source(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(s, str) for s in value))


def fatal_problem(data: dict) -> Problem | None:
    """Problems that leave nothing to analyse: the cells are not a list of cells with text sources."""
    cells = data.get("cells")
    if not isinstance(cells, list):
        return ("'cells' is not a list", ("cells",))
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            return ("the cell is not an object", ("cells", index))
        if "source" in cell and not _is_source(cell["source"]):
            return ("'source' is neither a string nor a list of strings", ("cells", index, "source"))
    return None


def quick_check(data: dict) -> Problem | None:
    """The first departure from nbformat 4's main constraints, or None when the notebook looks valid."""
    fatal = fatal_problem(data)
    if fatal is not None:
        return fatal
    for key in _TOP_KEYS:
        if key not in data:
            return (f"'{key}' is a required property", ())
    extra = set(data) - _TOP_KEYS
    if extra:
        return (f"unexpected top-level key '{sorted(extra)[0]}'", ())
    if not isinstance(data["metadata"], dict):
        return ("'metadata' is not an object", ("metadata",))
    minor = data.get("nbformat_minor")
    if not isinstance(minor, int):
        return ("'nbformat_minor' is not an integer", ("nbformat_minor",))
    spec = data["metadata"].get("kernelspec")
    if spec is not None and (not isinstance(spec, dict) or not {"name", "display_name"} <= set(spec)):
        return ("kernelspec needs 'name' and 'display_name'", ("metadata", "kernelspec"))
    for index, cell in enumerate(data["cells"]):
        path = ("cells", index)
        kind = cell.get("cell_type")
        if not isinstance(kind, str) or kind not in _CELL_KEYS:  # a list there is not hashable
            return (f"unknown cell_type {kind!r}", path + ("cell_type",))
        required, optional = _CELL_KEYS[kind]
        missing = required - set(cell)
        if missing:
            return (f"'{sorted(missing)[0]}' is a required property", path)
        if minor >= 5 and "id" not in cell:
            return ("'id' is a required property", path)
        if "id" in cell and minor < 5:
            return ("cell ids came with nbformat 4.5: 'id' is not allowed in a 4.%d notebook" % minor, path + ("id",))
        if "id" in cell and not (isinstance(cell["id"], str) and _CELL_ID.match(cell["id"])):
            return ("cell id must be 1-64 letters, digits, '-' or '_'", path + ("id",))
        extra = set(cell) - required - optional
        if extra:
            return (f"unexpected key '{sorted(extra)[0]}' in a {kind} cell", path + (sorted(extra)[0],))
        if not isinstance(cell["metadata"], dict):
            return ("cell metadata is not an object", path + ("metadata",))
        if kind == "code":
            count = cell["execution_count"]
            if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
                return ("execution_count is not an integer or null", path + ("execution_count",))
            outputs = cell["outputs"]
            if not isinstance(outputs, list):
                return ("'outputs' is not a list", path + ("outputs",))
            for j, output in enumerate(outputs):
                if (
                    not isinstance(output, dict)
                    or not isinstance(output.get("output_type"), str)
                    or output["output_type"] not in _OUTPUT_KEYS
                ):
                    return ("unknown output_type", path + ("outputs", j))
                needed = _OUTPUT_KEYS[output["output_type"]]
                if needed - set(output):
                    return (f"'{sorted(needed - set(output))[0]}' is a required property", path + ("outputs", j))
    return None


def first_error(data: dict, fallback: Problem) -> Problem | None:
    """nbformat's own first schema error with its JSON path (None when it finds the notebook valid);
    the quick check's finding when the validator itself cannot run."""
    try:
        from nblint.core.read.nbformat_import import import_nbformat

        import_nbformat()
        from nbformat.validator import iter_validate

        # iter_validate must not mutate, but the rules still read this dict afterwards: give it a copy.
        for error in iter_validate(copy.deepcopy(data)):
            message = " ".join(str(getattr(error, "message", error)).split())
            if len(message) > 200:
                message = message[:197] + "..."
            return (message, tuple(getattr(error, "absolute_path", ()) or ()))
        return None
    except Exception:  # a validator that cannot cope still leaves us the quick check's answer
        return fallback


def format_path(path: tuple, keep: int = 8) -> str:
    """`cells[0].outputs[1].data`; a path longer than `keep` steps (JSON nested thousands of levels deep)
    shows its first and last steps around `...`."""
    if not path:
        return "the top level"
    if len(path) > keep:
        head, tail = path[: keep // 2], path[-(keep // 2) :]
        return f"{format_path(head)}...{format_path(tail)}"
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def describe_path(path: tuple) -> str:
    """Where a JSON path points, for a message: a cell counted from 1 as every message counts cells,
    then the JSON path itself (0-based, as jq and nbformat read it): `cell 19 (cells[18].id)`."""
    if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
        return f"cell {path[1] + 1} ({format_path(path)})"
    return format_path(path)
