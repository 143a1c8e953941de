"""libcst.parse_module without re-validating what the parser built.

Every libcst node validates itself when constructed (`CSTNode.__post_init__` -> `_validate`), a check
meant for trees built by hand; the parser only builds trees its grammar accepted, and libcst's own
source says as much ("It might make more sense to move validation work into the visitor, which would
allow us to avoid validating the tree when parsing a file"). On real notebooks the validation is about
15% of the parse, and the parse is half of nblint's work. So, while nblint's parse runs, and only then,
node construction skips it; tests compare the trees with those of libcst.parse_module on real code.

Only the parse is affected: nodes built anywhere else (rules, libcst's own visitors) still validate.
Where libcst no longer validates in `__post_init__`, this falls back to libcst.parse_module as is.
"""

from __future__ import annotations

import threading

import libcst as cst

# cst.CSTNode is the same class as libcst._nodes.base.CSTNode; the public name survives a reorganisation.
CSTNode = cst.CSTNode
_ORIGINAL = CSTNode.__dict__.get("__post_init__")
_lock = threading.Lock()  # the class attribute is process-wide: one parse at a time swaps it


def _no_validation(self) -> None:
    pass


def parse_module(source: str) -> cst.Module:
    if _ORIGINAL is None:
        return cst.parse_module(source)
    with _lock:
        CSTNode.__post_init__ = _no_validation
        try:
            return cst.parse_module(source)
        finally:
            CSTNode.__post_init__ = _ORIGINAL
