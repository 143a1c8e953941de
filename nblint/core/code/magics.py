"""IPython syntax, masked line for line so that a cell parses as Python.

Only cells that fail to parse are masked, and only their IPython lines: `%matplotlib inline`,
`!pip install x`, `files = !ls`, `df.head?`, automagic `pip install x`. Each becomes a Python line of the
same indent (`pass`, or `files = None` to keep the binding), so line and column numbers survive.

Before that, the prompts of pasted sessions go, as IPython's own clean-up does: `>>> ` / `... ` (a
doctest, the Python REPL) and `In [3]: ` / `   ...: ` (IPython). Only their width is removed from each
line, so lines keep their numbers and columns shift by the width stripped.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from nblint.core.lazyre import lazy_compile

# Every pattern pins the indent with (?=\S): without it the regex engine retries each shorter indent, and
# the lines of 1,000 nested defs (indented up to 4,000 spaces) took minutes to match.

# Cell magics whose body is Python and runs in the kernel; the magic line itself is blanked.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "python", "python3"}

# sparkmagic (Livy): `%%spark` runs its body as PySpark in the cluster's driver, `%%sql` (and `%%spark -c
# sql`) runs Spark SQL there. Their body is analysed as PySpark; it does not run in this kernel.
REMOTE_CELL_MAGICS = frozenset({"spark"})
# Rows a sparkmagic cell ships back to this kernel when `-n/--maxrows` is not given (its `default_maxrows`).
SPARKMAGIC_DEFAULT_MAXROWS = 2500
# The options of sparkmagic's %%spark and %%sql that take a value.
_SPARKMAGIC_VALUED = frozenset(
    {"-o", "--output", "-n", "--maxrows", "-m", "--samplemethod", "-r", "--samplefraction", "-s", "--session"}
    | {"-c", "--context", "--coerce", "-l", "--language", "-e", "--endpoint", "-t", "--auth", "-u", "--user"}
)


@dataclass(frozen=True)
class SparkMagic:
    """A sparkmagic cell's first line, read as sparkmagic reads its options."""

    magic: str  # "spark" or "sql"
    line: int  # 0-based line of the magic in the cell
    output: str | None  # `-o VAR`: the rows land in this kernel as a pandas DataFrame named VAR
    maxrows: int | None  # `-n N`; None when not given (SPARKMAGIC_DEFAULT_MAXROWS); negative: no bound
    sample: bool  # `-m sample`: a random fraction of the rows
    quiet: bool  # `-q`: nothing shown
    sql: bool  # the body is SQL (%%sql, %%spark -c sql)
    text: str  # the magic line as written

    @property
    def unbounded(self) -> bool:
        return self.maxrows is not None and self.maxrows < 0 and not self.sample


def spark_magic(source: str) -> SparkMagic | None:
    """The options of a `%%spark` or `%%sql` cell; None for any other cell or options sparkmagic would refuse."""
    for number, line in enumerate(source.split("\n")):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith(("%%spark", "%%sql")):
            return None
        try:
            words = shlex.split(stripped)
        except ValueError:
            return None
        magic = words[0][2:]
        if magic not in ("spark", "sql"):
            return None
        options: dict[str, str] = {}
        flags: set[str] = set()
        index = 1
        while index < len(words):
            word = words[index]
            if word in _SPARKMAGIC_VALUED and index + 1 < len(words):
                options[word.lstrip("-")[:1] if not word.startswith("--") else _SHORT.get(word, word)] = words[
                    index + 1
                ]
                index += 2
                continue
            flags.add(word)
            index += 1
        maxrows = None
        if "n" in options:
            try:
                maxrows = int(options["n"])
            except ValueError:
                return None  # sparkmagic refuses it: nothing runs
        context = options.get("c", "spark") if magic == "spark" else "sql"
        return SparkMagic(
            magic,
            number,
            options.get("o"),
            maxrows,
            options.get("m") == "sample",
            "-q" in flags or "--quiet" in flags,
            magic == "sql" or context == "sql",
            stripped,
        )
    return None


_SHORT = {"--output": "o", "--maxrows": "n", "--samplemethod": "m", "--samplefraction": "r", "--context": "c"}


def is_remote_pyspark(source: str) -> bool:
    """A `%%spark` cell whose body is PySpark (not `-c sql`)."""
    found = spark_magic(source)
    return found is not None and found.magic == "spark" and not found.sql


_SPARKMAGIC_LINE = lazy_compile(r"^\s*%(?:load_ext\s+sparkmagic\b|reload_ext\s+sparkmagic\b|spark\b|manage_spark\b)")
_SPARKMAGIC_KERNELS = ("pysparkkernel", "sparkkernel", "sparkrkernel", "pyspark3kernel")


def sparkmagic_cells(notebook) -> list[tuple[int, str]]:
    """(index, source) of the notebook's `%%sql` and `%%spark` cells, when it shows it uses sparkmagic: its
    PySpark kernel, `%load_ext sparkmagic.magics`, a `%spark`/`%manage_spark` line or a `%%spark` cell
    (`%%sql` alone is also ipython-sql's and JupySQL's magic, whose options differ)."""
    found = []
    evident = False
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        source = cell.source
        if "%%s" not in source[:4096]:
            if not evident and "%" in source and any(_SPARKMAGIC_LINE.match(line) for line in cell.lines):
                evident = True
            continue
        magic = cell_magic(source)
        if magic in ("sql", "spark"):
            found.append((cell.index, source))
            evident = evident or magic == "spark"
        elif not evident and any(_SPARKMAGIC_LINE.match(line) for line in cell.lines):
            evident = True
    if not found:
        return []
    if not evident:
        spec = notebook.metadata.get("kernelspec")
        name = spec.get("name") if isinstance(spec, dict) else None
        evident = isinstance(name, str) and name.lower() in _SPARKMAGIC_KERNELS
    return found if evident else []


# Line magics people type without the % (automagic), followed by arguments.
_AUTOMAGICS = (
    "pip|conda|mamba|cd|ls|pwd|mkdir|rm|cp|mv|cat|env|set_env|matplotlib|load_ext|reload_ext|autoreload|"
    "time|timeit|run|who|whos|reset|store|config|pylab|history|alias|unalias|xmode|precision|bookmark|"
    "pushd|popd|dhist|sx|system|pinfo|pinfo2|psearch|rerun|recall|save|logstart|macro|edit|gui|colors|"
    "lsmagic|magic|notebook|rehashx|tb|prun|pdb|debug|doctest_mode|load|writefile|capture"
)
_MAGIC_LINE = lazy_compile(r"^(\s*)(?=\S)(?:[%!]|\?{1,2}\s*[\w.])")
# `df.head?`, `np.zeros??`, and `a = b??` (IPython shows help for the last object on the line)
_HELP_LINE = lazy_compile(r"^(\s*)(?=\S)[^#'\"]*[\w.)\]]\?{1,2}\s*$")
_ASSIGNED_MAGIC = lazy_compile(r"^(\s*)(?=\S)([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*=\s*[%!]")
# `%time stmt`, `%timeit [-n N -r R ...] stmt`: IPython runs the statement, so it is analysed. The magic
# and its options give way to `pass;` padded to their width, so the statement keeps its columns; in
# `x = %time expr` they give way to spaces. `%timeit`'s options: -n<N> -r<R> -p<P> (attached or not),
# -t -c -q -o.
_TIMED_LINE = lazy_compile(r"^(\s*)(?=\S)(%(?:time|timeit)(?:\s+-(?:[nrp]\s*\d+|[tcqo]))*\s+)(?=\S)(.*)$")
_TIMED_ASSIGNED = lazy_compile(
    r"^(\s*)(?=\S)([A-Za-z_]\w*\s*=\s*)(%(?:time|timeit)(?:\s+-(?:[nrp]\s*\d+|[tcqo]))*\s+)(?=\S)(.*)$"
)
# A compound statement cannot follow `pass;`: such a line is masked whole, as before.
_COMPOUND = lazy_compile(r"(?:for|while|if|with|def|class|try|async|match|elif|else|except|finally)\b|@")
_AUTOMAGIC_LINE = lazy_compile(
    rf"^(\s*)(?=\S)(?:{_AUTOMAGICS})(?:\s+(?![=(\[,:]|\.\w|(?:in|is|and|or|if|for|not)\b)\S.*)?\s*$"
)


# IPython's classic and IPython prompt strippers (IPython.core.inputtransformer2): a cell is a pasted
# session when its first line starts with the first prompt, or its second line with any prompt; then the
# prompt is removed from every line that has one. `...` alone is valid Python (Ellipsis), so it never
# makes a cell a session on the first line.
_CLASSIC_FIRST = lazy_compile(r"^>>>(?: |$)")
_CLASSIC_ANY = lazy_compile(r"^(?:>>>|\.\.\.)(?: |$)")
_IPYTHON_ANY = lazy_compile(r"^(?:In \[\d+\]: |\s*\.{3,}: ?)")


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
