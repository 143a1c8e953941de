"""Notebook JSON text -> Python values, with the two limits Python's reader has and Jupyter shares.

Every door that reads a notebook (check, strip, strip --stdin) goes through `load_json`, so a file
Jupyter itself cannot open is named with the reason and where, never a traceback:

- an integer of more digits than Python converts from text (4,300 by default, see
  `sys.get_int_max_str_digits`): `json.loads` raises a bare ValueError that names no key; the text is
  read again with integers kept as digit strings to find the key that holds it (only on that path);
- nesting deeper than Python's json reader follows under the default recursion limit: nblint reads on
  a deep stack (nblint.core.deepstack), where such a file would load and then be walked by every
  rule, so `deepest` measures the nesting of what was read, without recursion.
"""

from __future__ import annotations

import json
import sys
from typing import Any

# Python's json reader, which Jupyter uses, fails near 1,000 levels under the default recursion limit
# (measured: 995 reads, 998 does not, from a shallow stack); a notebook server calls it from deeper.
MAX_DEPTH = 990


class TooBigInteger(ValueError):
    def __init__(self, path: tuple, digits: int) -> None:
        super().__init__(f"integer of {digits:,} digits")
        self.path = path
        self.digits = digits


class _Digits(str):
    """An integer's digits, kept as text where converting them would fail."""


def load_json(text: str) -> Any:
    """`json.loads(text)`; raises json.JSONDecodeError, RecursionError, or TooBigInteger naming the key."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)() or 1_000_000_000  # 0: no limit
    data = json.loads(
        text, parse_int=lambda digits: _Digits(digits) if len(digits.lstrip("-")) > limit else int(digits)
    )
    found = _find(data, lambda value: isinstance(value, _Digits))
    path, value = found if found is not None else ((), "")
    raise TooBigInteger(path, len(value.lstrip("-")))


def deepest(data: Any, limit: int = MAX_DEPTH) -> tuple | None:
    """The path of the first value nested more than `limit` levels deep, or None."""
    if not _deeper_than(data, limit):
        return None
    for path, key, value in _below(data):
        if len(path) >= limit and isinstance(value, (dict, list)):
            return (*path, key)
    return None


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether a container sits more than `limit` levels deep. Level by level over the containers only:
    the 25,000 strings of an output's lines are passed over by one comprehension, not walked one by one."""
    level = [data] if isinstance(data, (dict, list)) else []
    for _ in range(limit + 1):
        if not level:
            return False
        level = [
            value
            for container in level
            for value in (container.values() if isinstance(container, dict) else container)
            if isinstance(value, (dict, list))
        ]
    return bool(level)


def _below(data: Any):
    """(path of its container, key, value) of every value below `data`, in file order. Depth-first with a
    stack of iterators and no recursion: memory follows the depth, not the size. `path` is one list that
    changes as the walk goes on: copy it to keep it."""
    path: list = []
    stack = [_children(data)]
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            if path:
                path.pop()
            continue
        key, value = step
        yield path, key, value
        if isinstance(value, (dict, list)):
            path.append(key)
            stack.append(_children(value))


def _children(value: Any):
    if isinstance(value, dict):
        return iter(value.items())
    if isinstance(value, list):
        return enumerate(value)
    return iter(())


def _find(data: Any, wanted) -> tuple[tuple, Any] | None:
    """The path of the first value (in file order) for which `wanted` is true."""
    if wanted(data):
        return (), data
    for path, key, value in _below(data):
        if wanted(value):
            return (*path, key), value
    return None
