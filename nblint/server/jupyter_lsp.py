"""How jupyter-lsp (JupyterLab's language server proxy) finds `nblint server` by itself: pyproject.toml
names `spec` under the `jupyter_lsp_spec_v1` entry point group; jupyter-lsp calls it with its manager
and starts the command it returns for Python notebooks.

jupyterlab-lsp sends a notebook as one Python text document of its code cells (a "virtual document"
that keeps the .ipynb name), so the server checks it as Python source; cross-cell findings still work.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

SPEC_VERSION = 2  # the version of jupyter-lsp's server spec schema this follows
KEY = "nblint"


def spec(manager: Any = None) -> dict[str, dict]:
    """{"nblint": the server's spec} when the server extra is installed, else {} (nothing to start)."""
    if importlib.util.find_spec("pygls") is None:
        return {}
    return {
        KEY: {
            "version": SPEC_VERSION,
            "argv": [sys.executable, "-m", "nblint", "server"],
            "languages": ["python"],
            "mime_types": ["text/x-ipython", "text/python", "text/x-python"],
            "display_name": "nblint",
            "install": {"pip": 'pip install ".[server]"  (from the nblint checkout)'},
            "env": {"PYTHONUNBUFFERED": "1"},
        }
    }
