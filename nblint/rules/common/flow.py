"""Control flow for the loop and recursion rules (NB201 unbounded-loop, NB202 stale-loop-condition,
NB203 unconditional-recursion, NB401 output-flood).

Two things live here:

- walking the code that a loop or a function runs *itself* (nested def/class/lambda bodies do not run
  when the loop runs), knowing whether a node sits in the body of an inner loop, where a `break` or
  `continue` belongs to that inner loop;
- `ControlStack`, a mixin for code rules that keeps, during the one batched traversal, the stack of
  enclosing loops, conditionals, try parts and scopes, so a rule can ask "is this loop inside the body
  of a try that catches?" or "which loops enclose this print, with no `if` in between?" without the
  slow ParentNodeProvider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

import libcst as cst

from nblint.core.code.cstwalk import children
from nblint.core.code.symbols import imported_name, last_name, walk

if TYPE_CHECKING:
    from nblint.core.code.context import CodeContext

SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
LOOPS = (cst.For, cst.While)
# The walks below test every node of every loop body by its exact type: libcst's node classes are ABCs,
# so each isinstance() is a Python-level ABCMeta.__instancecheck__ call (it was half of a re-analysis of
# a 100-cell notebook in `nblint server`), and libcst never subclasses its concrete node classes.
_SCOPE_TYPES = frozenset(SCOPES)
_LOOP_TYPES = frozenset(LOOPS)

# Calls that end the program, and so any loop or recursion that runs them.
EXIT_FUNCTIONS = {"sys.exit", "os._exit", "os.abort", "posix._exit"}
EXIT_BUILTINS = ("exit", "quit")

# Methods that raise once their container or iterator runs dry: an exception is then the loop's exit
# (deque.popleft() -> IndexError, it.__next__() -> StopIteration, queue.get_nowait() -> queue.Empty).
# Calls that can rebind any name: code that runs them may change any variable.
_NAMESPACE_CALLS = ("exec", "eval", "globals", "locals", "vars", "setattr", "delattr", "__import__")

# Builtins that never change what they are given: passing a name to them is not a way to update it.
READ_ONLY_BUILTINS = frozenset(
    (
        "len",
        "int",
        "float",
        "str",
        "bool",
        "abs",
        "round",
        "ord",
        "chr",
        "hash",
        "sum",
        "pow",
        "print",
        "repr",
        "format",
        "isinstance",
        "type",
        "id",
        "min",
        "max",
        "sorted",
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "range",
        "enumerate",
        "zip",
        "divmod",
        "hex",
        "bin",
        "oct",
    )
)

_RAISE_WHEN_EMPTY = {"popleft", "popitem", "get_nowait", "__next__", "send"}


def walk_own(root: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, bool]]:
    """Every node under `root` that runs when `root` runs, paired with True when it sits in the body
    of a loop nested inside `root` (a `break` there ends that inner loop, not ours).

    Nested functions, classes and lambdas are yielded but not entered: their bodies run only when
    called. Iterative, so deeply nested code cannot overflow the stack.
    """
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    while stack:
        node, inner = stack.pop()
        yield node, inner
        kind = type(node)
        if kind in _SCOPE_TYPES and node is not root:
            continue
        if kind in _LOOP_TYPES and node is not root:
            # the body belongs to the inner loop; its test, iterable and `else:` belong to us
            body = node.body  # type: ignore[attr-defined]  # a For or While: _LOOP_TYPES
            stack.extend((child, inner or child is body) for child in children(node))
        else:
            stack.extend((child, inner) for child in children(node))


def callee_name(call: cst.Call) -> str | None:
    """`f` for `f(...)`, `method` for `obj.method(...)`."""
    return last_name(call.func)


def is_exit_call(call: cst.Call, context: "CodeContext") -> bool:
    """`sys.exit()`, `os._exit(1)`, `exit()`, `quit()` (the builtins, when the notebook does not rebind them)."""
    if any(context.is_builtin(call.func, name) for name in EXIT_BUILTINS):
        return True
    return context.qualified_name(call.func) in EXIT_FUNCTIONS


def is_raising_when_empty(call: cst.Call, context: "CodeContext") -> bool:
    """A call whose exception is the usual way out of a loop over a stream: `next(it)` (no default),
    `queue.popleft()`, `items.pop()`, `q.get_nowait()`, `q.get(block=False)`."""
    func = call.func
    args = [arg for arg in call.args if not arg.star]
    if context.is_builtin(func, "next"):
        return len(args) == 1 and args[0].keyword is None
    if not isinstance(func, cst.Attribute):
        return False
    method = func.attr.value
    if method in _RAISE_WHEN_EMPTY:
        return True
    if method == "pop":  # list.pop() / list.pop(0) / dict.pop(key) raise; dict.pop(key, default) does not
        return len(args) <= 1
    if method == "get":  # queue.get(False) / queue.get(block=False) raise queue.Empty
        for number, arg in enumerate(args):
            keyword = arg.keyword.value if arg.keyword is not None else None
            if (keyword == "block" or (keyword is None and number == 0)) and context.evaluate(arg.value) is False:
                return True
    return False


def is_read_only_call(call: cst.Call, context: "CodeContext") -> bool:
    """`print(n)`, `len(xs)`: a builtin (not rebound by the notebook) that never changes its arguments."""
    func = call.func
    return isinstance(func, cst.Name) and func.value in READ_ONLY_BUILTINS and context.is_builtin(func, func.value)


@dataclass
class Exits:
    """The ways out of a loop body or a function body, as far as the code itself says."""

    breaks: bool = False  # a `break` of this loop (not of an inner one)
    continues: bool = False  # a `continue` of this loop
    returns: bool = False
    raises: bool = False  # `raise` or `assert`
    exit_calls: bool = False  # sys.exit(), exit(), os._exit()...
    raising_calls: bool = False  # next(it), queue.popleft()...: an exception is the exit
    yields: bool = False
    awaits: bool = False
    # names of everything called (`f`, `method`), to check later against the notebook's own functions
    callees: set[str] = field(default_factory=set)

    @property
    def leaves(self) -> bool:
        """Something in the body can end the loop (other than its condition)."""
        return self.breaks or self.returns or self.raises or self.exit_calls or self.raising_calls


def body_exits(root: cst.CSTNode, context: "CodeContext") -> Exits:
    """What `root` (a loop body, a function body, a statement) can do to leave."""
    exits = Exits()
    for node, inner in walk_own(root):
        kind = type(node)  # not isinstance: see _SCOPE_TYPES
        if kind is cst.Call:
            assert isinstance(node, cst.Call)  # for mypy: `type(...) is` stays exact for the other kinds
            name = callee_name(node)
            if name is not None:
                exits.callees.add(name)
            if is_exit_call(node, context):
                exits.exit_calls = True
            elif is_raising_when_empty(node, context):
                exits.raising_calls = True
        elif kind is cst.Break:
            exits.breaks = exits.breaks or not inner
        elif kind is cst.Continue:
            exits.continues = exits.continues or not inner
        elif kind is cst.Return:
            exits.returns = True
        elif kind is cst.Raise or kind is cst.Assert:
            exits.raises = True
        elif kind is cst.Yield:
            exits.yields = True
        elif kind is cst.Await:
            exits.awaits = True
    return exits


def is_generator(function: cst.FunctionDef) -> bool:
    return any(isinstance(node, cst.Yield) for node, _ in walk_own(function.body))


def enclosing_function(context: "CodeContext") -> cst.FunctionDef | None:
    """The innermost function around the node being visited (None at cell level)."""
    for scope in reversed(context.scopes.stack):
        if isinstance(scope, cst.FunctionDef):
            return scope
        if isinstance(scope, cst.ClassDef):
            return None
    return None


def enclosing_class(context: "CodeContext", function: cst.FunctionDef) -> cst.ClassDef | None:
    """The class whose body defines `function` directly (so `function` is a method)."""
    stack = context.scopes.stack
    for index, scope in enumerate(stack):
        if scope is function:
            parent = stack[index - 1] if index > 0 else None
            return parent if isinstance(parent, cst.ClassDef) else None
    return None


class DefinedFunctions:
    """Every def in the notebook (functions and methods), by name, and which of them can end a loop or a
    recursion by raising or exiting (directly, or through another notebook function they call)."""

    def __init__(self, context: "CodeContext") -> None:
        self.context = context
        self.by_name: dict[str, list[cst.FunctionDef]] = {}
        self._can_raise: dict[str, bool] = {}

    def add(self, function: cst.FunctionDef) -> None:
        self.by_name.setdefault(function.name.value, []).append(function)

    def can_raise(self, name: str) -> bool:
        """True when a notebook function called `name` raises, asserts or exits somewhere in its own
        body, or calls one that does. Unknown (library) functions are not guessed to raise."""
        if name in self._can_raise:
            return self._can_raise[name]
        self._can_raise[name] = False  # a cycle of calls adds nothing
        result = False
        for function in self.by_name.get(name, ()):
            exits = body_exits(function.body, self.context)
            if exits.raises or exits.exit_calls or exits.raising_calls:
                result = True
                break
            if any(self.can_raise(callee) for callee in exits.callees - {name}):
                result = True
                break
        self._can_raise[name] = result
        return result


def root_names(target: cst.CSTNode) -> set[str]:
    """`a` for `a`, `a.b`, `a[0]`, `a.b[c].d`; every root of a tuple of targets."""
    if isinstance(target, (cst.Tuple, cst.List)):
        roots: set[str] = set()
        for element in target.elements:
            roots |= root_names(element.value)
        return roots
    if isinstance(target, cst.StarredElement):
        return root_names(target.value)
    while isinstance(target, (cst.Attribute, cst.Subscript)):
        target = target.value
    return {target.value} if isinstance(target, cst.Name) else set()


def changes_any(body: cst.CSTNode, names: set[str], is_read_only: Callable[[cst.Call], bool]) -> bool:
    """True when something in `body` (nested defs included: conservative) may rebind or mutate one of
    `names`: an assignment of any kind, a method call on it, an item or attribute store, passing it to
    a call (other than print() and the like), `del`, an import or def of that name, or exec() /
    globals() / setattr()."""
    for node in walk(body):
        touched: set[str] = set()
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Name) and func.value in _NAMESPACE_CALLS:
                return True
            if isinstance(func, cst.Attribute):
                touched |= root_names(func.value)
            if not is_read_only(node):
                for arg in node.args:
                    touched.update(sub.value for sub in walk(arg.value) if isinstance(sub, cst.Name))
        elif isinstance(node, cst.AssignTarget):
            touched = root_names(node.target)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr, cst.Del)):
            touched = root_names(node.target)
        elif isinstance(node, cst.AsName):
            touched = root_names(node.name)
        elif isinstance(node, cst.ImportAlias):
            imported = imported_name(node)
            touched = {imported} if imported is not None else set()
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            touched = {node.name.value}
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            touched = {item.name.value for item in node.names}
        elif isinstance(node, (cst.MatchAs, cst.MatchStar)):
            touched = {node.name.value} if node.name is not None else set()
        elif isinstance(node, cst.MatchMapping):
            touched = {node.rest.value} if node.rest is not None else set()
        if touched & names:
            return True
    return False


# -- the stack of enclosing control structures, kept during the batched traversal -----------------

SCOPE = "scope"  # a def, class or lambda: what is inside does not run with what is outside
LOOP = "loop"  # a for / while loop (and comprehensions, for NB401)
COMPREHENSION = "comprehension"
CONDITIONAL = "conditional"  # if / elif / else, a conditional expression, and/or, a match case
TRY = "try"  # the try statement itself: its body is protected by its handlers
HANDLER = "handler"  # an except clause
TRY_ELSE = "try-else"
FINALLY = "finally"
LOOP_ELSE = "loop-else"  # the `else:` of a loop runs once, after the loop
WITH = "with"


class ControlStack:
    """Mixin for a CodeRule: `self.frames` holds (kind, node) for every enclosing control structure.

    Rules override `enter_loop(node)` to look at a loop when it is entered; they must call the
    mixin's visit_/leave_ methods through super() if they define the same ones.
    """

    context: "CodeContext"  # the CodeRule's, which this mixin is always mixed into

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.frames: list[tuple[str, cst.CSTNode]] = []
        self._else_kind: dict[int, str] = {}
        self._generators: dict[int, bool] = {}  # id(function) -> is_generator(function)

    def enter_loop(self, node: cst.CSTNode) -> None:
        """Called when a for / while loop is entered, after its frame is pushed."""

    # -- queries ---------------------------------------------------------------------------------

    def frames_in_scope(self) -> Iterator[tuple[str, cst.CSTNode]]:
        """Frames from the innermost outwards, stopping at the innermost def / class / lambda."""
        for kind, node in reversed(self.frames):
            if kind == SCOPE:
                return
            yield kind, node

    def is_generator_function(self, function: cst.FunctionDef) -> bool:
        """is_generator(function), walked once per function: a function with many loops asks for each."""
        known = self._generators.get(id(function))
        if known is None:
            known = self._generators[id(function)] = is_generator(function)
        return known

    def in_catching_try(self) -> bool:
        """True when the current node sits in the body of a `try` with at least one `except`, or in a
        `with contextlib.suppress(...)` block, in the same function: an exception raised there is
        handled, so it can be a loop's way out."""
        passed_parts = 0  # handler / else / finally frames seen: their try does not protect us
        for kind, node in self.frames_in_scope():
            if kind in (HANDLER, TRY_ELSE, FINALLY):
                passed_parts += 1
            elif kind == TRY:
                if passed_parts:
                    passed_parts -= 1
                elif isinstance(node, (cst.Try, cst.TryStar)) and node.handlers:
                    return True
            elif (
                kind == WITH
                and isinstance(node, cst.With)
                and any(
                    isinstance(item.item, cst.Call)
                    and self.context.qualified_name(item.item.func) == "contextlib.suppress"
                    for item in node.items
                )
            ):
                return True
        return False

    # -- bookkeeping -----------------------------------------------------------------------------

    def _push(self, kind: str, node: cst.CSTNode) -> None:
        self.frames.append((kind, node))

    def _pop(self, node: cst.CSTNode) -> None:
        if self.frames and self.frames[-1][1] is node:
            self.frames.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._push(SCOPE, node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._pop(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._push(SCOPE, node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._pop(node)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._push(SCOPE, node)

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._pop(node)

    def visit_For(self, node: cst.For) -> None:
        if node.orelse is not None:
            self._else_kind[id(node.orelse)] = LOOP_ELSE
        self._push(LOOP, node)
        self.enter_loop(node)

    def leave_For(self, node: cst.For) -> None:
        self._pop(node)

    def visit_While(self, node: cst.While) -> None:
        if node.orelse is not None:
            self._else_kind[id(node.orelse)] = LOOP_ELSE
        self._push(LOOP, node)
        self.enter_loop(node)

    def leave_While(self, node: cst.While) -> None:
        self._pop(node)

    def visit_If(self, node: cst.If) -> None:
        self._push(CONDITIONAL, node)

    def leave_If(self, node: cst.If) -> None:
        self._pop(node)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._push(CONDITIONAL, node)

    def leave_IfExp(self, node: cst.IfExp) -> None:
        self._pop(node)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._push(CONDITIONAL, node)

    def leave_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._pop(node)

    def visit_MatchCase(self, node: cst.MatchCase) -> None:
        self._push(CONDITIONAL, node)

    def leave_MatchCase(self, node: cst.MatchCase) -> None:
        self._pop(node)

    def visit_Try(self, node: cst.Try) -> None:
        self._try(node)

    def leave_Try(self, node: cst.Try) -> None:
        self._pop(node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._try(node)

    def leave_TryStar(self, node: cst.TryStar) -> None:
        self._pop(node)

    def _try(self, node: cst.Try | cst.TryStar) -> None:
        if node.orelse is not None:
            self._else_kind[id(node.orelse)] = TRY_ELSE
        self._push(TRY, node)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._push(HANDLER, node)

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._pop(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._push(HANDLER, node)

    def leave_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._pop(node)

    def visit_Else(self, node: cst.Else) -> None:
        # an if's else is already inside the if's conditional frame
        self._push(self._else_kind.pop(id(node), CONDITIONAL), node)

    def leave_Else(self, node: cst.Else) -> None:
        self._pop(node)

    def visit_Finally(self, node: cst.Finally) -> None:
        self._push(FINALLY, node)

    def leave_Finally(self, node: cst.Finally) -> None:
        self._pop(node)

    def visit_With(self, node: cst.With) -> None:
        self._push(WITH, node)

    def leave_With(self, node: cst.With) -> None:
        self._pop(node)
