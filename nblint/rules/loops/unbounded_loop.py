"""NB201 unbounded-loop: `while True:` and `for _ in itertools.count()` with no way out."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from nblint.core.code.text import source_text
from nblint.core.evidence import loop_evidence
from nblint.core.findings import Severity
from nblint.rules.base import CodeRule, Invalid
from nblint.rules.common.flow import (
    ControlStack,
    DefinedFunctions,
    body_exits,
    callee_name,
    enclosing_class,
    enclosing_function,
)

# Iterators that never end (itertools.repeat only without `times`).
_ENDLESS_ITERATORS = {"itertools.count", "itertools.cycle", "itertools.repeat"}


@dataclass
class _Candidate:
    """A loop with no way out seen yet."""

    loop: cst.While | cst.For
    header: str
    function: cst.FunctionDef | None
    is_method: bool
    callees: set[str]


class UnboundedLoop(ControlStack, CodeRule):
    """
    ## What it does
    Flags `while True:` loops and `for _ in itertools.count()` with no way out.

    That is `while True:` / `while 1:`, or a loop over `itertools.count()`, `itertools.cycle(...)` or
    `itertools.repeat(x)` without `times`, whose own body has no `break`, `return`, `raise`, `assert`
    or `sys.exit()` / `exit()` / `quit()` / `os._exit()`.

    A `break` inside an inner loop ends only that inner loop, and a `return` inside a nested `def`
    ends only that function: neither counts. Exits inside `if`, `try`, `except`, `with` and `match`
    count. Not reported:

    - infinite generators: a `yield` in the loop or in the function around it (the Keras /
      `tf.data.Dataset.from_generator` batch-feeder pattern), and loops in `async def` functions
      (background tasks);
    - loops whose way out is an exception: the loop sits in the body of a `try` with an `except` (or
      in `with contextlib.suppress(...)`), or
      its body calls `next(it)`, `deque.popleft()`, `list.pop()`, `queue.get_nowait()`, or a notebook
      function that raises or exits (an `input()` REPL whose `quit` command runs `raise SystemExit`);
    - worker loops that are not meant to finish: a function passed as a value (for example
      `threading.Thread(target=worker)`), a decorated function, or a class's `run()` method.

    ## Why it kills the kernel
    The cell never finishes: the kernel stays busy ("In [*]") and ignores every later cell until you
    interrupt it; under papermill, nbconvert or CI the run hangs until a timeout kills it, and any output
    the loop prints floods the browser.

    ## Example
        step = 0
        while True:
            loss = train_step()
            step += 1

    ## Use instead
        for step in range(MAX_STEPS):
            loss = train_step()
            if loss < TARGET_LOSS:
                break
    """

    code = "NB201"
    needs = ("while", "count", "cycle", "repeat")  # the pre-filter (CodeRule.needs): while loops, itertools
    name = "unbounded-loop"
    severity = Severity.ERROR

    VALID = [
        # exits at any depth of if / try / with, but in this loop
        "while True:\n    x = step()\n    if x > 10:\n        break\n",
        "def f():\n    while True:\n        if done():\n            return 1\n",
        "while True:\n    try:\n        x = work()\n    except ValueError:\n        raise\n",
        "import sys\nwhile True:\n    with lock:\n        if stop:\n            sys.exit(0)\n",
        "from sys import exit as leave\nwhile 1:\n    if done():\n        leave()\n",
        "while True:\n    if done():\n        quit()\n",
        "import os\nwhile True:\n    os._exit(0)\n",
        "while True:\n    assert queue, 'empty'\n    queue.remove(queue[0])\n",
        "while True:\n    match command():\n        case 'stop':\n            break\n        case _:\n            pass\n",
        # a `break` in the else of an inner loop belongs to the outer loop
        "while True:\n    for x in items:\n        if bad(x):\n            break\n    else:\n        break\n",
        # infinite generators: the Keras / tf.data batch feeder
        "def batches(x, y, size):\n    while True:\n        idx = np.random.randint(0, len(x), size)\n        yield x[idx], y[idx]\n",
        "def gen_series():\n    i = 0\n    while True:\n        size = np.random.randint(0, 10)\n        yield i, np.random.normal(size=(size,))\n        i += 1\n",
        # a generator whose endless tail keeps yielding the last value (tensorflow docs, jax2tf)
        "def progress():\n    for x in range(10):\n        yield x\n    k = 0\n    while True:\n        k = k\n        emit(k)\n    yield k\n",
        # the exception is the exit: a try around the loop, or a call that raises when the stream runs dry
        "from collections import deque\nqueue = deque([1, 2])\ntry:\n    while True:\n        item = queue.popleft()\n        print(item)\nexcept IndexError:\n    pass\n",
        "it = iter(data)\nwhile True:\n    item = next(it)\n    handle(item)\n",
        "while True:\n    job = jobs.pop()\n    run(job)\n",
        "import queue\nwhile True:\n    item = q.get(block=False)\n    handle(item)\n",
        "try:\n    while True:\n        session.run(train_op)\nexcept tf.errors.OutOfRangeError:\n    pass\n",
        "import contextlib\nwith contextlib.suppress(StopIteration):\n    while True:\n        step_until_done()\n",
        # the way out is a notebook function that raises: an input() REPL
        [
            "def handle(command):\n    if command == 'quit':\n        raise SystemExit\n    print(eval(command))\n",
            "while True:\n    handle(input('> '))\n",
        ],
        [
            "def check(state):\n    validate(state)\n",
            "def validate(state):\n    if state.done:\n        raise StopIteration\n",
            "while True:\n    state = advance(state)\n    check(state)\n",
        ],
        # worker loops that are not meant to finish: thread targets, decorated callbacks, Thread.run
        [
            "def worker():\n    while True:\n        item = q.get()\n        process(item)\n        q.task_done()\n",
            "import threading\nthreading.Thread(target=worker, daemon=True).start()\n",
        ],
        [
            "def listen(sock):\n    while True:\n        print(sock.recv(1024))\n",
            "threading.Thread(target=lambda: listen(sock), daemon=True).start()\n",
        ],
        "class Poller(threading.Thread):\n    def run(self):\n        while True:\n            self.poll()\n",
        "@app.route('/stream')\ndef stream():\n    while True:\n        send(read())\n",
        "async def listen(ws):\n    while True:\n        message = await ws.recv()\n        print(message)\n",
        # look-alikes from the corpus (tensorflow docs): a generator over itertools.count(), a video
        # reader that breaks when the stream ends, a TF1 loop ended by OutOfRangeError
        "import itertools\ndef slices(features):\n    for i in itertools.count():\n        example = {name: values[i] for name, values in features.items()}\n        yield example\n",
        "def load_video(path):\n    cap = cv2.VideoCapture(path)\n    frames = []\n    try:\n        while True:\n            ret, frame = cap.read()\n            if not ret:\n                break\n            frames.append(frame)\n    finally:\n        cap.release()\n    return frames\n",
        "def run_train():\n    session.run(train_iterator_init)\n    while True:\n        try:\n            session.run(dist_train)\n        except tf.errors.OutOfRangeError:\n            break\n",
        # bounded loops and look-alikes
        "import itertools\nfor i in itertools.count():\n    if i > 10:\n        break\n",
        "import itertools\nfor i, x in zip(itertools.count(), data):\n    print(i, x)\n",
        "import itertools\nfor x in itertools.repeat(0, 5):\n    print(x)\n",
        "for i in count():\n    pass\n",  # `count` is not itertools.count here
        "while x:\n    x -= 1\n",
        "while False:\n    pass\n",
        "while 0:\n    pass\n",
        "# while True:\n#     pass\ns = 'while True: pass'\n",
    ]
    INVALID = [
        Invalid(
            "while True:\n    i += 1\n", line=1, column=1, message="`while True:` loop has no break, return or raise"
        ),
        Invalid("x = 0\nwhile 1:\n    x += 1\n", line=2, column=1, message="`while 1:`"),
        Invalid(
            "import itertools\nfor step in itertools.count(1):\n    train(step)\n",
            line=2,
            column=1,
            message="`for step in itertools.count(1):`",
        ),
        Invalid("from itertools import count\nfor i in count():\n    print(i)\n", line=2, message="count()"),
        Invalid("import itertools as it\nfor c in it.cycle(colors):\n    plot(c)\n", line=2),
        Invalid("from itertools import repeat\nfor x in repeat(1):\n    total += x\n", line=2),
        # a break of an inner loop, a return of a nested def: not ways out of this loop
        Invalid("while True:\n    for x in items:\n        if x:\n            break\n", line=1),
        Invalid("while True:\n    def helper():\n        return 1\n    helper()\n", line=1),
        # in a function: every call hangs; a cell-level loop below a function definition
        Invalid("def serve():\n    while True:\n        handle()\n", line=2, column=5, message="in `serve()`"),
        Invalid("import time\nwhile True:\n    print(check_status())\n    time.sleep(60)\n", line=2),
        # the except is inside the loop and only logs: the loop goes on
        Invalid("while True:\n    try:\n        step()\n    except Exception as e:\n        print(e)\n", line=1),
        # a try/finally catches nothing
        Invalid("try:\n    while True:\n        step()\nfinally:\n    cleanup()\n", line=2, column=5),
        # the loop is in the except clause, not in the try body
        Invalid("try:\n    run()\nexcept KeyError:\n    while True:\n        retry()\n", line=4, column=5),
        # cross-cell: the function the loop calls is defined in another cell and never raises
        Invalid(
            ["def handle(command):\n    print(command)\n", "while True:\n    handle(input('> '))\n"], cell=1, line=1
        ),
        # a REPL whose quit command only prints
        Invalid("while True:\n    cmd = input('> ')\n    if cmd == 'quit':\n        print('bye')\n", line=1),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self.candidates: list[_Candidate] = []
        self.functions = DefinedFunctions(context)
        # names of functions and methods passed as values (`target=worker`, `executor.submit(self.poll)`)
        self.passed_as_value: set[str] = set()

    def enter_loop(self, node: cst.CSTNode) -> None:
        if not isinstance(node, (cst.For, cst.While)):
            return
        header = self._endless_header(node)
        if header is None:
            return
        function = enclosing_function(self.context)
        if function is not None and function.asynchronous is not None:
            return  # an async def: almost always a background task (asyncio.create_task)
        if self.in_catching_try():
            return
        exits = body_exits(node.body, self.context)
        if exits.leaves or exits.yields:
            return
        if function is not None and self.is_generator_function(function):
            return
        is_method = function is not None and enclosing_class(self.context, function) is not None
        self.candidates.append(_Candidate(node, header, function, is_method, exits.callees))

    def _endless_header(self, node: cst.CSTNode) -> str | None:
        """`while True:` / `for i in itertools.count():` when the loop cannot end by its own header."""
        if isinstance(node, cst.While):
            test = node.test
            if isinstance(test, cst.Name) and test.value == "True":
                return "while True:"
            if isinstance(test, (cst.Integer, cst.Float)):
                value = self.context.evaluate(test)
                return f"while {test.value}:" if value else None
            return None
        if isinstance(node, cst.For) and node.asynchronous is None and isinstance(node.iter, cst.Call):
            origin = self.context.qualified_name(node.iter.func)
            if origin not in _ENDLESS_ITERATORS:
                return None
            if origin == "itertools.repeat" and (len(node.iter.args) != 1 or node.iter.args[0].keyword is not None):
                return None  # repeat(x, n) / repeat(x, times=n) ends
            return f"for {source_text(node.target, 20)} in {source_text(node.iter, 40)}:"
        return None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.functions.add(node)

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            value = arg.value
            if isinstance(value, cst.Name):
                self.passed_as_value.add(value.value)
            elif isinstance(value, cst.Attribute):
                self.passed_as_value.add(value.attr.value)
            elif isinstance(value, cst.Lambda) and isinstance(value.body, cst.Call):
                # Thread(target=lambda: worker(q)): the lambda hands `worker` over as surely as its name
                name = callee_name(value.body)
                if name is not None:
                    self.passed_as_value.add(name)

    def finish(self) -> None:
        for candidate in self.candidates:
            function = candidate.function
            where = ""
            if function is not None:
                name = function.name.value
                if function.decorators or name in self.passed_as_value:
                    continue  # a callback or thread target: the caller decides when it runs
                if candidate.is_method and name == "run":
                    continue  # threading.Thread.run / multiprocessing.Process.run
                where = f" in `{name}()`"
            if any(self.functions.can_raise(callee) for callee in candidate.callees):
                continue
            outcome = "any call never returns" if function is not None else "the cell never finishes"
            self.report(
                candidate.loop,
                f"`{candidate.header}` loop{where} has no break, return or raise: {outcome} (In [*] forever); "
                "bound it: for step in range(MAX_STEPS): ..., or break when the work is done",
                fix="for step in range(MAX_STEPS):\n    ...\n    if done:\n        break",
                # the loop is the finding's own line
                evidence=loop_evidence(
                    None,
                    "a break, return or raise",
                    loop=candidate.header,
                    function=function.name.value if function is not None else None,
                ),
            )
