"""The findings the engine itself reports while reading and parsing a notebook."""

import sys

from nblint.core.findings import Severity
from nblint.rules.base import EngineRule, Invalid


class InternalError(EngineRule):
    """
    ## What it does
    Reports an unexpected error inside nblint while it analysed this notebook, naming the exception.

    ## Why it hurts
    It does not hurt the kernel: it means this notebook was not (fully) checked. The rest of the run
    goes on; one file never stops a run over many. Please report it with the notebook if you can.

    ## Example
    Any notebook that trips a bug in nblint.

    ## Use instead
    Nothing to change in the notebook; upgrade nblint or report the bug.
    """

    code = "NB000"
    name = "internal-error"
    severity = Severity.ERROR


class SyntaxErrorInCell(EngineRule):
    """
    ## What it does
    Reports a code cell that is not valid Python once IPython syntax is set aside, naming the cell,
    line and column of the error and the parser's reason.

    Set aside, as IPython does before it runs a cell: magics and shell escapes (`%timeit`, `!pip`),
    help lines (`df?`), and the prompts of a pasted session (`>>> x` / `... y`, `In [1]: x`). Syntax is
    judged by the grammar of libcst, which knows newer Python than the interpreter nblint may run on
    (`type X = int`, Python 3.12, is valid when nblint runs on 3.11). Not reported: cells of other
    languages (`%%bash`, `%%html`), and cells tagged `raises-exception`, the tag Jupyter Book, nbsphinx
    and nbval read as "this cell fails on purpose". When a cell does not parse and the notebook's
    `language_info.version` is newer than any Python nblint reads (libcst's grammars and the running
    interpreter's), the finding is a warning that says so rather than calling the cell invalid.

    ## Why it hurts
    The cell raises SyntaxError when run, so Run All stops there; and nblint cannot check that cell for
    the patterns that kill kernels.

    ## Example
        print "hello"

    ## Use instead
        print("hello")

    A cell that shows an error on purpose (teaching material, a doctest of a failure): tag it
    `raises-exception`.
    """

    code = "NB001"
    name = "syntax-error"
    severity = Severity.ERROR
    EXPECTED_TAG = "raises-exception"
    VALID = [
        "%matplotlib inline\nx = 1\n",
        "!pip install numpy==1.26.4\n",
        "%%bash\necho $HOME\n",
        "df?\n",
        # a pasted doctest / REPL session, and an IPython one: IPython strips the prompts
        ">>> import torch\n>>> pipe = make_pipe()\n>>> for x in range(3):\n...     pipe.to('cuda')\n",
        "In [1]: x = [1, 2]\n\nIn [2]: for i in x:\n   ...:     print(i)\n",
        # newer syntax than this interpreter's parser: libcst's grammar reads it
        "type Vector = list[float]\ndef first[T](items: list[T]) -> T:\n    return items[0]\n",
        # a cell that fails on purpose, as the tag says
        {"source": "print 'this is Python 2'\n", "metadata": {"tags": ["raises-exception"]}},
    ]
    INVALID = [
        Invalid("x = 1\nprint 'hello'\n", line=2, message="cell 1"),
        Invalid(["x = 1\n", "def f(:\n    pass\n"], cell=1, line=1),
        # the line is said once, not twice
        Invalid(
            "x = 1\ns = 'abc\n", line=2, message="cell 1 is not valid Python at line 2: unterminated string literal"
        ),
        # prompts are stripped only where IPython strips them (a prompt on the first or second line)
        Invalid("x = 1\ny = 2\n>>> z = 3\n", line=3),
        # another tag does not excuse it
        Invalid([{"source": "print 'x'\n", "metadata": {"tags": ["hide-input"]}}]),
        # saved with a newer Python than nblint runs on: said so, as a warning
        Invalid(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "id": "a",
                        "metadata": {},
                        "execution_count": None,
                        "outputs": [],
                        "source": ["x = 1 +\n"],
                    }
                ],
                "metadata": {"language_info": {"name": "python", "version": "3.99.0"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            },
            message="the notebook was saved with Python 3.99",
        ),
        # saved with a Python whose grammar nblint reads: an error is an error
        Invalid(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "id": "a",
                        "metadata": {},
                        "execution_count": None,
                        "outputs": [],
                        "source": ["print 'x'\n"],
                    }
                ],
                "metadata": {"language_info": {"name": "python", "version": "3.13.1"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            },
            message="cell 1 is not valid Python at line 1",
        ),
    ]

    @classmethod
    def describe(cls, index: int, line: int, reason: str, saved_with: tuple[int, int] | None) -> tuple[str, Severity]:
        """The message and severity for a syntax error at `line` of the cell at `index` (0-based)."""
        reason = reason.replace(f" (detected at line {line})", "")  # the line is said once
        if saved_with is not None and saved_with > (known := _newest_known_python()):
            return (
                f"cell {index + 1} does not parse at line {line} ({reason}); the notebook was saved with Python "
                f"{saved_with[0]}.{saved_with[1]}, newer than any Python nblint reads (up to {known[0]}.{known[1]}), "
                "so this may be newer syntax rather than an error: run the cell on that Python to tell",
                Severity.WARNING,
            )
        return f"cell {index + 1} is not valid Python at line {line}: {reason}", cls.severity


def _newest_known_python() -> tuple[int, int]:
    """The newest Python whose syntax nblint reads: libcst's grammar, or the interpreter's if newer.
    (libcst is loaded already whenever a cell is found not to parse.)"""
    import libcst

    known = [
        (int(major), int(minor))
        for major, minor, *_ in (version.split(".") for version in libcst.KNOWN_PYTHON_VERSION_STRINGS)
    ]
    return max([(sys.version_info[0], sys.version_info[1]), *known])


class InvalidJson(EngineRule):
    """
    ## What it does
    Reports a `.ipynb` file that cannot be read as JSON: empty, binary, not UTF-8, or broken JSON, with
    the line and column where reading failed.

    ## Why it hurts
    Jupyter refuses to open it ("Notebook does not appear to be JSON"), and every tool in the chain
    (nbconvert, papermill, nbdime) fails on it. Usually a bad hand edit or a truncated write.

    ## Example
        {"cells": [

    ## Use instead
    Restore the file from version control, or repair the JSON where the message points.
    """

    code = "NB002"
    name = "invalid-json"
    severity = Severity.ERROR
    INVALID = [Invalid('{"cells": [\n', raw=True, cell=None, line=None, message="not valid JSON")]


class MergeConflict(EngineRule):
    """
    ## What it does
    Reports git merge-conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`) left in a notebook file, naming
    the line of the first marker.

    ## Why it hurts
    A textual merge of notebook JSON leaves a file that is no longer JSON: Jupyter cannot open it and the
    work on both sides is stuck until someone repairs it by hand.

    ## Example
        <<<<<<< HEAD
           "source": ["x = 1"]
        =======
           "source": ["x = 2"]
        >>>>>>> feature

    ## Use instead
    Resolve the conflict with a notebook-aware tool (`nbdime mergetool`, or `git config merge.jupyternotebook`
    as `nbdime config-git --enable` sets up), then commit the result.
    """

    code = "NB003"
    name = "merge-conflict"
    severity = Severity.ERROR
    INVALID = [
        Invalid(
            '{\n<<<<<<< HEAD\n "cells": [],\n=======\n "cells": [{}],\n>>>>>>> other\n "metadata": {}\n}\n',
            raw=True,
            cell=None,
            line=2,
            message="line 2",
        )
    ]


class SchemaViolation(EngineRule):
    """
    ## What it does
    Reports a notebook whose JSON does not match the nbformat schema, naming nbformat's first error,
    the cell it is in (counted from 1) and its JSON path (0-based, `cells[18]` is cell 19), for example
    `outputs` on a markdown cell, as some exports write.

    ## Why it hurts
    Jupyter may refuse to open it or silently drop parts of it; `nbformat.validate` fails in CI, and tools
    that trust the schema (nbconvert, papermill, nbdime) break on it.

    ## Example
        {"cell_type": "markdown", "source": "# Title", "metadata": {}, "outputs": []}

    ## Use instead
        {"cell_type": "markdown", "source": "# Title", "metadata": {}}
    """

    code = "NB004"
    name = "schema-violation"
    severity = Severity.WARNING
    VALID = [["x = 1\n", {"cell_type": "markdown", "source": "# Title", "metadata": {}}]]
    INVALID = [
        Invalid(
            ["x = 1\n", {"cell_type": "markdown", "source": "# Title", "metadata": {}, "outputs": []}],
            cell=None,
            line=None,
            message="at cell 2 (cells[1]): ",  # cells counted from 1, as every message counts them
        )
    ]


class UnanalysedCode(EngineRule):
    """
    ## What it does
    Reports a statement too big for nblint to parse: over 40,000 tokens (a literal of ~20,000 numbers
    pasted into a cell), or a chain of more than 1,000 operators (`a + b + ...`), attribute lookups, calls
    or subscripts (`x.a.b...`, `f()()...`). Such a statement is found from the cell's text before any
    parse, checked for huge literals (NB102, with their element count) and otherwise left out; the rest
    of the cell and of the notebook is analysed as usual. The message says which limit it passed. A cell
    that would take the notebook's big statements (1,000 tokens or more on one logical line: data, not
    code) past 100,000 tokens in all is left out whole, the same way.

    ## Why it hurts
    nblint's parser (libcst) needs seconds and hundreds of MB for such a statement and grows faster than
    linearly on long chains; analysing it would make one notebook hold up or kill a whole run. The
    kernel pays too: CPython builds a syntax tree for it on every run of the cell, and very long chains
    can exhaust the compiler's stack. Whatever else the statement does is not checked.

    ## Example
        palette = [255]*8 + [245] + [255]*8 + [245] + ...  # 2,000 terms

    ## Use instead
    Keep data in a file and load it; build long expressions in a loop:

        palette = []
        for block in blocks:
            palette += block
    """

    code = "NB005"
    name = "unanalysed-code"
    severity = Severity.INFO
    VALID = ["total = " + " + ".join(["a"] * 1_000) + "\n"]  # 999 operators: within the limit
    INVALID = [
        Invalid(
            "x = 1\ntotal = " + " + ".join(["a"] * 1_002) + "\n", line=2, column=1, message="a chain of 1,002 operands"
        ),
        Invalid("y = f" + "()" * 1_001 + "\n", message="1,001 attribute lookups, calls or subscripts"),
    ]
