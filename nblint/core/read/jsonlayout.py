"""A JSON file's own layout (indent, separators, ensure_ascii, line endings, what surrounds the value),
found by reproducing the file, so that a rewrite changes only what was meant to change.

Notebook writers differ: nbformat writes indent 1 with sorted keys (and, for nbformat 3, ASCII-only
text), Colab and many tools write indent 2, some leave out the trailing newline, some use CRLF. Key
order needs no detection: `json.loads` keeps the file's order and `json.dumps` writes it back.

`detect(text, value)` returns the Layout that turns `value` back into exactly `text`, or None when no
layout does (hand-edited spacing, `1e5` written for `100000.0`, escapes another encoder chose). The
caller then falls back to a canonical layout.
"""

from __future__ import annotations

import json
import os
from codecs import BOM_UTF8
from dataclasses import dataclass
from typing import Any, Iterable

from nblint.core.lazyre import lazy_compile

_JSON_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class Layout:
    indent: str | None  # the indent unit as written ("", " ", "  ", "\t"), None for one line
    separators: tuple[str, str]
    ensure_ascii: bool
    newline: str  # "\n" or "\r\n"
    leading: str  # whitespace before the value
    trailing: str  # whitespace after it, usually "\n"

    def dumps(self, value: Any) -> str:
        return "".join(self._pieces(value))

    def reproduces(self, value: Any, original: str | TextOnDisk) -> bool:
        """Whether `dumps(value)` is the original text, compared piece by piece as the encoder writes them
        and stopping at the first difference: a second copy of a 200 MB notebook is never made."""
        if isinstance(original, TextOnDisk):
            return original.is_made_of(self._pieces(value))
        position = 0
        for piece in self._pieces(value):
            if not original.startswith(piece, position):
                return False
            position += len(piece)
        return position == len(original)

    def _pieces(self, value: Any):
        yield self.leading
        encoder = json.JSONEncoder(indent=self.indent, separators=self.separators, ensure_ascii=self.ensure_ascii)
        for piece in encoder.iterencode(value):
            # JSON strings never hold a raw newline, so every "\n" here is layout.
            yield piece if self.newline == "\n" else piece.replace("\n", self.newline)
        yield self.trailing


class TextOnDisk:
    """The text of a notebook too big to keep in memory (read cell by cell, nblint.core.read.cellwise):
    its shape, taken from the file's bytes before they were cut, and the file itself, read back to compare."""

    def __init__(self, path: str | os.PathLike, buffer: bytes | bytearray) -> None:
        self.path = path
        self.offset = len(BOM_UTF8) if buffer.startswith(BOM_UTF8) else 0
        self.shape = _shape(buffer, self.offset)

    def is_made_of(self, pieces: Iterable[str]) -> bool:
        """Whether the file's text (after any byte-order mark) is these pieces joined. Raises
        UnicodeEncodeError for a piece UTF-8 cannot encode (a lone surrogate), as writing it would."""
        with open(self.path, "rb") as stream:
            stream.seek(self.offset)
            for piece in pieces:
                encoded = piece.encode("utf-8")
                if stream.read(len(encoded)) != encoded:
                    return False
            return stream.read(1) == b""


def detect(original: str | TextOnDisk, value: Any) -> Layout | None:
    shape = original.shape if isinstance(original, TextOnDisk) else _shape(original)
    for layout in _candidates(shape):
        if layout.reproduces(value, original):
            return layout
    return None


@dataclass(frozen=True)
class _Shape:
    leading: str  # whitespace before the value
    trailing: str
    crlf: bool  # a "\r\n" in the value's text
    ascii: bool
    second_line: str | None  # None when the value is written on one line


_NOT_ASCII = lazy_compile(rb"[\x80-\xff]")


def _shape(original: str | bytes | bytearray, start: int = 0) -> _Shape:
    # Positions, not slices: each slice or strip of a 200 MB notebook's text would be a copy of it.
    is_text = isinstance(original, str)
    text: Any = original  # (str or bytes, each searched with constants of its own kind)
    blanks, crlf, newline = (_JSON_WHITESPACE, "\r\n", "\n") if is_text else (_JSON_WHITESPACE.encode(), b"\r\n", b"\n")
    end = len(text)
    first = start
    while start < end and text[start] in blanks:  # (an int in bytes, for bytes)
        start += 1
    while end > start and text[end - 1] in blanks:
        end -= 1
    first_break = text.find(newline, start, end)
    second_line = None
    if first_break != -1:
        second_break = text.find(newline, first_break + 1, end)
        second_line = _as_str(text[first_break + 1 : second_break if second_break != -1 else end])
    return _Shape(
        leading=_as_str(text[first:start]),
        trailing=_as_str(text[end:]),
        crlf=text.find(crlf, start, end) != -1,
        ascii=text.isascii() if is_text else _NOT_ASCII.search(text, first) is None,
        second_line=second_line,
    )


def _as_str(piece: str | bytes | bytearray) -> str:
    return piece if isinstance(piece, str) else piece.decode("utf-8")


def _candidates(shape: _Shape):
    newline = "\r\n" if shape.crlf else "\n"
    # Escaped non-ASCII (\u00e9) and raw non-ASCII cannot both be reproduced: an all-ASCII file is
    # written with ensure_ascii (which also reproduces files that never needed an escape).
    if shape.second_line is None:
        for separators in ((", ", ": "), (",", ":")):
            yield Layout(None, separators, shape.ascii, newline, shape.leading, shape.trailing)
        return
    second_line = shape.second_line
    indent = second_line[: len(second_line) - len(second_line.lstrip(" \t"))]
    # Python 2's json (old IPython notebooks) wrote ", " before each newline.
    for separators in ((",", ": "), (", ", ": ")):
        yield Layout(indent, separators, shape.ascii, newline, shape.leading, shape.trailing)
