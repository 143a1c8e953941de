"""The code of a node as the user wrote it, for messages and fixes."""

from __future__ import annotations

import libcst as cst

# code_for_node needs a module for its formatting defaults (indent, newline); an empty one will do.
_EMPTY_MODULE = cst.Module(body=[])


def code_of(node: cst.CSTNode) -> str:
    """The code of `node`, exactly as written."""
    return _EMPTY_MODULE.code_for_node(node)


def source_text(node: cst.CSTNode, limit: int = 80) -> str:
    """The code of `node` on one line (runs of white space folded), shortened to `limit` characters."""
    text = " ".join(code_of(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
