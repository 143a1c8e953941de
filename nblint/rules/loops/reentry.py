"""Special methods that call themselves through the builtin or operator that calls them, for NB203.

`len(obj)` calls `type(obj).__len__(obj)`: a `__len__` that evaluates `len(self)` calls itself, and so
does one that evaluates `len(Bag())` or `len(BAG)`, `BAG` a notebook-level instance of the class: any
instance of the class goes back into the same method. The same
holds for `str(self)` in `__str__`, `self == other` in `__eq__`, `self.x = v` in `__setattr__`...
Each entry below says which expressions, evaluated inside the method, go back into it. Only what
always re-enters is listed: `str(self)` in `__repr__` re-enters only when the class has no `__str__` of
its own and no base that may define one, and a `self.x` read in `__getattr__` only when nothing in the
class makes `x` a normal attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from nblint.core.code.symbols import walk

if TYPE_CHECKING:
    from nblint.core.code.context import CodeContext

# method -> the builtin that calls it with the object as its one argument
_BUILTIN_OF = {
    "__len__": "len",
    "__hash__": "hash",
    "__bool__": "bool",
    "__iter__": "iter",
    "__abs__": "abs",
    "__int__": "int",
    "__float__": "float",
    "__repr__": "repr",
    "__str__": "str",
}
# method -> the comparison or binary operator that calls it with the object on its left
_COMPARISONS = {
    "__eq__": cst.Equal,
    "__ne__": cst.NotEqual,
    "__lt__": cst.LessThan,
    "__le__": cst.LessThanEqual,
    "__gt__": cst.GreaterThan,
    "__ge__": cst.GreaterThanEqual,
}
_OPERATORS = {
    "add": cst.Add,
    "sub": cst.Subtract,
    "mul": cst.Multiply,
    "matmul": cst.MatrixMultiply,
    "truediv": cst.Divide,
    "floordiv": cst.FloorDivide,
    "mod": cst.Modulo,
    "pow": cst.Power,
    "lshift": cst.LeftShift,
    "rshift": cst.RightShift,
    "and": cst.BitAnd,
    "or": cst.BitOr,
    "xor": cst.BitXor,
}
_STR_METHODS = ("__str__", "__repr__")


@dataclass
class ClassFacts:
    """What a class itself says about its attributes, for `__getattr__` and `__repr__`."""

    has_bases: bool  # any base other than `object`: it may define anything
    attributes: set[str] = field(default_factory=set)  # class-level names and every `self.x = ...` store
    defines: set[str] = field(default_factory=set)  # method names

    @classmethod
    def of(cls, owner: cst.ClassDef) -> "ClassFacts":
        bases = [arg for arg in owner.bases if not (isinstance(arg.value, cst.Name) and arg.value.value == "object")]
        facts = cls(has_bases=bool(bases) or bool(owner.keywords))
        for statement in owner.body.body:
            if isinstance(statement, cst.FunctionDef):
                facts.defines.add(statement.name.value)
                facts.attributes.add(statement.name.value)
        for node in walk(owner.body):
            if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Name):
                facts.attributes.add(node.target.value)
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign)) and isinstance(node.target, cst.Name):
                facts.attributes.add(node.target.value)
            elif isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign)):
                target = node.target
                if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                    facts.attributes.add(target.attr.value)  # self.x = ... in any method
            elif isinstance(node, (cst.Tuple, cst.List)):
                for element in node.elements:
                    value = element.value
                    if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name):
                        facts.attributes.add(value.attr.value)  # self.a, self.b = ...
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "setattr":
                facts.has_bases = True  # attributes set by name: anything may exist
        return facts


def is_reentrant(method: str) -> bool:
    """Methods this module knows how to re-enter."""
    return (
        method in _BUILTIN_OF
        or method in _COMPARISONS
        or method
        in (
            "__getattr__",
            "__getattribute__",
            "__setattr__",
            "__getitem__",
            "__setitem__",
            "__contains__",
            "__format__",
        )
        or _operator_of(method) is not None
    )


def _operator_of(method: str) -> tuple[type, bool] | None:
    """(operator class, reflected) for `__add__` / `__radd__`..."""
    if not (method.startswith("__") and method.endswith("__")):
        return None
    core = method[2:-2]
    if core in _OPERATORS:
        return _OPERATORS[core], False
    if core.startswith("r") and core[1:] in _OPERATORS:
        return _OPERATORS[core[1:]], True
    return None


class Reentry:
    """Recognises, inside special method `method` of a class, an expression that calls the method again."""

    def __init__(
        self,
        method: str,
        receiver: str,
        other: str | None,
        owner: cst.ClassDef | None,
        context: "CodeContext",
        class_name: str | None = None,
        instances: frozenset[str] = frozenset(),
    ) -> None:
        self.method, self.receiver, self.other = method, receiver, other
        self.context = context
        self.facts = ClassFacts.of(owner) if owner is not None else ClassFacts(has_bases=True)
        # other instances of the class: `Bag(...)` called, notebook-level names only ever assigned one
        self.class_name, self.instances = class_name, instances

    def _is_receiver(self, node: cst.CSTNode | None) -> bool:
        """An instance of the class: `self`, a notebook-level instance, or the class called."""
        if isinstance(node, cst.Name):
            return node.value == self.receiver or node.value in self.instances
        return (
            self.class_name is not None
            and isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value == self.class_name
        )

    def _is_other(self, node: cst.CSTNode) -> bool:
        return self.other is not None and isinstance(node, cst.Name) and node.value == self.other

    def reads(self, node: cst.CSTNode) -> bool:
        method = self.method
        if isinstance(node, cst.Call):
            return self._call(node)
        if isinstance(node, cst.Comparison):
            comparison = node.comparisons[0]
            if method in _COMPARISONS:
                return self._is_receiver(node.left) and isinstance(comparison.operator, _COMPARISONS[method])
            if method == "__contains__":
                return isinstance(comparison.operator, cst.In) and self._is_receiver(comparison.comparator)
            return False
        if isinstance(node, cst.BinaryOperation):
            operator = _operator_of(method)
            if operator is not None and isinstance(node.operator, operator[0]):
                if operator[1]:  # __radd__ returning `other + self`: other's __add__ gives up and calls us
                    return self._is_other(node.left) and self._is_receiver(node.right)
                return self._is_receiver(node.left)
            if isinstance(node.operator, cst.Modulo) and method in _STR_METHODS:
                return self._percent_formats_self(node)
            return False
        if isinstance(node, cst.FormattedStringExpression) and self._is_receiver(node.expression):
            conversion = node.conversion
            if node.format_spec and method != "__format__":
                return False  # f"{self:>10}": object.__format__ refuses a spec (TypeError), it does not recurse
            if conversion == "r":
                return method == "__repr__"
            return method in ("__str__", "__format__") or (method == "__repr__" and self._str_falls_back())
        if isinstance(node, cst.Subscript):
            return method == "__getitem__" and self._is_receiver(node.value)
        if isinstance(node, cst.Attribute) and self._is_receiver(node.value):
            attribute = node.attr.value
            if method == "__getattribute__":
                return True
            if method == "__getattr__":
                return self._missing(attribute)
        return False

    def stores(self, target: cst.CSTNode) -> bool:
        if self.method == "__setattr__":
            return isinstance(target, cst.Attribute) and self._is_receiver(target.value)
        if self.method == "__setitem__":
            return isinstance(target, cst.Subscript) and self._is_receiver(target.value)
        return False

    # -- the pieces --------------------------------------------------------------------------------

    def _call(self, call: cst.Call) -> bool:
        method = self.method
        args = [arg for arg in call.args if arg.keyword is None and not arg.star]
        first = args[0].value if args else None
        func = call.func
        if method in _BUILTIN_OF and len(call.args) == 1 and self._is_receiver(first):
            builtin = _BUILTIN_OF[method]
            if self.context.is_builtin(func, builtin):
                return True
            if method == "__repr__" and self.context.is_builtin(func, "str"):
                return self._str_falls_back()
        if method in ("__str__", "__format__") or (method == "__repr__" and self._str_falls_back()):
            if self.context.is_builtin(func, "format") and self._is_receiver(first):
                return True
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value == "format"
                and isinstance(func.value, cst.SimpleString)
                and any(self._is_receiver(a.value) for a in call.args)
            ):
                return "{}" in func.value.value or "{0}" in func.value.value
            if (
                method == "__str__"
                and self.context.is_builtin(func, "print")
                and any(self._is_receiver(a.value) for a in call.args)
            ):
                return True
        if (
            method == "__getattr__"
            and self.context.is_builtin(func, "getattr")
            and len(args) == 2
            and len(call.args) == 2
        ):
            # getattr(self, name) with __getattr__'s own `name`: missing, so back here
            return self._is_receiver(first) and self._is_other(args[1].value)
        return False

    def _percent_formats_self(self, node: cst.BinaryOperation) -> bool:
        """`"%s" % self` in __str__ (or __repr__ without __str__), `"%r" % self` in __repr__."""
        if not isinstance(node.left, cst.SimpleString):
            return False
        values = node.right.elements if isinstance(node.right, cst.Tuple) else None
        if values is not None:
            if len(values) != 1 or not self._is_receiver(values[0].value):
                return False
        elif not self._is_receiver(node.right):
            return False
        text = node.left.value
        if text.count("%") - 2 * text.count("%%") != 1:
            return False
        if "%r" in text:
            return self.method == "__repr__"
        if "%s" in text:
            return self.method == "__str__" or self._str_falls_back()
        return False

    def _str_falls_back(self) -> bool:
        """str(self) calls __repr__: the class defines no __str__ and has no base that might."""
        return self.method == "__repr__" and not self.facts.has_bases and "__str__" not in self.facts.defines

    def _missing(self, attribute: str) -> bool:
        """`self.<attribute>` is not found normally, so reading it calls __getattr__ again."""
        if attribute.startswith("__") and attribute.endswith("__"):
            return False  # __dict__, __class__...: every object has them
        return not self.facts.has_bases and attribute not in self.facts.attributes
