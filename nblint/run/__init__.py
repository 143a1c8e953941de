"""The engine every door calls: `check` and `strip`, the hooks, the Action, the guard and the server.

The flow of one notebook, in the folder names:

- `read/`: bytes -> a Notebook (JSON, conflict markers, the schema, where each source line sits in the file);
- `code/`: the code cells as one program (magics masked, one libcst parse, names and constants);
- `pipeline`: notebook rules, one batched traversal of the code rules, positions, suppressions -> findings;
- `runner`, `cache`, `config`, `discovery`: many notebooks, each with its own configuration, in parallel.

Importing this package costs nothing: `check_file`, `analyse` and `FileResult` load the pipeline (and
libcst) on first use, so `nblint --version` and the configuration code stay light.
"""

from __future__ import annotations

__all__ = ["FileResult", "analyse", "check_file"]


def __getattr__(name: str):
    if name in __all__:
        from nblint.run import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
