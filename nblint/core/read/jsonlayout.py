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
from dataclasses import dataclass
from typing import Any

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

    def reproduces(self, value: Any, text: str) -> bool:
        """Whether `dumps(value) == text`, compared piece by piece as the encoder writes them and stopping
        at the first difference: a second copy of a 200 MB notebook is never made."""
        position = 0
        for piece in self._pieces(value):
            if not text.startswith(piece, position):
                return False
            position += len(piece)
        return position == len(text)

    def _pieces(self, value: Any):
        yield self.leading
        encoder = json.JSONEncoder(indent=self.indent, separators=self.separators, ensure_ascii=self.ensure_ascii)
        for piece in encoder.iterencode(value):
            # JSON strings never hold a raw newline, so every "\n" here is layout.
            yield piece if self.newline == "\n" else piece.replace("\n", self.newline)
        yield self.trailing


def detect(text: str, value: Any) -> Layout | None:
    for layout in _candidates(text):
        if layout.reproduces(value, text):
            return layout
    return None


def _candidates(text: str):
    # Positions, not slices: each slice or strip of a 200 MB notebook's text would be a copy of it.
    start, end = 0, len(text)
    while start < end and text[start] in _JSON_WHITESPACE:
        start += 1
    while end > start and text[end - 1] in _JSON_WHITESPACE:
        end -= 1
    leading, trailing = text[:start], text[end:]
    newline = "\r\n" if text.find("\r\n", start, end) != -1 else "\n"
    # Escaped non-ASCII (\u00e9) and raw non-ASCII cannot both be reproduced: an all-ASCII file is
    # written with ensure_ascii (which also reproduces files that never needed an escape).
    ensure_ascii = text.isascii()
    first_break = text.find("\n", start, end)
    if first_break == -1:
        for separators in ((", ", ": "), (",", ":")):
            yield Layout(None, separators, ensure_ascii, newline, leading, trailing)
        return
    second_break = text.find("\n", first_break + 1, end)
    second_line = text[first_break + 1 : second_break if second_break != -1 else end]
    indent = second_line[: len(second_line) - len(second_line.lstrip(" \t"))]
    # Python 2's json (old IPython notebooks) wrote ", " before each newline.
    for separators in ((",", ": "), (", ", ": ")):
        yield Layout(indent, separators, ensure_ascii, newline, leading, trailing)
