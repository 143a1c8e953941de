"""Package installs written in a notebook, read the way the shell and pip read them.

Used by NB501 (unpinned-install) and NB502 (shell-pip). The commands come from two places:

- the IPython lines the engine masked (`notebook.magic_lines`): `%pip install x`, `!pip install x`,
  `!python -m pip install x`, `!{sys.executable} -m pip install x`, `!conda install x`, automagic
  `pip install x`, and `out = !pip install x`;
- the lines of `%%bash` / `%%sh` / `%%script bash` cells, which the engine skips (they are not Python) but
  which run pip and conda exactly as a `!` line does.

A line is split as a POSIX shell splits it (shlex: quotes, `&&`, `;`, `|`, redirections), so
`!pip install -q seaborn 2>&1 | tail -1` is one pip command with one package. Anything the shell or
IPython fills in at run time (`$PKG`, `{package}`) is unknown and never judged.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urlsplit

from nblint.core.code.magics import cell_magic
from nblint.core.lazyre import lazy_compile
from nblint.core.read.notebook import Notebook

# The magics IPython provides for installers: they run in the kernel's own environment.
MAGIC_OF_TOOL = {"pip": "%pip", "conda": "%conda", "mamba": "%mamba", "micromamba": "%micromamba"}
_CONDA_TOOLS = {"conda", "mamba", "micromamba"}

# pip options that take a value (the value is the next word unless written `--opt=value`).
_PIP_VALUE_OPTIONS = {
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--src",
    "--upgrade-strategy",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--progress-bar",
    "--log",
    "--log-file",
    "--local-log",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--cache-dir",
    "--global-option",
    "--install-option",
    "--config-settings",
    "-C",
    "--no-binary",
    "--only-binary",
    "--report",
    "--root-user-action",
    "--python",
    "--use-feature",
    "--use-deprecated",
    "--keyring-provider",
    "-b",
    "--build",
    "--build-dir",
    "--group",
    # handled specially below, listed so that the value is never read as a package
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
}
_PIP_SHORT_WITH_VALUE = set("iftCbrce")
_CONDA_VALUE_OPTIONS = {
    "-c",
    "--channel",
    "-n",
    "--name",
    "-p",
    "--prefix",
    "--file",
    "--repodata-fn",
    "--solver",
    "--experimental-solver",
    "--subdir",
    "--platform",
    "--revision",
    "--override-frozen",
}
_CONDA_SHORT_WITH_VALUE = set("cnp")

# Words that may stand before the installer on a command line and are not the installer.
_WRAPPERS = {"sudo", "env", "time", "nohup", "command", "exec", "noglob"}
_ASSIGNMENT = lazy_compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PIP_EXE = lazy_compile(r"^pip(?:\d+(?:\.\d+)*)?(?:\.exe)?$")
_PYTHON_EXE = lazy_compile(r"^(?:python(?:\d+(?:\.\d+)*)?|py)(?:\.exe)?$")
# `!{sys.executable} -m pip`: IPython fills in the kernel's own interpreter.
_KERNEL_PYTHON = lazy_compile(r"^(?:\{\s*sys\s*\.\s*executable\s*\}|\$\{?sys\.executable\}?)$")
_KERNEL_PREFIX = lazy_compile(r"\{\s*sys\s*\.\s*prefix\s*\}|\$\{?sys\.prefix\}?")

_SHELL_CELL_MAGICS = {"bash", "sh"}
_SCRIPT_SHELLS = {"bash", "sh", "zsh"}

# Installer tooling: upgrading it does not change what the notebook's own code imports.
_TOOLING = {"pip", "setuptools", "wheel"}
# Refs of a VCS URL that move with every push (a tag or a commit is a pin; a branch is not).
_MOVING_REFS = {"main", "master", "develop", "development", "dev", "trunk", "head", "nightly"}
_BRANCH_ARCHIVE = lazy_compile(r"/archive/(?:refs/heads/)?(?:main|master|develop|dev)\.(?:zip|tar\.gz|tgz)$", re.I)
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".egg", ".conda")

_REQUIREMENT = lazy_compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?P<extras>\[[^\]]*\])?\s*(?P<spec>[^;]*?)\s*(?P<marker>;.*)?$"
)
_CLAUSE = lazy_compile(r"^\s*(===|==|~=|!=|<=|>=|<|>)\s*([A-Za-z0-9_.*+!-]+)\s*$")
_CONDA_SPEC = lazy_compile(r"^(?:(?P<channel>[^:\s]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9._-]*)(?P<rest>.*)$")


@dataclass(frozen=True)
class Package:
    """One thing a command installs, as judged."""

    text: str  # as written (quotes removed)
    display: str  # how the message names it
    pinned: bool
    why: str = ""  # for an unpinned package: "without a version", "with a lower bound only (>=1.2)"
    name: str | None = None  # the distribution name, when it is a requirement
    extras: str = ""
    url: str | None = None  # for a VCS or archive URL

    def pinned_form(self, tool: str, version: str | None) -> str:
        """The same package with an exact pin; `version` from the notebook's saved output when known."""
        if self.url is not None:
            base, _, _ = self.url.partition("#")
            path_start = base.find("/", base.find("://") + 3) if "://" in base else 0
            at = base.rfind("@")
            if at > path_start >= 0:
                base = base[:at]
            pinned_url = f"{base}@<commit>"
            return f"{self.name} @ {pinned_url}" if self.name else pinned_url
        exact = version or "<version>"
        operator = "=" if tool in _CONDA_TOOLS else "=="
        return f"{self.name}{self.extras}{operator}{exact}"


@dataclass
class InstallCommand:
    """One pip or conda command found in a notebook."""

    cell: int
    line: int  # 1-based within the cell
    column: int  # 1-based
    source: str  # the whole line as written, stripped
    origin: str  # "magic" (%pip, automagic pip), "shell" (a ! line) or "shell-cell" (a %%bash cell)
    tool: str  # pip, conda, mamba, micromamba
    invoked_as: str  # how the line calls it: "%pip", "pip3", "python -m pip", "{sys.executable} -m pip"
    runs_in_kernel: bool  # True when it installs into the kernel's own environment for sure
    action: str  # install, uninstall, ...
    arguments: list[str] = field(default_factory=list)  # the words after the action
    packages: list[Package] = field(default_factory=list)
    constrained: bool = False  # pip -c / --constraint: the pins live in the constraints file
    targets_other_env: bool = False  # conda -n / -p naming an environment on purpose

    @property
    def unpinned(self) -> list[Package]:
        if self.constrained or self.action != "install":
            return []
        return [p for p in self.packages if not p.pinned and (p.name or "").lower() not in _TOOLING]


def install_commands(notebook: Notebook) -> list[InstallCommand]:
    """Every pip / conda command of the notebook, in cell and line order."""
    if not notebook.is_python or notebook.is_python2:
        return []  # `%pip` and friends are IPython 7+ on Python 3; other kernels have no `!pip` lines
    commands: list[InstallCommand] = []
    for magic in notebook.magic_lines:
        commands.extend(_from_magic_line(magic.cell, magic.line, magic.column, magic.text))
    for cell in notebook.cells:
        if cell.cell_type == "code" and _is_shell_cell(cell.source):
            for line, column, text in _shell_cell_lines(cell.lines):
                commands.extend(_commands_in(cell.index, line, column, text, text, "shell-cell"))
    commands.sort(key=lambda c: (c.cell, c.line))
    return commands


def shell_lines(notebook: Notebook) -> Iterator[tuple[int, int, int, str, str, bool]]:
    """Every line a notebook hands to the shell: (cell, line, column, the shell's text, the line as
    written, whether its first command is an installer magic's own, run by the kernel's interpreter)."""
    if not notebook.is_python or notebook.is_python2:
        return
    for magic in notebook.magic_lines:
        found = magic_shell_text(magic.text)
        if found is not None:
            yield magic.cell, magic.line, magic.column, found[0], magic.text.strip(), found[1] is not None
    for cell in notebook.cells:
        if cell.cell_type == "code" and _is_shell_cell(cell.source):
            for line, column, text in _shell_cell_lines(cell.lines):
                yield cell.index, line, column, text, text, False


def _is_shell_cell(source: str) -> bool:
    magic = cell_magic(source)
    if magic in _SHELL_CELL_MAGICS:
        return True
    if magic == "script":
        first = source.lstrip().split("\n", 1)[0].split()
        return len(first) > 1 and first[1].rsplit("/", 1)[-1] in _SCRIPT_SHELLS
    return False


def _shell_cell_lines(lines: list[str]) -> Iterator[tuple[int, int, str]]:
    """(1-based line, column, text) of each command line below the `%%bash` line; continuations joined."""
    number = next((i for i, line in enumerate(lines) if line.strip()), len(lines)) + 1
    while number < len(lines):
        start, text = number, lines[number]
        while text.rstrip().endswith("\\") and number + 1 < len(lines):
            number += 1
            text = text.rstrip()[:-1] + " " + lines[number].strip()
        number += 1
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            yield start + 1, len(text) - len(text.lstrip()) + 1, stripped


_ASSIGNED = lazy_compile(r"^[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*=\s*(?=[!%])")
_LINE_MAGIC = lazy_compile(r"^%(pip|conda|mamba|micromamba)(?=\s|$)")
_AUTOMAGIC = lazy_compile(r"^(pip|conda|mamba|micromamba)\s")


def magic_shell_text(text: str) -> tuple[str, str | None] | None:
    """What a masked IPython line hands to the shell, and the installer magic that runs it (`pip` for
    `%pip ...` and automagic `pip ...`, None for a `!` line); None for a line that runs no shell."""
    body = _ASSIGNED.sub("", text, count=1)
    magic = _LINE_MAGIC.match(body) or _AUTOMAGIC.match(body)
    if magic:
        # %pip runs `python -m pip <rest>` through the shell; anything after `&&` is plain shell.
        return body[magic.end() :], magic.group(1)
    if body.startswith("!"):
        return body.lstrip("!"), None
    return None


def _from_magic_line(cell: int, line: int, column: int, text: str) -> list[InstallCommand]:
    found = magic_shell_text(text)
    if found is None:
        return []
    shell_text, magic_tool = found
    return _commands_in(cell, line, column, shell_text, text, "magic" if magic_tool else "shell", magic_tool=magic_tool)


def _commands_in(
    cell: int, line: int, column: int, shell_text: str, source: str, origin: str, magic_tool: str | None = None
) -> list[InstallCommand]:
    commands = []
    for number, words in enumerate(split_commands(shell_text)):
        found: tuple[str, str, bool, list[str]] | None
        if number == 0 and magic_tool is not None:
            found = (magic_tool, f"%{magic_tool}", True, words)
        else:
            found = installer(words)
            if found is None:
                continue
            if origin == "magic":
                origin = "shell"  # `%pip install x && pip install y`: the second is the shell's
        tool, invoked_as, in_kernel, rest = found
        command = _parse_arguments(tool, rest)
        if command is None:
            continue
        action, arguments, packages, constrained, other_env, kernel_prefix = command
        commands.append(
            InstallCommand(
                cell,
                line,
                column,
                source.strip(),
                origin,
                tool,
                invoked_as,
                in_kernel or kernel_prefix,
                action,
                arguments,
                packages,
                constrained,
                other_env,
            )
        )
    return commands


_SEPARATORS = {";", "&&", "||", "|", "&", "|&", "(", ")", ";;"}
_PIPES = {"|", "|&"}


@dataclass
class ShellCommand:
    """One simple command of a shell line: its words, and whether its standard input or output is
    not the terminal (`yes | cmd`, `cmd < answers.txt`, `cmd | head`, `cmd > log.txt`)."""

    words: list[str]
    stdin_fed: bool = False
    stdout_redirected: bool = False


def shell_commands(text: str) -> list[ShellCommand]:
    """The simple commands of a shell line, split as a POSIX shell splits them (quotes, `&&`, `;`,
    `|`); redirections and comments dropped from the words. A line the shell itself could not split
    (an unclosed quote) gives no commands."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""  # `#` starts a comment only at the start of a word: handled below
    try:
        tokens = list(lexer)
    except ValueError:
        return []
    commands: list[ShellCommand] = []
    current = ShellCommand([])
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token in _SEPARATORS:
            if current.words:
                commands.append(current)
            if token in _PIPES and commands:
                commands[-1].stdout_redirected = True  # its output goes into the next command
            current = ShellCommand([], stdin_fed=token in _PIPES)
            continue
        if token and set(token) <= set("<>&|") and ("<" in token or ">" in token):
            descriptor = current.words.pop() if current.words and current.words[-1].isdigit() else None  # `2>&1`
            if "<" in token:
                current.stdin_fed = current.stdin_fed or descriptor in (None, "0")
            elif descriptor in (None, "1") or token.startswith("&"):
                current.stdout_redirected = True
            skip_next = True  # the redirection's target
            continue
        if token.startswith("#"):
            break
        current.words.append(token)
    if current.words:
        commands.append(current)
    return commands


def split_commands(text: str) -> list[list[str]]:
    """The simple commands of a shell line as word lists (see shell_commands)."""
    return [command.words for command in shell_commands(text)]


def command_head(words: list[str]) -> int:
    """The index of the program a command runs, past `sudo`, `env`, `time`, `nohup`... and `VAR=value`
    assignments (len(words) when there is none)."""
    index = 0
    while index < len(words) and (words[index] in _WRAPPERS or _ASSIGNMENT.match(words[index])):
        index += 1
        while index < len(words) and words[index].startswith("-"):  # sudo -H, env -i
            index += 1
    return index


def installer(words: list[str]) -> tuple[str, str, bool, list[str]] | None:
    """(tool, how it is invoked, runs in the kernel's environment, words after the installer) or None."""
    index = command_head(words)
    if index >= len(words):
        return None
    head = words[index]
    base = re.split(r"[\\/]", head)[-1]
    if _PIP_EXE.match(base):
        return "pip", base, False, words[index + 1 :]
    if base.lower() in _CONDA_TOOLS:
        return base.lower(), base, False, words[index + 1 :]
    kernel_python = bool(_KERNEL_PYTHON.match(head))
    if kernel_python or _PYTHON_EXE.match(base):
        position = index + 1
        while position < len(words) and words[position].startswith("-") and words[position] not in ("-m", "-mpip"):
            position += 1
        if position < len(words):
            if words[position] == "-mpip":
                return "pip", f"{head} -m pip", kernel_python, words[position + 1 :]
            if words[position] == "-m" and position + 1 < len(words) and words[position + 1] == "pip":
                return "pip", f"{head} -m pip", kernel_python, words[position + 2 :]
    return None


def _parse_arguments(tool: str, words: list[str]):
    """(action, arguments, packages, constrained, names another env, prefix is the kernel's) or None."""
    conda = tool in _CONDA_TOOLS
    value_options = _CONDA_VALUE_OPTIONS if conda else _PIP_VALUE_OPTIONS
    short_with_value = _CONDA_SHORT_WITH_VALUE if conda else _PIP_SHORT_WITH_VALUE
    index = 0
    while index < len(words) and words[index].startswith("-"):  # global options: `pip -q install x`
        index += 1 + (words[index] in value_options)
    if index >= len(words):
        return None
    action = words[index]
    arguments = words[index + 1 :]
    packages: list[Package] = []
    constrained = other_env = kernel_prefix = False
    position = 0
    while position < len(arguments):
        word = arguments[position]
        position += 1
        if word.startswith("-") and len(word) > 1:
            option, has_inline, inline = word.partition("=")
            value = None
            if option.startswith("--"):
                if option in value_options:
                    value = inline if has_inline else (arguments[position] if position < len(arguments) else "")
                    position += 0 if has_inline else 1
            else:
                # short flags may be combined (`-qU`); one that takes a value ends the group (`-qr reqs.txt`)
                for offset, letter in enumerate(option[1:], start=1):
                    if letter in short_with_value:
                        option = "-" + letter
                        value = word[offset + 1 :]
                        if not value:
                            value = arguments[position] if position < len(arguments) else ""
                            position += 1
                        break
            if value is None:
                continue
            if not conda and option in ("-c", "--constraint"):
                constrained = True
            elif conda and option in ("-n", "--name", "-p", "--prefix"):
                if _KERNEL_PREFIX.search(value):
                    kernel_prefix = True
                else:
                    other_env = True
            continue
        if position < len(arguments) and arguments[position] == "@" and not conda:
            # PEP 508 `name @ url` written unquoted: three words
            url = arguments[position + 1] if position + 1 < len(arguments) else ""
            position += 2
            word = f"{word} @ {url}"
        judged = _judge_conda(word) if conda else _judge_pip(word)
        if judged is not None:
            packages.append(judged)
    return action, arguments, packages, constrained, other_env, kernel_prefix


def _run_time_value(word: str) -> bool:
    """Filled in by IPython (`{pkg}`, `$pkg`) or the shell (`$PKG`, `` `cmd` ``) when the line runs."""
    return any(char in word for char in "${}`")


def _is_local(word: str) -> bool:
    return (
        word in (".", "..")
        or word.startswith((".", "/", "~", "\\", "file:"))
        or bool(re.match(r"^[A-Za-z]:[\\/]", word))
        or "/" in word
        or "\\" in word
        or word.lower().endswith(_ARCHIVE_SUFFIXES)
    )


def _judge_pip(word: str) -> Package | None:
    if not word or _run_time_value(word):
        return None
    name, at, url = word.partition(" @ ")
    if at:
        judged = _judge_url(url.strip())
        return (
            None
            if judged is None
            else Package(word, name.strip(), judged.pinned, judged.why, name.strip(), url=judged.url)
        )
    if "://" in word or re.match(r"^(?:git|hg|svn|bzr)\+", word):
        return _judge_url(word)
    if _is_local(word):
        return None
    match = _REQUIREMENT.match(word)
    if match is None:
        return None
    spec = match.group("spec").strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1]
    clauses = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        clause = _CLAUSE.match(part)
        if clause is None:
            return None  # not a specifier we understand: never guessed
        clauses.append((clause.group(1), clause.group(2)))
    name = match.group("name")
    extras = match.group("extras") or ""
    pinned, why = _judge_clauses(clauses)
    return Package(word, name + extras, pinned, why, name, extras)


def _judge_clauses(clauses: list[tuple[str, str]]) -> tuple[bool, str]:
    operators = {op for op, _ in clauses}
    if operators & {"==", "===", "~="}:
        return True, ""
    written = ",".join(op + version for op, version in clauses)
    lower = operators & {">=", ">"}
    upper = operators & {"<", "<="}
    if lower and upper:
        return True, ""  # `>=2.10,<2.11` is a compatible pin written out
    if not clauses:
        return False, "without a version"
    if lower:
        return False, f"with a lower bound only ({written})"
    if upper:
        return False, f"with an upper bound only ({written})"
    return False, f"with exclusions only ({written})"


def _judge_url(url: str) -> Package | None:
    vcs = re.match(r"^(?:git|hg|svn|bzr)\+", url)
    if not vcs:
        if _BRANCH_ARCHIVE.search(url.split("#")[0].split("?")[0]):
            return Package(url, _short_url(url), False, "from a branch archive, which changes with every push", url=url)
        return None  # a file at a URL: a fixed artifact as far as we can tell
    try:
        parts = urlsplit(url[vcs.end() :].split("#")[0])
    except ValueError:
        return None
    path = parts.path
    ref = path.rsplit("@", 1)[1] if "@" in path else ""
    if ref and ref.lower() not in _MOVING_REFS:
        return Package(url, _short_url(url), True, url=url)
    why = f"at branch '{ref}', which moves with every push" if ref else "at whatever the default branch holds today"
    return Package(url, _short_url(url), False, why, url=url)


def _short_url(url: str) -> str:
    return url.split("#")[0]


def _judge_conda(word: str) -> Package | None:
    if not word or _run_time_value(word) or "/" in word or "\\" in word or word.lower().endswith(_ARCHIVE_SUFFIXES):
        return None
    match = _CONDA_SPEC.match(word)
    if match is None:
        return None
    name, rest = match.group("name"), match.group("rest").strip()
    if not rest:
        return Package(word, name, False, "without a version", name)
    if rest.startswith("["):
        version = re.search(r"version\s*=\s*['\"]?([^'\"\],]+)", rest)
        if version is None:
            return Package(word, name, False, "without a version", name)
        rest = version.group(1).strip()
    if rest.startswith("=") or rest[0].isdigit():
        return Package(word, name, True, name=name)  # `numpy=1.26`, `numpy==1.26.4`, `numpy 1.26`
    if "|" in rest:
        return None
    clauses = []
    for part in filter(None, (p.strip() for p in rest.split(","))):
        clause = _CLAUSE.match(part)
        if clause is None:
            return None
        clauses.append((clause.group(1), clause.group(2)))
    pinned, why = _judge_clauses(clauses)
    return Package(word, name, pinned, why, name)


# --- versions the notebook's saved output shows ------------------------------------------------------------

_INSTALLED = lazy_compile(r"Successfully installed ([^\n]+)")
_SATISFIED = lazy_compile(
    r"Requirement already (?:satisfied|up-to-date): ([A-Za-z0-9._-]+)(?:\[[^\]]*\])? in [^\n]*?\(([^()\s]+)\)\s*$", re.M
)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def versions_in_outputs(outputs: list) -> dict[str, str]:
    """{normalized name: version} that pip printed in a cell's saved output."""
    found: dict[str, str] = {}
    for output in outputs:
        if not isinstance(output, dict) or output.get("output_type") != "stream":
            continue
        text = output.get("text", "")
        if isinstance(text, list):
            text = "".join(t for t in text if isinstance(t, str))
        if not isinstance(text, str):
            continue
        for name, version in _SATISFIED.findall(text):
            if "(from " not in name:
                found.setdefault(normalize(name), version)
        for match in _INSTALLED.finditer(text):
            for item in match.group(1).split():
                name, dash, version = item.rpartition("-")
                if dash and name and version[:1].isdigit():
                    found[normalize(name)] = version
    return found


# --- rewriting a command -----------------------------------------------------------------------------------

_NEEDS_QUOTES = lazy_compile(r"[\s<>|&;()$`\"'*?\[\]{}!#\\]")


def shell_word(word: str) -> str:
    """A word as a person would type it: quoted only when the shell would otherwise misread it."""
    return f'"{word}"' if _NEEDS_QUOTES.search(word.replace("<version>", "1").replace("<commit>", "1")) else word


def pinned_rewrite(command: InstallCommand, versions: dict[str, str]) -> str:
    """The install as an IPython magic with every unpinned package pinned."""
    unpinned = {id(p) for p in command.unpinned}
    replacements = {}
    for package in command.packages:
        if id(package) in unpinned:
            version = versions.get(normalize(package.name)) if package.name else None
            replacements[package.text] = package.pinned_form(command.tool, version)
    words = [MAGIC_OF_TOOL[command.tool], command.action]
    skip = 0
    for index, word in enumerate(command.arguments):
        if skip:
            skip -= 1
            continue
        if index + 2 < len(command.arguments) and command.arguments[index + 1] == "@":
            joined = f"{word} @ {command.arguments[index + 2]}"
            if joined in replacements:
                words.append(shell_word(replacements[joined]))
                skip = 2
                continue
        words.append(shell_word(replacements.get(word, word)))
    return " ".join(words)
