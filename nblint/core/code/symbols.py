"""The notebook-level table of imports, aliases and constants, across cells.

`import numpy as np` in cell 1 and `N = 100_000` in cell 2 matter in cell 7. The table is built from a
walk over statements only (module level and the blocks of if/for/while/with/try, not function or class
bodies), which is cheap next to a full traversal. A name bound more than once with different values, or
bound by anything other than a plain assignment (a loop target, `with ... as`, `global` in a function,
augmented assignment), has no constant value: unknown is never guessed.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

import libcst as cst

from nblint.core.code.cstwalk import walk as _walk
from nblint.core.code.cstwalk import walk_code

UNKNOWN: Any = object()

_NON_CONSTANT = ("non-constant",)


class SymbolTable:
    def __init__(self, module: cst.Module | None) -> None:
        # local name -> dotted origin ("numpy", "numpy.zeros"); None when bound to several things
        self.imports: dict[str, str | None] = {}
        # name -> list of value expressions (or _NON_CONSTANT) for every module-level binding
        self._bindings: dict[str, list] = {}
        self._globals_in_functions: set[str] = set()
        self._values: dict[str, Any] = {}
        # name -> (index in module.body of the first statement binding it, True when that statement is one
        # assignment, whose value is read before the name is bound: `df = df.merge(other)`)
        self.first_bound: dict[str, tuple[int, bool]] = {}
        self._statement: tuple[int, bool] = (0, False)
        if module is not None:
            for index, statement in enumerate(module.body):
                self._statement = (
                    index,
                    isinstance(statement, cst.SimpleStatementLine)
                    and len(statement.body) == 1
                    and isinstance(statement.body[0], (cst.Assign, cst.AugAssign, cst.AnnAssign)),
                )
                self._collect(statement)

    # -- building ------------------------------------------------------------------------------

    def _collect(self, statement: cst.CSTNode) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                self._collect_small(small)
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            self._bind(statement.name.value, _NON_CONSTANT)
            self._collect_globals(statement)
        elif isinstance(statement, cst.For):
            for name in binding_names(statement.target):
                self._bind(name, _NON_CONSTANT)
            self._collect_block(statement.body)
            if statement.orelse is not None:
                self._collect_block(statement.orelse.body)
        elif isinstance(statement, cst.While):
            self._collect_block(statement.body)
            if statement.orelse is not None:
                self._collect_block(statement.orelse.body)
        elif isinstance(statement, cst.If):
            self._collect_block(statement.body)
            orelse = statement.orelse
            while orelse is not None:
                if isinstance(orelse, cst.If):
                    self._collect_block(orelse.body)
                    orelse = orelse.orelse
                else:
                    self._collect_block(orelse.body)
                    orelse = None
        elif isinstance(statement, cst.With):
            for item in statement.items:
                if item.asname is not None:
                    for name in binding_names(item.asname.name):
                        self._bind(name, _NON_CONSTANT)
            self._collect_block(statement.body)
        elif isinstance(statement, (cst.Try, cst.TryStar)):
            self._collect_block(statement.body)
            for handler in statement.handlers:
                if handler.name is not None:
                    for name in binding_names(handler.name.name):
                        self._bind(name, _NON_CONSTANT)
                self._collect_block(handler.body)
            for extra in (statement.orelse, statement.finalbody):
                if extra is not None:
                    self._collect_block(extra.body)

    def _collect_block(self, block: cst.BaseSuite) -> None:
        if isinstance(block, cst.SimpleStatementSuite):
            for small in block.body:
                self._collect_small(small)
        else:
            for statement in block.body:
                self._collect(statement)

    def _collect_small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            for target in small.targets:
                self._bind_target(target.target, small.value)
        elif isinstance(small, cst.AnnAssign):
            self._bind_target(small.target, small.value if small.value is not None else None)
        elif isinstance(small, cst.AugAssign):
            for name in binding_names(small.target):
                self._bind(name, _NON_CONSTANT)
        elif isinstance(small, cst.Import):
            for alias in small.names:
                dotted = dotted_name(alias.name)
                if dotted is None:
                    continue
                if alias.asname is not None:
                    local = _asname(alias)
                    self._import(local, dotted)
                else:
                    head = dotted.split(".")[0]
                    self._import(head, head)
        elif isinstance(small, cst.ImportFrom):
            if small.relative or small.module is None or isinstance(small.names, cst.ImportStar):
                return
            module = dotted_name(small.module)
            if module is None:
                return
            for alias in small.names:
                name = dotted_name(alias.name)
                if name is None:
                    continue
                local = _asname(alias) if alias.asname is not None else name
                self._import(local, f"{module}.{name}")
        elif isinstance(small, cst.Del):
            for name in binding_names(small.target):
                self._bind(name, _NON_CONSTANT)

    def _bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, value if value is not None else _NON_CONSTANT)
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            if (
                values is not None
                and len(values) == len(target.elements)
                and not any(isinstance(e, cst.StarredElement) for e in (*values, *target.elements))
            ):
                for element, element_value in zip(target.elements, values):
                    self._bind_target(element.value, element_value.value)
            else:
                for name in binding_names(target):
                    self._bind(name, _NON_CONSTANT)

    def _bind(self, name: str, value) -> None:
        self._bindings.setdefault(name, []).append(value)
        self.first_bound.setdefault(name, self._statement)
        if name in self.imports:
            self.imports[name] = None  # np = something after import numpy as np: no longer known

    def _import(self, local: str, origin: str) -> None:
        earlier = self._bindings.get(local)
        if earlier is None:
            self.imports[local] = origin
        elif self.imports.get(local) != origin:
            # bound before by an assignment, or imported from somewhere else
            self.imports[local] = None
        self._bindings.setdefault(local, []).append(_NON_CONSTANT)
        self.first_bound.setdefault(local, self._statement)

    def _collect_globals(self, node: cst.CSTNode) -> None:
        for sub in walk_code(node):
            if isinstance(sub, cst.Global):
                for item in sub.names:
                    self._globals_in_functions.add(item.name.value)

    # -- queries -------------------------------------------------------------------------------

    def bindings(self, name: str) -> list[cst.BaseExpression | None]:
        """Every notebook-level binding of `name`, in order: the assigned expression, or None when
        it is bound another way (def, class, import, loop target, `with ... as`, `+=`, del)."""
        return [None if value is _NON_CONSTANT else value for value in self._bindings.get(name, ())]

    def origin(self, name: str) -> str | None:
        """The dotted origin of an imported name, if it was imported exactly one way and never rebound."""
        if name in self._globals_in_functions:
            return None
        return self.imports.get(name)

    def assigned_values(self, name: str) -> list[cst.BaseExpression] | None:
        """The value expressions of every module-level binding of `name`, when each is a plain
        assignment (`DATA = Path("data")`); None for imports, loop targets, `global` and the like."""
        bindings = self._bindings.get(name)
        if not bindings or name in self._globals_in_functions or name in self.imports:
            return None
        if any(binding is _NON_CONSTANT for binding in bindings):
            return None
        return list(bindings)

    def constant(self, name: str, evaluate) -> Any:
        """The value of a name assigned only constant values that all agree, else UNKNOWN."""
        if name in self._values:
            return self._values[name]
        self._values[name] = UNKNOWN  # guards against cycles (N = N + 1 seen through two names)
        bindings = self._bindings.get(name)
        if not bindings or name in self._globals_in_functions or name in self.imports:
            return UNKNOWN
        values = []
        for binding in bindings:
            if binding is _NON_CONSTANT:
                return UNKNOWN
            value = evaluate(binding)
            if value is UNKNOWN:
                return UNKNOWN
            values.append(value)
        first = values[0]
        if any(type(v) is not type(first) or v != first for v in values[1:]):
            return UNKNOWN
        self._values[name] = first
        return first


def _asname(alias: cst.ImportAlias) -> str:
    name = alias.asname.name if alias.asname is not None else alias.name
    return name.value if isinstance(name, cst.Name) else dotted_name(name) or ""


def dotted_name(node: cst.CSTNode) -> str | None:
    """`a.b.c` as a string for a Name/Attribute chain; None for anything else."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def last_name(node: cst.CSTNode) -> str | None:
    """`c` for `a.b.c`, `f` for `f`; None for anything else. A cheap first test on a called function,
    before resolving where the name comes from."""
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return None


def binding_names(target: cst.CSTNode) -> Iterator[str]:
    """Names bound by an assignment target (`a`, `a, (b, *c)`); attributes and subscripts bind none."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from binding_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from binding_names(target.value)


def imported_name(alias: cst.ImportAlias) -> str | None:
    """The name an import binds: `c` for `import a.b as c`, `a` for `import a.b`, `x` for `from m import x`."""
    node = alias.asname.name if alias.asname is not None else alias.name
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def imported_names(statement: cst.Import | cst.ImportFrom) -> Iterator[str]:
    """Every name an import statement binds (none for `from m import *`)."""
    if isinstance(statement.names, cst.ImportStar):
        return
    for alias in statement.names:
        name = imported_name(alias)
        if name is not None:
            yield name


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under `node` (itself included), iteratively, so deep code cannot overflow the stack."""
    # nblint.cstwalk reads the children from the node's fields (node.children rebuilds the node).
    return _walk(node)


# -- constant evaluation ---------------------------------------------------------------------------

# Bounds that keep evaluation cheap and safe: `10**10**10` must not hang the linter.
_MAX_EXPONENT = 1000
_MAX_RESULT_DIGITS = 400


def literal_number(node: cst.CSTNode) -> Any:
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.Float):
        return node.evaluated_value
    return UNKNOWN


# A known sequence repeated (`[n] * 3`, `(1,) * ndim`) is evaluated up to this many items: shapes and
# argument lists, never data (NumPy allows 64 dimensions).
MAX_KNOWN_ITEMS = 64


def safe_binary(op: cst.BaseBinaryOp, left: Any, right: Any) -> Any:
    numbers = (int, float)
    if isinstance(op, cst.Multiply) and (isinstance(left, tuple) or isinstance(right, tuple)):
        sequence, times = (left, right) if isinstance(left, tuple) else (right, left)
        if not isinstance(times, int) or isinstance(times, bool) or isinstance(times, tuple):
            return UNKNOWN
        if len(sequence) * max(times, 0) > MAX_KNOWN_ITEMS:
            return UNKNOWN
        return sequence * times
    if isinstance(op, cst.Add):
        if isinstance(left, numbers) and isinstance(right, numbers):
            return left + right
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        if isinstance(left, tuple) and isinstance(right, tuple):
            return left + right
        return UNKNOWN
    if (
        not (isinstance(left, numbers) and isinstance(right, numbers))
        or isinstance(left, bool)
        or isinstance(right, bool)
    ):
        return UNKNOWN
    try:
        if isinstance(op, cst.Subtract):
            return left - right
        if isinstance(op, cst.Multiply):
            result = left * right
        elif isinstance(op, cst.Divide):
            return left / right
        elif isinstance(op, cst.FloorDivide):
            return left // right
        elif isinstance(op, cst.Modulo):
            return left % right
        elif isinstance(op, cst.Power):
            if abs(right) > _MAX_EXPONENT or (isinstance(left, int) and abs(left) > 10**6 and right > 50):
                return UNKNOWN
            result = left**right
        else:
            return UNKNOWN
    except (ZeroDivisionError, OverflowError, ValueError):
        return UNKNOWN
    if isinstance(result, complex) or (isinstance(result, float) and not math.isfinite(result)):
        return UNKNOWN
    if isinstance(result, int) and result.bit_length() > _MAX_RESULT_DIGITS * 4:
        return UNKNOWN
    return result
