"""NB202 stale-loop-condition: `while i < 10:` whose body never changes `i`."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from nblint.core.code.symbols import UNKNOWN, binding_names, walk
from nblint.core.code.text import source_text
from nblint.core.evidence import loop_evidence
from nblint.core.findings import Severity
from nblint.rules.base import CodeRule, Invalid
from nblint.rules.common.flow import (
    ControlStack,
    DefinedFunctions,
    body_exits,
    changes_any,
    enclosing_function,
    is_read_only_call,
    walk_own,
)

# Leaves and operators a condition may be built from; anything else (a call, an attribute, a subscript,
# a walrus, an await) may change between two tests without the body touching a name, so is not judged.
_PLAIN_EXPRESSIONS = (
    cst.Name,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.Comparison,
    cst.BooleanOperation,
    cst.UnaryOperation,
    cst.BinaryOperation,
)
_ORDERING = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)
# Builtins that return an immutable scalar: a name assigned from them holds a number, string or bool.
_SCALAR_BUILTINS = ("len", "int", "float", "str", "bool", "abs", "round", "ord", "chr", "hash", "sum", "pow")


@dataclass
class _Candidate:
    """A while loop whose condition reads names its body may never change."""

    loop: cst.While
    names: list[str]  # in the order the condition reads them
    numeric: dict[str, str]  # names compared with <, <=, >, >= (numbers, so immutable) -> "+=" or "-="
    function: cst.FunctionDef | None
    callees: set[str]


class StaleLoopCondition(ControlStack, CodeRule):
    """
    ## What it does
    Flags a `while` loop whose condition the loop body can never change.

    The condition reads only plain names (`while i < n:`, `while not done:`) that the loop body never
    assigns, augments, deletes or mutates, and that nothing the body calls could change.

    The rule is built for precision. It stays silent when the body rebinds any of the names (even from
    a call, even in one branch), calls a method on one, assigns to an attribute or item of one, or
    passes one to any call; when the condition calls something (`while not event.is_set():`) or reads
    an attribute or an item; when a function of the notebook declares the name `global` or `nonlocal`
    (another thread or callback may flip it); when the name may hold a mutable object that another
    thread could fill (`while not results:` with `results = []`); and when the body has a `break`,
    `return`, `raise`, `yield` or a call that raises to end the loop (see NB201).

    ## Why it kills the kernel
    A condition that nothing in the loop can change is either false on entry (the loop is dead code) or
    true forever: the cell never finishes ("In [*]"), and under papermill or CI the run hangs until a
    timeout kills it. It is almost always a forgotten `i += 1`, or an update made to another name.

    ## Example
        i = 0
        while i < 10:
            print(i)

    ## Use instead
        for i in range(10):
            print(i)
    """

    code = "NB202"
    needs = ("while",)  # the pre-filter (CodeRule.needs): a while loop
    name = "stale-loop-condition"
    severity = Severity.WARNING

    VALID = [
        "i = 0\nwhile i < 10:\n    print(i)\n    i += 1\n",
        "i = 0\nwhile i < 10:\n    if ready():\n        i = i + 1\n",
        # reassigned from a call; a method call on it; an item or attribute assignment; passed to a call
        "x = 1.0\nwhile x > 1e-6:\n    x = update(x)\n",
        "from collections import deque\nqueue = deque([1])\nwhile queue:\n    queue.pop()\n",
        "stack = [1]\nwhile stack:\n    item = stack[-1]\n    stack[-1:] = []\n",
        "n = 10\nwhile n > 0:\n    shrink(n)\n",
        "while i < n:\n    i, j = j, i + j\n",
        "while lo < hi:\n    mid = (lo + hi) // 2\n    if ok(mid):\n        hi = mid\n    else:\n        lo = mid + 1\n",
        "i = 0\nwhile i < 3:\n    for i in range(5):\n        pass\n",
        "i = 0\nwhile i < 3:\n    del i\n",
        "i = 0\nwhile i < 3:\n    exec('i = 5')\n",
        # conditions that call something, or read attributes and items
        "import threading\nevent = threading.Event()\nwhile not event.is_set():\n    time.sleep(0.1)\n",
        "while self.count < 10:\n    self.step()\n",
        "while tf.reduce_sum(x) > 1:\n    x = tf.tanh(x)\n",
        "while epoch.numpy() < num_epochs:\n    train()\n",
        "while best[0] == 'Rest':\n    best = best[1:]\n",
        "while (line := f.readline()):\n    print(line)\n",
        # a notebook function declares the name global: another thread, a callback or a call may flip it
        [
            "done = False\ndef worker():\n    global done\n    compute()\n    done = True\n",
            "import threading, time\nthreading.Thread(target=worker).start()\n",
            "while not done:\n    time.sleep(0.1)\n",
        ],
        ["count = 0\n", "def bump():\n    global count\n    count += 1\n", "while count < 5:\n    bump()\n"],
        # a mutable object another thread may fill: no evidence the name holds an immutable value
        "results = []\ndef work():\n    results.append(1)\nthreading.Thread(target=work).start()\nwhile not results:\n    time.sleep(0.1)\n",
        "def wait(flag):\n    while not flag:\n        time.sleep(1)\n",
        # the loop has another way out
        "i = 0\nwhile i < 10:\n    if check():\n        break\n",
        "def f(n):\n    while n > 0:\n        return n\n",
        "i = 0\nwhile i < 10:\n    raise StopIteration\n",
        "def gen(i):\n    while i < 10:\n        yield i\n",
        "it = iter(data)\nn = 0\nwhile n < 5:\n    print(next(it))\n",
        ["def stop():\n    raise KeyboardInterrupt\n", "i = 0\nwhile i < 5:\n    stop()\n"],
        "i = 0\ntry:\n    while i < 10:\n        work()\nexcept Done:\n    pass\n",
        "from contextlib import suppress\ni = 0\nwith suppress(Done):\n    while i < 10:\n        work()\n",
        # a condition that is false on entry: dead code, not a hang
        "DEBUG = False\nwhile DEBUG:\n    print('debug')\n",
        "LIMIT = 0\nwhile LIMIT > 5:\n    print(LIMIT)\n",
        # constant conditions belong to NB201; a nested def's assignment is seen (conservatively)
        "while True:\n    break\n",
        "n = 3\nwhile n > 0:\n    def reset():\n        n = 0\n    reset()\n",
        # look-alikes from the corpus: Collatz (tensorflow autograph guide), a line search (eager guide),
        # sampling until a newline or 50 characters (coursera), a counting generator (tf.data guide)
        "def collatz(x):\n    n = 0\n    while x != 1:\n        n += 1\n        if x % 2 == 0:\n            x = x // 2\n        else:\n            x = 3 * x + 1\n    return n\n",
        "def line_search(fn, init_x, rate=1.0):\n    value = fn(init_x)\n    init_value = value\n    while value > init_value - rate * grad_norm:\n        x = init_x - rate * grad\n        value = fn(x)\n        rate /= 2.0\n    return x\n",
        "idx = -1\ncounter = 0\nwhile (idx != newline_character and counter != 50):\n    idx = np.random.choice(range(vocab_size), p=y.ravel())\n    counter += 1\n",
        "def count(stop):\n    i = 0\n    while i < stop:\n        yield i\n        i += 1\n",
        # the tensorflow docs' `while steps_remaining:` updates the name
        "steps_remaining = 100\nwhile steps_remaining:\n    run_steps = min(100, steps_remaining)\n    steps_remaining -= run_steps\n",
    ]
    INVALID = [
        Invalid(
            "i = 0\nwhile i < 10:\n    print(i)\n",
            line=2,
            column=1,
            message="`while i < 10:` tests `i`, which the loop body never changes",
        ),
        Invalid("i = 0\nn = 5\nwhile i < n:\n    total = i * 2\n", line=3, message="`i` and `n`"),
        Invalid("done = False\nwhile not done:\n    step()\n", line=2, message="`done`"),
        # the update goes to another name
        Invalid("count = 0\nwhile count < 100:\n    counter += 1\n", line=2),
        # in a function, from a parameter compared with a number
        Invalid("def countdown(n):\n    while n > 0:\n        print(n)\n", line=2, column=5),
        # cross-cell: the constant comes from an earlier cell, the loop is in a later one
        Invalid(["N_STEPS = 100\nstep = 0\n", "while step < N_STEPS:\n    loss = train()\n"], cell=1, line=1),
        # a constant that is true on entry
        Invalid("RUNNING = True\nwhile RUNNING:\n    poll()\n", line=2),
        # the except is inside the loop: the exception does not end it
        Invalid("i = 0\nwhile i < 3:\n    try:\n        work()\n    except ValueError:\n        pass\n", line=2),
        # a notebook function the body calls does not touch the name
        Invalid(["def show(x):\n    print(x)\n", "k = 0\nwhile k < 3:\n    show(1)\n"], cell=1, line=2),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self.candidates: list[_Candidate] = []
        self.functions = DefinedFunctions(context)
        self.declared_shared: set[str] = set()  # names some function declares global or nonlocal
        self._bindings_by_function: dict[int, _FunctionBindings] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.functions.add(node)

    def visit_Global(self, node: cst.Global) -> None:
        self.declared_shared.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.declared_shared.update(item.name.value for item in node.names)

    def enter_loop(self, node: cst.CSTNode) -> None:
        if not isinstance(node, cst.While):
            return
        names = _condition_names(node.test)
        if not names:
            return
        if self._condition_value(node.test) is False:
            return  # false on entry: the loop never runs
        if self.in_catching_try():
            return
        exits = body_exits(node.body, self.context)
        if exits.leaves or exits.yields:
            return
        function = enclosing_function(self.context)
        if function is not None and self.is_generator_function(function):
            return
        if changes_any(node.body, set(names), self._is_read_only_call):
            return
        numeric = _ordered_names(node.test)
        self.candidates.append(_Candidate(node, names, numeric, function, exits.callees))

    def finish(self) -> None:
        for candidate in self.candidates:
            names = candidate.names
            if any(name in self.declared_shared for name in names):
                continue
            if not all(name in candidate.numeric or self._holds_scalar(name, candidate.function) for name in names):
                continue
            if any(self.functions.can_raise(callee) for callee in candidate.callees):
                continue
            shown = " and ".join(f"`{name}`" for name in names)
            verb = "changes" if len(names) == 1 else "change"
            self.report(
                candidate.loop,
                f"`while {source_text(candidate.loop.test, 60)}:` tests {shown}, which the loop body never {verb}: "
                f"once the loop starts it never stops (In [*] forever); {self._way_out(candidate)}",
                fix=self._fix(candidate),
                evidence=loop_evidence(
                    None,
                    f"an update of {shown}",
                    loop=f"while {source_text(candidate.loop.test, 60)}",
                    names=list(names),
                    function=candidate.function.name.value if candidate.function is not None else None,
                ),
            )

    def _variable(self, candidate: _Candidate) -> str:
        """The name to update: the first that is not a notebook constant (`step`, not `N_STEPS`)."""
        for name in candidate.names:
            if candidate.function is not None and self._local_bindings(candidate.function, name) is not None:
                return name
            # finish() runs after the traversal: no enclosing scope, so this is the notebook-level value
            if self.context.evaluate(cst.Name(name)) is UNKNOWN:
                return name
        return candidate.names[0]

    def _way_out(self, candidate: _Candidate) -> str:
        name = self._variable(candidate)
        if name in candidate.numeric:
            step = f"{name} {candidate.numeric[name]} 1"
            return f"update `{name}` in the body (for example {step}), or loop with for {name} in range(...)"
        return f"set `{name}` in the body when the work is done, or break out of the loop"

    def _fix(self, candidate: _Candidate) -> str:
        name = self._variable(candidate)
        if name in candidate.numeric:
            return f"{name} {candidate.numeric[name]} 1  # at the end of the loop body"
        return "break  # when the work is done"

    # -- evidence --------------------------------------------------------------------------------

    def _condition_value(self, test: cst.BaseExpression):
        """True / False when the condition is built from notebook constants, else UNKNOWN."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            value = self._condition_value(test.expression)
            return UNKNOWN if value is UNKNOWN else not value
        if isinstance(test, cst.BooleanOperation):
            left, right = self._condition_value(test.left), self._condition_value(test.right)
            if left is UNKNOWN or right is UNKNOWN:
                return UNKNOWN
            return (left and right) if isinstance(test.operator, cst.And) else (left or right)
        if isinstance(test, cst.Comparison):
            left = self.context.evaluate(test.left)
            result = True
            for target in test.comparisons:
                right = self.context.evaluate(target.comparator)
                outcome = _compare(target.operator, left, right)
                if outcome is UNKNOWN:
                    return UNKNOWN
                result = result and outcome
                left = right
            return result
        value = self.context.evaluate(test)
        return UNKNOWN if value is UNKNOWN else bool(value)

    def _is_read_only_call(self, call: cst.Call) -> bool:
        return is_read_only_call(call, self.context)

    def _local_bindings(self, function: cst.FunctionDef, name: str) -> list[cst.BaseExpression | None] | None:
        """The values `function` binds to `name`, or None when it does not bind it (see _FunctionBindings)."""
        bindings = self._bindings_by_function.get(id(function))
        if bindings is None:
            bindings = self._bindings_by_function[id(function)] = _function_bindings(function)
        return bindings.of(name)

    def _holds_scalar(self, name: str, function: cst.FunctionDef | None) -> bool:
        """Every binding of `name` the loop can see assigns a number, string or bool: no other thread
        can change such a value in place, and no rebinding happens without `global` / `nonlocal`."""
        if function is not None:
            local = self._local_bindings(function, name)
            if local is not None:
                return bool(local) and all(value is not None and _is_scalar(value) for value in local)
        bindings = self.context.symbols.bindings(name)
        return bool(bindings) and all(value is not None and _is_scalar(value) for value in bindings)


def _condition_names(test: cst.BaseExpression) -> list[str] | None:
    """The names a plain condition reads, in order, or None when it reads anything else."""
    names: list[str] = []
    for node in walk(test):
        if isinstance(node, cst.BaseExpression) and not isinstance(node, _PLAIN_EXPRESSIONS):
            return None
        if isinstance(node, cst.Name) and node.value not in ("True", "False", "None") and node.value not in names:
            names.append(node.value)
    return names


def _ordered_names(test: cst.BaseExpression) -> dict[str, str]:
    """Names that are a direct operand of <, <=, >, >=: they hold numbers (or the loop raises
    TypeError). Each maps to the update that moves the loop towards its end: `i < n` wants `+= 1`,
    `n > 0` wants `-= 1`."""
    numeric: dict[str, str] = {}
    for node in walk(test):
        if isinstance(node, cst.Comparison):
            left = node.left
            for target in node.comparisons:
                if isinstance(target.operator, _ORDERING):
                    rising = isinstance(target.operator, (cst.LessThan, cst.LessThanEqual))
                    for operand, grows in ((left, rising), (target.comparator, not rising)):
                        if isinstance(operand, cst.Name):
                            numeric.setdefault(operand.value, "+=" if grows else "-=")
                left = target.comparator
    return numeric


def _compare(operator: cst.BaseCompOp, left, right):
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    try:
        if isinstance(operator, cst.LessThan):
            return left < right
        if isinstance(operator, cst.LessThanEqual):
            return left <= right
        if isinstance(operator, cst.GreaterThan):
            return left > right
        if isinstance(operator, cst.GreaterThanEqual):
            return left >= right
        if isinstance(operator, cst.Equal):
            return left == right
        if isinstance(operator, cst.NotEqual):
            return left != right
    except TypeError:
        return UNKNOWN
    return UNKNOWN


@dataclass
class _FunctionBindings:
    """Every name a function binds itself, with the values: built in one walk of the function, so a
    function with many loops is not walked again for each name a loop condition reads."""

    # name -> the value of each binding (None for one that is not a plain assignment), parameters first
    values: dict[str, list[cst.BaseExpression | None]]
    # names the function declares global or nonlocal: not its own
    shared: set[str]

    def of(self, name: str) -> list[cst.BaseExpression | None] | None:
        """The values the function binds to `name`, or None when it does not bind `name` at all (it is
        then a notebook-level name)."""
        return None if name in self.shared else self.values.get(name)


def _function_bindings(function: cst.FunctionDef) -> _FunctionBindings:
    values: dict[str, list[cst.BaseExpression | None]] = {}
    shared: set[str] = set()

    def bind(names, value: cst.BaseExpression | None) -> None:
        for name in dict.fromkeys(names):  # a name twice in one target is one binding
            values.setdefault(name, []).append(value)

    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params, params.star_arg, params.star_kwarg):
        if isinstance(param, cst.Param):
            bind((param.name.value,), None)  # a parameter: its type is the caller's business
    for node, _ in walk_own(function.body):
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            shared.update(item.name.value for item in node.names)
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    bind((target.target.value,), node.value)
                else:
                    bind(binding_names(target.target), None)
        elif isinstance(node, cst.AnnAssign):
            bind(binding_names(node.target), node.value)
        elif isinstance(node, cst.AugAssign):
            bind(binding_names(node.target), node.value if _is_scalar(node.value) else None)
        elif isinstance(node, (cst.For, cst.CompFor, cst.NamedExpr)):
            bind(binding_names(node.target), None)
        elif isinstance(node, cst.AsName):
            bind(binding_names(node.name), None)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node is not function:
            bind((node.name.value,), None)
    return _FunctionBindings(values, shared)


def _is_scalar(value: cst.BaseExpression | None) -> bool:
    """An expression whose value is an immutable number, string or bool."""
    if value is None:
        return False
    if isinstance(
        value,
        (
            cst.Integer,
            cst.Float,
            cst.Imaginary,
            cst.SimpleString,
            cst.ConcatenatedString,
            cst.FormattedString,
            cst.Comparison,
        ),
    ):
        return True
    if isinstance(value, cst.Name):
        return value.value in ("True", "False", "None")
    if isinstance(value, cst.UnaryOperation):
        return isinstance(value.operator, cst.Not) or _is_scalar(value.expression)
    if isinstance(value, cst.BinaryOperation):
        if isinstance(value.operator, (cst.Add, cst.Multiply)):
            return _is_scalar(value.left) and _is_scalar(value.right)  # list + list, [0] * n
        return _is_scalar(value.left) or _is_scalar(value.right)
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        return value.func.value in _SCALAR_BUILTINS
    return False
