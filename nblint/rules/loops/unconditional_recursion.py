"""NB203 unconditional-recursion: a function that calls itself on every path (no base case)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import libcst as cst

from nblint.core.code.cstwalk import children
from nblint.core.code.symbols import binding_names, imported_name
from nblint.core.code.text import source_text
from nblint.core.evidence import hang_evidence
from nblint.core.findings import Severity
from nblint.rules.base import CodeRule, Invalid
from nblint.rules.common.flow import (
    DefinedFunctions,
    callee_name,
    enclosing_class,
    is_exit_call,
    is_generator,
    is_raising_when_empty,
    walk_own,
)
from nblint.rules.loops.reentry import Reentry, is_reentrant

# Decorators that keep a self-call a self-call (the wrapper calls the function straight through).
# Any other decorator may add a base case of its own (a depth guard, a pre-seeded cache): not judged.
_TRANSPARENT_DECORATORS = {
    "functools.lru_cache",
    "functools.cache",
    "functools.wraps",
    "tensorflow.function",
    "torch.no_grad",
    "torch.inference_mode",
    "numba.jit",
    "numba.njit",
    "jax.jit",
}
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)

FUNCTION, METHOD, GETTER, SETTER, DUNDER = "function", "method", "getter", "setter", "dunder"

# What a special method is called by, for the message, and how to write it without calling itself.
_TRIGGER = {
    "__len__": ("len()", "compute it from the data: return len(self.items)"),
    "__str__": ("str() or print()", 'format the fields: return f"{type(self).__name__}({self.value!r})"'),
    "__repr__": ("repr() or display", "format the fields, or call super().__repr__()"),
    "__format__": ("format() or f-string", "format a field: return format(self.value, spec)"),
    "__getattr__": ("missing attribute", "read self.__dict__ or raise AttributeError(name)"),
    "__getattribute__": ("attribute read", "read through object.__getattribute__(self, name)"),
    "__setattr__": ("attribute store", "store through super().__setattr__(name, value)"),
    "__getitem__": ("self[key]", "index the data it wraps: return self.items[key]"),
    "__setitem__": ("self[key] = value", "store in the data it wraps: self.items[key] = value"),
}


@dataclass
class _Pending:
    """A function seen, to be judged once its body has been read."""

    function: cst.FunctionDef
    kind: str
    owner: cst.ClassDef | None
    outer: cst.FunctionDef | None
    scopes: list[cst.CSTNode]  # the scope stack when the function was visited (itself included)
    referenced: bool = False  # it calls something named like itself


@dataclass
class _Candidate:
    """A function that calls itself (or reads or sets its own property) on every path."""

    function: cst.FunctionDef
    kind: str  # FUNCTION, METHOD, GETTER or SETTER
    node: cst.CSTNode  # the self-call, the self.attribute read, or the self.attribute store
    owner: cst.ClassDef | None  # the class of a method or property
    outer: cst.FunctionDef | None  # the function a nested function is defined in
    callees_before: set[str]  # what runs before the self-call: a notebook function there may raise


class UnconditionalRecursion(CodeRule):
    """
    ## What it does
    Flags a function that calls itself on every path (no base case).

    The self-call runs before any `return` or `raise`, outside any `if`, conditional expression,
    `and` / `or`, `try`, loop or `match`. A method
    counts when it calls `self.method(...)` on itself, and a property when its getter reads
    `self.<property>` (or its setter assigns it), the classic missing underscore. A lambda counts when
    it calls the name it is assigned to (`f = lambda x: f(x + 1)`).

    Special methods count when they evaluate the builtin or operator that calls them on `self`:
    `len(self)` in `__len__` (also `hash`, `bool`, `iter`, `abs`, `int`, `float`); `str(self)`,
    `f"{self}"`, `"%s" % self`, `format(self)` or `print(self)` in `__str__`; `repr(self)`,
    `f"{self!r}"` or `"%r" % self` in `__repr__` (and `str(self)` there when the class has no `__str__`
    and no base class); `self == other` in `__eq__` (and the other comparisons); `self + other` in
    `__add__`, and `other + self` in the reflected `__radd__` (the other operand gives up and calls it
    back: `sum()` of such objects starts with `0 + obj`); `self[key]` in `__getitem__`, `self[key] = v`
    in `__setitem__`, `self.x = v` in `__setattr__`, any `self.x` in `__getattribute__`; and in
    `__getattr__`, `getattr(self, name)` or a `self.x` that nothing in the class defines or assigns
    (a class with base classes may inherit `x`: not judged). `super().__repr__()`,
    `object.__getattribute__(self, name)`, `self.__dict__` in `__getattr__` and the same names on other
    objects (`len(self.items)`, `self.x == other.x`) are the way out and never reported. `self` stands
    for any instance of the class: the class called inside its own method (`bool(Flag())` in
    `Flag.__bool__`, `Money(self.v) == other` in `__eq__`) and a notebook-level name only ever assigned an
    instance (`repr(ZERO)` in `__repr__`, `ZERO = Money(0)`), for a notebook-level class bound once
    without `__new__` or a metaclass (those may return something else).

    Recursion with a base case is never reported, memoised (`@lru_cache`) or not. The rule also stays
    silent when something before the self-call can end it by raising (`assert`, `next(it)`, a notebook
    function that raises), when the name is bound more than once (a later cell redefines it), for
    generators and `async def`, for methods whose name another class also defines, and for functions
    under decorators it does not know.

    ## Why it kills the kernel
    Every call recurses until Python gives up with RecursionError, after filling the stack and often
    the output with a long traceback. When the notebook raised the recursion limit
    (`sys.setrecursionlimit`, see NB204) the C stack overflows first and the kernel dies with a
    segmentation fault: "The kernel appears to have died".

    ## Example
        def factorial(n):
            return n * factorial(n - 1)

    ## Use instead
        def factorial(n):
            if n <= 1:
                return 1
            return n * factorial(n - 1)
    """

    code = "NB203"
    needs = ("def", "lambda")  # the pre-filter (CodeRule.needs): a function or a lambda
    name = "unconditional-recursion"
    severity = Severity.ERROR

    VALID = [
        "def factorial(n):\n    if n <= 1:\n        return 1\n    return n * factorial(n - 1)\n",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
        "from functools import lru_cache\n@lru_cache(maxsize=None)\ndef fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
        "def any_true(xs):\n    return bool(xs) and (xs[0] or any_true(xs[1:]))\n",
        "def walk(node):\n    for child in node.children:\n        walk(child)\n",
        "def retry(n):\n    try:\n        return work()\n    except IOError:\n        return retry(n - 1)\n",
        "def ask():\n    answer = input('y/n? ')\n    match answer:\n        case 'y':\n            return True\n    return ask()\n",
        "def f(n):\n    if n > 0:\n        print(n)\n    else:\n        return 0\n    return f(n - 1)\n",
        "def drain(items):\n    while items:\n        items.pop()\n    drain(items)\n",
        # look-alikes from the corpus (tensorflow docs): recursion under an if, in a comprehension, in an
        # f-string under an if
        "@tf.function\ndef recursive_fn(n):\n    if n > 0:\n        return recursive_fn(n - 1)\n    else:\n        return 1\n",
        "def masked_tensor_str(values, mask):\n    if isinstance(values, tf.Tensor):\n        return f'<MaskedTensor {masked_tensor_str(values.numpy(), mask.numpy())}>'\n    if len(values.shape) == 1:\n        items = [repr(v) if m else '_' for (v, m) in zip(values, mask)]\n    else:\n        items = [masked_tensor_str(v, m) for (v, m) in zip(values, mask)]\n    return '[%s]' % ', '.join(items)\n",
        "def imshow(a, format='png', jpeg_fallback=True):\n    try:\n        display(Image(a, format=format))\n    except IOError:\n        if jpeg_fallback and format != 'jpeg':\n            return imshow(a, format='jpeg')\n        raise\n",
        # something before the self-call ends it by raising
        "def countdown(n):\n    assert n >= 0\n    countdown(n - 1)\n",
        "def consume(it):\n    x = next(it)\n    handle(x)\n    consume(it)\n",
        "import sys\ndef loop(n):\n    if n == 0:\n        sys.exit(0)\n    loop(n - 1)\n",
        [
            "def validate(n):\n    if n < 0:\n        raise ValueError(n)\n",
            "def descend(n):\n    validate(n)\n    return descend(n - 1)\n",
        ],
        # not a self-call: another function of the same name, a wrapper over the original, a builtin
        "def show(x):\n    return display(x)\n",
        "_original_print = print\ndef print(*args):\n    _original_print('>', *args)\n",
        "class Net(nn.Module):\n    def forward(self, x):\n        return self.layer.forward(x)\n",
        "class Child(Base):\n    def fit(self, x):\n        return super().fit(x)\n",
        "class Model:\n    def fit(self, x):\n        return fit(x)\n",
        "def outer():\n    def f(x):\n        return x\n    return f(1)\n",
        # the name is rebound: a later cell redefines the function
        ["def f(n):\n    return f(n)\n", "def f(n):\n    return n\n"],
        "def f(n):\n    f = other\n    return f(n)\n",
        # generators and coroutines create objects; they do not recurse when called
        "def nodes(tree):\n    yield tree\n    yield from nodes(tree.child)\n",
        "async def poll():\n    await asyncio.sleep(1)\n    asyncio.ensure_future(poll())\n",
        # a nested def, a lambda or a comprehension is not run by the call
        "def f(n):\n    g = lambda: f(n - 1)\n    return g\n",
        "def f(xs):\n    return [f(x) for x in xs]\n",
        # a method whose name another class defines too: self.step() may dispatch elsewhere
        "class A:\n    def step(self):\n        return self.step()\nclass B(A):\n    def step(self):\n        return 1\n",
        # properties that store under another name
        "class Circle:\n    @property\n    def area(self):\n        return self._area\n    @area.setter\n    def area(self, value):\n        self._area = value\n",
        # an unknown decorator may hold the base case
        "@limit_depth(100)\ndef search(n):\n    return search(n + 1)\n",
        "class Tool:\n    @staticmethod\n    def run(x):\n        return Tool.run(x)\n",
        # lambdas with a base case, a parameter of the same name, a rebound name, a comprehension
        "fact = lambda n: 1 if n <= 1 else n * fact(n - 1)\n",
        "walk = lambda xs: xs and walk(xs[1:])\n",
        "f = lambda f: f(1)\n",
        "f = lambda xs: [f(x) for x in xs]\n",
        ["f = lambda x: f(x + 1)\n", "f = lambda x: x\n"],
        "f = lambda it: f(next(it))\n",
        # special methods that use the same builtin or operator on something else, or go around it
        "class Bag:\n    def __init__(self):\n        self.items = []\n    def __len__(self):\n        return len(self.items)\n",
        "class Point:\n    def __eq__(self, other):\n        return (self.x, self.y) == (other.x, other.y)\n",
        "class Point:\n    def __repr__(self):\n        return super().__repr__()\n",
        "class Point:\n    def __str__(self):\n        return 'point'\n    def __repr__(self):\n        return str(self)\n",
        "class Point(Base):\n    def __repr__(self):\n        return str(self)\n",
        "class Point:\n    def __str__(self):\n        return repr(self)\n",
        "class Money:\n    def __add__(self, other):\n        return Money(self.cents + other.cents)\n    def __radd__(self, other):\n        return self + other\n",
        "class Proxy:\n    def __getattr__(self, name):\n        return self.__dict__[name]\n",
        "class Proxy:\n    def __init__(self, target):\n        self.target = target\n    def __getattr__(self, name):\n        return getattr(self.target, name)\n",
        "class Proxy(Wrapper):\n    def __getattr__(self, name):\n        return getattr(self.target, name)\n",
        "class Proxy:\n    def __getattribute__(self, name):\n        return object.__getattribute__(self, name)\n",
        "class Frozen:\n    def __setattr__(self, name, value):\n        if name == 'x':\n            raise AttributeError(name)\n        super().__setattr__(name, value)\n",
        "class Grid:\n    def __getitem__(self, key):\n        return self.cells[key]\n",
        "class Vector:\n    def __eq__(self, other):\n        if not isinstance(other, Vector):\n            return NotImplemented\n        return self == other\n",
        "class Name:\n    def __str__(self):\n        return f'{self:>10}'\n",
        # other instances of the class, used only for their data; another class's instance; a class with
        # __new__ (which may return anything); the class name bound in the method
        "class Fine:\n    def __init__(self, items):\n        self.items = items\n    def __len__(self):\n"
        "        return len(EMPTY.items)\n    def __repr__(self):\n        return f'Fine({self.items!r})'\nEMPTY = Fine([])\n",
        "class Other:\n    def __len__(self):\n        return len(EMPTY)\nclass Fine:\n    def __len__(self):\n"
        "        return 0\nEMPTY = Fine()\n",
        "class One:\n    _it = None\n    def __new__(cls):\n        return cls._it or object.__new__(cls)\n"
        "    def __bool__(self):\n        return bool(One())\n",
        "class Flag:\n    def __bool__(self, Flag=int):\n        return bool(Flag())\n",
        # look-alikes from the corpus (tensorflow docs)
        "class FruitTraceType:\n    def __eq__(self, other):\n        return type(other) is FruitTraceType and self.fruit_type == other.fruit_type\n",
        "class WindowGenerator:\n    def __repr__(self):\n        return '\\n'.join([f'Total window size: {self.total_window_size}'])\n",
    ]
    INVALID = [
        Invalid(
            "def factorial(n):\n    return n * factorial(n - 1)\n",
            line=2,
            column=16,
            message="`factorial()` calls itself on every path",
        ),
        Invalid("def f(x):\n    y = x + 1\n    f(y)\n    return y\n", line=3, column=5),
        # an if before it that does not return is no base case
        Invalid("def f(n):\n    if n > 100:\n        print('big')\n    return f(n - 1)\n", line=4),
        Invalid("def f(n):\n    with lock:\n        return f(n)\n", line=3),
        Invalid("def f(items):\n    for x in items:\n        print(x)\n    f(items)\n", line=4),
        Invalid("def check(n):\n    if check(n - 1):\n        return True\n", line=2, message="`check(n - 1)`"),
        # the condition guards the other operand, not this one
        Invalid("def f(n):\n    return f(n - 1) or n == 0\n", line=2),
        # methods calling themselves, properties reading or storing themselves
        Invalid(
            "class Net:\n    def forward(self, x):\n        return self.forward(x)\n", line=3, message="`Net.forward()`"
        ),
        Invalid(
            "class Circle:\n    @property\n    def area(self):\n        return self.area\n",
            line=4,
            message="property `area` reads `self.area`",
        ),
        Invalid(
            "class Circle:\n    @property\n    def r(self):\n        return self._r\n    @r.setter\n    def r(self, value):\n        self.r = value\n",
            line=7,
            message="assigns `self.r`",
        ),
        Invalid("class Counter:\n    @classmethod\n    def make(cls):\n        return cls.make()\n", line=4),
        # memoised and still without a base case
        Invalid("import functools\n@functools.lru_cache(None)\ndef g(n):\n    return g(n - 1) + 1\n", line=4),
        # nested function; cross-cell: defined in one cell, called in another
        Invalid(
            "def outer():\n    def inner(n):\n        return inner(n + 1)\n    return inner(0)\n", line=3, column=16
        ),
        Invalid(["def total(xs):\n    return xs[0] + total(xs[1:])\n", "total([1, 2, 3])\n"], cell=0, line=2),
        # a notebook function that never raises does not end it
        Invalid(["def log(n):\n    print(n)\n", "def down(n):\n    log(n)\n    down(n - 1)\n"], cell=1, line=3),
        # a lambda calling the name it is assigned to; cross-cell
        Invalid("f = lambda x: f(x + 1)\n", line=1, column=15, message="`f = lambda ...` calls itself on every path"),
        Invalid(["fact = lambda n: n * fact(n - 1)\n", "fact(5)\n"], cell=0, line=1, column=22),
        Invalid("def outer():\n    g = lambda n: g(n - 1)\n    return g\n", line=2),
        # special methods re-entered through their builtin or operator
        Invalid(
            "class Bag:\n    def __len__(self):\n        return len(self)\n",
            line=3,
            column=16,
            message="`Bag.__len__()` evaluates `len(self)`",
        ),
        Invalid("class Point:\n    def __str__(self):\n        return f'Point({self})'\n", line=3, message="str()"),
        Invalid("class Point:\n    def __str__(self):\n        return 'Point %s' % self\n", line=3),
        Invalid("class Point:\n    def __repr__(self):\n        return f'{self!r}'\n", line=3),
        Invalid("class Point:\n    def __repr__(self):\n        return 'Point(' + str(self) + ')'\n", line=3),
        Invalid(
            "class Point:\n    def __eq__(self, other):\n        return self == other\n", line=3, message="comparison"
        ),
        Invalid(
            "class Money:\n    def __radd__(self, other):\n        return other + self\n", line=3, message="reflected"
        ),
        Invalid("class Money:\n    def __add__(self, other):\n        return self + other\n", line=3),
        Invalid("class Proxy:\n    def __getattr__(self, name):\n        return getattr(self, name)\n", line=3),
        Invalid(
            "class Proxy:\n    def __getattr__(self, name):\n        return self.target.get(name)\n",
            line=3,
            message="`self.target`",
        ),
        Invalid("class Proxy:\n    def __getattribute__(self, name):\n        return self.__dict__[name]\n", line=3),
        Invalid(
            "class Config:\n    def __setattr__(self, name, value):\n        print(name)\n        self.name = value\n",
            line=4,
            message="super().__setattr__",
        ),
        Invalid("class Grid:\n    def __getitem__(self, key):\n        return self[key]\n", line=3),
        Invalid("class Bag:\n    def __len__(self):\n        return self.__len__()\n", line=3),
        # any instance of the class re-enters: a notebook-level instance, the class called in the method
        Invalid(
            "class Bag:\n    def __len__(self):\n        return len(BAG)\nBAG = Bag()\n",
            line=3,
            message="evaluates `len(BAG)`, which calls `Bag.__len__()` again",
        ),
        Invalid("class Flag:\n    def __bool__(self):\n        return bool(Flag())\n", line=3, message="bool(Flag())"),
        Invalid(
            "class Money:\n    def __init__(self, v):\n        self.v = v\n    def __eq__(self, other):\n"
            "        return Money(self.v) == other\n",
            line=5,
        ),
        Invalid(
            "class Money:\n    def __init__(self, v):\n        self.v = v\n    def __hash__(self):\n"
            "        return hash(Money(self.v))\n",
            line=5,
        ),
        Invalid(
            "class Money:\n    def __init__(self, v):\n        self.v = v\n    def __repr__(self):\n"
            "        return repr(ZERO)\nZERO = Money(0)\n",
            line=5,
        ),
        Invalid(
            "class Lazy:\n    def __getattr__(self, name):\n        return DEFAULT.fallback\nDEFAULT = Lazy()\n",
            line=3,
            message="DEFAULT.fallback",
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self.functions = DefinedFunctions(context)
        self.declared_global: set[str] = set()
        # id(function) -> what is known of it; analysed in finish() only if it refers to itself
        self._pending: dict[int, _Pending] = {}
        # `f = lambda x: f(x + 1)`: (name, lambda, the function it is defined in, the scope stack there)
        self._lambdas: list[tuple[str, cst.Lambda, cst.FunctionDef | None, list[cst.CSTNode]]] = []

    def visit_Global(self, node: cst.Global) -> None:
        self.declared_global.update(item.name.value for item in node.names)

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if (
            not isinstance(value, cst.Lambda)
            or len(node.targets) != 1
            or not isinstance(node.targets[0].target, cst.Name)
        ):
            return
        name = node.targets[0].target.value
        if not any(
            isinstance(sub, cst.Call) and isinstance(sub.func, cst.Name) and sub.func.value == name
            for sub, _ in walk_own(value.body)
        ):
            return  # the cheap test: most lambdas do not name themselves
        stack = self.context.scopes.stack
        outer = next((scope for scope in reversed(stack) if isinstance(scope, cst.FunctionDef)), None)
        if any(isinstance(scope, (cst.Lambda, cst.ClassDef)) for scope in stack):
            return  # a class attribute or a lambda inside a lambda: the name is not the one it calls
        self._lambdas.append((name, value, outer, list(stack)))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.add(node)
        if node.asynchronous is not None:
            return  # calling an async def makes a coroutine; it does not recurse
        owner = enclosing_class(self.context, node)
        kind = self._kind(node, owner)
        if kind is None:
            return
        stack = self.context.scopes.stack
        outer = stack[-2] if len(stack) >= 2 and isinstance(stack[-2], cst.FunctionDef) else None
        # a property refers to itself through an attribute, which is not worth watching for: always analyse
        self._pending[id(node)] = _Pending(node, kind, owner, outer, list(stack), kind in (GETTER, SETTER, DUNDER))

    def visit_Call(self, node: cst.Call) -> None:
        # The cheap part, during the traversal: note the functions that call something of their own
        # name; only those are analysed, in finish().
        stack = self.context.scopes.stack
        function = stack[-1] if stack else None
        if not isinstance(function, cst.FunctionDef):
            return  # at cell level, or in a lambda / comprehension, which do not run with the function
        pending = self._pending.get(id(function))
        if pending is None or pending.referenced:
            return
        func, name = node.func, function.name.value
        if isinstance(func, cst.Name):
            pending.referenced = func.value == name
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            pending.referenced = func.attr.value == name

    def _analyse(self, pending: "_Pending") -> _Candidate | None:
        """The self-reference on every path of a function that refers to itself, if there is one."""
        node, kind = pending.function, pending.kind
        if is_generator(node):
            return None  # calling a generator function makes a generator; it does not recurse
        name = node.name.value
        if kind == FUNCTION:
            receiver = None
            if _binds(node, name):
                return None  # `f` inside f is a local, not the function
        else:
            receiver = _first_parameter(node)
            if receiver is None or _binds(node, receiver, parameters=False):
                return None
        reentry = None
        if kind == DUNDER and receiver is not None:  # not a FUNCTION: the receiver was found above
            params = (*node.params.posonly_params, *node.params.params)
            other = params[1].name.value if len(params) > 1 else None
            class_name, instances = self._instances_of(pending, node, receiver)
            reentry = Reentry(name, receiver, other, pending.owner, self.context, class_name, instances)
        found, callees = self._first_unconditional(node.body, _SelfReference(kind, name, receiver, reentry))
        if found is None:
            return None
        return _Candidate(node, kind, found, pending.owner, pending.outer, callees - {name})

    def _instances_of(
        self, pending: "_Pending", method: cst.FunctionDef, receiver: str
    ) -> tuple[str | None, frozenset[str]]:
        """Other spellings of an instance of the method's class, inside the method: the class called
        (`len(Bag())` in `Bag.__len__`), and notebook-level names only ever assigned `Bag(...)`. Only for a
        notebook-level class bound once, without `__new__` or a metaclass (which may return anything)."""
        owner = pending.owner
        none: tuple[str | None, frozenset[str]] = (None, frozenset())
        if owner is None or len(pending.scopes) != 2 or pending.scopes[0] is not owner or owner.keywords:
            return none
        if any(isinstance(s, cst.FunctionDef) and s.name.value == "__new__" for s in owner.body.body):
            return none
        name = owner.name.value
        if self.context.symbols.bindings(name) != [None]:
            return none  # rebound, or two classes of that name
        class_name = None if _binds(method, name) else name
        instances = set()
        for node, _ in walk_own(method.body):
            if not isinstance(node, cst.Name) or node.value in (receiver, name) or node.value in instances:
                continue
            values = self.context.symbols.assigned_values(node.value)
            if (
                values
                and all(
                    isinstance(v, cst.Call) and isinstance(v.func, cst.Name) and v.func.value == name for v in values
                )
                and not _binds(method, node.value)
            ):
                instances.add(node.value)
        return class_name, frozenset(instances)

    def _kind(self, node: cst.FunctionDef, owner: cst.ClassDef | None) -> str | None:
        kind = FUNCTION if owner is None else METHOD
        for decorator in node.decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Attribute) and isinstance(expression.value, cst.Name):
                if expression.value.value == node.name.value and expression.attr.value in ("setter", "getter"):
                    kind = SETTER if expression.attr.value == "setter" else GETTER
                    continue
            target = expression.func if isinstance(expression, cst.Call) else expression
            if (
                self.context.is_builtin(target, "property")
                or self.context.qualified_name(target) == "functools.cached_property"
            ):
                kind = GETTER
            elif self.context.is_builtin(target, "classmethod"):
                continue
            elif self.context.qualified_name(target) not in _TRANSPARENT_DECORATORS:
                return None  # staticmethod, an abstract method, an unknown wrapper: not judged
        if kind in (GETTER, SETTER) and owner is None:
            return None
        if kind == METHOD and is_reentrant(node.name.value):
            return DUNDER  # len(self) in __len__, self == other in __eq__...
        return kind

    # -- the straight-line path through a body ---------------------------------------------------

    def _first_unconditional(
        self, block: cst.BaseSuite, is_self: "_SelfReference"
    ) -> tuple[cst.CSTNode | None, set[str]]:
        """The first self-reference that runs on every path through `block`, and the names of the
        functions called before it (up to and including its statement)."""
        callees: set[str] = set()
        statements = list(block.body)
        index = 0
        while index < len(statements):
            statement = statements[index]
            index += 1
            if isinstance(statement, cst.SimpleStatementLine):
                statements[index:index] = list(statement.body)
                continue
            for node, _ in walk_own(statement):
                if isinstance(node, cst.Call):
                    name = callee_name(node)
                    if name is not None:
                        callees.add(name)
            found = self._in_statement(statement, is_self)
            if found is not None:
                if self._may_leave(statement, found):
                    return None, callees
                return found, callees
            if isinstance(statement, cst.With):
                inner, inner_callees = self._first_unconditional(statement.body, is_self)
                callees |= inner_callees
                if inner is not None:
                    return inner, callees
            if self._may_leave(statement, None):
                return None, callees
        return None, callees

    def _in_statement(self, statement: cst.CSTNode, is_self: "_SelfReference") -> cst.CSTNode | None:
        """A self-reference in the part of `statement` that always runs."""
        if isinstance(statement, cst.Assign):
            return _in_expression(statement.value, is_self) or _first(
                _in_target(target.target, is_self) for target in statement.targets
            )
        if isinstance(statement, (cst.AugAssign, cst.AnnAssign)):
            value = _in_expression(statement.value, is_self) if statement.value is not None else None
            return value or _in_target(statement.target, is_self, augmented=isinstance(statement, cst.AugAssign))
        return _first(_in_expression(part, is_self) for part in _always_run_parts(statement))

    def _may_leave(self, statement: cst.CSTNode, found: cst.CSTNode | None) -> bool:
        """True when `statement` can end the function (or the recursion) before the code after it.

        For the statement holding the self-call: a call in its always-run part that exits or raises
        when a stream runs dry (`return f(next(it))`). For a statement before it: a return, raise,
        assert, exit or such call anywhere in it, a `yield`, or a `while` loop that may never end."""
        if found is not None:
            nodes = (node for part in _always_run_parts(statement) for node, _ in walk_own(part))
            return any(isinstance(node, cst.Call) and node is not found and self._ends(node) for node in nodes)
        if isinstance(statement, cst.While):
            return True
        for node, _ in walk_own(statement):
            if isinstance(node, (cst.Return, cst.Raise, cst.Assert, cst.Yield, cst.Break)):
                return True
            if isinstance(node, cst.Call) and self._ends(node):
                return True
        return False

    def _ends(self, call: cst.Call) -> bool:
        return is_exit_call(call, self.context) or is_raising_when_empty(call, self.context)

    # -- deciding, once the whole notebook is known ----------------------------------------------

    def finish(self) -> None:
        scopes = self.context.scopes
        for pending in self._pending.values():
            if not pending.referenced:
                continue
            # analyse with the scopes around the function as they were when it was visited, so names it
            # binds itself (a parameter called `exit`) are not mistaken for notebook-level ones
            saved, scopes.stack = scopes.stack, pending.scopes
            try:
                candidate = self._analyse(pending)
            finally:
                scopes.stack = saved
            if candidate is None:
                continue
            name = candidate.function.name.value
            if any(self.functions.can_raise(callee) for callee in candidate.callees_before):
                continue
            if candidate.kind == FUNCTION and not self._bound_once(name, candidate.outer):
                continue
            if candidate.kind == METHOD and len(self.functions.by_name.get(name, ())) > 1:
                continue  # another class (or function) of that name: self.name() may not come back here
            owner = f"{candidate.owner.name.value}." if candidate.owner is not None else ""
            self.report(
                candidate.node,
                self._message(candidate),
                fix=self._fix(candidate),
                evidence=hang_evidence(
                    "recursion",
                    source_text(candidate.node, 60),
                    "it calls itself on every path: RecursionError, or a dead kernel under a raised limit",
                    function=f"{owner}{name}",
                    call=source_text(candidate.node, 60),
                    missing="a base case",
                    how=candidate.kind,
                ),
            )
        self._finish_lambdas()

    def _finish_lambdas(self) -> None:
        scopes = self.context.scopes
        for name, function, outer, stack in self._lambdas:
            params = function.params
            if any(
                param.name.value == name for param in (*params.posonly_params, *params.params, *params.kwonly_params)
            ):
                continue
            if not self._bound_once(name, outer):
                continue
            saved, scopes.stack = scopes.stack, stack
            try:
                found = _in_expression(function.body, _SelfReference(FUNCTION, name, None))
                calls = [node for node, _ in walk_own(function.body) if isinstance(node, cst.Call)]
                ends = any(node is not found and self._ends(node) for node in calls)
            finally:
                scopes.stack = saved
            if found is None or ends:
                continue
            callees = cast("set[str]", {callee_name(node) for node in calls} - {name, None})  # None taken out
            if any(self.functions.can_raise(callee) for callee in callees):
                continue
            crash = (
                "until RecursionError, or, with a raised recursion limit (NB204), until the C stack "
                "overflows and the kernel dies"
            )
            self.report(
                found,
                f"`{name} = lambda ...` calls itself on every path (`{source_text(found, 60)}`) with no base case: every "
                f"call recurses {crash}; write a def that returns before recursing, or put the base case in the "
                f"lambda: lambda n: 1 if n <= 1 else n * {name}(n - 1)",
                fix=f"def {name}(...):\n    if <base case>:\n        return <result>\n    return {source_text(found, 60)}",
                evidence=hang_evidence(
                    "recursion",
                    source_text(found, 60),
                    "it calls itself on every path: RecursionError, or a dead kernel under a raised limit",
                    function=name,
                    call=source_text(found, 60),
                    missing="a base case",
                    how="lambda",
                ),
            )

    def _bound_once(self, name: str, outer: cst.FunctionDef | None) -> bool:
        if outer is None:
            return name not in self.declared_global and len(self.context.symbols.bindings(name)) == 1
        return _binding_count(outer, name) == 1

    def _message(self, candidate: _Candidate) -> str:
        name = candidate.function.name.value
        call = source_text(candidate.node, 60)
        crash = (
            "until RecursionError, or, with a raised recursion limit (NB204), until the C stack "
            "overflows and the kernel dies"
        )
        if candidate.kind == GETTER:
            return (
                f"property `{name}` reads `{call}` on every path: the getter calls itself {crash}; "
                f"store the value under another name (self._{name})"
            )
        if candidate.kind == DUNDER:
            owner = candidate.owner.name.value if candidate.owner else "the class"
            trigger, advice = _TRIGGER.get(name, (None, "compute the result from the fields"))
            if trigger is None:
                trigger = (
                    "comparison"
                    if name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__")
                    else (
                        "call of the builtin"
                        if name.strip("_") in ("hash", "bool", "iter", "abs", "int", "float")
                        else "use of the operator"
                    )
                )
                advice = (
                    "compare or compute from the fields (self.value == other.value); a reflected method "
                    "returns self + other, or NotImplemented"
                )
            if name.startswith("__r") and name[3:-2] in (
                "add",
                "sub",
                "mul",
                "matmul",
                "truediv",
                "floordiv",
                "mod",
                "pow",
                "lshift",
                "rshift",
                "and",
                "or",
                "xor",
            ):
                trigger = (
                    "reflected use of the operator (the other operand's type does not know a "
                    f"{owner}, so it hands the operation back, as 0 + obj does in sum())"
                )
            return (
                f"`{owner}.{name}()` evaluates `{call}`, which calls `{owner}.{name}()` again: every {trigger} "
                f"on a {owner} recurses {crash}; {advice}"
            )
        if candidate.kind == SETTER:
            return (
                f"the setter of property `{name}` assigns `{call}`, which calls the setter again {crash}; "
                f"store the value under another name (self._{name} = value)"
            )
        who = f"{candidate.owner.name.value}.{name}()" if candidate.kind == METHOD and candidate.owner else f"{name}()"
        return (
            f"`{who}` calls itself on every path (`{call}`) with no base case: every call recurses {crash}; "
            "return before recursing when the work is done (if n <= 0: return ...)"
        )

    def _fix(self, candidate: _Candidate) -> str:
        name = candidate.function.name.value
        if candidate.kind == GETTER:
            return f"return self._{name}"
        if candidate.kind == SETTER:
            return f"self._{name} = value"
        if candidate.kind == DUNDER:
            return _TRIGGER.get(name, (None, "compute the result from the fields"))[1]
        return f"if <base case>:\n    return <result>\n{source_text(candidate.node, 60)}"


# -- helpers ---------------------------------------------------------------------------------------


def _first(values):
    for value in values:
        if value is not None:
            return value
    return None


def _always_run_parts(statement: cst.CSTNode) -> list[cst.CSTNode]:
    """What a statement evaluates whatever happens: a small statement's expressions, a compound
    statement's header (the test of an if / while, the iterable of a for, a with's items)."""
    if isinstance(statement, (cst.If, cst.While)):
        return [statement.test]
    if isinstance(statement, cst.For):
        return [statement.iter]
    if isinstance(statement, cst.With):
        return [item.item for item in statement.items]
    if isinstance(statement, cst.Match):
        return [statement.subject]
    if isinstance(statement, cst.Expr):
        return [statement.value]
    if isinstance(statement, (cst.Return, cst.Assert, cst.Raise)):
        value = (
            statement.test
            if isinstance(statement, cst.Assert)
            else (statement.value if isinstance(statement, cst.Return) else statement.exc)
        )
        return [value] if value is not None else []
    if isinstance(statement, cst.BaseSmallStatement):
        return [statement]
    return []  # try, def, class: nothing in them runs unconditionally as far as this rule trusts


def _first_parameter(function: cst.FunctionDef) -> str | None:
    params = (*function.params.posonly_params, *function.params.params)
    return params[0].name.value if params else None


class _SelfReference:
    """Recognises the function referring to itself: `f(...)` for a function, `self.f(...)` for a
    method, a read of `self.f` for a property getter, a store to `self.f` for its setter."""

    def __init__(self, kind: str, name: str, receiver: str | None, reentry: Reentry | None = None) -> None:
        self.kind, self.name, self.receiver = kind, name, receiver
        self.reentry = reentry

    def _receiver_attribute(self, node: cst.CSTNode) -> bool:
        return (
            isinstance(node, cst.Attribute)
            and node.attr.value == self.name
            and isinstance(node.value, cst.Name)
            and node.value.value == self.receiver
        )

    def __call__(self, node: cst.CSTNode) -> bool:
        """Is `node`, read, the function referring to itself?"""
        if self.kind == FUNCTION:
            return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == self.name
        if self.reentry is not None:  # a special method: `len(self)` in __len__, and `self.__len__()` as any method
            return self.reentry.reads(node) or (isinstance(node, cst.Call) and self._receiver_attribute(node.func))
        if self.kind == METHOD:
            return isinstance(node, cst.Call) and self._receiver_attribute(node.func)
        if self.kind == GETTER:
            return self._receiver_attribute(node)
        return False  # a setter refers to itself only by storing

    def is_store(self, target: cst.CSTNode) -> bool:
        if self.reentry is not None:
            return self.reentry.stores(target)
        return self.kind == SETTER and self._receiver_attribute(target)


def _in_expression(expression: cst.CSTNode, is_self: _SelfReference) -> cst.CSTNode | None:
    """A self-reference in the part of `expression` that is always evaluated: not the branches of a
    conditional expression, not the right of and/or, not past the first link of a chained comparison,
    not inside a lambda or a comprehension."""
    stack: list[cst.CSTNode] = [expression]
    while stack:
        node = stack.pop()
        if is_self(node):
            return node
        if isinstance(node, (cst.Lambda, *_COMPREHENSIONS)):
            continue
        if isinstance(node, cst.IfExp):
            stack.append(node.test)
        elif isinstance(node, cst.BooleanOperation):
            stack.append(node.left)
        elif isinstance(node, cst.Comparison):
            stack.extend((node.comparisons[0].comparator, node.left))
        else:
            stack.extend(reversed(children(node)))
    return None


def _in_target(target: cst.BaseExpression, is_self: _SelfReference, augmented: bool = False) -> cst.CSTNode | None:
    """A self-reference in an assignment target: a store that is itself (a setter assigning its
    property), or a read inside it (`self.area.x = 1` reads `self.area`; `+=` reads the target)."""
    if is_self.is_store(target):
        return target
    if isinstance(target, (cst.Tuple, cst.List)):
        return _first(_in_target(element.value, is_self) for element in target.elements)
    if isinstance(target, cst.StarredElement):
        return _in_target(target.value, is_self)
    if augmented:
        return _in_expression(target, is_self)
    if isinstance(target, cst.Attribute):
        return _in_expression(target.value, is_self)
    if isinstance(target, cst.Subscript):
        return _in_expression(target.value, is_self) or _first(
            _in_expression(element, is_self) for element in target.slice
        )
    return None


def _binds(function: cst.FunctionDef, name: str, parameters: bool = True) -> bool:
    """True when `function` binds `name` itself (a parameter, an assignment, an import...)."""
    if parameters:
        params = function.params
        for param in (
            *params.posonly_params,
            *params.params,
            *params.kwonly_params,
            params.star_arg,
            params.star_kwarg,
        ):
            if isinstance(param, cst.Param) and param.name.value == name:
                return True
    return _binding_count(function, name) > 0


def _binding_count(function: cst.FunctionDef, name: str) -> int:
    """How many statements in `function`'s own scope bind `name` (a nested def of that name counts)."""
    count = 0
    for node, _ in walk_own(function.body):
        if isinstance(node, cst.AssignTarget):
            count += name in binding_names(node.target)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr)):
            count += name in binding_names(node.target)
        elif isinstance(node, cst.AsName):
            count += name in binding_names(node.name)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            count += node.name.value == name
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            count += any(item.name.value == name for item in node.names)
        elif isinstance(node, cst.ImportAlias):
            count += imported_name(node) == name
    return count
