"""The output flood gate: a running cell's printed output past `max-cell-output` stops going to the
frontend (which is what freezes a browser tab); the whole output goes to a file the guard names.

For the duration of a cell, `sys.stdout` and `sys.stderr` (ipykernel's `OutStream` objects) are wrapped;
`post_run_cell` puts them back. Covered: what goes through them (print, logging to them, tqdm's text).
Not covered: display_data (rich output, images, `display()`), output a C library or a subprocess writes to
the file descriptors directly (ipykernel forwards that itself), and output of threads after the cell ends.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import TextIO


class _Gate:
    """One cell's count, shared by its stdout and stderr."""

    def __init__(self, limit: int, stderr) -> None:
        self.limit = limit
        self.written = 0
        self.kept: list[str] = []  # what was sent, for the file should the limit be passed
        self.file: TextIO | None = None
        self.path: Path | None = None
        self.held = 0
        self.stderr = stderr
        self.lock = threading.Lock()

    def write(self, stream, text: str):
        with self.lock:
            if self.file is None and self.written + len(text) <= self.limit:
                self.written += len(text)
                self.kept.append(text)
                return stream.write(text)
            if self.file is None:
                self._open()
                assert self.file is not None  # _open() opened it, or raised
            self.written += len(text)
            self.held += len(text)
            self.file.write(text)
            return len(text)

    def _open(self) -> None:
        try:
            from jupyter_core.paths import jupyter_runtime_dir

            folder = Path(jupyter_runtime_dir()) / "nblint"
        except Exception:
            import tempfile

            folder = Path(tempfile.gettempdir()) / "nblint"
        folder.mkdir(parents=True, exist_ok=True)
        import os

        self.path = folder / f"cell-output-{os.getpid()}-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        self.file = open(self.path, "w", encoding="utf-8", errors="replace")
        self.file.write("".join(self.kept))
        self.kept = []
        self.stderr.write(
            f"nblint: this cell's output passed max-cell-output ({_size(self.limit)}); the rest is "
            f"held back from the notebook, and the whole output is written to {self.path}\n"
        )

    def close(self) -> str | None:
        with self.lock:
            self.kept = []
            if self.file is None:
                return None
            self.file.close()
            return (
                f"nblint held back {_size(self.held)} of this cell's output (max-cell-output = {_size(self.limit)}); "
                f"all {_size(self.written)} of it is in {self.path}"
            )


def _size(n: int) -> str:
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} B"


class _Wrapped:
    """Stands for an OutStream during a cell: writes go through the gate, everything else to the stream."""

    def __init__(self, stream, gate: _Gate) -> None:
        self._stream = stream
        self._gate = gate

    def write(self, text):
        if not isinstance(text, str):
            return self._stream.write(text)
        return self._gate.write(self._stream, text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)


class Flood:
    def __init__(self, limit: int | None, enabled) -> None:
        self.limit = limit
        self.enabled = enabled
        self._gate: _Gate | None = None
        self._saved: tuple[TextIO, TextIO] | None = None

    def pre_run_cell(self, info=None) -> None:
        try:
            if self.limit is None or not self.enabled() or self._gate is not None:
                return
            out, err = sys.stdout, sys.stderr
            self._gate = _Gate(self.limit, err)
            self._saved = (out, err)
            sys.stdout, sys.stderr = _Wrapped(out, self._gate), _Wrapped(err, self._gate)
        except Exception:
            self._gate = None

    def post_run_cell(self, result=None) -> None:
        gate, self._gate = self._gate, None
        if gate is None:
            return
        try:
            assert self._saved is not None  # saved together with the gate in pre_run_cell
            out, err = self._saved
            if isinstance(sys.stdout, _Wrapped) and sys.stdout._gate is gate:
                sys.stdout = out
            if isinstance(sys.stderr, _Wrapped) and sys.stderr._gate is gate:
                sys.stderr = err
            said = gate.close()
            if said:
                err.write(said + "\n")
                err.flush()
        except Exception:
            pass


def attach(shell, options: dict, enabled) -> Flood:
    from nblint.core.options import MAX_CELL_OUTPUT

    flood = Flood(options.get(MAX_CELL_OUTPUT.key, MAX_CELL_OUTPUT.parsed_default()), enabled)
    shell.events.register("pre_run_cell", flood.pre_run_cell)
    shell.events.register("post_run_cell", flood.post_run_cell)
    return flood


def detach(shell, flood: Flood) -> None:
    flood.post_run_cell()
    for event, callback in (("pre_run_cell", flood.pre_run_cell), ("post_run_cell", flood.post_run_cell)):
        try:
            shell.events.unregister(event, callback)
        except ValueError:
            pass
