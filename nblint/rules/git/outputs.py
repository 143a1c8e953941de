"""Saved outputs of code cells: where they sit in the file, what they weigh, what text they hold.

Shared by the output rules (NB701 outputs-committed, NB702 large-output, NB703 error-output) and NB704
secret. Outputs are read from the notebook as nblint holds it (nbformat 4, older notebooks upgraded in
memory; the upgrade maps each old output to exactly one new one, so output j is still output j of the
cell in the raw file and its JSON path points at the right file line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from nblint.core.fixes import Fix, JsonEdit, safe
from nblint.core.lazyre import lazy_compile
from nblint.core.read.notebook import Cell, Notebook

# The tags with which nbsphinx, nbval, papermill and Jupyter Book mark a cell whose error is expected.
EXPECTED_ERROR_TAGS = frozenset({"raises-exception", "nbval-raises-exception"})

_ANSI = lazy_compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class SavedOutput:
    """One output saved in a cell of the notebook."""

    cell: Cell
    index: int  # into the cell's `outputs`
    data: dict

    @property
    def json_path(self) -> tuple:
        return self.cell.json_path + ("outputs", self.index)

    @property
    def output_type(self) -> str:
        value = self.data.get("output_type")
        return value if isinstance(value, str) else "unknown"

    @property
    def label(self) -> str:
        """How a message names it: `output 2 (stream stdout)`, counted from 1 as people count."""
        kind = self.output_type
        if kind == "stream" and isinstance(self.data.get("name"), str):
            kind = f"stream {self.data['name']}"
        return f"output {self.index + 1} ({kind})"


def removal_fix(output: SavedOutput, description: str) -> Fix | None:
    """A safe fix removing this one output from the file, as a strip would (None when the cell's place in
    an old notebook's file is not known)."""
    if not output.cell.json_path:
        return None
    return safe(description, JsonEdit(output.json_path, remove=True))


def code_cells(notebook: Notebook) -> Iterator[Cell]:
    return (cell for cell in notebook.cells if cell.cell_type == "code")


def saved_outputs(notebook: Notebook) -> Iterator[SavedOutput]:
    for cell in code_cells(notebook):
        for index, output in enumerate(cell.outputs):
            if isinstance(output, dict):
                yield SavedOutput(cell, index, output)


# -- size --------------------------------------------------------------------------------------------


def json_weight(item: Any) -> int:
    """nbstripout's measure of an output (its `get_size`): the length of every string value, nested,
    plus the printed length of other scalars. Keys are not counted.

    We use the same measure so that NB702's `max-output-size` and nbstripout's (and `nblint strip`'s)
    `--max-size` draw the line at the same output: a strip with the same size removes exactly what NB702
    reports. For the payloads that make outputs big (base64 images, HTML, long streams; ASCII) it is the
    number of bytes the output adds to the file, to within the JSON quotes and indentation.
    """
    if isinstance(item, str):
        return len(item)
    total = 0
    stack = [item]
    while stack:  # no recursion: a deeply nested JSON output must not overflow the stack
        value = stack.pop()
        if isinstance(value, str):
            total += len(value)
        elif isinstance(value, list):
            try:  # a list of lines, as most outputs store their text: measured in one call, in C
                total += len("".join(value))
            except TypeError:
                stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        else:
            total += len(str(value))
    return total


def size_by_part(output: SavedOutput) -> list[tuple[str, int]]:
    """What makes up an output's weight, biggest first: MIME types for rich outputs, `text` for a
    stream, `traceback` for an error. The parts do not include the small bookkeeping fields."""
    data = output.data
    kind = output.output_type
    if kind == "stream":
        parts = [("text", json_weight(data.get("text", "")))]
    elif kind == "error":
        parts = [("traceback", json_weight(data.get("traceback", [])) + json_weight(data.get("evalue", "")))]
    else:
        bundle = data.get("data")
        parts = [(str(mime), json_weight(value)) for mime, value in bundle.items()] if isinstance(bundle, dict) else []
        metadata = data.get("metadata")
        if isinstance(metadata, dict) and metadata:
            parts.append(("metadata", json_weight(metadata)))
    return sorted(parts, key=lambda part: -part[1])


# -- text --------------------------------------------------------------------------------------------


def joined(value: Any) -> str:
    """A multiline string as nbformat stores it (a str or a list of str) -> one str."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        try:
            return "".join(value)
        except TypeError:  # not all lines are text: the ones that are
            return "".join(item for item in value if isinstance(item, str))
    return ""


def output_texts(output: SavedOutput) -> Iterator[tuple[str, str]]:
    """(where, text) for every piece of text an output shows or carries: stream text, every non-image
    MIME payload (strings nested in JSON payloads included), an error's name, value and traceback.
    Images are base64 of binary data: no credential is readable in them."""
    data = output.data
    kind = output.output_type
    if kind == "stream":
        yield "text", joined(data.get("text"))
    elif kind == "error":
        traceback = data.get("traceback")
        frames = [line for line in traceback if isinstance(line, str)] if isinstance(traceback, list) else []
        yield "traceback", strip_ansi("\n".join([joined(data.get("ename")), joined(data.get("evalue")), *frames]))
    else:
        bundle = data.get("data")
        if not isinstance(bundle, dict):
            return
        for mime, value in bundle.items():
            if not isinstance(mime, str) or mime.startswith("image/") and mime != "image/svg+xml":
                continue
            if isinstance(value, str):
                yield mime, value
            else:  # a list of lines, or a JSON payload (application/json, widget and plot specs)
                yield mime, "\n".join(_nested_strings(value)) if not _is_lines(value) else joined(value)


def _is_lines(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _nested_strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))


def strip_ansi(text: str) -> str:
    """IPython colours tracebacks with ANSI escapes; messages show the plain text."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def one_line(text: str, limit: int = 120) -> str:
    """Collapse whitespace and cut to `limit` characters for a message."""
    flat = " ".join(strip_ansi(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
