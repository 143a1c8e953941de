"""NB206 loop-skips-target: `while n != N:` whose constant step never lands on N."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import libcst as cst

from nblint.core.code.symbols import UNKNOWN, walk
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
)

# Float steps are followed one addition at a time (rounding decides whether N is hit), for loops that
# reach N within this many steps: a notebook of many such loops stays cheap, a longer one is not judged.
_MAX_FLOAT_STEPS = 10_000


@dataclass
class _Candidate:
    """A while loop whose condition waits for a variable to equal a target its steps may skip."""

    loop: cst.While
    name: str  # the variable the condition tests
    target: int | float  # N
    start: int | float  # its value when the loop is entered
    step: int | float  # what one pass adds to it
    function: cst.FunctionDef | None
    callees: set[str]


class LoopSkipsTarget(ControlStack, CodeRule):
    """
    ## What it does
    Flags `while n != N:` loops whose constant step never lands on `N`.

    The body steps `n` by a constant that never makes it equal to `N`:
    from `n = 1`, `n += 7` passes 99 and 106 but never lands on `N = 100`; `n -= 1` from 0 moves away
    from 10; `x += 0.1` from 0.0 reaches 0.9999999999999999, not 1.0.

    The rule reads the value `n` is given just before the loop (in the same block, across cells for
    notebook-level code), `N` from constants, and the step from the one `n += c`, `n -= c` or
    `n = n + c` statement of the loop body. It stays silent when the body changes `n` any other way
    (in an `if`, through a call, a second assignment), when the loop can end otherwise (`break`,
    `return`, `raise`, `sys.exit()`, a notebook function that raises, a `try` around it), for
    conditions with `<`, `<=`, `>`, `>=` (they end once the value is passed), and whenever a value is
    not a constant.

    ## Why it kills the kernel
    The condition stays true for ever: the cell never finishes ("In [*]"), an integer counter grows
    without bound, anything the loop appends fills memory, and papermill or CI hangs until a timeout.

    ## Example
        n = 1
        while n != 100:
            n += 7

    ## Use instead
        n = 1
        while n < 100:
            n += 7
    """

    code = "NB206"
    needs = ("while",)  # the pre-filter (CodeRule.needs): a while loop
    name = "loop-skips-target"
    severity = Severity.ERROR

    VALID = [
        # steps that land on the target
        "n = 1\nwhile n != 100:\n    n += 3\n",
        "n = 10\nwhile n != 0:\n    n -= 2\n    print(n)\n",
        "x = 0.0\nwhile x != 1.0:\n    x += 0.25\n",
        "n = 100\nwhile n != 100:\n    n += 7\n",  # never entered
        # ordered conditions end once the value passes the target
        "n = 1\nwhile n < 100:\n    n += 7\n",
        "n = 1\nwhile n <= 100:\n    n += 7\n",
        # the body changes n another way too
        "n = 1\nwhile n != 100:\n    n += 7\n    if n > 100:\n        n -= 100\n",
        "n = 1\nwhile n != 100:\n    n = (n * 3) % 101\n",
        "n = 1\nwhile n != 100:\n    n += 7\n    n = adjust(n)\n",
        # conditional step
        "n = 1\nwhile n != 100:\n    if ready():\n        n += 7\n",
        # other ways out
        "n = 1\nwhile n != 100:\n    n += 7\n    if n > 1000:\n        break\n",
        "def f():\n    n = 1\n    while n != 100:\n        n += 7\n        if n > 1000:\n            return n\n",
        "n = 1\ntry:\n    while n != 100:\n        n += 7\n        check(n)\nexcept ValueError:\n    pass\n",
        # unknown start, target or step
        "while n != 100:\n    n += 7\n",
        "n = int(input())\nwhile n != 100:\n    n += 7\n",
        "def f(start):\n    n = start\n    while n != 100:\n        n += 7\n",
        "n = 1\nwhile n != limit:\n    n += 7\n",
        "n = 1\nwhile n != 100:\n    n += step\n",
        # the start changed between its assignment and the loop
        "n = 1\nn = shift(n)\nwhile n != 100:\n    n += 7\n",
        # a generator: the consumer decides when to stop
        "def counter():\n    n = 1\n    while n != 100:\n        yield n\n        n += 7\n",
        # the target is what a function declares global and changes
        # look-alike from the corpus (tensorflow docs, autograph): the step depends on the value
        "def collatz(x):\n    n = 0\n    while x != 1:\n        n += 1\n        if x % 2 == 0:\n            x = x // 2\n        else:\n            x = 3 * x + 1\n    return n\n",
        "N = 100\nn = 1\ndef bump():\n    global n\n    n = 100\nwhile n != N:\n    n += 7\n    bump()\n",
    ]
    INVALID = [
        Invalid(
            "n = 1\nN = 100\nwhile n != N:\n    n += 7\n",
            line=3,
            column=1,
            message="`n` starts at 1 and steps by 7: it goes from 99 to 106",
        ),
        Invalid("i = 0\nwhile i != 10:\n    i -= 1\n", line=2, message="away from 10"),
        Invalid("x = 0.0\nwhile x != 1.0:\n    x += 0.1\n", line=2, message="0.9999999999999999"),
        Invalid("n = 1\nwhile 100 != n:\n    n = n + 2\n    print(n)\n", line=2),
        Invalid("def count():\n    k = 0\n    while k != 9:\n        k += 2\n    return k\n", line=3, column=5),
        # cross-cell: the start, the target and the loop in three cells
        Invalid(["TARGET = 1_000\n", "count = 5\n", "while count != TARGET:\n    count += 10\n"], cell=2, line=1),
        # a notebook function the body calls never raises
        Invalid(["def log(v):\n    print(v)\n", "n = 1\nwhile n != 100:\n    n += 7\n    log(n)\n"], cell=1, line=2),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self.candidates: list[_Candidate] = []
        self.functions = DefinedFunctions(context)
        self.declared_shared: set[str] = set()
        # id(while) -> the value expressions of names assigned in the statements just before it
        self._entry: dict[int, dict[str, cst.BaseExpression]] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.functions.add(node)

    def visit_Global(self, node: cst.Global) -> None:
        self.declared_shared.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.declared_shared.update(item.name.value for item in node.names)

    # -- the values names hold when a loop starts ------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        self._note_entries(node.body)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._note_entries(node.body)

    def _note_entries(self, statements) -> None:
        """Walk one block in order: for each `while` that tests `!=`, the plain assignments before it in
        this block whose name nothing after them (up to the loop) may change."""
        tested = {
            found[0]
            for statement in statements
            if isinstance(statement, cst.While) and (found := _tested_name(statement.test)) is not None
        }
        if not tested:
            return  # the common case: one cheap pass over the block
        known: dict[str, cst.BaseExpression] = {}
        for statement in statements:
            if isinstance(statement, cst.While) and _tested_name(statement.test) is not None:
                self._entry[id(statement)] = dict(known)
            if known and changes_any(statement, set(known), self._read_only):
                for name in [name for name in known if changes_any(statement, {name}, self._read_only)]:
                    del known[name]
            assigned = _plain_assignment(statement)
            if assigned is not None and assigned[0] in tested:
                known[assigned[0]] = assigned[1]

    @staticmethod
    def _read_only(call: cst.Call) -> bool:
        # The names followed here hold numbers (the start and the step are numbers): a call they are
        # passed to cannot change them; only rebinding can (and `global`, checked in finish()).
        return True

    # -- the loop ----------------------------------------------------------------------------------

    def enter_loop(self, node: cst.CSTNode) -> None:
        if not isinstance(node, cst.While) or id(node) not in self._entry:
            return
        tested = _tested_name(node.test)
        if tested is None:
            return
        name, target_node = tested
        start_node = self._entry[id(node)].get(name)
        if start_node is None:
            return
        step = self._step(node.body, name)
        if step is None:
            return
        target, start = self.context.evaluate(target_node), self.context.evaluate(start_node)
        if not all(_is_number(value) for value in (target, start, step)):
            return
        if changes_any(node.body, set(_names_in(target_node)), self._read_only):
            return
        if self.in_catching_try():
            return
        exits = body_exits(node.body, self.context)
        if exits.leaves or exits.yields:
            return
        function = enclosing_function(self.context)
        if function is not None and self.is_generator_function(function):
            return
        self.candidates.append(_Candidate(node, name, target, start, step, function, exits.callees))

    def _step(self, body: cst.BaseSuite, name: str) -> int | float | None:
        """The constant the body adds to `name` on every pass, when its only change of `name` is one
        `name += c` / `name -= c` / `name = name + c` statement at the top of the body."""
        if not isinstance(body, cst.IndentedBlock):
            return None
        steps = []
        for statement in body.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    step = _constant_step(small, name, self.context)
                    if step is not None:
                        steps.append(step)
                    elif changes_any(small, {name}, self._read_only):
                        return None
            elif changes_any(statement, {name}, self._read_only):
                return None
        return steps[0] if len(steps) == 1 else None

    def finish(self) -> None:
        for candidate in self.candidates:
            if candidate.name in self.declared_shared:
                continue
            if any(self.functions.can_raise(callee) for callee in candidate.callees):
                continue
            evidence = _evidence(candidate.start, candidate.step, candidate.target, candidate.name)
            if evidence is None:
                continue
            # enter_loop() made the candidate only for a loop whose test _tested_name() reads
            tested = cast("tuple[str, cst.BaseExpression]", _tested_name(candidate.loop.test))
            name, target_text = candidate.name, source_text(tested[1], 30)
            if (candidate.target - candidate.start) * candidate.step < 0:
                towards = "+=" if candidate.target > candidate.start else "-="
                fix = f"{name} {towards} {abs(candidate.step)!r}"
                way_out = f"step towards it: {fix}"
            else:
                fix = f"while {name} {'<' if candidate.step > 0 else '>'} {target_text}:"
                way_out = f"test with an ordering: {fix}"
            self.report(
                candidate.loop,
                f"`while {source_text(candidate.loop.test, 60)}:` never ends: {evidence}, so the condition stays "
                f"true for ever (In [*] forever); {way_out}",
                fix=fix,
                evidence=loop_evidence(
                    None,
                    "a step that lands on the target, or an ordered test",
                    loop=f"while {source_text(candidate.loop.test, 60)}",
                    variable=name,
                    start=candidate.start,
                    step=candidate.step,
                    target=candidate.target,
                    why=evidence,
                    function=candidate.function.name.value if candidate.function is not None else None,
                ),
            )


def _tested_name(test: cst.BaseExpression) -> tuple[str, cst.BaseExpression] | None:
    """(`n`, the expression for N) for `n != N` or `N != n`."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.NotEqual):
        return None
    left, right = test.left, target.comparator
    if isinstance(left, cst.Name) and left.value not in ("True", "False", "None"):
        return left.value, right
    if isinstance(right, cst.Name) and right.value not in ("True", "False", "None"):
        return right.value, left
    return None


def _plain_assignment(statement: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """`n = <expression>` alone on its line."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value
    return None


def _constant_step(small: cst.CSTNode, name: str, context) -> int | float | None:
    """c for `name += c`, -c for `name -= c`, c for `name = name + c` / `name = c + name`, when c is a
    number nblint can read."""
    if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name) and small.target.value == name:
        sign = {cst.AddAssign: 1, cst.SubtractAssign: -1}.get(type(small.operator))
        value = context.evaluate(small.value)
    elif (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and small.targets[0].target.value == name
        and isinstance(small.value, cst.BinaryOperation)
    ):
        operation = small.value
        sign = {cst.Add: 1, cst.Subtract: -1}.get(type(operation.operator))
        if isinstance(operation.left, cst.Name) and operation.left.value == name:
            value = context.evaluate(operation.right)
        elif sign == 1 and isinstance(operation.right, cst.Name) and operation.right.value == name:
            value = context.evaluate(operation.left)
        else:
            return None
    else:
        return None
    if sign is None or not _is_number(value) or value == 0:
        return None
    return sign * value


def _is_number(value) -> bool:
    return (
        value is not UNKNOWN
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _names_in(node: cst.CSTNode) -> list[str]:
    return [sub.value for sub in walk(node) if isinstance(sub, cst.Name)]


def _evidence(start, step, target, name: str) -> str | None:
    """How the values pass the target, or None when they reach it (or nblint cannot tell in time)."""
    if start == target:
        return None  # the loop never runs
    if (target - start) * step < 0:
        return f"`{name}` starts at {start!r} and steps by {step!r}, away from {target!r}"
    if isinstance(start, int) and isinstance(step, int) and isinstance(target, int):
        if (target - start) % step == 0:
            return None
        before = start + ((target - start) // step) * step
        return (
            f"`{name}` starts at {start} and steps by {step}: it goes from {before} to {before + step}, never {target}"
        )
    if (target - start) / step > _MAX_FLOAT_STEPS:
        return None
    value = start
    for count in range(1, _MAX_FLOAT_STEPS + 2):
        after = value + step
        if after == target:
            return None
        if (after - target) * step > 0:  # passed it
            return (
                f"`{name}` starts at {start!r} and steps by {step!r}: after {count - 1} steps it is {value!r}, "
                f"then {after!r}, never exactly {target!r} (floating-point rounding)"
            )
        value = after
    return None
