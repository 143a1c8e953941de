"""NB204 high-recursion-limit: `sys.setrecursionlimit(N)` with N over `max-recursion-limit`."""

from __future__ import annotations

import libcst as cst

from nblint.core.code.symbols import last_name
from nblint.core.code.text import source_text
from nblint.core.evidence import hang_evidence
from nblint.core.findings import Severity
from nblint.core.options import Option, parse_int
from nblint.core.sizes import argument, format_count, read_count
from nblint.rules.base import CodeRule, Invalid

MAX_RECURSION_LIMIT = Option(
    "max-recursion-limit",
    10_000,
    parse_int,
    "Highest `sys.setrecursionlimit(N)` accepted without a larger C stack.",
)

# Calls that give the recursion a larger C stack: with them, a high limit is the deliberate, safe recipe.
_STACK_RAISERS = ("threading.stack_size", "resource.setrlimit")


class HighRecursionLimit(CodeRule):
    """
    ## What it does
    Flags `sys.setrecursionlimit(N)` with N over `max-recursion-limit` (default 10,000), however `sys` or
    the function was imported (`import sys as system`, `from sys import setrecursionlimit`) and whether N
    is a literal or a notebook-level constant. A notebook that also enlarges the C stack
    (`threading.stack_size(...)`, `resource.setrlimit(resource.RLIMIT_STACK, ...)`) is left alone: that is
    the way to recurse deeply on purpose.

    ## Why it kills the kernel
    The recursion limit exists to turn runaway recursion into a RecursionError before the C stack runs
    out. Each Python frame also uses C stack (the main thread has 8 MiB on Linux, 1 MiB on Windows); with
    the limit raised to 100,000, deep recursion overflows that stack first and the kernel process dies with
    a segmentation fault ("The kernel appears to have died"), with no traceback and all state lost.

    ## Example
        import sys
        sys.setrecursionlimit(10**6)
        flood_fill(grid, 0, 0)

    ## Use instead
    Make the recursion iterative (an explicit stack or a queue), or raise the limit modestly; for a
    genuinely deep recursion, run it on a thread with a larger stack:

        import sys, threading
        threading.stack_size(512 * 1024 * 1024)
        sys.setrecursionlimit(10**6)
        worker = threading.Thread(target=flood_fill, args=(grid, 0, 0))
        worker.start(); worker.join()

    ## Options
    - `max-recursion-limit` (default `10000`): the highest limit accepted without a larger C stack.
    """

    code = "NB204"
    needs = ("setrecursionlimit",)  # the pre-filter (CodeRule.needs): sys.setrecursionlimit, however imported
    name = "high-recursion-limit"
    severity = Severity.WARNING
    options = (MAX_RECURSION_LIMIT,)

    VALID = [
        # modest raises
        "import sys\nsys.setrecursionlimit(3000)\n",
        "import sys\nsys.setrecursionlimit(5_000)\nsys.setrecursionlimit(10_000)\n",
        # a limit read at run time is unknown
        "import sys\nsys.setrecursionlimit(sys.getrecursionlimit() * 10)\n",
        "import sys\nsys.setrecursionlimit(depth)\n",
        # the deliberate recipe: a larger C stack on a thread
        "import sys, threading\nthreading.stack_size(2**27)\nsys.setrecursionlimit(10**6)\n",
        [
            "import sys\nimport resource\n",
            "resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n",
            "sys.setrecursionlimit(100_000)\n",
        ],
        # not sys's function
        "limits.setrecursionlimit(10**6)\n",
        "def setrecursionlimit(n):\n    pass\nsetrecursionlimit(10**6)\n",
        # in a comment or a string
        "# sys.setrecursionlimit(10**6)\nhint = 'sys.setrecursionlimit(10**6)'\n",
    ]
    INVALID = [
        Invalid(
            "import sys\nsys.setrecursionlimit(10**6)\n",
            line=2,
            column=1,
            message="sys.setrecursionlimit(10**6) raises the limit to 1,000,000, over max-recursion-limit 10000",
        ),
        Invalid("from sys import setrecursionlimit\nsetrecursionlimit(15000)\n", line=2),
        Invalid("import sys as system\nsystem.setrecursionlimit(100_000)\n", line=2),
        # cross-cell constant
        Invalid(["import sys\nDEPTH = 50_000\n", "sys.setrecursionlimit(DEPTH)\n"], cell=1, line=1, message="50,000"),
        # inside a function that the notebook calls
        Invalid("import sys\ndef solve():\n    sys.setrecursionlimit(2**20)\n    return go(0)\n", line=3, column=5),
        # the limit is an option
        Invalid(
            "import sys\nsys.setrecursionlimit(5000)\n",
            line=2,
            options={"max-recursion-limit": 3000},
            message="over max-recursion-limit 3000",
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self._candidates: list[tuple[cst.Call, int]] = []
        self._stack_raised = False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = last_name(func)
        if name == "setrecursionlimit":
            if self.context.qualified_name(func) == "sys.setrecursionlimit":
                limit = read_count(argument(node, 0, "limit"), self.context)
                if limit is not None and limit > self.option(MAX_RECURSION_LIMIT):
                    self._candidates.append((node, limit))
        elif name in ("stack_size", "setrlimit") and self.context.qualified_name(func) in _STACK_RAISERS:
            self._stack_raised = True

    def finish(self) -> None:
        if self._stack_raised:
            return
        maximum = self.option(MAX_RECURSION_LIMIT)
        for node, limit in self._candidates:
            self.report(
                node,
                f"{source_text(node)} raises the limit to {format_count(limit)}, over max-recursion-limit {maximum}: "
                "recursion that deep overflows the C stack and the kernel dies with a segfault instead of a "
                "RecursionError; make the recursion iterative, or run it on a thread with threading.stack_size()",
                fix=f"sys.setrecursionlimit({maximum})  # and rewrite the deep recursion with an explicit stack",
                evidence=hang_evidence(
                    "recursion-limit",
                    source_text(node),
                    "recursion that deep overflows the C stack: a segfault, not a RecursionError",
                    limit=limit,
                    max_recursion_limit=maximum,
                ),
            )
