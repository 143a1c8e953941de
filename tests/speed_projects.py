"""A project of real notebooks for the cache and parallel tests: nblint's sample notebooks, one INVALID
example of every rule (so every rule reports something, in a fresh clone too), a slice of the shared
corpus (where it is present), and notebooks written here for what the rest may lack (findings with
fixes and source lines, a large-read whose verdict depends on a data file, suppressions, an unreadable
file, a non-UTF-8 file, a deep expression)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import CORPUS, REPO, write_notebook

from nblint.rules import ALL_RULES
from nblint.testing import write_example

CORPUS_SLICE = ("_invalid_and_edge", "jupyter__nbformat", "nbQA-dev__nbQA", "nteract__papermill")


def make_project(root: Path, corpus_slice: tuple[str, ...] = CORPUS_SLICE) -> Path:
    """Write the project under root; returns root. A pyproject.toml marks it as the project root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[tool.nblint]\nextend-select = ["ALL"]\n', encoding="utf-8")
    shutil.copytree(REPO / "sample_notebooks", root / "samples")
    for code, rule in ALL_RULES.items():
        # the first example the project's own configuration reports as it stands (no rule options)
        example = next((example for example in rule.INVALID if not example.options), None)
        if example is not None:
            write_example(example, root / "examples" / code.lower())
    for name in corpus_slice:
        if (CORPUS / name).is_dir():
            shutil.copytree(CORPUS / name, root / "corpus" / name)
    own = root / "own"
    write_notebook(
        own / "killers.ipynb",
        [
            "import numpy as np\nimport time\nN = 100_000\n",
            "a = np.random.rand(N, N)\ntime.sleep(86400)\n",
            "while True:\n    pass\n",
            "x = input('name? ')  # nblint: ignore[NB403]\ny = input('again? ')\n",
            {"cell_type": "markdown", "source": "# notes"},
            "%pip install pandas\n!pip install numpy\n",
        ],
    )
    write_notebook(own / "reads.ipynb", ["import pandas as pd\ndf = pd.read_csv('data/table.csv')\n"])
    (own / "data").mkdir()
    (own / "data" / "table.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    write_notebook(own / "deep.ipynb", ["x = " + " + ".join(["[255]*8"] * 2000) + "\n"])
    write_notebook(own / "clean.ipynb", ["print('hello')\n"])
    (own / "empty.ipynb").write_text("", encoding="utf-8")
    (own / "latin1.ipynb").write_bytes('{"cells": [], "x": "caf\xe9"}'.encode("latin-1"))
    (own / "not_json.ipynb").write_text("{ this is not json\n", encoding="utf-8")
    return root


def grow(path: Path, size: int) -> None:
    """Make `path` `size` bytes without writing them (sparse), as the rule examples do."""
    with open(path, "r+b") as handle:
        handle.truncate(size)
