"""NB405 long-sleep: `time.sleep(N)` with N over `max-sleep` seconds."""

from __future__ import annotations

import libcst as cst

from nblint.core.code.symbols import last_name
from nblint.core.code.text import source_text
from nblint.core.evidence import hang_evidence
from nblint.core.findings import Severity
from nblint.core.options import Option, parse_number
from nblint.core.sizes import argument, read_number
from nblint.rules.base import CodeRule, Invalid

MAX_SLEEP = Option(
    "max-sleep",
    600,
    parse_number,
    "Longest `time.sleep(N)`, in seconds, accepted in a notebook.",
)

# Ways to hand a function to another thread: a sleep in there does not block the kernel.
_THREAD_STARTERS = {"Timer", "submit", "start_new_thread", "run_in_executor", "apply_async"}


def format_duration(seconds: float) -> str:
    """3600 -> '1 h', 5400 -> '1 h 30 min', 900 -> '15 min', 90.5 -> '90.5 s'."""
    if seconds < 120:
        return f"{seconds:g} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes else "",
        f"{rest} s" if rest and not (days or hours) else "",
    ]
    return " ".join(part for part in parts if part)


class LongSleep(CodeRule):
    """
    ## What it does
    Flags `time.sleep(N)` where N, a literal or a notebook-level constant, is over `max-sleep` seconds
    (default 600), however `time` or `sleep` was imported. A sleep inside a function that the notebook
    hands to another thread (`threading.Thread(target=f)`, `Timer(60, f)`, `executor.submit(f)`) does not
    block the kernel and is left alone.

    ## Why it kills the kernel
    The cell blocks: the kernel shows "In [*]" and busy for the whole wait, cannot run anything else, and
    an interrupt is the only way out. Under papermill, nbconvert or CI the run hangs until a timeout kills
    it (nbconvert's default cell timeout is far shorter than an hour), and the failure looks like a crash.

    ## Example
        import time
        start_job()
        time.sleep(3600)  # wait for the job
        collect_results()

    ## Use instead
    Poll with short sleeps and a deadline, so the wait ends as soon as the work does:

        deadline = time.monotonic() + 3600
        while not job_done() and time.monotonic() < deadline:
            time.sleep(30)

    ## Options
    - `max-sleep` (default `600`): the longest sleep, in seconds, accepted without a report.
    """

    code = "NB405"
    needs = ("sleep",)  # the pre-filter (CodeRule.needs): time.sleep, however imported
    name = "long-sleep"
    severity = Severity.WARNING
    options = (MAX_SLEEP,)

    VALID = [
        # short sleeps
        "import time\ntime.sleep(0.5)\ntime.sleep(60)\ntime.sleep(600)\n",
        "from time import sleep\nfor _ in range(10):\n    sleep(10)\n",
        # from the corpus: papermill's keyboard-interrupt test notebook
        "from time import sleep\nprint('Sleeping')\nsleep(60)\n",
        # 1e400 reads as infinity: time.sleep raises OverflowError rather than hang
        "import time\ntime.sleep(1e400)\n",
        # a delay known only at run time
        "import time\ntime.sleep(delay)\ntime.sleep(0.001 * values.shape[0])\n",
        # a constant assigned twice with different values is unknown
        ["import time\nWAIT = 5\n", "WAIT = 7200\n", "time.sleep(WAIT)\n"],
        # not time's sleep
        "import asyncio\nawait asyncio.sleep(1)\nrobot.sleep(7200)\n",
        "def sleep(seconds):\n    pass\nsleep(7200)\n",
        # in a comment or a string
        "# time.sleep(7200)\nhelp_text = 'time.sleep(7200)'\n",
        # a background thread that wakes up hourly does not block the kernel
        "import threading, time\ndef heartbeat():\n    while True:\n        time.sleep(3600)\n        ping()\n"
        "threading.Thread(target=heartbeat, daemon=True).start()\n",
        "from concurrent.futures import ThreadPoolExecutor\nimport time\ndef later():\n    time.sleep(7200)\n"
        "pool = ThreadPoolExecutor()\npool.submit(later)\n",
    ]
    INVALID = [
        Invalid(
            "import time\ntime.sleep(3600)\n",
            line=2,
            column=1,
            message="time.sleep(3600) blocks the kernel for 1 h, over max-sleep 600 s",
        ),
        Invalid("from time import sleep\nsleep(60 * 60 * 24)\n", line=2, message="for 1 d"),
        Invalid("import time as t\nt.sleep(1e4)\n", line=2, message="2 h 46 min"),
        # cross-cell constant
        Invalid(
            ["import time\n", "POLL_SECONDS = 15 * 60\n", "while not done():\n    time.sleep(POLL_SECONDS)\n"],
            cell=2,
            line=2,
            column=5,
            message="15 min",
        ),
        # inside a function the notebook calls itself
        Invalid("import time\ndef wait_for_job():\n    time.sleep(1800)\nwait_for_job()\n", line=3),
        # the limit is an option
        Invalid("import time\ntime.sleep(120)\n", line=2, options={"max-sleep": 60}, message="over max-sleep 60 s"),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        # (call, seconds, names of the functions around it)
        self._candidates: list[tuple[cst.Call, float, tuple[str, ...]]] = []
        self._threaded: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = last_name(func)
        if name == "sleep" and self.context.qualified_name(func) == "time.sleep":
            seconds = read_number(argument(node, 0, "secs"), self.context)
            if seconds is not None and seconds > self.option(MAX_SLEEP):
                enclosing = tuple(s.name.value for s in self.context.scopes.stack if isinstance(s, cst.FunctionDef))
                self._candidates.append((node, seconds, enclosing))
        for arg in node.args:
            if isinstance(arg.value, cst.Name) and (
                (arg.keyword is not None and arg.keyword.value == "target")
                or (arg.keyword is None and name in _THREAD_STARTERS)
            ):
                self._threaded.add(arg.value.value)

    def finish(self) -> None:
        limit = self.option(MAX_SLEEP)
        for node, seconds, enclosing in self._candidates:
            if self._threaded.intersection(enclosing):
                continue
            self.report(
                node,
                f"{source_text(node)} blocks the kernel for {format_duration(seconds)}, over max-sleep {limit:g} s; "
                "poll with short sleeps and a deadline, or wait outside the notebook",
                fix="deadline = time.monotonic() + TIMEOUT\nwhile not done() and time.monotonic() < deadline:\n"
                "    time.sleep(30)",
                evidence=hang_evidence(
                    "blocking-call",
                    source_text(node),
                    "sleeps in the kernel's only thread: nothing else runs meanwhile",
                    call=source_text(node, 60),
                    seconds=seconds,
                    max_sleep=limit,
                    function=".".join(enclosing) if enclosing else None,
                ),
            )
