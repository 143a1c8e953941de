"""Shell commands that wait for someone to type, for NB407 (`!` lines and the installer magics).

IPython runs a `!` line in a pseudo-terminal and types nothing into it. A command waits there when it
reads an answer, a script or keys: an interpreter or shell with nothing to run, an installer that asks
before changing anything, an editor, `less` or `top`, `ssh host` with no command, `git commit` with no
message. Input fed to it (`yes | ...`, `< answers.txt`) answers a question, but pagers, editors and `top`
read keys from the terminal itself.

Not for subprocess.run / os.system: a kernel started by jupyter_client (the notebook server, papermill,
nbclient) has its standard input closed, so a child reading it gets end-of-file at once and stops (an
install aborts, a REPL exits); it does not wait.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nblint.core.lazyre import lazy_compile
from nblint.rules.common.install_lines import ShellCommand, command_head, installer

_PYTHON = lazy_compile(r"^(?:python|pypy)(?:\d+(?:\.\d+)*)?$")

# Interpreters and shells that start a prompt when given nothing to run. For each: the options that
# make it run something and exit (a positional word, a script, does too), the options that take a
# value (so the value is not read as a script), and the options that force the prompt after the script.
_INTERPRETERS: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    "python": (
        frozenset({"-c", "-m", "-V", "--version", "-h", "--help", "-?"}),
        frozenset({"-W", "-X", "--check-hash-based-pycs"}),
        frozenset({"-i"}),
    ),
    "ipython": (
        frozenset({"-c", "-m", "-V", "--version", "-h", "--help", "--help-all"}),
        frozenset(),
        frozenset({"-i"}),
    ),
    "R": (frozenset({"-e", "-f", "--file", "--version", "-h", "--help"}), frozenset(), frozenset()),
    "node": (
        frozenset({"-e", "--eval", "-p", "--print", "-c", "--check", "-v", "--version", "-h", "--help", "--test"}),
        frozenset({"-r", "--require", "--import", "--loader"}),
        frozenset({"-i", "--interactive"}),
    ),
    "julia": (
        frozenset({"-e", "-E", "--eval", "--print", "-v", "--version", "-h", "--help"}),
        frozenset({"-p", "--procs", "-t", "--threads", "-J", "--sysimage", "-L", "--load"}),
        frozenset({"-i"}),
    ),
    "shell": (frozenset({"-c", "--version", "--help"}), frozenset({"-o", "+O", "-O"}), frozenset({"-i"})),
}
_INTERPRETER_OF = {
    "ipython": "ipython",
    "ipython3": "ipython",
    "R": "R",
    "node": "node",
    "nodejs": "node",
    "julia": "julia",
    "bash": "shell",
    "sh": "shell",
    "zsh": "shell",
    "dash": "shell",
    "ksh": "shell",
    "fish": "shell",
}
# Full-screen programs that wait for keys. A pager only when it writes to the terminal: the kernel sets
# PAGER=cat and GIT_PAGER=cat, so `man` and `git log` print and return; `less` and `more` run directly
# wait for keys.
_EDITORS = {"vim", "vi", "nvim", "nano", "pico", "emacs", "micro", "joe", "mcedit"}
_EDITOR_BATCH = {
    "-c",
    "-e",
    "-s",
    "-es",
    "-Es",
    "--batch",
    "-batch",
    "--script",
    "--version",
    "-V",
    "-h",
    "--help",
    "--daemon",
}
_LESS_QUITS = {"-F", "--quit-if-one-screen", "--version", "-V", "--help"}
# Package managers that ask "Proceed ([y]/n)?" before changing anything, and the options that answer.
_CONDA_ASKING = {"install", "create", "remove", "uninstall", "update", "upgrade"}
_CONDA_ANSWERS = {"-y", "--yes", "--y", "--dry-run", "-d", "--json", "--download-only", "--help", "-h"}
_APT_ASKING = {"install", "remove", "purge", "upgrade", "dist-upgrade", "full-upgrade", "autoremove", "reinstall"}
_APT_ANSWERS = {
    "-y",
    "--yes",
    "--assume-yes",
    "--assume-no",
    "--force-yes",
    "-s",
    "--simulate",
    "--dry-run",
    "--just-print",
    "--no-act",
    "--recon",
    "-qq",
    "--help",
    "-h",
}
_YUM_ASKING = {"install", "remove", "erase", "update", "upgrade", "reinstall", "downgrade", "autoremove"}
_YUM_ANSWERS = {"-y", "--assumeyes", "--assumeno", "--help", "-h"}
_SSH_VALUE_OPTIONS = set("bcDEeFIiJLlmOopQRSWwB")
_SSH_NO_LOGIN = set("NfVGO")  # -N no command, -f background, -V version, -G print config, -O control
_GIT_GLOBAL_VALUE_OPTIONS = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"}
_COMMIT_MESSAGE_OPTIONS = {
    "-m",
    "--message",
    "-F",
    "--file",
    "-C",
    "--reuse-message",
    "--no-edit",
    "--fixup",
    "--dry-run",
    "-h",
    "--help",
}


@dataclass(frozen=True)
class Wait:
    """Why a command waits for a person, and how to write it so that it does not."""

    reason: str
    remedy: str
    certain: bool = True  # False: it waits only in some cases (apt asks only when it adds dependencies)


_RUN_SOMETHING = "give it a script or a command (`!python script.py`, `-c '...'`), or run the code in a cell"
_PRINT_INSTEAD = "print instead (`!cat file`, `!top -b -n 1`), or write the file with %%writefile"
_ANSWER_YES = "answer in the command: add `-y`"


def _short_flags(word: str) -> str:
    """The letters of a cluster of short options (`-qy` -> "qy"); "" for anything else."""
    return word[1:] if re.match(r"^-[A-Za-z]+$", word) else ""


def _has_answer(arguments: list[str], answers: set[str]) -> bool:
    """An option among `answers`, or `-y` inside a short cluster (`-qy`); apt's `-q -q` counts as `-qq`."""
    quiet = 0
    for word in arguments:
        if word.partition("=")[0] in answers:
            return True
        letters = _short_flags(word)
        if "y" in letters:
            return True
        quiet += letters.count("q")
    return "-qq" in answers and quiet >= 2


def _interpreter(program: str) -> str | None:
    if _PYTHON.match(program):
        return "python"
    return _INTERPRETER_OF.get(program)


def _waits_at_prompt(kind: str, arguments: list[str]) -> bool:
    """An interpreter or shell given no script and no command: its prompt waits for input."""
    runs, takes_value, forces_prompt = _INTERPRETERS[kind]
    skip = False
    for word in arguments:
        if skip:
            skip = False
            continue
        option = word.partition("=")[0]
        if option in forces_prompt:
            return True
        if option in runs or (kind == "python" and _short_flags(word) and word[-1] in "cm"):
            return False  # python -uc 'print(1)', python -um module
        if option in takes_value and "=" not in word:
            skip = True
        elif not word.startswith(("-", "+")) or word == "-":
            return word == "-" and kind == "python"  # a script (or `-`: the script from the terminal)
    return True


def judge(command: ShellCommand, magic: str | None) -> Wait | None:
    """Why `command`, run on a terminal nobody types into, waits for someone at a keyboard, or None.
    `magic` is the installer magic that runs it (`pip` for `%pip`), None for a `!` line."""
    words = command.words
    if command.stdin_fed and not _reads_the_terminal(words):
        return None  # `yes | ...`, `... < answers.txt`: something answers
    if magic is not None:
        return _judge_installer(magic, words, magic=True)
    head = command_head(words)
    if head >= len(words):
        # `sudo -i` / `sudo -s` with nothing after them: a root shell
        if words and words[0] == "sudo" and any(w in ("-i", "-s", "--login", "--shell") for w in words[1:]):
            return Wait("opens a root shell that waits for commands", _RUN_SOMETHING)
        return None
    program = re.split(r"[\\/]", words[head])[-1]
    arguments = words[head + 1 :]
    if any(char in word for word in words[: head + 1] for char in "${}`"):
        return None  # filled in when the line runs
    kind = _interpreter(program)
    if kind is not None:
        if _waits_at_prompt(kind, arguments):
            return Wait(
                f"starts an interactive `{program}` prompt (no script, no command) that waits for input", _RUN_SOMETHING
            )
        return None
    if program == "su":
        return (
            None
            if any(w in ("-c", "--command") for w in arguments)
            else Wait("asks for a password, then opens a shell", _RUN_SOMETHING)
        )
    if program in _EDITORS:
        if any(w.partition("=")[0] in _EDITOR_BATCH or w.startswith("+") for w in arguments):
            return None
        return Wait(f"opens the `{program}` editor, full screen, waiting for keys", _PRINT_INSTEAD)
    if program == "less":
        if command.stdout_redirected or any(w.partition("=")[0] in _LESS_QUITS for w in arguments):
            return None
        return Wait('pages its input and waits at "(END)" for `q`', _PRINT_INSTEAD)
    if program == "more":
        if command.stdout_redirected or any(w in ("--version", "-V", "--help", "-h") for w in arguments):
            return None
        # util-linux more 2.38 and later waits at "--More--(END)" even after a short file; older ones
        # and BSD's return at the end of a file that fits on the screen
        return Wait(
            'pages its input and waits at "--More--" (util-linux more 2.38+ even after a short file)',
            _PRINT_INSTEAD,
            certain=False,
        )
    if program == "htop" or (program == "top" and not any(re.match(r"^-[A-Za-z]*[bn]", w) for w in arguments)):
        return Wait(f"`{program}` redraws the screen until someone presses `q`", _PRINT_INSTEAD)
    if program == "ssh":
        return _judge_ssh(arguments)
    if program == "git":
        return _judge_git(arguments, words[:head])
    if program in ("apt-get", "apt", "aptitude"):
        if (
            arguments
            and _action(arguments) in _APT_ASKING
            and not _has_answer(arguments, _APT_ANSWERS)
            and not any("Assume-Yes" in w for w in arguments)
        ):
            return Wait(
                f'`{program} {_action(arguments)}` asks "Do you want to continue? [Y/n]" when it pulls in dependencies',
                _ANSWER_YES,
                certain=False,
            )
        return None
    if program in ("yum", "dnf"):
        if arguments and _action(arguments) in _YUM_ASKING and not _has_answer(arguments, _YUM_ANSWERS):
            return Wait(
                f'`{program} {_action(arguments)}` asks "Is this ok [y/N]" before changing anything', _ANSWER_YES
            )
        return None
    found = installer(words)
    if found is not None:
        return _judge_installer(found[0], found[3], magic=False)
    return None


def _reads_the_terminal(words: list[str]) -> bool:
    """Programs that read keys from the terminal itself, whatever their standard input: pagers, editors,
    top, su's password prompt, and git's message editor."""
    head = command_head(words)
    program = re.split(r"[\\/]", words[head])[-1] if head < len(words) else ""
    return program in _EDITORS or program in ("less", "more", "top", "htop", "su", "git")


def _action(arguments: list[str]) -> str | None:
    """The first word that is not an option (the subcommand); option values are not told apart, so an
    option with a separate value before the subcommand makes it unknown, never a guess."""
    for word in arguments:
        if not word.startswith("-"):
            return word
    return None


def _judge_installer(tool: str, arguments: list[str], magic: bool) -> Wait | None:
    action = _action(arguments)
    if tool == "pip":
        if action == "uninstall" and not _has_answer(arguments, {"-y", "--yes", "-h", "--help"}):
            return Wait('`pip uninstall` asks "Proceed (Y/n)?" for every package', _ANSWER_YES)
        return None
    if action not in _CONDA_ASKING or _has_answer(arguments, _CONDA_ANSWERS):
        return None
    if magic and action != "create":
        return None  # %conda adds --yes itself to install, remove, uninstall, update and upgrade (not create)
    remedy = _ANSWER_YES + ("" if action == "create" else f" (or use %{tool}, which adds it)")
    return Wait(f'`{tool} {action}` asks "Proceed ([y]/n)?" before changing the environment', remedy)


def _judge_ssh(arguments: list[str]) -> Wait | None:
    """`ssh host` with no remote command logs in and waits at the remote prompt."""
    position = 0
    while position < len(arguments):
        word = arguments[position]
        position += 1
        if word == "--":
            break
        letters = _short_flags(word) or (word[1:] if word.startswith("-") else "")
        if not word.startswith("-"):
            position -= 1
            break
        if set(letters) & _SSH_NO_LOGIN:
            return None
        for offset, letter in enumerate(letters):
            if letter in _SSH_VALUE_OPTIONS:
                position += 0 if letters[offset + 1 :] else 1  # the value is the rest of the word, or the next
                break
    rest = arguments[position:]
    if len(rest) == 1:
        return Wait(
            "logs in to a remote shell with no command, which waits for input",
            "pass the command to run: `!ssh host 'command'`",
        )
    return None


def _judge_git(arguments: list[str], prefix: list[str]) -> Wait | None:
    """`git commit` with no message opens an editor (vi, unless GIT_EDITOR says otherwise)."""
    if any(word.split("=", 1)[0] in ("GIT_EDITOR", "EDITOR", "VISUAL") for word in prefix):
        return None
    position = 0
    while position < len(arguments) and arguments[position].startswith("-"):
        option = arguments[position].partition("=")[0]
        if option == "-c" and position + 1 < len(arguments) and "editor" in arguments[position + 1].lower():
            return None  # git -c core.editor=true commit
        position += 1 + (option in _GIT_GLOBAL_VALUE_OPTIONS and "=" not in arguments[position])
    if position >= len(arguments) or arguments[position] != "commit":
        return None
    for word in arguments[position + 1 :]:
        if word.partition("=")[0] in _COMMIT_MESSAGE_OPTIONS:
            return None
        letters = _short_flags(word)
        if letters and set(letters) & set("mFC"):
            return None  # -am "message"
        if word in ("-e", "--edit"):
            break
    return Wait(
        "`git commit` with no `-m` opens an editor for the message and waits",
        'pass the message: `!git commit -m "..."`',
    )
