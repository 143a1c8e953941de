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
        text = json.dumps(value, indent=self.indent, separators=self.separators, ensure_ascii=self.ensure_ascii)
        if self.newline != "\n":
            # JSON strings never hold a raw newline, so every "\n" here is layout.
            text = text.replace("\n", self.newline)
        return self.leading + text + self.trailing


def detect(text: str, value: Any) -> Layout | None:
    for layout in _candidates(text):
        if layout.dumps(value) == text:
            return layout
    return None


def _candidates(text: str):
    start = len(text) - len(text.lstrip(_JSON_WHITESPACE))
    end = len(text.rstrip(_JSON_WHITESPACE))
    leading, body, trailing = text[:start], text[start:end], text[end:]
    newline = "\r\n" if "\r\n" in body else "\n"
    # Escaped non-ASCII (\u00e9) and raw non-ASCII cannot both be reproduced: an all-ASCII file is
    # written with ensure_ascii (which also reproduces files that never needed an escape).
    ensure_ascii = body.isascii()
    if "\n" not in body:
        for separators in ((", ", ": "), (",", ":")):
            yield Layout(None, separators, ensure_ascii, newline, leading, trailing)
        return
    second_line = body.split("\n", 2)[1]
    indent = second_line[: len(second_line) - len(second_line.lstrip(" \t"))]
    # Python 2's json (old IPython notebooks) wrote ", " before each newline.
    for separators in ((",", ": "), (", ", ": ")):
        yield Layout(indent, separators, ensure_ascii, newline, leading, trailing)
