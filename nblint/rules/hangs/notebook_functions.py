"""Functions the notebook defines, and which of them a call names.

Used by NB403 (blocking-input: does the notebook call the function that holds `input()`?) and NB404
(pool-with-notebook-function: is the function handed to a process pool defined in the notebook?).
A rule gets one `NotebookFunctions` (as `self.functions`) by listing `TracksNotebookFunctions` before
CodeRule in its bases: the mixin forwards the traversal events to it. It costs a dict update per def,
lambda and assignment, and no extra traversal.

A "function" is a `def` (not a method: methods are reached through objects nblint does not follow)
or a lambda assigned to a plain name. Notebook-level code is code outside any def or lambda,
class bodies included (they run when the class statement runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from nblint.core.code.symbols import binding_names, imported_names

if TYPE_CHECKING:
    from nblint.core.code.context import CodeContext

Function = cst.CSTNode  # a FunctionDef or a Lambda


class NotebookFunctions:
    def __init__(self, context: "CodeContext") -> None:
        self.context = context
        # enclosing defs, lambdas and classes, innermost last
        self.stack: list[cst.CSTNode] = []
        # id(enclosing function) or None for notebook level -> name -> functions bound to it there
        self.defined: dict[int | None, dict[str, list[Function]]] = {}
        # notebook-level name -> the function it is bound to at this point of the notebook (None: not one)
        self.current: dict[str, Function | None] = {}
        # names bound at notebook level to something other than a function (an import, a value)
        self.bound_otherwise: set[str] = set()
        self.names: dict[int, str] = {}  # id(function) -> its name
        self.parents: dict[int, Function | None] = {}  # id(function) -> the function it is nested in

    # -- events the rule forwards ---------------------------------------------------------------------

    def enter(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.FunctionDef):
            if not (self.stack and isinstance(self.stack[-1], cst.ClassDef)):  # a method is no function here
                self._define(node.name.value, node)
        elif isinstance(node, cst.Lambda):
            self.parents.setdefault(id(node), self.function())
        elif isinstance(node, cst.ClassDef):
            self._bound_otherwise(node.name.value)
        self.stack.append(node)

    def leave(self, node: cst.CSTNode) -> None:
        if self.stack and self.stack[-1] is node:
            self.stack.pop()

    def assign(self, node: cst.Assign | cst.AnnAssign | cst.AugAssign) -> None:
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        value = node.value
        for target in targets:
            if isinstance(target, cst.Name) and isinstance(value, cst.Lambda) and not isinstance(node, cst.AugAssign):
                self._define(target.value, value)
            else:
                for name in binding_names(target):
                    self._bound_otherwise(name)

    def bind(self, target: cst.CSTNode) -> None:
        """A loop target, a `with ... as` name, an import: not a function."""
        for name in binding_names(target):
            self._bound_otherwise(name)

    def imported(self, node: cst.Import | cst.ImportFrom) -> None:
        for name in imported_names(node):
            self._bound_otherwise(name)

    # -- questions --------------------------------------------------------------------------------

    def function(self) -> Function | None:
        """The innermost def or lambda around the current node; None at notebook level."""
        for node in reversed(self.stack):
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                return node
        return None

    def called_now(self, name: str) -> Function | None:
        """At notebook level: the function `name()` runs at this point of the notebook, if any."""
        return self.current.get(name)

    def resolve(self, name: str, caller: Function | None, scope_stack: list | None = None) -> list[Function]:
        """The functions `name` may stand for in the body of `caller` (None: notebook level, where
        `called_now` is exact): nested defs of the enclosing functions first, then notebook-level ones.

        During the traversal the current scopes apply; after it (once every def is known, so a
        function may call one defined in a later cell), pass the ScopeTracker stack saved at the call.
        """
        scope = caller
        while scope is not None:
            found = self.defined.get(id(scope), {}).get(name)
            if found:
                return found
            scope = self.parents.get(id(scope))
        found = self.defined.get(None, {}).get(name)
        if not found:
            return []
        scopes = self.context.scopes
        saved = scopes.stack
        if scope_stack is not None:
            scopes.stack = scope_stack
        try:
            if scopes.is_local(name):
                return []  # a parameter or local variable: whatever the caller passed
        finally:
            scopes.stack = saved
        return found

    def is_notebook_function(self, name: str) -> bool:
        """`name`, as seen here, is a function of the notebook's own and nothing else."""
        return bool(self.resolve(name, self.function())) and not self._ambiguous(name)

    def _ambiguous(self, name: str) -> bool:
        if self.context.scopes.is_local(name) and self.function() is not None:
            return False
        return name in self.bound_otherwise or self.context.symbols.origin(name) is not None

    # -- bookkeeping ------------------------------------------------------------------------------

    def _define(self, name: str, node: Function) -> None:
        parent = self.function()
        self.names[id(node)] = name
        self.parents[id(node)] = parent
        self.defined.setdefault(id(parent) if parent is not None else None, {}).setdefault(name, []).append(node)
        if self._at_notebook_level():
            self.current[name] = node

    def _bound_otherwise(self, name: str) -> None:
        if self._at_notebook_level():
            self.current[name] = None
            self.bound_otherwise.add(name)

    def _at_notebook_level(self) -> bool:
        return not self.stack


def describe(functions: NotebookFunctions, node: Function) -> str:
    """`ask()` for a def or a named lambda."""
    return f"{functions.names.get(id(node), 'lambda')}()"


class TracksNotebookFunctions:
    """Mixin for a CodeRule (list it first in the bases): keeps `self.functions` up to date during the
    traversal. A rule that needs these events itself overrides the method and calls super() first."""

    def __init__(self, context: "CodeContext", options) -> None:
        super().__init__(context, options)  # type: ignore[call-arg]  # a mixin: the next class in the MRO is the CodeRule
        self.functions = NotebookFunctions(context)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.enter(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.leave(node)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.functions.enter(node)

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.functions.leave(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.functions.enter(node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.functions.leave(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        self.functions.assign(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.functions.assign(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.functions.assign(node)

    def visit_For(self, node: cst.For) -> None:
        self.functions.bind(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.functions.bind(node.asname.name)

    def visit_Import(self, node: cst.Import) -> None:
        self.functions.imported(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.functions.imported(node)
