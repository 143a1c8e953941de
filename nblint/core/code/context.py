"""What a code rule may ask about the program: where a name comes from and what value it has.

The ScopeTracker rides in the same batched traversal as the rules (it is listed first) and keeps the
stack of enclosing functions, lambdas, comprehensions and classes, so a function parameter `n` or a
loop variable `N` is never mistaken for the notebook-level constant of the same name. The names a
scope binds are computed only when a rule asks about a name inside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import libcst as cst

from nblint.core.code.cstwalk import reads_name, walk_code
from nblint.core.code.facts import Facts, ValueSource
from nblint.core.code.symbols import (
    MAX_KNOWN_ITEMS,
    UNKNOWN,
    SymbolTable,
    binding_names,
    literal_number,
    safe_binary,
)

_SCOPE_NODES = (cst.FunctionDef, cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.ClassDef)
_STATEMENT_NODES = (cst.SimpleStatementLine, cst.If, cst.For, cst.While, cst.With, cst.Try, cst.TryStar, cst.Match)


class ScopeTracker(cst.BatchableCSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[cst.CSTNode] = []
        self._bound: dict[int, frozenset[str]] = {}
        # The index in module.body of the top-level statement being visited; None outside the traversal.
        self.statement: int | None = None
        self._top: dict[int, int] = {}

    def get_visitors(self):
        visitors = {}
        for kind in _STATEMENT_NODES:
            visitors[f"visit_{kind.__name__}"] = self._statement_enter
        for kind in _SCOPE_NODES:
            visitors[f"visit_{kind.__name__}"] = self._enter
            visitors[f"leave_{kind.__name__}"] = self._leave
        visitors["visit_Module"] = self._module_enter
        visitors["leave_Module"] = self._module_leave
        return visitors

    def _module_enter(self, node: cst.Module) -> None:
        self._top = {id(statement): index for index, statement in enumerate(node.body)}

    def _module_leave(self, node: cst.Module) -> None:
        self.statement = None
        self._top = {}

    def _statement_enter(self, node: cst.CSTNode) -> None:
        index = self._top.get(id(node))
        if index is not None:
            self.statement = index

    def _enter(self, node: cst.CSTNode) -> None:
        self._statement_enter(node)
        self.stack.append(node)

    def _leave(self, node: cst.CSTNode) -> None:
        if self.stack and self.stack[-1] is node:
            self.stack.pop()

    def is_local(self, name: str) -> bool:
        """True when an enclosing function, lambda, comprehension or class binds `name`."""
        return any(name in self._names_bound_by(scope) for scope in self.stack)

    def bound_by(self, scope: cst.CSTNode) -> frozenset[str]:
        """The names a function, lambda, comprehension or class binds itself (parameters included)."""
        return self._names_bound_by(scope)

    def _names_bound_by(self, scope: cst.CSTNode) -> frozenset[str]:
        key = id(scope)
        names = self._bound.get(key)
        if names is None:
            names = frozenset(_bound_names(scope))
            self._bound[key] = names
        return names


_BINDING_KINDS = frozenset(
    (
        cst.AssignTarget,
        cst.AnnAssign,
        cst.AugAssign,
        cst.For,
        cst.CompFor,
        cst.AsName,
        cst.NamedExpr,
        cst.FunctionDef,
        cst.ClassDef,
        cst.ImportAlias,
        cst.Global,
        cst.Param,
    )
)


def _bound_names(scope: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    declared_global: set[str] = set()
    if isinstance(scope, (cst.FunctionDef, cst.Lambda)):
        params = scope.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            names.add(param.name.value)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.add(star.name.value)
    body = scope.body if isinstance(scope, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) else scope
    for node in walk_code(body):  # bindings only: layout tokens skipped
        # By exact type, not isinstance: libcst's node classes have no subclasses, and isinstance goes
        # through ABCMeta's hook (this loop was a tenth of a corpus run's CPU).
        kind = type(node)
        if kind not in _BINDING_KINDS:
            continue
        if kind is cst.AssignTarget or kind is cst.AnnAssign or kind is cst.AugAssign:
            names.update(binding_names(node.target))
        elif kind is cst.For or kind is cst.CompFor:
            names.update(binding_names(node.target))
        elif kind is cst.AsName:
            names.update(binding_names(node.name))
        elif kind is cst.NamedExpr:
            names.update(binding_names(node.target))
        elif kind is cst.FunctionDef or kind is cst.ClassDef:
            if node is not scope:
                names.add(node.name.value)
        elif kind is cst.ImportAlias:
            if node.asname is None:
                dotted = node.name
                while isinstance(dotted, cst.Attribute):
                    dotted = dotted.value
                if isinstance(dotted, cst.Name):
                    names.add(dotted.value)
        elif kind is cst.Global:
            declared_global.update(item.name.value for item in node.names)
        elif kind is cst.Param:
            names.add(node.name.value)
    return names - declared_global


class CodeContext:
    """Handed to every code rule of one notebook."""

    def __init__(
        self,
        module: cst.Module | None,
        notebook_dir: Path | None = None,
        live: "ValueSource | None" = None,
        magic_lines: Sequence[str] = (),
        spark_cells: Sequence[tuple[int, str]] = (),
    ) -> None:
        self.symbols = SymbolTable(module)
        # The kernel's namespace under the guard (nblint.core.code.facts); None for static runs.
        self.live = live
        self.scopes = ScopeTracker()
        self.notebook_dir = notebook_dir
        # The IPython lines the engine masked before parsing, as written (`%config InlineBackend...`):
        # settings a code rule cannot see in the Python that stands in for them.
        self.magic_lines = tuple(magic_lines)
        # sparkmagic's `%%sql` and `%%spark` cells (cell index, source), when the notebook shows it uses
        # sparkmagic: their rows come back to this kernel (NB302)
        self.spark_cells = tuple(spark_cells)
        # Files whose size a rule read while checking this notebook (absolute path -> size in bytes, None
        # when absent): what is reported depends on them, so a result cache must re-check them too.
        self.files_stat: dict[str, int | None] = {}

    # -- names ---------------------------------------------------------------------------------

    def qualified_name(self, node: cst.CSTNode) -> str | None:
        """`np.random.rand` -> 'numpy.random.rand' when `np` is `import numpy as np` and not shadowed."""
        parts = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name) or self.scopes.is_local(node.value):
            return None
        origin = self.symbols.origin(node.value)
        if origin is None and self._live_applies(node.value):
            origin = self.live.origin(node.value)
        if origin is None:
            return None
        return ".".join([origin, *reversed(parts)])

    def is_builtin(self, node: cst.CSTNode, name: str) -> bool:
        """True when `node` is the bare name `name` and nothing in the notebook rebinds it."""
        return (
            isinstance(node, cst.Name)
            and node.value == name
            and not self.scopes.is_local(name)
            and name not in self.symbols._bindings
            and not (self.live is not None and self.live.binds(name))
        )

    # -- live values (the guard) ---------------------------------------------------------------

    def _live_applies(self, name: str) -> bool:
        """A live value stands for `name` only where the code being checked does not bind it itself:
        the kernel still holds the value from before this cell ran."""
        if self.live is None or self.scopes.is_local(name):
            return False
        first = self.symbols.first_bound.get(name)
        if first is None:
            return True
        # `df = df.merge(other)`: the value is read before the cell binds the name, so it is still the
        # kernel's; from the statement that binds it on, the live value is stale
        current = self.scopes.statement
        return current is not None and (current < first[0] or (current == first[0] and first[1]))

    def live_facts(self, name: str) -> "Facts | None":
        """The Facts of the kernel's object named `name`, under the guard; None otherwise."""
        return self.live.facts(name) if self._live_applies(name) else None

    def live_file(self, name: str) -> "tuple[str, str] | None":
        """Under the guard, the file a kernel object named `name` stands for: (path, "path") for a
        pathlib path, (path, "") for an open file object, (path, "gzip"/"bz2"/"xz") for a file object
        that decompresses; None otherwise (or when the source cannot tell)."""
        if not self._live_applies(name):
            return None
        reader = getattr(self.live, "file_path", None)
        return reader(name) if reader is not None else None

    # -- values --------------------------------------------------------------------------------

    def evaluate(self, node: cst.CSTNode | None) -> Any:
        """The value of a constant expression (numbers, strings, tuples, arithmetic, notebook-level
        constants), or UNKNOWN. Never guesses."""
        if node is None:
            return UNKNOWN
        if isinstance(node, (cst.Integer, cst.Float)):
            return literal_number(node)
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.value]
            if self.scopes.is_local(node.value):
                return UNKNOWN
            if self._live_applies(node.value):
                return self.live.constant(node.value)
            return self.symbols.constant(node.value, self._evaluate_global)
        if isinstance(node, cst.SimpleString):
            try:
                value = node.evaluated_value
            except Exception:
                return UNKNOWN
            return value if isinstance(value, str) else UNKNOWN
        if isinstance(node, cst.ConcatenatedString):
            left, right = self.evaluate(node.left), self.evaluate(node.right)
            return left + right if isinstance(left, str) and isinstance(right, str) else UNKNOWN
        if isinstance(node, (cst.Tuple, cst.List)):
            values = []
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    # (*SHAPE, 3) with SHAPE a known tuple: its items, spliced in
                    inner = self.evaluate(element.value)
                    if not isinstance(inner, tuple):
                        return UNKNOWN
                    values.extend(inner)
                    continue
                value = self.evaluate(element.value)
                if value is UNKNOWN:
                    return UNKNOWN
                values.append(value)
            return tuple(values)
        if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
            return self._evaluate_comprehension(node)
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value in ("tuple", "list")
            and len(node.args) == 1
            and not node.args[0].keyword
            and not node.args[0].star
            and isinstance(node.args[0].value, (cst.ListComp, cst.GeneratorExp, cst.List, cst.Tuple))
            and self.is_builtin(node.func, node.func.value)
        ):
            return self.evaluate(node.args[0].value)  # tuple(n for _ in range(3)): a known sequence
        if isinstance(node, cst.UnaryOperation):
            value = self.evaluate(node.expression)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if isinstance(node.operator, cst.Minus):
                    return -value
                if isinstance(node.operator, cst.Plus):
                    return value
            return UNKNOWN
        if isinstance(node, cst.BinaryOperation):
            left = self.evaluate(node.left)
            if left is UNKNOWN:
                return UNKNOWN
            right = self.evaluate(node.right)
            if right is UNKNOWN:
                return UNKNOWN
            return safe_binary(node.operator, left, right)
        if isinstance(node, cst.Call) and self.live is not None and self.is_builtin(node.func, "len"):
            # len(rows) of a live list, frame or array: its length, read without running user code
            if (
                len(node.args) == 1
                and node.args[0].keyword is None
                and not node.args[0].star
                and isinstance(node.args[0].value, cst.Name)
            ):
                facts = self.live_facts(node.args[0].value.value)
                if facts is not None and facts.length is not None:
                    return facts.length
            return UNKNOWN
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("int", "float"):
            if len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star:
                value = self.evaluate(node.args[0].value)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    try:
                        return int(value) if node.func.value == "int" else float(value)
                    except (OverflowError, ValueError):
                        return UNKNOWN
        return UNKNOWN

    def _evaluate_comprehension(self, node: cst.ListComp | cst.GeneratorExp) -> Any:
        """`[n for _ in range(3)]`, `[i for i in range(4)]`: a known sequence of at most MAX_KNOWN_ITEMS,
        when the comprehension is one `for` over a readable range, without `if`, and its element either
        does not read the loop variable or is the loop variable itself."""
        times = comprehension_repeats(node, self)
        if times is None:
            return UNKNOWN
        count, target = times
        if isinstance(node.elt, cst.Name) and node.elt.value == target:
            bounds = self._range_values(node.for_in.iter)
            return tuple(range(*bounds)) if bounds is not None else UNKNOWN
        if reads_name(node.elt, target):
            return UNKNOWN
        value = self.evaluate(node.elt)
        return UNKNOWN if value is UNKNOWN else (value,) * count

    def _range_values(self, node: cst.BaseExpression) -> tuple[int, int, int] | None:
        if not isinstance(node, cst.Call) or not self.is_builtin(node.func, "range"):
            return None
        if not 1 <= len(node.args) <= 3 or any(arg.keyword or arg.star for arg in node.args):
            return None
        values = [self.evaluate(arg.value) for arg in node.args]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return None
        start, stop, step = (0, values[0], 1) if len(values) == 1 else (*values, 1)[:3]
        return (start, stop, step) if step else None

    def _evaluate_global(self, node: cst.CSTNode) -> Any:
        # a module-level value is evaluated outside any function: the current scope stack must not apply
        saved = self.scopes.stack
        self.scopes.stack = []
        try:
            return self.evaluate(node)
        finally:
            self.scopes.stack = saved


def comprehension_repeats(node: cst.CSTNode, context: "CodeContext") -> tuple[int, str] | None:
    """(how many items, the loop variable) of `[... for NAME in range(...)]` (or a generator) with one
    `for`, no `if`, no `async`, a readable range of at most MAX_KNOWN_ITEMS items; else None."""
    if not isinstance(node, (cst.ListComp, cst.GeneratorExp)):
        return None
    loop = node.for_in
    if loop.inner_for_in is not None or loop.ifs or loop.asynchronous is not None:
        return None
    if not isinstance(loop.target, cst.Name):
        return None
    bounds = context._range_values(loop.iter)
    if bounds is None:
        return None
    try:
        count = len(range(*bounds))
    except OverflowError:  # past sys.maxsize
        return None
    if count > MAX_KNOWN_ITEMS:
        return None
    return count, loop.target.value


def _reads_name(node: cst.CSTNode, name: str) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name) and current.value == name:
            return True
        stack.extend(current.children)
    return False
