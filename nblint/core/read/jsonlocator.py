"""Map JSON paths of a raw .ipynb text to the 1-based file lines that hold them.

nbformat writes each source line of a cell as its own JSON string on its own file line, so a finding
in line k of a cell can point at the very line a pull request shows. We scan the raw text once with a
token regex (strings are matched whole, so a multi-megabyte base64 image is one token) and record
the line of every key and array element down to a small depth; deeper values (output payloads) are
never needed and not recorded.
"""

from __future__ import annotations

import functools
import re

# Strings are written unrolled ("[^"\\]*(?:\\.[^"\\]*)*") so that long strings scan in C, not per char.
_TOKEN = r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+'
# Inside a container below the recorded depth only brackets matter: a run of anything else, short
# strings whole, is one match (bounded, as the regex engine slows on one repeat of millions), so a
# stream of 25,000 output lines costs a few steps of the Python loop instead of 50,000. A long run in
# a string (a base64 image) stops the match at its quote, and _string_end finds its end with `find`,
# a memchr: the regex reads about 7 ns a character, which was 0.6 s of a 40 MB notebook.
_SKIP = r'(?:[^"\[\]{}]+|"[^"\\]{0,256}(?:\\.[^"\\]{0,256})*"){0,1000}'


class _Scanner:
    """The patterns for text (str) or for a file's bytes (a big notebook is scanned before it is decoded,
    see nblint.core.read.cellwise): positions are then byte offsets, which is all a line count needs."""

    def __init__(self, kind: type) -> None:
        encode = (lambda pattern: pattern) if kind is str else (lambda pattern: pattern.encode("ascii"))
        self.token = re.compile(encode(_TOKEN))
        self.skip = re.compile(encode(_SKIP))
        self.newline = encode("\n")
        self.quote = encode('"')
        self.backslash = "\\" if kind is str else ord("\\")  # what indexing the text gives
        self.text = kind is str

    def char(self, text, position: int) -> str:
        return text[position] if self.text else chr(text[position])


@functools.cache
def _scanner_for(kind: type) -> _Scanner:
    return _Scanner(kind)  # compiled on first use, as most runs ask for no line


def _scanner(text) -> _Scanner:
    return _scanner_for(str if isinstance(text, str) else bytes)


JsonPath = tuple  # of str keys and int indexes


def locate_lines(text: str | bytes | bytearray, max_depth: int = 4) -> dict[JsonPath, int]:
    """Return {path: line} for every object key and array element whose path is at most max_depth long."""
    scanner = _scanner(text)
    lines: dict[JsonPath, int] = {}
    # Each frame: [is_object, path, pending_key_or_index, expecting_key]
    stack: list[list] = []
    line = 1
    last = 0

    def line_at(pos: int) -> int:
        nonlocal line, last
        line += text.count(scanner.newline, last, pos)
        last = pos
        return line

    def value_started(pos: int) -> JsonPath | None:
        """Record an array element as it starts; return the path of the value that starts here (None
        below max_depth, where nothing is recorded: a path per level would cost the square of the depth)."""
        if not stack:
            return ()
        frame = stack[-1]
        if frame[1] is None:
            return None
        path = frame[1] + (frame[2],)
        if len(path) > max_depth:
            return None
        if not frame[0]:
            lines.setdefault(path, line_at(pos))
        return path

    position = 0
    while True:
        match = scanner.token.search(text, position)
        if match is None:
            break
        position = match.end()
        token = match.group()
        first = scanner.char(token, 0)
        if first == "{" or first == "[":
            path = value_started(match.start())
            if path is None:  # nothing inside is recorded
                position = skip_container(text, position)
                continue
            stack.append([first == "{", path, 0, first == "{"])
        elif first == "}" or first == "]":
            if stack:
                stack.pop()
        elif first == ",":
            if stack:
                frame = stack[-1]
                if frame[0]:
                    frame[3] = True
                else:
                    frame[2] += 1
        elif first == ":":
            continue
        elif stack and stack[-1][0] and stack[-1][3]:
            # An object key: record where the key stands (nbformat puts its value on the same line).
            frame = stack[-1]
            try:
                key = _decode_key(token)
            except ValueError:
                return lines
            frame[2] = key
            frame[3] = False
            if frame[1] is not None and len(frame[1]) < max_depth:
                lines.setdefault(frame[1] + (key,), line_at(match.start()))
        else:
            value_started(match.start())
    return lines


def skip_container(text: str | bytes | bytearray, position: int) -> int:
    """The position after the bracket that closes the container opened just before `position` (the end
    of the text when it is not closed)."""
    scanner = _scanner(text)
    depth = 1
    end = len(text)
    while position < end:
        skipped = scanner.skip.match(text, position)  # (it always matches, if only nothing)
        stop = skipped.end() if skipped is not None else position
        if stop >= end:
            return end
        bracket = scanner.char(text, stop)
        if bracket == "[" or bracket == "{":
            depth += 1
        elif bracket == "]" or bracket == "}":
            depth -= 1
            if depth == 0:
                return stop + 1
        elif bracket == '"':
            after = _string_end(text, stop, scanner)
            if after != -1:
                position = after
                continue
            # else a quote that opens no whole string (the text is not valid JSON): step over it
        elif stop > position:  # the bounded repeat paused in a run: go on from there
            position = stop
            continue
        position = stop + 1
    return end


def _string_end(text, quote: int, scanner: _Scanner) -> int:
    """The position after the string that opens at `quote`; -1 when it is never closed."""
    close = text.find(scanner.quote, quote + 1)
    while close != -1:
        backslashes = 0
        while text[close - 1 - backslashes] == scanner.backslash:
            backslashes += 1
        if backslashes % 2 == 0:  # (an odd number escapes the quote)
            return close + 1
        close = text.find(scanner.quote, close + 1)
    return -1


def _decode_key(token: str | bytes) -> str:
    if isinstance(token, bytes):
        if b"\\" not in token:
            return token[1:-1].decode("utf-8")  # raises ValueError (UnicodeDecodeError) as json.loads does
    elif "\\" not in token:
        return token[1:-1]
    import json

    return json.loads(token)


def path_deeper_than(text: str, limit: int) -> tuple | None:
    """The JSON path of the first value nested more than `limit` levels deep, read from the text (for
    JSON too deep for the json module to load); memory follows the depth. None when there is none."""
    path: list = []  # keys and indexes of the open containers' current values
    kinds: list[bool] = []  # is_object per open container
    expecting_key = False
    for match in _scanner_for(str).token.finditer(text):
        first = match.group()[0]
        if first == "{" or first == "[":
            if len(kinds) >= limit:
                return tuple(path)
            kinds.append(first == "{")
            path.append(0)
            expecting_key = first == "{"
        elif first == "}" or first == "]":
            if kinds:
                kinds.pop()
                path.pop()
            expecting_key = False
        elif first == ",":
            if kinds and kinds[-1]:
                expecting_key = True
            elif kinds:
                path[-1] += 1
        elif first != ":" and expecting_key:
            try:
                path[-1] = _decode_key(match.group())
            except ValueError:
                return None
            expecting_key = False
    return None
