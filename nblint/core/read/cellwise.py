"""Parsing a big notebook one cell at a time, so that its whole text is never in memory.

`json.loads` of a whole file holds, at its end, the file's text and everything parsed from it: twice the
file for base64 images and more for long streams (each output line is a Python str of its own), with
the file's bytes on top while they are decoded. For a file of CELLWISE_FROM bytes or more, read into a
bytearray, the bytes are scanned instead (the span of each cell, and the JSON line table on the way);
then the cells are decoded and parsed from the last to the first, and the buffer is cut behind each one,
so the bytes shrink while the parse grows. Measured on 200 MB of images: 443 -> 335 MiB peak.

It is a shortcut for the common shape only: a v4 notebook whose top level holds one "cells" array of
objects. Anything else returns None with the buffer untouched, and the caller reads the file whole,
which names any problem as it always has. A cell that does not decode or parse is found only once the
buffer is partly cut: that raises NotCellwise, and read_cellwise reads the file again, whole.
"""

from __future__ import annotations

import json
import os
from typing import Any

from nblint.core.lazyre import lazy_compile
from nblint.core.read.files import read_regular_bytes
from nblint.core.read.jsonlocator import JsonPath, locate_lines, skip_container

CELLWISE_FROM = 32 * 1024 * 1024  # below this, one json.loads of the whole text is simpler and as small

_BOM = b"\xef\xbb\xbf"
_BLANKS = lazy_compile(rb"[ \t\r\n]*")  # (bytes patterns: the scan reads the file's bytes)
# Bounded: a top-level key or string longer than this is no notebook's, and is left to the whole-file read
# (the regex engine slows on one repeat of millions).
_KEY = lazy_compile(rb'"((?:[^"\\]|\\.){0,1000})"[ \t\r\n]*:[ \t\r\n]*')
_SCALAR = lazy_compile(rb'"(?:[^"\\]|\\.){0,10000}"|[^ \t\r\n,\]}"]{1,10000}')


class NotCellwise(Exception):
    """A cell did not decode or parse, after the buffer was cut: read the file again, whole."""


def load_cellwise(buffer: bytearray) -> tuple[dict, dict[JsonPath, int]] | None:
    """(the notebook JSON, its line table as locate_lines gives it) of a file's bytes, or None when the file
    is not of the common shape (the buffer is then as it was). The buffer is emptied on the way."""
    spans = _cell_spans(buffer)
    if spans is None:
        return None
    opening, closing, cells = spans
    try:  # the top level with "cells": [] in place of the cells
        head = json.loads(_decode(buffer, 0, opening + 1) + _decode(buffer, closing, len(buffer)))
    except (ValueError, RecursionError):
        return None
    if not isinstance(head, dict) or head.get("nbformat") != 4 or head.get("cells") != []:
        return None
    lines = locate_lines(buffer)
    parsed: list[Any] = []
    try:
        for start, end in reversed(cells):
            parsed.append(json.loads(_decode(buffer, start, end)))
            del buffer[start:]  # CPython gives the memory back each time the buffer halves
    except (ValueError, RecursionError):
        raise NotCellwise from None
    parsed.reverse()
    head["cells"] = parsed
    return head, lines


def read_cellwise(buffer: bytearray, path: str | os.PathLike) -> tuple[tuple[dict, dict] | None, bytes | bytearray]:
    """((the JSON, its line table), an empty buffer) when the file at `path`, whose bytes `buffer` holds,
    is read cell by cell; else (None, the bytes to read whole): `buffer` as it was, or the file read
    again when a cell did not parse after the buffer was cut. Raises OSError from that read."""
    try:
        loaded = load_cellwise(buffer)
    except NotCellwise:  # the buffer is cut: the whole file, again, will say what is wrong
        return None, read_regular_bytes(path)
    return loaded, buffer


def _after_blanks(buffer: bytearray, position: int) -> int:
    blanks = _BLANKS.match(buffer, position)  # (it always matches, if only nothing)
    return blanks.end() if blanks is not None else position


def _decode(buffer: bytearray, start: int, end: int) -> str:
    """Strict UTF-8, as the whole file is decoded (json.loads of bytes would let surrogates pass)."""
    with memoryview(buffer) as view:
        if start == 0 and buffer.startswith(_BOM):
            start = len(_BOM)
        return str(view[start:end], "utf-8")


def _cell_spans(buffer: bytearray) -> tuple[int, int, list[tuple[int, int]]] | None:
    """(where the top-level "cells" array opens, where it closes, the [start, end) of each cell), when
    the top level is an object with exactly one "cells" key whose value is an array of objects."""
    position = _after_blanks(buffer, len(_BOM) if buffer.startswith(_BOM) else 0)
    if buffer[position : position + 1] != b"{":
        return None
    position += 1
    found = None
    while True:
        position = _after_blanks(buffer, position)
        if buffer[position : position + 1] == b"}":
            return found
        key = _KEY.match(buffer, position)
        if key is None:
            return None
        position = key.end()
        if key.group(1) == b"cells":
            if found is not None or buffer[position : position + 1] != b"[":
                return None  # twice (json.loads would keep the last), or not an array
            cells = _elements(buffer, position)
            if cells is None:
                return None
            position = cells[-1]
            found = (key.end(), position - 1, cells[:-1])
        else:
            after = _skip_value(buffer, position)
            if after is None:
                return None
            position = after
        position = _after_blanks(buffer, position)
        if buffer[position : position + 1] == b",":
            position += 1
        elif buffer[position : position + 1] != b"}":
            return None


def _elements(buffer: bytearray, opening: int) -> list | None:
    """The spans of the objects in the array opening at `opening`, then the position after it closes."""
    spans: list = []
    position = _after_blanks(buffer, opening + 1)
    if buffer[position : position + 1] == b"]":
        return [position + 1]
    while True:
        if buffer[position : position + 1] != b"{":
            return None
        end = skip_container(buffer, position + 1)
        spans.append((position, end))
        position = _after_blanks(buffer, end)
        following = buffer[position : position + 1]
        if following == b"]":
            spans.append(position + 1)
            return spans
        if following != b",":
            return None
        position = _after_blanks(buffer, position + 1)


def _skip_value(buffer: bytearray, position: int) -> int | None:
    if buffer[position : position + 1] in (b"{", b"["):
        return skip_container(buffer, position + 1)
    scalar = _SCALAR.match(buffer, position)
    return scalar.end() if scalar is not None else None
