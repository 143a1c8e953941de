"""NB401 output-flood: print / display / logging in a loop that runs more times than anyone can read."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import libcst as cst

from nblint.core.code.symbols import UNKNOWN, last_name
from nblint.core.code.text import source_text
from nblint.core.evidence import loop_evidence
from nblint.core.findings import Severity
from nblint.core.options import Option, parse_int
from nblint.core.sizes import int_range_length, range_arguments, range_length
from nblint.core.wording import listing, plural
from nblint.rules.base import CodeRule, Invalid
from nblint.rules.common.flow import (
    COMPREHENSION,
    CONDITIONAL,
    HANDLER,
    LOOP,
    LOOP_ELSE,
    SCOPE,
    TRY_ELSE,
    WITH,
    ControlStack,
    body_exits,
)

MAX_PRINTED_LINES = Option(
    "max-printed-lines",
    10_000,
    parse_int,
    "Estimated lines of output above which a loop that prints, displays or logs on every iteration is reported.",
)

_DISPLAY = {"IPython.display.display", "IPython.core.display.display", "IPython.core.display_functions.display"}
_WRITERS = {
    "sys.stdout.write": "sys.stdout.write()",
    "sys.stderr.write": "sys.stderr.write()",
    "pprint.pprint": "pprint()",
    "pprint.pp": "pprint()",
}
_CAPTURING = {
    "contextlib.redirect_stdout",
    "contextlib.redirect_stderr",
    "IPython.utils.io.capture_output",
    "IPython.utils.capture.capture_output",
}
_STANDARD_STREAMS = ("sys.stdout", "sys.stderr")
# logging's levels, by method name and by constant
_LEVEL_METHODS = {
    "debug": 10,
    "info": 20,
    "warning": 30,
    "warn": 30,
    "error": 40,
    "exception": 40,
    "critical": 50,
    "fatal": 50,
}
_LEVEL_NAMES = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40, "CRITICAL": 50, "FATAL": 50}
_DEFAULT_LOGGING_LEVEL = 30  # the root logger shows WARNING and above unless configured
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# The last name of every call this rule cares about: a cheap test before resolving where a name comes from.
_OUTPUT_NAMES = frozenset(("print", "display", "write", "pprint", "pp", "log", *_LEVEL_METHODS))
_SETUP_NAMES = frozenset(("basicConfig", "setLevel"))


@dataclass
class _Output:
    """An output call inside loops, with the iterations that multiply it."""

    label: str  # "print()", "logger.info()"
    counts: tuple[int, ...]  # iterations of each loop around it that multiplies its output, outermost first
    # logging calls are counted only if the notebook's logging configuration shows them
    logging_level: int | None = None
    logger: str | None = None  # the receiver name of `logger.info(...)`, to check it is a logging.Logger

    @property
    def lines(self) -> int:
        """How many lines it writes: once per iteration of every loop around it."""
        return math.prod(self.counts)


@dataclass
class _Flood:
    """The outputs one outermost loop multiplies."""

    loop: cst.CSTNode  # the outermost loop whose iterations multiply the output
    outputs: list[_Output] = field(default_factory=list)


class OutputFlood(ControlStack, CodeRule):
    """
    ## What it does
    Flags output on every step of a loop too long to read.

    That is `print()`, `display()`, `pprint()`, `sys.stdout.write()` / `sys.stderr.write()` of text
    with a line break in it, and logging calls (`logging.info`, `logger.warning`, with
    `logger = logging.getLogger(...)`) that run on every iteration of loops whose iteration count the
    code states (`range(N)` with N a literal or a notebook constant, `enumerate`, `zip`,
    `itertools.product`, `np.arange`, comprehensions; nested loops multiply) when the estimated number
    of lines exceeds `max-printed-lines`. The message gives the estimate and how it adds up (output
    calls x iterations, for each depth of loop).

    Not reported: output under any `if` (or `except`, conditional expression, `and` / `or`, `match`
    case) inside the loop, which is how rate limiting is written (`if step % 1000 == 0:`); loops with a
    `break`, `continue`, `return` or `raise` (they may stop or skip early); loops that call
    `clear_output()` (the output is replaced, not piled up); `print(..., file=f)` to a file;
    `print(..., end="")` or `end="\\r"`, and `.write()` of text with no line break nblint can see
    (one line that grows or is rewritten: progress dots, a typewriter effect); output
    inside `with redirect_stdout(...)` / `capture_output()`; loops whose count is not stated (`for x in
    data`, `while`, `tqdm(range(N))`: the progress bar is the rate-limited way to show progress). Logging
    calls count only at levels the notebook's configuration shows (WARNING and above by default, as
    Jupyter shows them; INFO after `logging.basicConfig(level=logging.INFO)`, or `logger.setLevel(...)`
    with a `logging.StreamHandler`), and not when the notebook logs to a file.

    ## Why it hurts
    Every line travels from the kernel to the browser: tens of thousands of them freeze the tab, make
    Jupyter drop output ("IOPub data rate exceeded") and stall the kernel, and the notebook saved with
    that output grows by megabytes that git then keeps forever.

    ## Example
        for step in range(100_000):
            loss = train_step()
            print(f"step {step}: loss {loss:.4f}")

    ## Use instead
        for step in range(100_000):
            loss = train_step()
            if step % 1000 == 0:
                print(f"step {step}: loss {loss:.4f}")

    ## Options
    - `max-printed-lines` (default 10000): estimated lines of output above which the loop is reported.
    """

    code = "NB401"
    needs = tuple(
        sorted(_OUTPUT_NAMES)
    )  # the pre-filter (CodeRule.needs): the last name of every output call it counts
    name = "output-flood"
    severity = Severity.WARNING
    options = (MAX_PRINTED_LINES,)

    VALID = [
        "for i in range(100):\n    print(i)\n",
        "for i in range(10000):\n    print(i)\n",  # at the limit, not over it
        # rate limiting: any if around the output inside the loop
        "for i in range(100000):\n    if i % 1000 == 0:\n        print(i)\n",
        "for i in range(1000000):\n    loss = step()\n    if verbose:\n        print(loss)\n",
        "for i in range(100000):\n    print(i) if i % 100 == 0 else None\n",
        "for i in range(100000):\n    if i % 100:\n        continue\n    print(i)\n",
        "for i in range(100000):\n    try:\n        step()\n    except ValueError as e:\n        print(e)\n",
        # the loop may stop early
        "for i in range(100000):\n    print(i)\n    if converged():\n        break\n",
        "def f():\n    for i in range(100000):\n        print(i)\n        return i\n",
        # output replaced, not piled up: the deepdream / animation pattern
        "from IPython.display import clear_output\nfor i in range(100000):\n    clear_output(wait=True)\n    print(i)\n",
        "from IPython import display\nfor i in range(100000):\n    display.clear_output(wait=True)\n    display.display(frame(i))\n",
        # progress dots on one line (tensorflow docs, style transfer); one line rewritten in place
        "import time\nfor n in range(10):\n    for m in range(100000):\n        step()\n        print('.', end='', flush=True)\n",
        "for i in range(100000):\n    print(f'\\rstep {i}', end='\\r')\n",
        # not to the notebook: a file, a captured block
        "with open('log.txt', 'w') as f:\n    for i in range(100000):\n        print(i, file=f)\n",
        "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n    for i in range(100000):\n        print(i)\n",
        "from IPython.utils.io import capture_output\nfor i in range(100000):\n    with capture_output():\n        print(i)\n",
        # the count is not stated: data-sized loops, while loops, tqdm progress bars, parameters
        "for row in df.itertuples():\n    print(row)\n",
        "i = 0\nwhile i < 100000:\n    print(i)\n    i += 1\n",
        "from tqdm import tqdm\nfor i in tqdm(range(100000)):\n    work(i)\n",
        "from tqdm.auto import trange\nfor i in trange(100000):\n    pbar_note(i)\n",
        "def train(num_iterations=100000):\n    for i in range(num_iterations):\n        print(i)\n",
        # bounds whose span overflows a float: the count is unknown (it used to be an internal error)
        "import numpy as np\nfor x in np.arange(-1e308, 1e308, 1e300):\n    print(x)\n",
        # the coursera pattern: print_cost and i % 100 == 0
        "def model(X, Y, num_iterations=10000, print_cost=False):\n    for i in range(0, num_iterations):\n        cost = step(X, Y)\n        if print_cost and i % 100 == 0:\n            print(f'Cost after iteration {i}: {cost}')\n",
        # look-alikes from the corpus: an epoch loop printing once per epoch; a loop over a list
        "EPOCHS = 10\nfor epoch in range(EPOCHS):\n    for x, y in train_ds:\n        train_step(x, y)\n    print(f'Epoch {epoch + 1}, Loss: {train_loss.result()}')\n",
        "for w in word_list:\n    print(w, cosine_similarity(word_to_vec_map[w], g))\n",
        # the output is in the loop's else (runs once) or outside it
        "for i in range(100000):\n    total = i\nelse:\n    print(total)\nprint('done')\n",
        # a function defined in a loop is not run by it
        "for i in range(100000):\n    def show():\n        print(i)\n",
        # logging below the configured level, or to a file
        "import logging\nfor i in range(100000):\n    logging.info('step %d', i)\n",
        "import logging\nlogger = logging.getLogger(__name__)\nfor i in range(100000):\n    logger.debug('step %d', i)\n",
        "import logging\nlogger = logging.getLogger('train')\nlogger.setLevel(logging.INFO)\nfor i in range(100000):\n    logger.info('step %d', i)\n",
        "import logging\nlogging.basicConfig(filename='run.log', level=logging.INFO)\nfor i in range(100000):\n    logging.warning('step %d', i)\n",
        # look-alikes: a method named print/info on something else, a small nested loop
        "for i in range(100000):\n    printer.print(i)\n    stats.info(i)\n",
        "for i in range(50):\n    for j in range(50):\n        print(i, j)\n",
        "from IPython.display import display\nfor i in range(10):\n    display(i)\n",
        {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
        # characters written one by one make one line, not one line each (the typewriter effect)
        "import sys\nfor step in range(20000):\n    for c in 'working':\n        sys.stdout.write(c)\n        sys.stdout.flush()\n",
        "import sys\nfor line in range(50000):\n    sys.stdout.write(str(line))\n",
        "import sys\nfor i in range(50000):\n    sys.stdout.write(r'\\n' + f'{i}' + rf'\\n')\n",
    ]
    INVALID = [
        Invalid(
            "for i in range(100000):\n    print(i)\n",
            line=1,
            column=1,
            message="print() in this loop writes ~100,000 lines of output",
        ),
        Invalid(
            "for i in range(1000):\n    for j in range(1000):\n        print(i, j)\n",
            line=1,
            message="~1,000,000 lines of output (1,000 x 1,000 iterations)",
        ),
        Invalid(["N = 10**5\n", "for i in range(N):\n    print(i)\n"], cell=1, line=1, message="~100,000 lines"),
        Invalid(
            "for i in range(0, 50000, 2):\n    x = step(i)\n    print(x)\n    print(x * 2)\n",
            line=1,
            message="~50,000 lines of output (2 output calls x 25,000 iterations)",
        ),
        Invalid(
            "for i in range(100):\n    print(i)\n",
            options={"max-printed-lines": 50},
            line=1,
            message="over max-printed-lines (50)",
        ),
        Invalid(
            "from IPython.display import display\nfor i, x in enumerate(range(20000)):\n    display(x)\n",
            line=2,
            message="display()",
        ),
        Invalid("for i in range(20000):\n    display(i)\n", line=1, message="display()"),
        Invalid(
            "import sys\nfor line in range(50000):\n    sys.stdout.write(str(line) + '\\n')\n",
            line=2,
            message="~50,000 lines of output (50,000 iterations)",
        ),
        Invalid("import sys\nfor line in range(50000):\n    sys.stderr.write(f'{line}\\n')\n", line=2),
        # calls at different depths: the terms add up to the total shown
        Invalid(
            "for i in range(59):\n    print(i)\n    print(i)\n    for j in range(1000):\n        print(j)\n",
            line=1,
            message="~59,118 lines of output (2 output calls x 59 iterations + 1 output call x 59 x 1,000 iterations)",
        ),
        Invalid("import numpy as np\nfor x in np.arange(0, 1, 0.00001):\n    print(x)\n", line=2, message="100,000"),
        Invalid(
            "import itertools\nfor i, j in itertools.product(range(200), range(200)):\n    print(i, j)\n",
            line=2,
            message="40,000",
        ),
        Invalid("[print(i) for i in range(100000)]\n", line=1, column=1),
        # an if outside the loop is no rate limit
        Invalid("if verbose:\n    for i in range(100000):\n        print(i)\n", line=2, column=5),
        # an unknown outer loop and a known inner one
        Invalid("for batch in loader:\n    for i in range(100000):\n        print(i)\n", line=2, column=5),
        # the inner loop's else runs once per outer iteration
        Invalid("for i in range(20000):\n    for j in items:\n        pass\n    else:\n        print(i)\n", line=1),
        # in a function: every call floods
        Invalid("def dump():\n    for i in range(100000):\n        print(i)\n", line=2, column=5),
        # logging at a level the notebook shows
        Invalid(
            "import logging\nfor i in range(100000):\n    logging.warning('step %d', i)\n",
            line=2,
            message="logging.warning()",
        ),
        Invalid(
            "import logging\nlogging.basicConfig(level=logging.INFO)\nlogger = logging.getLogger(__name__)\n"
            "for i in range(100000):\n    logger.info('step %d', i)\n",
            line=4,
            message="logger.info()",
        ),
        Invalid(
            "import logging\nlogging.basicConfig(level='DEBUG')\nlog = logging.getLogger()\n"
            "for i in range(100000):\n    log.log(logging.DEBUG, 'x')\n",
            line=4,
        ),
        Invalid("import sys\nfor i in range(100000):\n    print(i, file=sys.stderr)\n", line=2),
        Invalid(
            [
                "import logging, sys\nlogger = logging.getLogger('train')\nlogger.setLevel(logging.DEBUG)\n"
                "logger.addHandler(logging.StreamHandler(sys.stdout))\n",
                "for i in range(100000):\n    logger.debug('step %d', i)\n",
            ],
            cell=1,
            line=1,
            message="logger.debug()",
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self.floods: dict[int, _Flood] = {}
        self._iterations: dict[int, int | None] = {}  # id(loop or comprehension) -> stated iterations
        self._rate_limited: dict[int, bool] = {}
        self._filtered: set[int] = set()  # id(comprehension) with an `if` clause
        self.logger_names: set[str] = set()
        self.logging_levels: list[int] = []  # levels set by logging.basicConfig(level=...)
        self.logging_hidden = False  # logging goes to a file or to handlers nblint cannot see
        self.set_levels: list[int] = []  # levels given to any .setLevel(...)
        self.stream_handler = False  # the notebook makes a logging.StreamHandler

    # -- loops and comprehensions ----------------------------------------------------------------

    def enter_loop(self, node: cst.CSTNode) -> None:
        # counted on entry, while the scopes around the loop are the current ones
        if isinstance(node, cst.For) and node.asynchronous is None:
            self._iterations[id(node)] = self._count(node.iter)

    def _enter_comprehension(self, node: cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp) -> None:
        self.frames.append((COMPREHENSION, node))
        counts: list[int] = []
        comp_for: cst.CompFor | None = node.for_in
        while comp_for is not None:
            if comp_for.ifs:
                self._filtered.add(id(node))  # a filter is a conditional, as an if in a loop
            count = self._count(comp_for.iter)
            if count is not None:
                counts.append(count)
            comp_for = comp_for.inner_for_in
        self._iterations[id(node)] = math.prod(counts) if counts else None

    def _leave_comprehension(self, original_node: cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp) -> None:
        if self.frames and self.frames[-1][1] is original_node:
            self.frames.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter_comprehension
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension

    def _count(self, iterable: cst.BaseExpression) -> int | None:
        """How many times a loop over `iterable` runs, when the code states it."""
        context = self.context
        if isinstance(iterable, cst.Call):
            func = iterable.func
            args = [arg.value for arg in iterable.args if arg.keyword is None and not arg.star]
            keywords = {arg.keyword.value: arg.value for arg in iterable.args if arg.keyword is not None}
            if any(arg.star for arg in iterable.args):
                return None
            if context.is_builtin(func, "range"):
                return _range_length([context.evaluate(arg) for arg in args])
            for wrapper in ("enumerate", "reversed", "list", "tuple", "sorted"):
                if context.is_builtin(func, wrapper):
                    return self._count(args[0]) if args else None
            if context.is_builtin(func, "zip"):
                lengths = [self._count(arg) for arg in args]
                known = [length for length in lengths if length is not None]
                return min(known) if known and len(known) == len(lengths) else None
            origin = context.qualified_name(func)
            if origin == "itertools.product":
                lengths = [self._count(arg) for arg in args]
                known = [length for length in lengths if length is not None]
                repeat = context.evaluate(keywords["repeat"]) if "repeat" in keywords else 1
                if not known or len(known) < len(lengths) or not isinstance(repeat, int) or not 0 <= repeat <= 10:
                    return None
                return math.prod(known) ** repeat
            if origin == "numpy.arange" and not keywords:
                return _arange_length([context.evaluate(arg) for arg in args])
            if origin == "numpy.linspace":
                num = keywords.get("num", args[2] if len(args) > 2 else None)
                value = 50 if num is None else context.evaluate(num)
                return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
            return None
        value = context.evaluate(iterable)
        return len(value) if isinstance(value, (tuple, str)) else None

    def _loop_factor(self, kind: str, node: cst.CSTNode) -> int | None:
        """The iterations this loop multiplies its output by, or None when unknown or rate-limited."""
        count = self._iterations.get(id(node))
        if count is None or kind == COMPREHENSION:
            return count
        limited = self._rate_limited.get(id(node))
        if limited is None and isinstance(node, (cst.For, cst.While)):
            exits = body_exits(node.body, self.context)
            limited = (
                exits.breaks
                or exits.continues
                or exits.returns
                or exits.raises
                or exits.exit_calls
                or ("clear_output" in exits.callees)
            )
            self._rate_limited[id(node)] = limited
        return None if limited else count

    # -- output calls ----------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = last_name(func)
        if last is None:
            return
        if last not in _OUTPUT_NAMES:
            if last in _SETUP_NAMES or last.endswith("Handler"):
                self._watch_logging_setup(node)
            return
        output = self._output(node)
        if output is None:
            return
        counted: list[tuple[cst.CSTNode, int]] = []
        skip_loops = 0  # the `else:` of a loop runs once, after that loop
        for kind, frame in reversed(self.frames):
            if kind in (SCOPE, CONDITIONAL, HANDLER, TRY_ELSE):
                break
            if kind == WITH:
                if isinstance(frame, cst.With) and self._captures(frame):
                    return
                continue
            if kind == LOOP_ELSE:
                skip_loops += 1
                continue
            if kind == COMPREHENSION and id(frame) in self._filtered:
                break
            if kind in (LOOP, COMPREHENSION):
                if skip_loops:
                    skip_loops -= 1
                    continue
                factor = self._loop_factor(kind, frame)
                if factor is not None:
                    counted.append((frame, factor))
        if not counted:
            return
        anchor = counted[-1][0]
        flood = self.floods.get(id(anchor))
        if flood is None:
            flood = self.floods[id(anchor)] = _Flood(anchor)
        label, level, logger = output
        flood.outputs.append(_Output(label, tuple(factor for _, factor in reversed(counted)), level, logger))

    def _output(self, call: cst.Call) -> tuple[str, int | None, str | None] | None:
        """(label, logging level or None, logger receiver name or None) when `call` writes output."""
        func = call.func
        context = self.context
        if isinstance(func, cst.Name):
            if context.is_builtin(func, "print"):
                for arg in call.args:
                    keyword = arg.keyword.value if arg.keyword is not None else None
                    if keyword == "file" and context.qualified_name(arg.value) not in _STANDARD_STREAMS:
                        return None  # to a file, not to the notebook
                    if keyword == "end":
                        end = context.evaluate(arg.value)
                        if isinstance(end, str) and "\n" not in end:
                            return None  # print('.', end='') / end='\r': one growing or rewritten line
                return ("print()", None, None)
            if context.is_builtin(func, "display"):
                return ("display()", None, None)
        elif not isinstance(func, cst.Attribute):
            return None
        origin = context.qualified_name(func)
        if origin is not None:
            if origin in _DISPLAY:
                return ("display()", None, None)
            if origin in _WRITERS:
                if origin.endswith(".write") and not (call.args and self._breaks_line(call.args[0].value)):
                    return None  # `sys.stdout.write(char)`: characters on one line, not lines
                return (_WRITERS[origin], None, None)
            module, _, method = origin.rpartition(".")
            if module == "logging" and (method in _LEVEL_METHODS or method == "log"):
                level = self._level(call, method)
                return (f"logging.{method}()", level, None) if level is not None else None
            return None
        if isinstance(func, cst.Attribute) and (func.attr.value in _LEVEL_METHODS or func.attr.value == "log"):
            receiver = func.value
            method = func.attr.value
            level = self._level(call, method)
            if level is None:
                return None
            if isinstance(receiver, cst.Name) and not context.scopes.is_local(receiver.value):
                return (f"{receiver.value}.{method}()", level, receiver.value)
            if isinstance(receiver, cst.Call) and context.qualified_name(receiver.func) == "logging.getLogger":
                return (f"logging.getLogger().{method}()", level, None)
        return None

    def _breaks_line(self, text: cst.BaseExpression) -> bool:
        """Whether a string handed to .write() holds a line break, as far as its literal parts show:
        `"done\\n"`, `f"{x}\\n"`, `str(x) + "\\n"`, `"%d\\n" % x`, `"{}\\n".format(x)`, `"\\n".join(rows)`."""
        value = self.context.evaluate(text)
        if isinstance(value, str):
            return "\n" in value
        if isinstance(text, cst.FormattedString):
            raw = "r" in text.prefix.lower()
            return any(
                isinstance(part, cst.FormattedStringText) and ("\n" in part.value or (not raw and "\\n" in part.value))
                for part in text.parts
            )
        if isinstance(text, cst.ConcatenatedString):
            return self._breaks_line(text.left) or self._breaks_line(text.right)
        if isinstance(text, cst.BinaryOperation):
            if isinstance(text.operator, cst.Add):
                return self._breaks_line(text.left) or self._breaks_line(text.right)
            if isinstance(text.operator, cst.Modulo):
                return self._breaks_line(text.left)
            return False
        if (
            isinstance(text, cst.Call)
            and isinstance(text.func, cst.Attribute)
            and text.func.attr.value in ("format", "join")
        ):
            return self._breaks_line(text.func.value)
        return False

    def _level(self, call: cst.Call, method: str) -> int | None:
        if method != "log":
            return _LEVEL_METHODS[method]
        if not call.args:
            return None
        return self._level_value(call.args[0].value)

    def _level_value(self, node: cst.BaseExpression) -> int | None:
        origin = self.context.qualified_name(node)
        if origin is not None and origin.startswith("logging."):
            return _LEVEL_NAMES.get(origin[len("logging.") :])
        value = self.context.evaluate(node)
        if isinstance(value, str):
            return _LEVEL_NAMES.get(value.upper())
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return None

    def _captures(self, node: cst.With) -> bool:
        for item in node.items:
            if isinstance(item.item, cst.Call) and self.context.qualified_name(item.item.func) in _CAPTURING:
                return True
        return False

    # -- the notebook's logging configuration ----------------------------------------------------

    def _watch_logging_setup(self, call: cst.Call) -> None:
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "setLevel":
            # logger.setLevel(logging.INFO) shows INFO only with a handler of its own (see _shown)
            level = self._level_value(call.args[0].value) if call.args else None
            if level is not None:
                self.set_levels.append(level)
            return
        origin = self.context.qualified_name(call.func)
        if origin is None or not origin.startswith("logging."):
            return
        if origin == "logging.basicConfig":
            for arg in call.args:
                keyword = arg.keyword.value if arg.keyword is not None else None
                if keyword == "level":
                    level = self._level_value(arg.value)
                    if level is not None:
                        self.logging_levels.append(level)
                elif keyword in ("filename", "handlers") or (
                    keyword == "stream" and self.context.qualified_name(arg.value) not in _STANDARD_STREAMS
                ):
                    self.logging_hidden = True
        elif origin == "logging.FileHandler" or origin.startswith("logging.handlers."):
            self.logging_hidden = True
        elif origin == "logging.StreamHandler":
            self.stream_handler = True

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if not isinstance(value, cst.Call):
            return
        func = value.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "getLogger") and not (
            isinstance(func, cst.Name) and func.value == "getLogger"
        ):
            return
        if self.context.qualified_name(func) == "logging.getLogger":
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.logger_names.add(target.target.value)

    def _shown(self, output: _Output) -> bool:
        if output.logging_level is None:
            return True
        if self.logging_hidden:
            return False
        if output.logger is not None and output.logger not in self.logger_names:
            return False  # `stats.info(...)`: not a logger as far as nblint can tell
        # Without a handler of the notebook's own, logging's last-resort handler shows WARNING and up
        # whatever the loggers' levels; basicConfig(level=...) or a StreamHandler make lower levels show.
        levels = [_DEFAULT_LOGGING_LEVEL, *self.logging_levels]
        if self.stream_handler:
            levels.extend(self.set_levels)
        return output.logging_level >= min(levels)

    # -- deciding --------------------------------------------------------------------------------

    def finish(self) -> None:
        limit = self.option(MAX_PRINTED_LINES)
        for flood in self.floods.values():
            shown = [output for output in flood.outputs if self._shown(output)]
            total = sum(output.lines for output in shown)
            if total <= limit:
                continue
            labels = list(dict.fromkeys(output.label for output in shown))
            what = listing(labels)
            self.report(
                flood.loop,
                f"{what} in this loop writes ~{total:,} lines of output ({_arithmetic(shown)}), "
                f"over max-printed-lines ({limit:,}): the browser tab freezes, Jupyter drops output past its "
                "IOPub rate limit and the saved notebook bloats; print every N-th step "
                "(if step % 1000 == 0: ...), or show progress with tqdm",
                fix=f"if step % 1000 == 0:\n    {shown[0].label.replace('()', '(...)')}",
                evidence=loop_evidence(
                    None,
                    "a throttle on its output (every N-th step, or a progress bar)",
                    loop=_header(flood.loop),
                    lines=total,
                    max_printed_lines=limit,
                    outputs=labels,
                    arithmetic=_arithmetic(shown),
                ),
            )


def _header(loop: cst.CSTNode) -> str:
    """`for i in range(n)` / `while x`: the loop as the evidence names it."""
    if isinstance(loop, cst.For):
        return f"for {source_text(loop.target, 30)} in {source_text(loop.iter, 60)}"
    if isinstance(loop, cst.While):
        return f"while {source_text(loop.test, 60)}"
    return source_text(loop, 60)


def _arithmetic(outputs: list[_Output]) -> str:
    """How the total is made, so that it adds up: calls x iterations for each nesting of loops,
    `2 output calls x 59 iterations + 1 output call x 59 x 1,000 iterations`."""
    calls: dict[tuple[int, ...], int] = {}
    for output in outputs:
        calls[output.counts] = calls.get(output.counts, 0) + 1
    terms = []
    for counts, number in calls.items():
        iterations = " x ".join(f"{count:,}" for count in counts) + " iterations"
        if len(calls) == 1 and number == 1:
            terms.append(iterations)
        else:
            terms.append(f"{plural(number, 'output call')} x {iterations}")
    return " + ".join(terms)


def _range_length(values: list) -> int | None:
    if not 1 <= len(values) <= 3 or any(
        value is UNKNOWN or not isinstance(value, int) or isinstance(value, bool) for value in values
    ):
        return None
    return int_range_length(*range_arguments(values))


def _arange_length(values: list) -> int | None:
    if not 1 <= len(values) <= 3 or any(
        value is UNKNOWN or not isinstance(value, (int, float)) or isinstance(value, bool) for value in values
    ):
        return None
    length = range_length(*range_arguments(values))  # None when the step is 0 or the bounds overflow
    return length if length is not None and length < 10**15 else None
