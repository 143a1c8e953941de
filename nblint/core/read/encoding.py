"""Why bytes are not a notebook's UTF-8 text, in words a user can act on (check and strip say the same).

A notebook saved by a Windows tool as UTF-16 (PowerShell's `>` redirection, some editors' "Unicode")
reads, byte by byte, as ASCII with a NUL after every character: without a byte-order mark it is valid
UTF-8 full of NULs, which a plain "binary file" would misname.
"""

from __future__ import annotations

import json

_SAMPLE = 4096  # bytes looked at: a notebook's first lines are ASCII JSON punctuation and keys
_UTF16_MARKS = ((b"\xff\xfe", "UTF-16LE"), (b"\xfe\xff", "UTF-16BE"))


def utf16_kind(raw: bytes | bytearray) -> tuple[str, bool] | None:
    """("UTF-16LE" or "UTF-16BE", whether it starts with a byte-order mark) when `raw` reads as UTF-16
    text, else None."""
    for mark, name in _UTF16_MARKS:
        if raw.startswith(mark) and not raw.startswith(b"\xff\xfe\x00\x00"):  # not UTF-32LE
            return name, True
    sample = raw[: _SAMPLE - _SAMPLE % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    # ASCII in UTF-16: one byte of each pair is NUL, the other is not; a little non-ASCII text is allowed.
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "UTF-16LE", False
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "UTF-16BE", False
    return None


def utf16_message(raw: bytes | bytearray, name: str | None = None) -> str | None:
    """The one-line reason for a UTF-16 notebook, with the command that converts it; None for other bytes."""
    kind = utf16_kind(raw)
    if kind is None:
        return None
    import shlex  # only for this rare message

    encoding, marked = kind
    what = f"{encoding} text" + ("" if marked else " without a byte-order mark")
    source = shlex.quote(name) if name else "NOTEBOOK.ipynb"
    # With a mark, iconv's plain UTF-16 reads it and drops it; without one, the byte order must be named.
    command = f"iconv -f {'UTF-16' if marked else encoding} -t UTF-8 {source} > converted.ipynb"
    return f"{what}, not UTF-8: notebooks are UTF-8 JSON (as Jupyter writes them); convert it with `{command}`"


def json_error_text(exc: json.JSONDecodeError) -> str:
    """`exc.msg` without the dangling "at" some messages end with ("Invalid control character at"), so
    that the caller's own "at line L, column C" does not read "at at line"."""
    message = exc.msg
    return message[: -len(" at")] if message.endswith(" at") else message
