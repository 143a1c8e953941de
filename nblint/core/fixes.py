"""Fixes: one model for `nblint check --fix` and the language server's code actions.

## The model

A `Fix` is what one finding proposes to change in its notebook:

- `description`: one line a person reads ("Replace `!pip` with `%pip`"), used as a code action's title;
- `applicability`: `Applicability.SAFE` (keeps what the notebook means: applied by `--fix`) or
  `Applicability.UNSAFE` (changes behaviour or guesses: applied only with `--unsafe-fixes`), as in ruff;
- `edits`: a tuple of edits, applied together or not at all. Two kinds:

  `SourceEdit(cell, start_line, start_column, end_line, end_column, text)` replaces a range of one cell's
  source. `cell` is the 0-based index into the notebook's `cells` (markdown and raw cells counted, as
  `Finding.cell`); lines and columns are 1-based within the cell, as in findings. Lines are the source
  split at `\\n`; columns count characters (Unicode code points, not UTF-16 units as LSP does: the server
  converts). The range is half-open: `end` is the position just past the last replaced character, so an
  insertion has start == end, the end of line 3 is column len(line 3) + 1, and a range that ends at
  (4, 1) takes line 3's newline with it.

  Source edits apply to nbformat 4 files only (older files store source lines their own ways).

  `JsonEdit(path, value)` sets the value at a JSON path of the file as written (`("metadata",
  "kernelspec")`, `("cells", 3, "id")`, `("cells", 3, "outputs", 0)`; nbformat 3 files have their own
  paths, `("worksheets", 0, "cells", 3, ...)`). `JsonEdit(path, remove=True)` removes the key or the
  list item. Setting a key that is absent adds it (in sorted place when the object's keys are sorted,
  as nbformat writes them; else at the end). The parent must exist.

All positions and paths refer to the notebook as the finding saw it: `apply_fixes` resolves every edit of
every fix against the same original text, so the fixes of one check can be applied in one go (removals
of several items of one list included).

## Applying fixes

`apply_fixes(text, fixes)` returns a `FixOutcome`: the new text, the fixes applied, and the fixes
skipped because an edit overlaps an edit of a fix applied before it (fixes are taken in the order
given; `nblint check --fix` then checks the result again and applies what is still proposed, as ruff
does). Edits overlap when two source edits of one cell share characters (two insertions at one point
count as overlapping too: their order would be a guess), when one JSON path is a prefix of another,
and when a JSON edit touches a cell whose source another edit changes. Edits of ONE fix that overlap
each other are the rule's bug: `FixError`. So is an edit that points outside the notebook (a cell or
line that is not there, a path whose parent is missing): `FixError` names it.

The file keeps its own JSON layout (indent, key order, escaping, line endings, final newline), found by
reproducing the original text (nblint.core.read.jsonlayout, as `nblint strip` does); a file whose
layout cannot be reproduced is written in nbformat's (indent 1, sorted keys). Only the changed values
differ. A cell's source is written back in the form it had: a string stays a string, a list of lines
stays a list of lines split after each `\\n`.

## Where fixes come from and go

- A rule passes `autofix=Fix(...)` to `report()` / `report_at()` (nblint.rules.base) beside its `fix` text
  (the rewrite shown in messages), and declares `fixable = Applicability.SAFE` (or UNSAFE) so that
  `nblint rules` and `nblint explain` can say so. The engine copies it to `Finding.autofix`; the cache
  stores it (`Fix.to_dict` / `Fix.from_dict`), and `--format json` prints it as `"autofix"`.
- Suppression comments are fixes too: nblint.core.noqa builds "ignore NBxxx on this line / in this
  cell" (`--add-noqa`, and an editor's code actions).
- `nblint check --fix / --diff` (nblint.run.fixrun) applies a notebook's fixes, checks the result again
  in memory and repeats while fixes remain that were skipped for overlapping.
- An editor applies a source edit to the cell's text document (converting columns to UTF-16 units) and a
  JSON edit to the notebook's metadata, outputs or ids; or, simplest, `apply_fixes` to the file's text.

This module imports nothing heavy (no nbformat, no libcst): rules import it to build their fixes.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence, Union


class Applicability(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class SourceEdit:
    """Replace a range of one cell's source (lines and columns 1-based within the cell) with `text`."""

    cell: int
    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str

    def to_dict(self) -> dict:
        return {
            "kind": "source",
            "cell": self.cell,
            "start_line": self.start_line,
            "start_column": self.start_column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "text": self.text,
        }


@dataclass(frozen=True)
class JsonEdit:
    """Set (or, with `remove`, delete) the value at a path of the notebook's JSON."""

    path: tuple
    value: Any = None
    remove: bool = False

    def to_dict(self) -> dict:
        data: dict = {"kind": "json", "path": list(self.path)}
        if self.remove:
            data["remove"] = True
        else:
            data["value"] = self.value
        return data


Edit = Union[SourceEdit, JsonEdit]


@dataclass(frozen=True)
class Fix:
    """The edits that fix one finding, said in `description`, and how safe applying them is."""

    description: str
    applicability: Applicability
    edits: tuple = ()

    @property
    def is_safe(self) -> bool:
        return self.applicability is Applicability.SAFE

    def to_dict(self) -> dict:
        return {
            "description": self.description,
            "applicability": self.applicability.value,
            "edits": [edit.to_dict() for edit in self.edits],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Fix":
        edits = []
        for item in data["edits"]:
            if item["kind"] == "source":
                edits.append(
                    SourceEdit(
                        item["cell"],
                        item["start_line"],
                        item["start_column"],
                        item["end_line"],
                        item["end_column"],
                        item["text"],
                    )
                )
            else:
                edits.append(JsonEdit(tuple(item["path"]), item.get("value"), bool(item.get("remove", False))))
        return cls(data["description"], Applicability(data["applicability"]), tuple(edits))


def safe(description: str, *edits: Edit) -> Fix:
    return Fix(description, Applicability.SAFE, tuple(edits))


def unsafe(description: str, *edits: Edit) -> Fix:
    return Fix(description, Applicability.UNSAFE, tuple(edits))


def replace_line(cell: int, line: int, start_column: int, end_column: int, text: str) -> SourceEdit:
    """Replace columns [start_column, end_column) of one line."""
    return SourceEdit(cell, line, start_column, line, end_column, text)


class FixError(ValueError):
    """A fix that cannot be applied as written (a rule's bug, or a notebook changed since it was checked)."""


@dataclass
class FixOutcome:
    """A file's text after its fixes were applied, with the fixes applied and those skipped."""

    text: str
    applied: list[Fix] = field(default_factory=list)
    skipped: list[Fix] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def apply_fixes(text: str, fixes: Iterable[Fix]) -> FixOutcome:
    """Apply `fixes` (in order, skipping those that overlap one already taken) to a notebook's JSON text."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise FixError(f"not a notebook nblint can fix: {exc}") from None
    if not isinstance(data, dict):
        raise FixError("not a notebook nblint can fix: the JSON is not an object")
    from nblint.core.read.jsonlayout import detect

    layout = detect(text, data)  # before any change: the layout that reproduces the file as it is
    cells = _cell_locations(data)
    outcome = FixOutcome(text)
    taken: list[_Claim] = []
    for fix in fixes:
        claims = [_claim(edit, cells) for edit in fix.edits]
        for i, claim in enumerate(claims):
            if any(claim.overlaps(other) for other in claims[i + 1 :]):
                raise FixError(f"the edits of one fix overlap: {fix.description}")
        if any(claim.overlaps(other) for claim in claims for other in taken):
            outcome.skipped.append(fix)
            continue
        taken.extend(claims)
        outcome.applied.append(fix)
    if not outcome.applied:
        return outcome
    edits = [edit for fix in outcome.applied for edit in fix.edits]
    _apply_source_edits(data, cells, [e for e in edits if isinstance(e, SourceEdit)])
    _apply_json_edits(data, [e for e in edits if isinstance(e, JsonEdit)])
    outcome.text = layout.dumps(data) if layout is not None else _nbformat_layout(data)
    if outcome.text == text:
        outcome.applied = []  # the fixes asked for what the file already holds: nothing was fixed
    return outcome


def _nbformat_layout(data: Any) -> str:
    # What nbformat's JSON writer produces (indent 1, sorted keys, raw UTF-8, a final newline).
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# -- where edits land ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CellLocation:
    """Where a cell sits in the raw JSON, and the key that holds its source."""

    path: tuple  # raw JSON path of the cell
    source_key: str = "source"


def _cell_locations(data: dict) -> list[_CellLocation] | None:
    """Where each cell sits, in the order nblint numbers them; None before nbformat 4, whose files store
    source lines in ways of their own (nbformat 2 without their newlines): source edits need nbformat 4."""
    if data.get("nbformat") == 4 and isinstance(data.get("cells"), list):
        return [_CellLocation(("cells", index)) for index in range(len(data["cells"]))]
    return None


@dataclass(frozen=True)
class _Claim:
    """The part of the file an edit changes, for the overlap test."""

    path: tuple  # the JSON path it changes (a cell's source path for a source edit)
    span: tuple[tuple[int, int], tuple[int, int]] | None = None  # (start, end) positions for a source edit

    def overlaps(self, other: "_Claim") -> bool:
        if self.span is not None and other.span is not None and self.path == other.path:
            (a_start, a_end), (b_start, b_end) = self.span, other.span
            if a_start == a_end or b_start == b_end:  # an insertion
                return b_start <= a_start <= b_end if a_start == a_end else a_start <= b_start <= a_end
            return a_start < b_end and b_start < a_end
        shorter = min(len(self.path), len(other.path))
        return self.path[:shorter] == other.path[:shorter]


def _claim(edit: Edit, cells: list[_CellLocation] | None) -> _Claim:
    if isinstance(edit, SourceEdit):
        if cells is None:
            raise FixError("source edits need an nbformat 4 notebook (convert it first: NB607)")
        if not 0 <= edit.cell < len(cells):
            raise FixError(f"a fix edits cell {edit.cell + 1}, which the notebook does not have")
        start, end = (edit.start_line, edit.start_column), (edit.end_line, edit.end_column)
        if end < start or min(edit.start_line, edit.start_column, edit.end_line, edit.end_column) < 1:
            raise FixError(f"a fix edits cell {edit.cell + 1} at an impossible range {start}-{end}")
        location = cells[edit.cell]
        return _Claim(location.path + (location.source_key,), (start, end))
    return _Claim(tuple(edit.path))


# -- source edits ------------------------------------------------------------------------------------


def _apply_source_edits(data: dict, cells: list[_CellLocation], edits: list[SourceEdit]) -> None:
    by_cell: dict[int, list[SourceEdit]] = {}
    for edit in edits:
        by_cell.setdefault(edit.cell, []).append(edit)
    for index, cell_edits in by_cell.items():
        location = cells[index]
        cell = _resolve(data, location.path)
        if not isinstance(cell, dict):
            raise FixError(f"cell {index + 1} is not an object")
        written = cell.get(location.source_key, "")
        if isinstance(written, list) and all(isinstance(part, str) for part in written):
            source = "".join(written)
        elif isinstance(written, str):
            source = written
        else:
            raise FixError(f"cell {index + 1}: its source is neither text nor a list of lines")
        starts = _line_starts(source)
        # From the end backwards, so each edit's offsets are still those of the original source.
        for edit in sorted(cell_edits, key=lambda e: (e.start_line, e.start_column), reverse=True):
            begin = _offset(source, starts, edit.start_line, edit.start_column, index)
            end = _offset(source, starts, edit.end_line, edit.end_column, index)
            source = source[:begin] + edit.text + source[end:]
        cell[location.source_key] = _split_after_newlines(source) if isinstance(written, list) else source


def _line_starts(source: str) -> list[int]:
    starts = [0]
    position = source.find("\n")
    while position >= 0:
        starts.append(position + 1)
        position = source.find("\n", position + 1)
    return starts


def _offset(source: str, starts: list[int], line: int, column: int, cell: int) -> int:
    if line > len(starts):
        raise FixError(f"a fix edits line {line} of cell {cell + 1}, which has {len(starts)} lines")
    begin = starts[line - 1]
    stop = starts[line] - 1 if line < len(starts) else len(source)  # the line's end, before its newline
    if begin + column - 1 > stop:
        raise FixError(f"a fix edits column {column} of line {line} of cell {cell + 1}, past its end")
    return begin + column - 1


def _split_after_newlines(source: str) -> list[str]:
    """nbformat's list form: one string per line, each keeping its `\\n` (split at `\\n` only, so a `\\r` or
    a form feed inside a line stays where it was)."""
    lines = source.split("\n")
    parts = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        parts.append(lines[-1])
    return parts


# -- JSON edits ------------------------------------------------------------------------------------


def _resolve(data: Any, path: Sequence) -> Any:
    node = data
    for key in path:
        if isinstance(node, dict) and isinstance(key, str) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(node):
            node = node[key]
        else:
            raise FixError(f"a fix names {_shown(path)}, which the notebook does not have")
    return node


def _apply_json_edits(data: dict, edits: list[JsonEdit]) -> None:
    # Resolve every parent first, against the original structure; then set, then remove list items from
    # the highest index down so that each index still means the item the fix named.
    targets = []
    for edit in edits:
        if not edit.path:
            raise FixError("a fix replaces the whole notebook")
        parent = _resolve(data, edit.path[:-1])
        key = edit.path[-1]
        if isinstance(parent, list):
            if not (isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(parent)):
                raise FixError(f"a fix names {_shown(edit.path)}, which the notebook does not have")
        elif not (isinstance(parent, dict) and isinstance(key, str)):
            raise FixError(f"a fix names {_shown(edit.path)} inside something that is not an object or a list")
        elif edit.remove and key not in parent:
            raise FixError(f"a fix removes {_shown(edit.path)}, which the notebook does not have")
        targets.append((edit, parent, key))
    for edit, parent, key in targets:
        if edit.remove:
            continue
        if isinstance(parent, dict) and key not in parent:
            _add_key(parent, key, edit.value)
        else:
            parent[key] = edit.value
    removals = [(id(parent), key, parent) for edit, parent, key in targets if edit.remove]
    for _, key, parent in sorted(removals, key=lambda item: (item[0], _sort_index(item[1])), reverse=True):
        del parent[key]


def _sort_index(key: Any) -> Any:
    return key if isinstance(key, int) else -1


def _add_key(mapping: dict, key: str, value: Any) -> None:
    keys = list(mapping)
    if keys == sorted(keys):
        items = sorted([*mapping.items(), (key, value)], key=lambda item: item[0])
        mapping.clear()
        mapping.update(items)
    else:
        mapping[key] = value


def _shown(path: Sequence) -> str:
    return "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path).lstrip(".") or "(root)"
