"""Progress of a long `nblint check` on stderr: notebooks done / total, and the one that has been
checked the longest (the slow notebook a user waits on).

On a terminal the line is redrawn in place and erased at the end, and nothing is drawn before
FIRST_DRAW seconds, so a quick run shows nothing. Elsewhere (a pipe, a CI log) nothing is shown unless
asked for with `--progress`; then a plain line every PLAIN_INTERVAL seconds (the first after as long),
as logs want.

The runner calls `started(name)` and `finished(name)` (from any thread); a daemon thread draws, so a
single slow notebook still shows its time ticking, except while libcst's native parser holds the GIL
(one parse of a very large notebook): the line catches up when it returns.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TextIO

FIRST_DRAW = 0.5  # seconds: a run shorter than this shows nothing
TERMINAL_INTERVAL = 0.2
PLAIN_INTERVAL = 5.0
SHOW_TIME_AFTER = 1.0  # seconds a notebook has been checked before its time is shown
_ERASE_LINE = "\r\x1b[K"


def wanted(asked: bool | None, stream: TextIO) -> bool:
    """`--progress` / `--no-progress` when given; otherwise only on a terminal, never under CI (CI=...)
    or on a dumb terminal, whose logs and screens a redrawn line would fill with carriage returns."""
    if asked is not None:
        return asked
    try:
        on_terminal = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return on_terminal and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class Progress:
    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.done = 0
        self._stream = stream
        try:
            self._terminal = stream.isatty()
        except (AttributeError, ValueError):
            self._terminal = False
        self._in_progress: dict[str, float] = {}  # name -> when it started (monotonic)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._drawn = False
        self._thread = threading.Thread(target=self._run, name="nblint-progress", daemon=True)
        self._thread.start()

    def started(self, name: str) -> None:
        with self._lock:
            self._in_progress.setdefault(name, time.monotonic())

    def finished(self, name: str) -> None:
        with self._lock:
            self._in_progress.pop(name, None)
            self.done += 1

    def close(self) -> None:
        """Stop drawing; on a terminal, erase the line so the report starts on a clean one."""
        self._stop.set()
        self._thread.join()
        if self._terminal and self._drawn:
            self._write(_ERASE_LINE)

    def line(self) -> str:
        with self._lock:
            done, oldest = self.done, min(self._in_progress.items(), key=lambda item: item[1], default=None)
        text = f"nblint: {done}/{self.total} notebooks checked"
        if oldest is not None:
            name, since = oldest
            seconds = time.monotonic() - since
            text += f"; checking {name}" + (f" ({seconds:.0f} s)" if seconds >= SHOW_TIME_AFTER else "")
        return text

    def _run(self) -> None:
        interval = TERMINAL_INTERVAL if self._terminal else PLAIN_INTERVAL
        if self._stop.wait(FIRST_DRAW if self._terminal else PLAIN_INTERVAL):
            return
        while True:
            self._draw()
            if self._stop.wait(interval):
                return

    def _draw(self) -> None:
        text = self.line()
        if self._terminal:
            width = _terminal_width(self._stream)
            if len(text) >= width:  # one screen line, or the redraw would leave wrapped leftovers
                text = text[: max(width - 2, 10)] + "…"
            self._write(_ERASE_LINE + text)
        else:
            self._write(text + "\n")
        self._drawn = True

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr: progress is not worth failing the run
            self._stop.set()


def _terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return 80


class Silent:
    """What the runner reports to when no progress is shown."""

    def started(self, name: str) -> None:
        pass

    def finished(self, name: str) -> None:
        pass
