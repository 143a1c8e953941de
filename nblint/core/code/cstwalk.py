"""Walking a libcst tree fast: the same nodes in the same order as libcst's own visit, a few times quicker.

libcst visits a tree by rebuilding it: every node's `_visit_and_replace_children` constructs (and
validates) a fresh copy of the node, even for a read-only visitor, and `node.children` does the same to
collect the children. On real notebooks that rebuilding is most of the cost of running the rules. Here
the children are read straight from the node's fields, in the order libcst visits them.

That order is learnt from libcst itself, once per node type and process: every field visit in libcst
goes through a helper that announces the field name (`on_visit_attribute`), even when the field is None
or empty, so one call of `_visit_and_replace_children` with a recorder that does not descend lists every
child-bearing field of that type in visit order, whatever the instance. No table to keep in step with
libcst's versions; tests compare `children()` with `node.children` over real notebooks.

The walks are loops, not recursion: depth costs no stack.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterator, Mapping, Sequence

import libcst as cst

_CSTNode = cst.CSTNode
_FIELDS: dict[type, tuple[str, ...]] = {}


class _FieldRecorder(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False  # the children's own children do not matter here

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)


def _fields_of(node: cst.CSTNode) -> tuple[str, ...]:
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        recorder = _FieldRecorder()
        node._visit_and_replace_children(recorder)
        # A field is visited once; keep the first mention should a node ever announce one twice.
        visited = list(dict.fromkeys(recorder.fields))
        # libcst visits some optional fields only when they hold something (FormattedStringExpression's and
        # TemplatedStringExpression's format_spec, last): recorded from `f"{x}"` first, the type would never
        # be entered at `f"{x:{width}}"`. A field this node leaves empty and libcst did not announce is kept
        # at the end; empty, it costs a getattr.
        import dataclasses

        visited += [f.name for f in dataclasses.fields(kind) if f.name not in visited and getattr(node, f.name) is None]
        fields = _FIELDS[kind] = tuple(visited)
    return fields


# isinstance(x, cst.CSTNode) goes through ABCMeta's hook, slow on millions of nodes: remember per type.
_IS_NODE: dict[type, bool] = {}


def _is_node_class(kind: type) -> bool:
    """issubclass(kind, cst.CSTNode) by the class's MRO: ABCMeta's issubclass answers "no" only after
    asking every one of CSTNode's hundreds of subclasses (for virtual subclasses, which libcst has none
    of), once per type and process."""
    return _CSTNode in getattr(kind, "__mro__", ())


def _is_node_type(kind: type) -> bool:
    answer = _IS_NODE.get(kind)
    if answer is None:
        answer = _IS_NODE[kind] = _is_node_class(kind)
    return answer


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """node.children, without rebuilding the node."""
    result: list[cst.CSTNode] = []
    is_node = _IS_NODE.get
    for name in _FIELDS.get(type(node)) or _fields_of(node):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            for item in value:
                if is_node(type(item)) or _is_node_type(type(item)):
                    result.append(item)
        elif value is not None and (is_node(kind) or _is_node_type(kind)):
            result.append(value)
    return result


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node of the subtree, `node` first, in libcst's (pre-)order."""
    stack = [node]
    pop, extend = stack.pop, stack.extend
    while stack:
        current = pop()
        yield current
        below = children(current)
        if below:
            below.reverse()
            extend(below)


def reads_name(node: cst.CSTNode, name: str) -> bool:
    """Whether `name` appears anywhere under `node` (a comprehension's element reading its loop variable)."""
    return any(isinstance(current, cst.Name) and current.value == name for current in walk(node))


def walk_code(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """walk() without the layout tokens (whitespace, comments, punctuation, operator tokens such as
    `cst.Add`): for searches that look for statements, expressions, names and bindings, which is most
    of them. An operator stays reachable as its expression's `.operator`."""
    skip = all_layout()
    fields_of = _CODE_FIELDS.get
    stack = [node]
    pop, push = stack.pop, stack.append
    while stack:
        current = pop()
        yield current
        kind = type(current)
        fields = fields_of(kind)
        if fields is None:
            fields = _CODE_FIELDS[kind] = tuple(reversed(_fields_to_enter(kind, current, skip)))
        for field in fields:
            value = getattr(current, field)
            if type(value) is tuple or type(value) is list:
                for child in reversed(value):
                    if type(child) not in skip and _is_node_type(type(child)):
                        push(child)
            elif value is not None and type(value) not in skip and _is_node_type(type(value)):
                push(value)


# Per node type: the fields walk_code looks into, in reverse visit order.
_CODE_FIELDS: dict[type, tuple[str, ...]] = {}


VisitorMethod = Callable[[cst.CSTNode], Any]


def visit_batched(node: cst.CSTNode, visitors: Sequence[cst.BatchableCSTVisitor]) -> None:
    """libcst.visit_batched for read-only visitors: each visitor's visit_<Type>, visit_<Type>_<field>,
    leave_<Type>_<field> and leave_<Type> methods are called in the same order libcst calls them."""
    methods: dict[str, list[VisitorMethod]] = {}
    for visitor in visitors:
        for name, method in visitor.get_visitors().items():
            methods.setdefault(name, []).append(method)
    _walk_with(node, methods)


# Layout tokens: whitespace, comments, and punctuation/operator tokens that hold only whitespace. Over half
# of a tree's nodes; a batched visit skips them when no visitor asks for any of them (it cannot tell).
_WHITESPACE = (
    cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
)
_TOKENS = (
    cst.Comma,
    cst.Dot,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseAugOp,
    cst.BaseUnaryOp,
)


@functools.lru_cache(maxsize=None)
def _layout_types() -> tuple[frozenset[type], frozenset[type]]:
    def all_subclasses(base: type) -> set[type]:
        found, todo = set(), [base]
        while todo:
            for sub in todo.pop().__subclasses__():
                if sub not in found:
                    found.add(sub)
                    todo.append(sub)
        return found

    whitespace = set(_WHITESPACE)
    tokens: set[type] = set()
    for kind in _TOKENS:
        tokens.add(kind)
        tokens |= all_subclasses(kind)
    return frozenset(whitespace), frozenset(tokens)


_LAYOUT: frozenset[type] | None = None
_SUBCLASSES: dict[type, tuple[type, ...]] = {}


def _concrete_kinds(kind: type) -> tuple[type, ...]:
    """`kind` and its subclasses that can be instantiated (libcst's Base* classes are abstract)."""
    found = _SUBCLASSES.get(kind)
    if found is None:
        import inspect

        seen, todo = {kind}, [kind]
        while todo:
            for sub in todo.pop().__subclasses__():
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        found = _SUBCLASSES[kind] = tuple(k for k in seen if not inspect.isabstract(k))
    return found


def _may_hold_entered(annotation: Any, skip: frozenset[type]) -> bool:
    """Whether a field annotated so can hold a node that is not skipped. The annotations of libcst's
    node dataclasses are real types (Sequence[LeftParen], BaseParenthesizableWhitespace, Optional[Name],
    Union[Comma, MaybeSentinel], Literal['', '*']); anything unexpected answers yes."""
    import typing

    if isinstance(annotation, type):
        if _is_node_class(annotation):
            return any(kind not in skip for kind in _concrete_kinds(annotation))
        return False  # str, MaybeSentinel, NoneType
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False
    arguments = typing.get_args(annotation)
    if origin is None or not arguments:
        return True  # a forward reference or a form not seen before: look at the value
    return any(_may_hold_entered(argument, skip) for argument in arguments)


_ENTER_FIELDS: dict[tuple[type, frozenset[type]], tuple[str, ...]] = {}


def _fields_to_enter(kind: type, node: cst.CSTNode, skip: frozenset[type]) -> tuple[str, ...]:
    """_fields_of(node) without the fields that can hold only skipped nodes (whitespace, tokens)."""
    fields = _ENTER_FIELDS.get((kind, skip))
    if fields is None:
        fields = _fields_of(node)
        if skip:
            import dataclasses

            annotations = {field.name: field.type for field in dataclasses.fields(kind)}
            fields = tuple(f for f in fields if f not in annotations or _may_hold_entered(annotations[f], skip))
        _ENTER_FIELDS[(kind, skip)] = fields
    return fields


def all_layout() -> frozenset[type]:
    global _LAYOUT
    if _LAYOUT is None:
        whitespace, tokens = _layout_types()
        _LAYOUT = frozenset(whitespace | tokens)
    return _LAYOUT


def _skippable(methods: Mapping[str, list[VisitorMethod]]) -> frozenset[type]:
    return _skippable_for(frozenset(name.split("_")[1] for name in methods))


@functools.lru_cache(maxsize=64)
def _skippable_for(wanted: frozenset[str]) -> frozenset[type]:
    # Cached by the node type names visitors ask for: the same set (and the same frozenset object,
    # whose hash is cached) for every notebook of a run.
    whitespace, tokens = _layout_types()
    if any(kind.__name__ in wanted for kind in whitespace):
        return frozenset()  # a visitor looks at comments or whitespace: tokens hold them, visit all
    return frozenset(whitespace | {kind for kind in tokens if kind.__name__ not in wanted})


def _walk_with(root: cst.CSTNode, methods: Mapping[str, list[VisitorMethod]]) -> None:
    skip = _skippable(methods)
    has_field_methods = any(_is_field_method(name) for name in methods)
    # Per node type, worked out on first sight: (visit methods, leave methods, fields in reverse visit
    # order, per-field (visit, leave) methods or None).
    plans: dict[type, tuple] = {}
    # Per value type: True when it is a node to enter (a CSTNode not skipped), False otherwise.
    enters: dict[type, bool] = {}

    def plan_for(kind: type, node: cst.CSTNode) -> tuple:
        name = kind.__name__
        fields = _fields_of(node) if has_field_methods else _fields_to_enter(kind, node, skip)
        field_methods = None
        if has_field_methods:
            field_methods = {
                field: (methods.get(f"visit_{name}_{field}", ()), methods.get(f"leave_{name}_{field}", ()))
                for field in fields
            }
            if not any(visit or leave for visit, leave in field_methods.values()):
                field_methods = None
        plan = plans[kind] = (
            methods.get(f"visit_{name}", ()),
            methods.get(f"leave_{name}", ()),
            tuple(reversed(fields)),
            field_methods,
        )
        return plan

    def enters_for(kind: type) -> bool:
        answer = enters[kind] = kind not in skip and _is_node_type(kind)
        return answer

    # The stack holds nodes to enter and, as tuples (node, methods), calls still due on a node: its
    # leave_ methods (pushed before its children, so they run after them) and its field methods.
    stack: list = [root]
    push, pop = stack.append, stack.pop
    plan_of, enter_of = plans.get, enters.get
    while stack:
        node = pop()
        if type(node) is tuple:
            node, due = node
            for method in due:
                method(node)
            continue
        kind = type(node)
        visit, leave, fields, field_methods = plan_of(kind) or plan_for(kind, node)
        for method in visit:
            method(node)
        if leave:
            push((node, leave))
        # The child-pushing below is written out twice (with and without per-field visitor methods)
        # rather than shared through a helper: it runs for every node, and a call per child costs more.
        if field_methods is None:
            for field in fields:  # reversed: the first field's first child is popped first
                value = getattr(node, field)
                kind = type(value)
                if kind is tuple or kind is list:
                    for child in reversed(value):
                        entered = enter_of(type(child))
                        if entered or (entered is None and enters_for(type(child))):
                            push(child)
                else:
                    entered = enter_of(kind)
                    if entered or (entered is None and enters_for(kind)):
                        push(value)
            continue
        for field in fields:
            visit_field, leave_field = field_methods[field]
            if leave_field:
                push((node, leave_field))
            value = getattr(node, field)
            kind = type(value)
            if kind is tuple or kind is list:
                for child in reversed(value):
                    entered = enter_of(type(child))
                    if entered or (entered is None and enters_for(type(child))):
                        push(child)
            else:
                entered = enter_of(kind)
                if entered or (entered is None and enters_for(kind)):
                    push(value)
            if visit_field:
                push((node, visit_field))


def _is_field_method(name: str) -> bool:
    # visit_<Type>_<field> / leave_<Type>_<field>: node type names are CamelCase, fields snake_case.
    prefix, _, rest = name.partition("_")
    return prefix in ("visit", "leave") and "_" in rest
