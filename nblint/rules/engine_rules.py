"""The findings the engine itself reports while reading and parsing a notebook."""

from nblint.engine.findings import Severity
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
    Reports a code cell that is not valid Python once IPython magics and shell escapes are set aside,
    naming the cell, line and column of the error.

    ## Why it hurts
    The cell raises SyntaxError when run, so Run All stops there; and nblint cannot check that cell for
    the patterns that kill kernels. Cells of other languages (`%%bash`, `%%html`) are skipped, not reported.

    ## Example
        print "hello"

    ## Use instead
        print("hello")
    """

    code = "NB001"
    name = "syntax-error"
    severity = Severity.ERROR
    VALID = ["%matplotlib inline\nx = 1\n", "!pip install numpy==1.26.4\n", "%%bash\necho $HOME\n", "df?\n"]
    INVALID = [
        Invalid("x = 1\nprint 'hello'\n", line=2, message="cell 1"),
        Invalid(["x = 1\n", "def f(:\n    pass\n"], cell=1, line=1),
    ]


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
    Reports a notebook whose JSON does not match the nbformat schema, naming nbformat's first error and
    its JSON path (for example `outputs` on a markdown cell, as some exports write).

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
            message="cells[1]",
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
        Invalid("x = 1\ntotal = " + " + ".join(["a"] * 1_002) + "\n", line=2, column=1,
                message="a chain of 1,002 operands"),
        Invalid("y = f" + "()" * 1_001 + "\n", message="1,001 attribute lookups, calls or subscripts"),
    ]
