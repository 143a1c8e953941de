"""Regular expressions compiled on first use.

`re.compile` at module level runs at import, on every run: over the modules `nblint check` imports, 64
patterns most notebooks never reach (the secret detectors behind their needles, the install-line and
magic grammars, the suppression comments of a notebook without `nblint:`) were ~10 ms of a one-notebook
check. `lazy_compile(pattern, flags)` stands in for `re.compile(pattern, flags)`: the pattern is
compiled when one of its methods or attributes is first asked for, which then come from the compiled
pattern directly (looked up in the instance, as fast as on a Pattern). Use it for module-level
patterns only; it is not a `re.Pattern`, so `re.sub(LAZY, ...)` and `isinstance` do not take it.
"""

from __future__ import annotations

import re
from typing import Any, cast, overload

_ATTRIBUTES = (
    "search",
    "match",
    "fullmatch",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "scanner",
    "pattern",
    "flags",
    "groups",
    "groupindex",
)


class _LazyPattern:
    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._source: tuple[Any, int] = (pattern, flags)  # (Any: re.compile takes str or bytes, not their union)

    def __getattr__(self, name: str) -> Any:  # only for an attribute not set yet: the first use
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for attribute in _ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self._source[0]!r}, {self._source[1]!r})"


@overload
def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]: ...


@overload
def lazy_compile(pattern: bytes, flags: int = 0) -> re.Pattern[bytes]: ...


def lazy_compile(pattern: str | bytes, flags: int = 0) -> re.Pattern:
    """re.compile(pattern, flags), compiled on first use."""
    return cast("re.Pattern", _LazyPattern(pattern, flags))
