"""A path as the text formats print it: as it is, unless it holds characters that would break the line.

A file name may hold a newline, a tab, an escape sequence or bytes that are not UTF-8: printed raw, a
newline splits one `path:cell:line` finding into two lines that no editor or grep reads back, and an
escape sequence rewrites the terminal. Such a name is quoted as git quotes it (core.quotePath): in double
quotes, with C escapes. The JSON and SARIF formats keep the exact name (JSON escapes it itself).
"""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v"}
_NAMED.update({'"': '\\"', "\\": "\\\\"})


def _needs_escape(char: str) -> bool:
    code = ord(char)
    # C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the surrogates Python
    # uses for bytes of a file name that are not UTF-8 (surrogateescape): none may be printed as they are.
    return code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029) or 0xD800 <= code <= 0xDFFF


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of the name, as the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def quote_path(path: str) -> str:
    """`path` as it is when it prints safely on one line, else `"..."` with C escapes (`"new\\nline.ipynb"`)."""
    if not any(_needs_escape(char) for char in path):
        return path
    return '"' + "".join(_escape(char) if _needs_escape(char) or char in '"\\' else char for char in path) + '"'
