"""Strip one notebook as nbstripout 0.9.1 does, through nbstripout's own `strip_output`, keeping the file's layout.

The result equals what `nbstripout --keep-id` (plus the same options) writes, with these deliberate
differences:
- the file keeps its own JSON layout (indent, key order, ensure_ascii, line endings, trailing newline;
  see nblint.core.read.jsonlayout), where nbstripout rewrites every changed file in nbformat's layout. For a file
  already in nbformat's layout (what Jupyter writes) the bytes are the same.
- `drop_tagged_cells` drops the cells carrying ANY of the tags; nbstripout's honours only the last tag
  (its filters are lambdas that all see the loop variable's final value).
- cell ids are never invented or repaired: nbformat's reader gives random new ids to cells that lack
  one (nbformat >= 4.5) or share one, so nbstripout's output for such a notebook changes on every run.
  (With --renumber-ids every cell of an nbformat 4.5 notebook is numbered, as nbstripout numbers them.)
- what nbstripout cannot read at all but strip_output can strip is stripped: a Databricks export whose
  cells lack `metadata` (nothing is added to them). What it cannot strip either is reported by name.

What nbformat itself does on reading and writing is done here too, so the comparison holds: transient
keys (`metadata.orig_nbformat`, `metadata.signature`, `cell.metadata.trusted`...) do not count as a change
but are left out of a file that is written; a layout that cannot be reproduced falls back to nbformat's.

nbformat and nbstripout are imported only when a notebook may need stripping (together ~1.5 s where
jupyter_server's jsonschema extras are installed): a notebook that is certainly clean (no outputs, no
counts, none of the keys, no cell to drop) is told apart from its JSON alone, so a pre-commit run over
clean notebooks never pays for them.
"""

from __future__ import annotations

import json
from codecs import BOM_UTF8
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from nblint.core.read import cellwise
from nblint.core.read.files import HandedBytes
from nblint.core.read.jsonlayout import TextOnDisk, detect
from nblint.core.wording import plural
from nblint.run.strip_options import StripOptions

# What nbformat's readers and writers drop (nbformat/v4/rwbase.py and v3/rwbase.py `strip_transient`).
_TRANSIENT_NOTEBOOK_KEYS = {
    4: ("metadata.orig_nbformat", "metadata.orig_nbformat_minor", "metadata.signature"),
    3: ("orig_nbformat", "orig_nbformat_minor"),
}
_TRANSIENT_CELL_KEYS = {4: ("metadata.trusted",), 3: ("metadata.trusted", "trusted")}


_UTF8_BOM = BOM_UTF8


class NotStrippable(Exception):
    """The file cannot be stripped; str(exc) says why, for one line `path: reason`."""


@dataclass
class StripSummary:
    """What a strip changed (or would change) in one notebook."""

    outputs_removed: int = 0
    counts_cleared: int = 0
    cells_dropped: int = 0
    ids_renumbered: int = 0
    keys_dropped: Counter = field(default_factory=Counter)  # "cell.metadata.collapsed" -> how many cells

    def describe(self, would: bool = False) -> str:
        parts = []
        if self.outputs_removed:
            parts.append(("remove", "removed", plural(self.outputs_removed, "output")))
        if self.counts_cleared:
            parts.append(("clear", "cleared", plural(self.counts_cleared, "execution count")))
        if self.cells_dropped:
            parts.append(("drop", "dropped", plural(self.cells_dropped, "cell")))
        if self.ids_renumbered:
            parts.append(("renumber", "renumbered", plural(self.ids_renumbered, "cell id")))
        if self.keys_dropped:
            keys = ", ".join(
                key if not key.startswith("cell.") else f"{key} ({plural(count, 'cell')})"
                for key, count in sorted(self.keys_dropped.items())
            )
            parts.append(("drop", "dropped", keys))
        if not parts:
            return "would rewrite it" if would else "rewrote it"
        if would:
            return "would " + ", ".join(f"{verb} {what}" for verb, _, what in parts)
        return ", ".join(f"{done} {what}" for _, done, what in parts)


@dataclass
class StripOutcome:
    data: bytes | None  # the stripped file; None when nothing changed
    changed: bool
    summary: StripSummary


def strip_notebook(
    file_bytes: bytes | HandedBytes, options: StripOptions, name: str | None = None, path: Path | None = None
) -> StripOutcome:
    """Strip the bytes of one notebook file. Raises NotStrippable with a one-line reason. Bytes handed
    over (HandedBytes, read from `path`) are dropped once decoded: the text and the parsed JSON are what
    a strip holds; a big file's are parsed cell by cell and its text is left on disk (TextOnDisk).

    A file that starts with a UTF-8 byte-order mark is read as `check` reads it (utf-8-sig) and keeps
    its mark when written, as it keeps the rest of its layout: a strip changes outputs, not encodings."""
    data = file_bytes.take() if isinstance(file_bytes, HandedBytes) else file_bytes
    del file_bytes
    bom = _UTF8_BOM if data.startswith(_UTF8_BOM) else b""
    raw = None
    original: str | TextOnDisk
    if path is not None and isinstance(data, bytearray) and len(data) >= cellwise.CELLWISE_FROM:
        on_disk = TextOnDisk(path, data)  # its shape, before the buffer is cut
        try:
            loaded, data = cellwise.read_cellwise(data, path)
        except OSError as exc:
            raise NotStrippable(f"cannot read: {exc.strerror or exc}") from None
        if loaded is not None:
            raw, original = loaded[0], on_disk
    if raw is None:
        text = decode_text(data, name)
        del data
        raw, original = parse_raw(text), text
    major = check_structure(raw)
    if _certainly_clean(raw, major, options):
        return StripOutcome(None, False, StripSummary())
    try:
        return _strip(bom, original, raw, major, options)
    except RecursionError:
        raise NotStrippable("cannot strip: JSON nested too deeply") from None
    except UnicodeEncodeError:
        raise NotStrippable(
            "cannot strip: a string escape (a lone surrogate) cannot be written back as UTF-8"
        ) from None


def _strip(bom: bytes, original: str | TextOnDisk, raw: dict, major: int, options: StripOptions) -> StripOutcome:
    from nbformat.notebooknode import from_dict
    from nbstripout import MetadataError, strip_output

    notebook = from_dict(raw)  # new containers all the way down: `raw` stays as read

    census = _Census(notebook, major, options)
    _drop_tagged_cells(notebook, major, options.drop_tagged_cells)
    if options.renumber_ids:
        _give_missing_ids(notebook, major)
    try:
        strip_output(
            notebook,
            keep_output=True if options.keep_output else None,  # None: honour metadata.keep_output, as the CLI
            keep_count=options.keep_count,
            keep_id=not options.renumber_ids,
            extra_keys=options.keys_to_strip(),
            drop_empty_cells=options.drop_empty_cells,
            drop_tagged_cells=[],  # done above, honouring every tag
            strip_init_cells=options.strip_init_cells,
            max_size=options.max_size or 0,
        )
    except MetadataError as exc:
        raise NotStrippable(f"cannot strip: {exc}") from None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise NotStrippable(f"cannot strip: unexpected notebook structure ({type(exc).__name__}: {exc})") from None

    if notebook == raw:
        return StripOutcome(None, False, StripSummary())
    _strip_transient(notebook, major)
    new_text = _serialise(original, raw, notebook, major)
    if new_text == original if isinstance(original, str) else original.is_made_of([new_text]):
        return StripOutcome(None, False, StripSummary())
    return StripOutcome(bom + new_text.encode("utf-8"), True, census.summary(notebook))


def decode_text(data: bytes | bytearray, name: str | None = None) -> str:
    from nblint.core.read.encoding import utf16_message

    utf16 = utf16_message(data, name)
    if utf16 is not None:
        raise NotStrippable(f"not a notebook: {utf16}")
    try:
        return data.decode("utf-8-sig")  # a byte-order mark is left out of the text (not sliced off: a copy)
    except UnicodeDecodeError as exc:
        raise NotStrippable(f"not a notebook: not UTF-8 text (byte {exc.start})") from None


def parse_raw(text: str) -> Any:
    from nblint.core.read.encoding import json_error_text
    from nblint.core.read.jsonload import TooBigInteger, load_json
    from nblint.core.read.schema import format_path

    try:
        return load_json(text)
    except TooBigInteger as exc:
        raise NotStrippable(
            f"not a notebook Jupyter can read: an integer of {exc.digits:,} digits at "
            f"{format_path(exc.path)} is over Python's limit for reading integers"
        ) from None
    except json.JSONDecodeError as exc:
        if any(line.startswith(("<<<<<<< ", "=======", ">>>>>>> ")) for line in text.splitlines()):
            raise NotStrippable(
                "not a notebook: it holds git merge conflict markers; resolve the merge first"
            ) from None
        raise NotStrippable(
            f"not a notebook: not JSON ({json_error_text(exc)} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise NotStrippable("not a notebook: JSON nested too deeply to read") from None


def check_structure(raw: Any) -> int:
    """What strip_output relies on, checked up front so the reason can be told; returns the major version."""
    if not isinstance(raw, dict):
        raise NotStrippable(
            f"not a notebook: the JSON is {type(raw).__name__ if raw is not None else 'null'}, not an object"
        )
    major = raw.get("nbformat")
    if not isinstance(major, int) or isinstance(major, bool):
        raise NotStrippable('not a notebook: no integer "nbformat" version')
    if major not in (2, 3, 4):
        raise NotStrippable(f"not a notebook nblint can strip: nbformat {major} (2, 3 and 4 are supported)")
    if not isinstance(raw.get("metadata"), dict):
        raise NotStrippable('not a notebook: no "metadata" object')
    if major >= 4:
        if not isinstance(raw.get("cells"), list):
            raise NotStrippable('not a notebook: no "cells" list')
        _check_cells(raw["cells"], "cell")
    else:
        worksheets = raw.get("worksheets")
        if not isinstance(worksheets, list):
            raise NotStrippable(f'not a notebook: nbformat {major} without a "worksheets" list')
        for number, worksheet in enumerate(worksheets):
            if not isinstance(worksheet, dict) or not isinstance(worksheet.get("cells"), list):
                raise NotStrippable(f'not a notebook: worksheet {number} has no "cells" list')
            _check_cells(worksheet["cells"], f"worksheet {number}, cell" if len(worksheets) > 1 else "cell")
    return major


def _check_cells(cells: list, label: str) -> None:
    for number, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise NotStrippable(f"not a notebook: {label} {number} is not an object")
        if "metadata" in cell and not isinstance(cell["metadata"], dict):
            raise NotStrippable(f'not a notebook: {label} {number}: "metadata" is not an object')
        outputs = cell.get("outputs", [])
        if not isinstance(outputs, list) or not all(isinstance(output, dict) for output in outputs):
            raise NotStrippable(f'not a notebook: {label} {number}: "outputs" is not a list of objects')
        source = cell.get("source", "")
        if not isinstance(source, str) and not (isinstance(source, list) and all(isinstance(s, str) for s in source)):
            raise NotStrippable(f'not a notebook: {label} {number}: "source" is neither text nor a list of lines')


def _certainly_clean(raw: dict, major: int, options: StripOptions) -> bool:
    """True when strip_output could not change this notebook: nothing in it is one of the things it strips.
    Anything less certain (an output, a count, a cell keep_output could concern) goes to strip_output."""
    if options.renumber_ids:
        return False
    keys = options.keys_to_strip()
    cell_keys = [key[len("cell.") :] for key in keys if key.startswith("cell.")]
    if any(_has_path(raw["metadata"], key[len("metadata.") :]) for key in keys if key.startswith("metadata.")):
        return False
    for container in _containers(raw, major):
        for cell in container["cells"]:
            if cell.get("outputs") or "keep_output" in cell.get("metadata", {}):
                return False
            if not options.keep_count and (
                cell.get("execution_count") is not None or cell.get("prompt_number") is not None
            ):
                return False
            if options.drop_empty_cells and not any(line.strip() for line in cell.get("source", [])):
                return False
            if options.drop_tagged_cells:
                tags = cell.get("metadata", {}).get("tags", [])
                if not isinstance(tags, (list, str)) or any(tag in tags for tag in options.drop_tagged_cells):
                    return False
            if any(_has_path(cell, key) for key in cell_keys):
                return False
    return True


def _containers(notebook, major: int) -> Iterator[dict]:
    """The objects that hold a "cells" list: the notebook itself, or each worksheet before nbformat 4."""
    if major >= 4:
        yield notebook
    else:
        yield from notebook["worksheets"]


def _drop_tagged_cells(notebook, major: int, tags: tuple[str, ...]) -> None:
    """nbstripout's test for one tag (`tag not in cell.metadata.tags`), applied for every tag."""
    if not tags:
        return
    for container in _containers(notebook, major):
        container["cells"] = [
            cell
            for cell in container["cells"]
            if not any(tag in cell.get("metadata", {}).get("tags", []) for tag in tags)
        ]


def _give_missing_ids(notebook, major: int) -> None:
    """Before renumbering: in nbformat >= 4.5 every cell has an id, and nbstripout's renumbering reaches
    the cells lacking one too (nbformat's reader gave them one first). strip_output then numbers them."""
    minor = notebook.get("nbformat_minor")
    if major != 4 or not isinstance(minor, int) or minor < 5:
        return
    for cell in notebook["cells"]:
        if "id" not in cell:
            keys = list(cell)
            items = list(cell.items())
            if keys == sorted(keys):  # keep a sorted cell sorted, as nbformat writes it
                items.append(("id", ""))
                items.sort(key=lambda item: item[0])
            else:
                items.append(("id", ""))
            cell.clear()
            cell.update(items)


def _strip_transient(notebook, major: int) -> None:
    """nbformat's strip_transient, tolerating cells without metadata (Databricks exports have them)."""
    for key in _TRANSIENT_NOTEBOOK_KEYS.get(major, ()):
        _pop_path(notebook, key)
    for container in _containers(notebook, major):
        for cell in container["cells"]:
            for key in _TRANSIENT_CELL_KEYS.get(major, ()):
                _pop_path(cell, key)


def _pop_path(mapping: Any, dotted: str) -> None:
    *parents, last = dotted.split(".")
    for name in parents:
        mapping = mapping.get(name)
        if not isinstance(mapping, dict):
            return
    mapping.pop(last, None)


def _serialise(original: str | TextOnDisk, raw: Any, notebook, major: int) -> str:
    layout = detect(original, raw)
    if layout is not None:
        return layout.dumps(notebook)
    import nbformat

    # The file's layout cannot be reproduced: write nbformat's, as nbstripout would (nbformat.write
    # without its validation, which would give new random ids to cells lacking one).
    try:
        written = nbformat.versions[major].writes_json(notebook)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise NotStrippable(f"cannot write it back in nbformat's layout ({type(exc).__name__}: {exc})") from None
    return written if written.endswith("\n") else written + "\n"


def _has_path(mapping: Any, key: str) -> bool:
    """Whether nbstripout's pop_recursive(mapping, key) would pop something."""
    while isinstance(mapping, dict):
        if key in mapping:
            return True
        if "." not in key:
            return False
        head, key = key.split(".", 1)
        if head not in mapping:
            return False
        mapping = mapping[head]
    return False


class _Census:
    """A note of each cell before the strip, to tell afterwards what went."""

    def __init__(self, notebook, major: int, options: StripOptions) -> None:
        self.major = major
        keys = options.keys_to_strip() + list(_TRANSIENT_NOTEBOOK_KEYS.get(major, ()))
        self.notebook_keys = [key for key in keys if not key.startswith("cell.")]
        self.cell_keys = [key[len("cell.") :] for key in options.keys_to_strip() if key.startswith("cell.")]
        self.cell_keys += [key for key in _TRANSIENT_CELL_KEYS.get(major, ()) if key not in self.cell_keys]
        self.notebook_had = {key for key in self.notebook_keys if self._notebook_has(notebook, key)}
        self.cells = [
            (cell, self._note(cell)) for container in _containers(notebook, major) for cell in container["cells"]
        ]

    def _notebook_has(self, notebook, key: str) -> bool:
        namespace, _, rest = key.partition(".")
        return _has_path(notebook.get("metadata"), rest) if namespace == "metadata" else _has_path(notebook, key)

    def _note(self, cell) -> dict:
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        return {
            "outputs": len(outputs),
            "count": _cell_count(cell),
            "counted_outputs": {id(output) for output in outputs if _output_count(output) is not None},
            "id": cell.get("id"),
            "keys": {key for key in self.cell_keys if _has_path(cell, key)},
        }

    def summary(self, notebook) -> StripSummary:
        summary = StripSummary()
        for key in self.notebook_had:
            if not self._notebook_has(notebook, key):
                summary.keys_dropped[key] += 1
        remaining = {id(cell) for container in _containers(notebook, self.major) for cell in container["cells"]}
        for cell, before in self.cells:
            if id(cell) not in remaining:
                summary.cells_dropped += 1
                continue
            outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
            summary.outputs_removed += before["outputs"] - len(outputs)
            if before["count"] is not None and _cell_count(cell) is None:
                summary.counts_cleared += 1
            summary.counts_cleared += sum(  # counts of the outputs kept (--keep-output without --keep-count)
                1 for output in outputs if id(output) in before["counted_outputs"] and _output_count(output) is None
            )
            if cell.get("id") != before["id"]:
                summary.ids_renumbered += 1
            for key in before["keys"]:
                if not _has_path(cell, key):
                    summary.keys_dropped[f"cell.{key}"] += 1
        return summary


def _cell_count(cell):
    """A cell's execution count (prompt_number before nbformat 4)."""
    count = cell.get("execution_count")
    return count if count is not None else cell.get("prompt_number")


def _output_count(output):
    return output.get("execution_count") if isinstance(output, dict) else None
