"""The answer to `initialize`, before pygls is imported.

JupyterLab starts a fresh `nblint server` on every page load, and importing pygls and lsprotocol (with
the engine: libcst, the rules) takes most of a second on an idle machine and 2-3 s on a busy one. So
`nblint server` reads the client's first message itself, answers `initialize` from the capabilities
written out below, and only then imports pygls. The message is then handed to pygls as if it had just
arrived (`Replay`), so pygls sets up its workspace, the client's capabilities and the position
encoding exactly as usual; the answer pygls writes to it is compared with the early one and dropped
(`DropFirstAnswer`), so the client gets one answer. A difference means the table below is stale: it is
said on stderr, and tests/test_server.py compares the two answers for several clients.

The capabilities are what pygls' ServerCapabilitiesBuilder builds for nblint.server.server's features
(open/change/save/close sync, hover, quick-fix code actions, notebook documents): the notebook sync
only for a client that declares notebook support, and the position encoding the client prefers among
those pygls supports (else UTF-16), as pygls chooses it.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, BinaryIO

from nblint import __version__

NOTEBOOK_DOCUMENT_SYNC = {
    "notebookSelector": [{"notebook": "jupyter-notebook", "cells": [{"language": "python"}, {"language": "markdown"}]}],
    "save": True,
}
_ENCODINGS = ("utf-8", "utf-16", "utf-32")  # pygls.capabilities._SUPPORTED_ENCODINGS
MAX_HEADER_LINES = 32
MAX_FIRST_MESSAGE = 64 * 1024 * 1024  # an initialize with a huge initializationOptions is still read whole


def capabilities(client: Any) -> dict:
    """The server's capabilities for a client's `capabilities` object (as JSON)."""
    client = client if isinstance(client, dict) else {}
    answer: dict[str, Any] = {
        "positionEncoding": position_encoding(client),
        "textDocumentSync": {"openClose": True, "change": 2, "save": True},
        "hoverProvider": True,
        "codeActionProvider": {"codeActionKinds": ["quickfix"]},
        "executeCommandProvider": {"commands": []},
        "workspace": {"workspaceFolders": {"supported": True, "changeNotifications": True}, "fileOperations": {}},
    }
    if client.get("notebookDocument") is not None:
        answer["notebookDocumentSync"] = NOTEBOOK_DOCUMENT_SYNC
    return answer


def position_encoding(client: dict) -> str:
    general = client.get("general")
    encodings = general.get("positionEncodings") if isinstance(general, dict) else None
    for encoding in encodings if isinstance(encodings, list) else ():
        if encoding in _ENCODINGS:
            return encoding
    return "utf-16"


def initialize_result(params: Any) -> dict:
    client = params.get("capabilities") if isinstance(params, dict) else None
    return {"capabilities": capabilities(client), "serverInfo": {"name": "nblint", "version": __version__}}


def read_raw_message(stream: BinaryIO) -> bytes:
    """One Content-Length framed message as it came (headers and body), b"" at the end of the input.
    Raises ValueError for a frame that is not one (the bytes read so far are in its args[1])."""
    raw = b""
    length = None
    for _ in range(MAX_HEADER_LINES):
        line = stream.readline()
        raw += line
        if not line:
            return raw
        if not line.strip():
            if length is None:
                raise ValueError("no Content-Length", raw)
            body = stream.read(length)
            return raw + body
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                raise ValueError("a bad Content-Length", raw) from None
            if not 0 <= length <= MAX_FIRST_MESSAGE:
                raise ValueError("a bad Content-Length", raw)
    raise ValueError("too many headers", raw)


def parse(raw: bytes) -> dict | None:
    _, _, body = raw.partition(b"\r\n\r\n")
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return message if isinstance(message, dict) else None


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def answer_early(stdin: BinaryIO, stdout: BinaryIO) -> tuple[bytes, Any, dict | None]:
    """Read the first message; when it is `initialize`, answer it. Returns the bytes read (for pygls to
    read again), the request's id and the result sent (None when nothing was answered)."""
    try:
        raw = read_raw_message(stdin)
    except ValueError as exc:
        return exc.args[1], None, None  # pygls reads it again and says what is wrong with it
    message = parse(raw)
    if message is None or message.get("method") != "initialize" or "id" not in message:
        return raw, None, None
    result = initialize_result(message.get("params"))
    stdout.write(frame({"jsonrpc": "2.0", "id": message["id"], "result": result}))
    stdout.flush()
    return raw, message["id"], result


class Replay:
    """stdin for pygls: the bytes already read, then the rest of the real stdin."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream
        self._lock = threading.Lock()

    def _take(self, limit: int, line: bool) -> bytes | None:
        with self._lock:
            if not self._head:
                return None
            end = len(self._head) if limit < 0 else min(limit, len(self._head))
            if line:
                newline = self._head.find(b"\n", 0, end)
                end = newline + 1 if newline >= 0 else end
            taken, self._head = self._head[:end], self._head[end:]
            return taken

    def readline(self, limit: int = -1) -> bytes:
        taken = self._take(limit, line=True)
        if taken is None:
            return self._stream.readline(limit)
        if taken.endswith(b"\n") or (0 <= limit == len(taken)):
            return taken
        return taken + self._stream.readline(-1 if limit < 0 else limit - len(taken))

    def read(self, size: int = -1) -> bytes:
        taken = self._take(size, line=False)
        if taken is None:
            return self._stream.read(size)
        if size < 0:
            return taken + self._stream.read()
        if len(taken) < size:
            return taken + self._stream.read(size - len(taken))
        return taken

    def close(self) -> None:
        self._stream.close()


class DropFirstAnswer:
    """stdout for pygls: its answer to the `initialize` already answered is checked and dropped."""

    def __init__(self, stream: BinaryIO, ident: Any, sent: dict) -> None:
        self._stream = stream
        self._ident = ident
        self._sent: dict | None = sent

    def write(self, data: bytes) -> int:
        if self._sent is not None:
            message = parse(data)
            if message is not None and "method" not in message and message.get("id") == self._ident:
                sent, self._sent = self._sent, None
                if message.get("result") != sent:
                    print(
                        f"nblint server: the early answer to initialize was {json.dumps(sent, sort_keys=True)}; "
                        f"pygls answers {json.dumps(message.get('result'), sort_keys=True)}",
                        file=sys.stderr,
                    )
                return len(data)
        return self._stream.write(data)

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        self._stream.close()
