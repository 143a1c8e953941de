"""IPython syntax, masked line for line so that a cell parses as Python.

Only cells that fail to parse are masked, and only their IPython lines: `%matplotlib inline`,
`!pip install x`, `files = !ls`, `df.head?`, automagic `pip install x`. Each becomes a Python line of the
same indent (`pass`, or `files = None` to keep the binding), so line and column numbers survive.

Before that, the prompts of pasted sessions go, as IPython's own clean-up does: `>>> ` / `... ` (a
doctest, the Python REPL) and `In [3]: ` / `   ...: ` (IPython). Only their width is removed from each
line, so lines keep their numbers and columns shift by the width stripped.
"""

from __future__ import annotations

import re

# Every pattern pins the indent with (?=\S): without it the regex engine retries each shorter indent, and
# the lines of 1,000 nested defs (indented up to 4,000 spaces) took minutes to match.

# Cell magics whose body is Python and runs in the kernel; the magic line itself is blanked.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "python", "python3"}

# Line magics people type without the % (automagic), followed by arguments.
_AUTOMAGICS = (
    "pip|conda|mamba|cd|ls|pwd|mkdir|rm|cp|mv|cat|env|set_env|matplotlib|load_ext|reload_ext|autoreload|"
    "time|timeit|run|who|whos|reset|store|config|pylab|history|alias|unalias|xmode|precision|bookmark|"
    "pushd|popd|dhist|sx|system|pinfo|pinfo2|psearch|rerun|recall|save|logstart|macro|edit|gui|colors|"
    "lsmagic|magic|notebook|rehashx|tb|prun|pdb|debug|doctest_mode|load|writefile|capture"
)
_MAGIC_LINE = re.compile(r"^(\s*)(?=\S)(?:[%!]|\?{1,2}\s*[\w.])")
# `df.head?`, `np.zeros??`, and `a = b??` (IPython shows help for the last object on the line)
_HELP_LINE = re.compile(r"^(\s*)(?=\S)[^#'\"]*[\w.)\]]\?{1,2}\s*$")
_ASSIGNED_MAGIC = re.compile(r"^(\s*)(?=\S)([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*=\s*[%!]")
# `%time stmt`, `%timeit [-n N -r R ...] stmt`: IPython runs the statement, so it is analysed. The magic
# and its options give way to `pass;` padded to their width, so the statement keeps its columns; in
# `x = %time expr` they give way to spaces. `%timeit`'s options: -n<N> -r<R> -p<P> (attached or not),
# -t -c -q -o.
_TIMED_LINE = re.compile(r"^(\s*)(?=\S)(%(?:time|timeit)(?:\s+-(?:[nrp]\s*\d+|[tcqo]))*\s+)(?=\S)(.*)$")
_TIMED_ASSIGNED = re.compile(
    r"^(\s*)(?=\S)([A-Za-z_]\w*\s*=\s*)(%(?:time|timeit)(?:\s+-(?:[nrp]\s*\d+|[tcqo]))*\s+)(?=\S)(.*)$"
)
# A compound statement cannot follow `pass;`: such a line is masked whole, as before.
_COMPOUND = re.compile(r"(?:for|while|if|with|def|class|try|async|match|elif|else|except|finally)\b|@")
_AUTOMAGIC_LINE = re.compile(
    rf"^(\s*)(?=\S)(?:{_AUTOMAGICS})(?:\s+(?![=(\[,:]|\.\w|(?:in|is|and|or|if|for|not)\b)\S.*)?\s*$"
)


# IPython's classic and IPython prompt strippers (IPython.core.inputtransformer2): a cell is a pasted
# session when its first line starts with the first prompt, or its second line with any prompt; then the
# prompt is removed from every line that has one. `...` alone is valid Python (Ellipsis), so it never
# makes a cell a session on the first line.
_CLASSIC_FIRST = re.compile(r"^>>>(?: |$)")
_CLASSIC_ANY = re.compile(r"^(?:>>>|\.\.\.)(?: |$)")
_IPYTHON_ANY = re.compile(r"^(?:In \[\d+\]: |\s*\.{3,}: ?)")


def strip_prompts(lines: list[str]) -> tuple[list[str], list[int]]:
    """The lines without the prompts of a pasted session, and the width stripped from each line (all
    zeros, and the lines unchanged, when the cell is not a pasted session)."""
    widths = [0] * len(lines)
    # IPython drops leading blank lines before it looks for prompts
    start = next((number for number, line in enumerate(lines) if line.strip()), len(lines))
    for first, any_prompt in ((_CLASSIC_FIRST, _CLASSIC_ANY), (_IPYTHON_ANY, _IPYTHON_ANY)):
        head = lines[start : start + 2]
        if not head or not (first.match(head[0]) or (len(head) > 1 and any_prompt.match(head[1]))):
            continue
        stripped = []
        for number, line in enumerate(lines):
            match = any_prompt.match(line)
            width = match.end() if match else 0
            stripped.append(line[width:])
            widths[number] += width
        lines = stripped
    return lines, widths


def cell_magic(source: str) -> str | None:
    """The name of the cell magic on the cell's first non-blank line (`%%time` -> 'time'), if any."""
    for line in source.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("%%"):
            return stripped[2:].split(None, 1)[0] if len(stripped) > 2 else ""
        return None
    return None


def _timed_statement(line: str) -> str | None:
    """`%time y = f(x)` -> `pass; y = f(x)` (same width), `r = %time f(x)` -> `r =       f(x)`."""
    match = _TIMED_ASSIGNED.match(line)
    if match:
        indent, target, magic, expression = match.groups()
        return None if _COMPOUND.match(expression) else f"{indent}{target}{' ' * len(magic)}{expression}"
    match = _TIMED_LINE.match(line)
    if match:
        indent, magic, statement = match.groups()
        if len(magic) >= len("pass;") and not _COMPOUND.match(statement):
            return f"{indent}pass;{' ' * (len(magic) - len('pass;'))}{statement}"
    return None


def mask_line(line: str) -> str | None:
    """The Python stand-in for an IPython line, or None when the line is not IPython syntax."""
    timed = _timed_statement(line)
    if timed is not None:
        return timed
    match = _ASSIGNED_MAGIC.match(line)
    if match:
        names = match.group(2)
        targets = ", ".join(name.strip() for name in names.split(","))
        return f"{match.group(1)}{targets} = None"
    for pattern in (_MAGIC_LINE, _HELP_LINE, _AUTOMAGIC_LINE):
        match = pattern.match(line)
        if match:
            return f"{match.group(1)}pass"
    return None


def is_shell_or_magic(line: str) -> bool:
    return mask_line(line) is not None


def mask_lines(lines: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
    """Mask every IPython line of a cell; a magic continued with a trailing backslash takes its
    continuation lines with it (blanked). Returns the masked lines and (index, original text) of each
    magic, its continuation lines joined to it."""
    masked = list(lines)
    found: list[tuple[int, str]] = []
    number = 0
    while number < len(lines):
        line = lines[number]
        stand_in = mask_line(line)
        if stand_in is None:
            number += 1
            continue
        masked[number] = stand_in
        # a timed statement continued with backslashes stays Python: its continuation lines are kept
        keep_continuations = _timed_statement(line) is not None
        start, text = number, line
        while lines[number].rstrip().endswith("\\") and number + 1 < len(lines):
            number += 1
            if not keep_continuations:
                masked[number] = ""
            text = text.rstrip()[:-1].rstrip() + " " + lines[number].strip()
        found.append((start, text))
        number += 1
    return masked, found
