"""The `pip` and `python` a notebook's shell lines run by name (`!pip install x`, `!python train.py`,
`!python3 -m build`, the same in `%%bash` cells): the shell finds them on the kernel's PATH, which may
lead to another environment than the kernel's own interpreter."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nblint.core.read.notebook import Notebook
from nblint.rules.common.install_lines import command_head, shell_commands, shell_lines

_PIP = re.compile(r"^pip(?:\d+(?:\.\d+)*)?$")
_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")
_KERNEL_NAMED = re.compile(r"\{\s*sys\s*\.\s*(?:executable|prefix)\s*\}|\$\{?sys\.(?:executable|prefix)")


@dataclass(frozen=True)
class ShellProgram:
    cell: int
    line: int  # 1-based within the cell
    column: int
    word: str  # as the shell looks it up: "pip", "pip3", "python3.11"
    runs_pip: bool  # `pip ...` or `python -m pip ...`: the fix is %pip
    source: str  # the line as written


def _runs_pip(words: list[str]) -> bool:
    for index, word in enumerate(words):
        if word == "-mpip" or (word == "-m" and words[index + 1 : index + 2] == ["pip"]):
            return True
        if not word.startswith("-"):
            return False  # a script: `python train.py -m pip` passes `-m pip` to the script
    return False


def shell_programs(notebook: Notebook) -> list[ShellProgram]:
    """Each shell command of the notebook that runs `pip*` or `python*` by bare name (a path, or
    `{sys.executable}`, names its interpreter and is left alone)."""
    found = []
    for cell, line, column, text, source, magic_first in shell_lines(notebook):
        for number, command in enumerate(shell_commands(text)):
            if number == 0 and magic_first:
                continue  # `%pip install x`: IPython runs it with the kernel's interpreter
            words = command.words
            head = command_head(words)
            if head >= len(words):
                continue
            word = words[head]
            if any(_KERNEL_NAMED.search(w) for w in words[head + 1 :]):
                continue  # `pip install --prefix {sys.prefix}`, `--python {sys.executable}`: the kernel's, by name
            if _PIP.match(word):
                found.append(ShellProgram(cell, line, column, word, True, source))
            elif _PYTHON.match(word):
                found.append(ShellProgram(cell, line, column, word, _runs_pip(words[head + 1 :]), source))
    return found
