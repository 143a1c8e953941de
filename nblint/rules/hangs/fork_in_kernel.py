"""NB406 fork-in-kernel: `os.fork()` in a notebook, with no `os._exit()` to end the child."""

from __future__ import annotations

import libcst as cst

from nblint.core.code.symbols import last_name
from nblint.core.code.text import source_text
from nblint.core.evidence import hang_evidence
from nblint.core.findings import Severity
from nblint.rules.base import CodeRule, Invalid
from nblint.rules.common.flow import enclosing_function, walk_own

_FORKS = {"os.fork", "os.forkpty", "pty.fork", "posix.fork"}
_FORK_NAMES = frozenset(name.rpartition(".")[2] for name in _FORKS)
# What ends a child for good: os._exit() and the exec family (the process becomes another program).
# sys.exit() does not: it raises SystemExit, which IPython catches, and the child goes back to serving.
_CHILD_ENDS = {
    "os._exit",
    "posix._exit",
    "os.abort",
    "os.execv",
    "os.execve",
    "os.execl",
    "os.execle",
    "os.execlp",
    "os.execlpe",
    "os.execvp",
    "os.execvpe",
}


class ForkInKernel(CodeRule):
    """
    ## What it does
    Flags `os.fork()` whose child is never ended with `os._exit()`.

    That is `os.fork()` (and `os.forkpty()`, `pty.fork()`) where the code around it (the same function,
    or the notebook's cell-level code) never ends the child with `os._exit()` or an `os.exec*()` call.

    Not flagged: a fork whose child ends with `os._exit(0)` or replaces itself with `os.execv(...)`.

    ## Why it kills the kernel
    The child is a copy of the whole kernel: its ZeroMQ sockets, its threads' state, the cell being
    run. With no `os._exit()` it finishes the cell and goes back to the kernel's loop, so two
    processes read and answer the same frontend: replies arrive twice or garbled, the heartbeat
    breaks, and the notebook hangs or reports "The kernel appears to have died". `sys.exit()` does not
    end the child: IPython catches SystemExit and the copy keeps serving. Threads the kernel runs
    (the heartbeat, the IOPub thread) do not exist in the child, so it may also deadlock on a lock
    one of them held.

    ## Example
        import os

        pid = os.fork()
        if pid == 0:
            work()

    ## Use instead
        from multiprocessing import Process

        Process(target=work).start()

    or end the child yourself: `if pid == 0: work(); os._exit(0)`.
    """

    code = "NB406"
    needs = ("fork", "forkpty")  # the pre-filter (CodeRule.needs): os.fork, os.forkpty, pty.fork, posix.fork
    name = "fork-in-kernel"
    severity = Severity.ERROR

    VALID = [
        "import os\npid = os.fork()\nif pid == 0:\n    work()\n    os._exit(0)\nelse:\n    os.waitpid(pid, 0)\n",
        "import os\ndef run(cmd):\n    pid = os.fork()\n    if pid == 0:\n        os.execvp(cmd[0], cmd)\n    return os.waitpid(pid, 0)\n",
        # the child ends in another cell's cell-level code
        ["import os\npid = os.fork()\n", "if pid == 0:\n    work()\n    os._exit(0)\n"],
        # look-alikes: not the os module's fork
        "import git\nrepo.fork()\n",
        "fork = lambda: 1\npid = fork()\n",
        "from multiprocessing import Process\nProcess(target=work).start()\n",
        "import os\nprint(os.getpid())\n",
    ]
    INVALID = [
        Invalid("import os\npid = os.fork()\nif pid == 0:\n    work()\n", line=2, column=7, message="os._exit()"),
        # sys.exit() raises SystemExit, which IPython catches: the child lives on
        Invalid("import os, sys\nif os.fork() == 0:\n    work()\n    sys.exit(0)\n", line=2, message="sys.exit()"),
        Invalid("from os import fork\nchild = fork()\n", line=2),
        Invalid("import pty\npid, fd = pty.fork()\n", line=2),
        # inside a function: the os._exit() of another function does not end this child
        Invalid(
            ["import os\ndef spawn():\n    return os.fork()\n", "def stop():\n    os._exit(0)\n", "spawn()\n"],
            cell=0,
            line=3,
            message="spawn()",
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self.module: cst.Module | None = None
        self.forks: list[tuple[cst.Call, cst.FunctionDef | None]] = []

    def visit_Module(self, node: cst.Module) -> None:
        self.module = node

    def visit_Call(self, node: cst.Call) -> None:
        if last_name(node.func) not in _FORK_NAMES or self.context.qualified_name(node.func) not in _FORKS:
            return
        self.forks.append((node, enclosing_function(self.context)))

    def finish(self) -> None:
        ended: dict[int, bool] = {}
        for call, function in self.forks:
            scope = function if function is not None else self.module
            if scope is None:
                continue
            if id(scope) not in ended:
                ended[id(scope)] = self._ends_child(scope)
            if ended[id(scope)]:
                continue
            where = f"in `{function.name.value}()` " if function is not None else ""
            sys_exit = (
                " (`sys.exit()` only raises SystemExit, which IPython catches)" if self._calls_sys_exit(scope) else ""
            )
            self.report(
                call,
                f"`{source_text(call, 40)}` {where}copies the whole kernel and nothing ends the child with "
                f"`os._exit()`{sys_exit}: the copy returns to the kernel's loop and answers the frontend too, so "
                "replies come twice or garbled and the kernel hangs or dies; use multiprocessing.Process or "
                "subprocess, or end the child with os._exit(0)",
                fix="os._exit(0)  # last line of the child's branch",
                evidence=hang_evidence(
                    "blocking-call",
                    source_text(call, 40),
                    "the child copy of the kernel returns to the kernel's loop and answers the frontend too",
                    call=source_text(call, 60),
                    missing="os._exit() in the child",
                    function=function.name.value if function is not None else None,
                    sys_exit_only=True if sys_exit else None,
                ),
            )

    def _scope_calls(self, scope: cst.CSTNode):
        body = scope.body if isinstance(scope, cst.FunctionDef) else scope
        for node, _ in walk_own(body):
            if isinstance(node, cst.Call):
                yield self.context.qualified_name(node.func)

    def _ends_child(self, scope: cst.CSTNode) -> bool:
        # Names resolve at notebook level here (finish() runs after the traversal): a parameter called
        # `os` would be misread, which only ever silences the rule.
        return any(name in _CHILD_ENDS for name in self._scope_calls(scope))

    def _calls_sys_exit(self, scope: cst.CSTNode) -> bool:
        return any(name == "sys.exit" for name in self._scope_calls(scope))
