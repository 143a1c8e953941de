"""A small JSON-RPC client for language servers over stdio, for the tests: the real `nblint server` in a
subprocess, spoken to as an editor would (Content-Length framed JSON-RPC 2.0). Requests wait for their
response; notifications from the server (publishDiagnostics, showMessage) are recorded as they arrive,
and requests from the server are answered with null, as an editor that does not support them would."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable


class LspError(Exception):
    pass


class LspClient:
    def __init__(self, *args: str, cwd: Path, env: dict | None = None) -> None:
        full_env = dict(os.environ)
        full_env.pop("NBLINT_CACHE_DIR", None)
        full_env.update(env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nblint", "server", *args],
            cwd=cwd,
            env=full_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._ids = itertools.count(1)
        self._condition = threading.Condition()
        self._responses: dict[int, dict] = {}
        self.diagnostics: dict[str, list[dict]] = {}  # uri -> the latest published
        self.publications: list[tuple[str, list[dict]]] = []  # every publishDiagnostics, in order
        self.messages: list[dict] = []  # window/showMessage and logMessage params
        self.server_requests: list[dict] = []  # requests the server made (answered with null)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- the wire ---------------------------------------------------------------------------------

    def _write(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    with self._condition:
                        self._condition.notify_all()
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            message = json.loads(stream.read(length))
            self._receive(message)

    def _receive(self, message: dict) -> None:
        if "id" in message and "method" in message:  # a request from the server
            self._write({"jsonrpc": "2.0", "id": message["id"], "result": None})
            with self._condition:
                self.server_requests.append(message)
                self._condition.notify_all()
            return
        with self._condition:
            if "id" in message:
                self._responses[message["id"]] = message
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                self.diagnostics[params["uri"]] = params["diagnostics"]
                self.publications.append((params["uri"], params["diagnostics"]))
            elif message.get("method") in ("window/showMessage", "window/logMessage"):
                self.messages.append(message["params"])
            self._condition.notify_all()

    # -- requests and notifications --------------------------------------------------------------

    def request(self, method: str, params: Any, timeout: float = 60) -> Any:
        ident = next(self._ids)
        self._write({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        with self._condition:
            if not self._condition.wait_for(
                lambda: ident in self._responses or self.process.poll() is not None, timeout
            ):
                raise LspError(f"no response to {method} in {timeout} s")
            if ident not in self._responses:
                raise LspError(f"the server exited during {method}: {self.stderr()}")
            response = self._responses.pop(ident)
        if "error" in response:
            raise LspError(f"{method}: {response['error']}")
        return response.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30, what: str = "a condition") -> None:
        with self._condition:
            if (
                not self._condition.wait_for(lambda: predicate() or self.process.poll() is not None, timeout)
                or not predicate()
            ):
                raise LspError(
                    f"timed out waiting for {what}; diagnostics: {self.diagnostics}; "
                    f"messages: {self.messages}; server exited: {self.process.poll()}"
                )

    def wait_diagnostics(self, uri: str, predicate: Callable[[list[dict]], bool], timeout: float = 30) -> list[dict]:
        self.wait_for(
            lambda: uri in self.diagnostics and predicate(self.diagnostics[uri]), timeout, f"diagnostics on {uri}"
        )
        return self.diagnostics[uri]

    def settle(self, seconds: float = 0.5) -> None:
        """Give the server time to publish anything still pending (used to check that nothing comes)."""
        time.sleep(seconds)

    def stderr(self) -> str:
        if self.process.poll() is None:
            return ""
        return self.process.stderr.read().decode("utf-8", "replace")

    def shutdown(self) -> int:
        try:
            self.request("shutdown", None, timeout=20)
            self.notify("exit", None)
            return self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
