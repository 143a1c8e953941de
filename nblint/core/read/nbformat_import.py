"""Importing nbformat without paying for what nblint never uses.

`import nbformat` imports its validator, which imports jsonschema, whose format checkers import
`rfc3987_syntax` when it is installed (jupyter_server's extras install it wherever nbdime is): that
module compiles Lark grammars at import, about 1.4 s of a 1.6 s import on the benchmark machine.
nbformat validates without a format checker, so the IRI checks that module provides are never used:
hiding it for the duration of the import (jsonschema skips the checker on ImportError) brings the
import to ~0.2 s and changes no validation result. Once nbformat is imported the module is visible
again to anything else that wants it.
"""

from __future__ import annotations

import sys
from types import ModuleType

_UNUSED = "rfc3987_syntax"


def import_nbformat() -> ModuleType:
    hidden = _UNUSED not in sys.modules
    if hidden:
        sys.modules[_UNUSED] = None  # type: ignore[assignment]  # makes `import rfc3987_syntax` raise ImportError
    try:
        import nbformat
        import nbformat.validator  # noqa: F401  (imported by nbformat itself today; explicit for tomorrow)
    finally:
        if hidden and sys.modules.get(_UNUSED, 0) is None:
            del sys.modules[_UNUSED]
    return nbformat
