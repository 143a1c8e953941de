"""NB408 interactive-subprocess: `subprocess.run(...)` / `os.system(...)` of a command that reads an answer."""

from __future__ import annotations

import libcst as cst

from nblint.engine.code.symbols import UNKNOWN, last_name
from nblint.engine.findings import Severity
from nblint.rules._code_text import source_text
from nblint.rules._installs import ShellCommand, shell_commands
from nblint.rules._interactive import judge
from nblint.rules._sizes import argument
from nblint.rules.base import CodeRule, Invalid

# Calls that start a command and wait for it; True when the command is always a shell line.
_WAITING_CALLS = {
    "subprocess.run": False, "subprocess.call": False, "subprocess.check_call": False,
    "subprocess.check_output": False, "subprocess.getoutput": True, "subprocess.getstatusoutput": True,
    "os.system": True,
}
_CALL_NAMES = frozenset(name.rpartition(".")[2] for name in _WAITING_CALLS)


class InteractiveSubprocess(CodeRule):
    """
    ## What it does
    Flags `subprocess.run`, `call`, `check_call`, `check_output`, `getoutput` and `os.system` of a command
    that reads an answer from its standard input: an interpreter or shell with nothing to run
    (`subprocess.run(["python"])`), an installer that asks first (`os.system("apt-get install ffmpeg")`,
    `conda install` or `pip uninstall` without `-y`), an editor, `ssh host` with no command, `git commit`
    without `-m`. The command must be a constant (a string or a list of strings, a notebook constant too).

    Not flagged: the same with `input=`, `stdin=` (`subprocess.DEVNULL`, a file) or `timeout=`, with
    input fed in the shell line (`yes | ...`, `< answers.txt`), `subprocess.Popen` (it does not wait),
    and pagers, `top` and `su` (without a terminal they print or stop with an error: nothing waits).

    ## Why it kills the kernel
    The child reads the kernel's standard input, which the Jupyter server (and papermill, nbclient, CI)
    holds open as a pipe and never writes to: the child waits for ever, and the cell with it ("In [*]").
    Nothing in the notebook shows the question it is waiting on.

    ## Example
        import subprocess
        subprocess.run(["conda", "install", "-c", "conda-forge", "lightgbm"])

    ## Use instead
        subprocess.run(["conda", "install", "-y", "-c", "conda-forge", "lightgbm"], check=True)

    or close its input: `subprocess.run(command, stdin=subprocess.DEVNULL)`.
    """

    code = "NB408"
    name = "interactive-subprocess"
    severity = Severity.ERROR

    VALID = [
        "import subprocess\nsubprocess.run(['python', 'train.py'], check=True)\n",
        "import subprocess\nsubprocess.run(['conda', 'install', '-y', 'numpy=1.26'])\n",
        "import subprocess\nsubprocess.run(['python'], input='print(1)', text=True)\n",
        "import subprocess\nsubprocess.run('apt-get install ffmpeg', shell=True, stdin=subprocess.DEVNULL)\n",
        "import subprocess\nsubprocess.run(['python'], timeout=60)\n",
        "import os\nos.system('yes | apt-get install ffmpeg')\n",
        "import os\nos.system('less log.txt')\n",  # no terminal: less prints
        "import os\nos.system('top')\n",  # no terminal: top stops with an error
        "import subprocess\np = subprocess.Popen(['python'])\n",
        "import subprocess\nsubprocess.run(command)\n",  # not a constant
        "import subprocess\nsubprocess.run(['git', 'commit', '-m', 'results'])\n",
        "run(['python'])\n",  # not subprocess.run
        "import subprocess\nsubprocess.run(['ssh', 'host', 'nvidia-smi'])\n",
        # look-alike from the corpus (Azure ML notebooks)
        "import subprocess\nif subprocess.run('docker -v', shell=True).returncode == 0:\n"
        "    out = subprocess.check_output('docker system info', shell=True).decode('ascii')\n",
    ]
    INVALID = [
        Invalid("import subprocess\nsubprocess.run(['python'])\n", line=2, column=1, message="interactive `python` prompt"),
        Invalid("import subprocess\nsubprocess.run(['conda', 'install', 'numpy=1.26'])\n", line=2, message="stdin=subprocess.DEVNULL"),
        Invalid("import os\nos.system('apt-get install ffmpeg')\n", line=2, message="[Y/n]"),
        Invalid("import subprocess as sp\nout = sp.check_output('pip uninstall tensorflow', shell=True)\n", line=2, column=7),
        Invalid("from subprocess import call\ncall(['vim', 'notes.txt'])\n", line=2),
        Invalid(["import subprocess\nCOMMAND = ['ssh', 'gpu-box']\n", "subprocess.run(COMMAND)\n"], cell=1, line=1),
        Invalid("import subprocess\ndef commit():\n    subprocess.run(['git', 'commit', '-a'])\n", line=3, column=5),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if last_name(node.func) not in _CALL_NAMES:
            return
        qualified = self.context.qualified_name(node.func)
        if qualified not in _WAITING_CALLS:
            return
        if any(argument(node, None, keyword) is not None for keyword in ("input", "stdin", "timeout")):
            return  # something answers, or the call gives up on its own
        command = argument(node, 0, "args" if qualified.startswith("subprocess.") else "command")
        if command is None or not isinstance(command, cst.BaseExpression):
            return
        value = self.context.evaluate(command)
        shell = _WAITING_CALLS[qualified] or self.context.evaluate(argument(node, None, "shell")) is True
        commands = self._commands(value, shell)
        for shell_command in commands:
            wait = judge(shell_command, None, on_terminal=False)
            if wait is None:
                continue
            self.report(
                node,
                f"`{source_text(node, 70)}` {wait.reason}: the child reads the kernel's standard input, a pipe "
                "nobody writes to, so the cell hangs (In [*]) for ever; "
                f"{wait.remedy}, or pass stdin=subprocess.DEVNULL (or input=...) so it cannot wait",
                severity=None if wait.certain else Severity.WARNING,
            )
            return

    @staticmethod
    def _commands(value, shell: bool) -> list[ShellCommand]:
        if value is UNKNOWN:
            return []
        if isinstance(value, str):
            return shell_commands(value) if shell else [ShellCommand([value])]
        if isinstance(value, tuple) and value and all(isinstance(word, str) for word in value) and not shell:
            return [ShellCommand(list(value))]
        return []
