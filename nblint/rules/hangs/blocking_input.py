"""NB403 blocking-input: `input()` and friends that run when the notebook runs top to bottom."""

from __future__ import annotations

import libcst as cst

from nblint.core.code.symbols import last_name
from nblint.core.code.text import code_of
from nblint.core.evidence import hang_evidence
from nblint.core.findings import Severity
from nblint.rules.base import CodeRule, Invalid
from nblint.rules.hangs.notebook_functions import Function, TracksNotebookFunctions

# Qualified names of the calls that wait for someone at a keyboard.
_PROMPTS = {
    "getpass.getpass": "getpass.getpass()",
    "builtins.input": "builtins.input()",
    "__builtin__.raw_input": "raw_input()",
}
_BUILTIN_PROMPTS = ("input", "raw_input")
# The last name of every prompt: a cheap test before resolving where a called name comes from.
_PROMPT_NAMES = frozenset({*_BUILTIN_PROMPTS, *(name.rpartition(".")[2] for name in _PROMPTS)})


class BlockingInput(TracksNotebookFunctions, CodeRule):
    """
    ## What it does
    Flags `input()`, `raw_input()` and `getpass.getpass()` that run when the notebook runs top to bottom.

    That is: at cell level (also in loops, comprehensions, `if __name__ == "__main__":`), or inside a
    function that the notebook calls, directly or through other functions of the notebook. The finding
    points at the prompt itself and names the chain of calls that reaches it.

    Not flagged: a function holding `input()` that the notebook never calls (it may be wired to a
    button), callables named `Input` (`keras.Input`, `tf.keras.Input`, `layers.Input`), methods named
    `input` (`ds.as_input()`), and a notebook that rebinds `input` to something of its own.

    ## Why it kills the kernel
    Interactively, the cell shows a text box and waits. Run unattended (papermill, `jupyter nbconvert
    --execute`, a scheduled job, CI) nobody answers: the run blocks until a timeout kills it, or fails at
    once with `StdinNotImplementedError: raw_input was called, but this frontend does not support input
    requests`.

    ## Example
        name = input("Which dataset? ")

    ## Use instead
        # parameters  (tag this cell "parameters" for papermill)
        name = "iris"

    or read it from the environment: `name = os.environ.get("DATASET", "iris")`, and a secret with
    `os.environ["API_TOKEN"]` rather than `getpass.getpass()`.
    """

    code = "NB403"
    needs = tuple(sorted(_PROMPT_NAMES))  # the pre-filter (CodeRule.needs): input, raw_input, getpass, however imported
    name = "blocking-input"
    # Interactive runs work (someone types); unattended runs hang or fail: "likely to", not "will".
    severity = Severity.WARNING

    VALID = [
        # Callables named Input, as the tensorflow/docs notebooks use them.
        "import tensorflow as tf\ninputs = tf.keras.Input(shape=(784,), name='digits')\n",
        "from tensorflow import keras\nx = keras.Input(shape=(32,))\n",
        "from tensorflow.keras import layers\nx = layers.Input(shape=(28, 28))\n",
        "from tensorflow.keras.layers import Input\nx = Input(shape=(64, 64, 3))\n",
        # Methods and functions that merely contain "input" (Azure ML and Keras notebooks).
        "ds_input = dataset.as_named_input('iris')\nstep_input = output.as_input()\n",
        "from tensorflow.keras.applications.resnet50 import preprocess_input\nx = preprocess_input(images)\n",
        "print(model.input)\n",
        # A function holding input() that the notebook never calls.
        "def ask():\n    return input('name? ')\n",
        # ...or only hands to a widget, to run on a click.
        [
            "import ipywidgets as widgets\n",
            "def on_click(button):\n    print(input('name? '))\n",
            "widgets.Button().on_click(on_click)\n",
        ],
        # `input` rebound by the notebook.
        "input = lambda prompt='': 'yes'\nanswer = input('continue? ')\n",
        "def input(prompt=''):\n    return 'iris'\nname = input('dataset? ')\n",
        "from mytools import input\nanswer = input('continue? ')\n",
        # The competitive-programming idiom rebinds input too.
        "import sys\ninput = sys.stdin.readline\nn = int(input())\n",
        # A parameter named input.
        "def run(input):\n    return input('x')\n",
        # Only a method of a class, reached through an object nblint does not follow.
        "class Game:\n    def play(self):\n        return input('move? ')\n",
        # getpass.getuser does not prompt.
        "import getpass\nuser = getpass.getuser()\n",
        # A function defined later but called only before the redefinition that holds input().
        ["def ask():\n    return 'iris'\n", "name = ask()\n", "def ask():\n    return input('name? ')\n"],
        # In a string or a comment.
        "# name = input('dataset? ')\ntext = \"input('x')\"\n",
    ]
    INVALID = [
        Invalid("name = input('Which dataset? ')\n", line=1, column=8, message="papermill"),
        Invalid("reply = raw_input('> ')\n", line=1, column=9),
        Invalid(
            "import getpass\npassword = getpass.getpass('Password: ')\n", line=2, column=12, message="getpass.getpass()"
        ),
        Invalid("from getpass import getpass as ask_secret\ntoken = ask_secret()\n", line=2, column=9),
        Invalid("import builtins\nanswer = builtins.input('y/n? ')\n", line=2, column=10),
        # In a loop that exits on an answer: it still waits for the first one.
        Invalid("while True:\n    command = input('> ')\n    if command == 'q':\n        break\n", line=2, column=15),
        Invalid("answers = [input(question) for question in ['a?', 'b?']]\n", line=1, column=12),
        # A class body runs when the class statement runs.
        Invalid("class Settings:\n    name = input('name? ')\n", line=2, column=12),
        # Defined in one cell, called in another: reported at input() itself.
        Invalid(
            ["def main():\n    name = input('name? ')\n    print(name)\n", "main()\n"],
            cell=0,
            line=2,
            column=12,
            message="calls main()",
        ),
        # Through other notebook functions, and under `if __name__ == "__main__":`.
        Invalid(
            [
                "def ask(prompt):\n    return input(prompt)\n",
                "def main():\n    return ask('dataset? ')\n",
                "if __name__ == '__main__':\n    main()\n",
            ],
            cell=0,
            line=2,
            column=12,
            message="main() -> ask()",
        ),
        Invalid("ask = lambda: input('name? ')\nname = ask()\n", line=1, column=15, message="ask()"),
        Invalid(
            "def outer():\n    def inner():\n        return input('x? ')\n    return inner()\nouter()\n",
            line=3,
            column=16,
            message="outer() -> inner()",
        ),
        # Called before a later cell redefines it without input(): it ran.
        Invalid(
            ["def ask():\n    return input('name? ')\n", "name = ask()\n", "def ask():\n    return 'iris'\n"],
            cell=0,
            line=2,
        ),
        # A function may call a helper defined in a later cell: it exists by the time main() runs.
        Invalid(
            ["def main():\n    return ask()\n", "def ask():\n    return input('name? ')\n", "main()\n"],
            cell=1,
            line=2,
            column=12,
            message="main() -> ask()",
        ),
        # Recursion and mutual calls do not loop the analysis.
        Invalid("def again():\n    if input('more? ') == 'y':\n        again()\nagain()\n", line=2, column=8),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        # every prompt call with the function around it (None: notebook level)
        self.prompts: list[tuple[cst.Call, str, Function | None]] = []
        # calls to notebook functions: (caller or None, the functions it may reach)
        self.edges: dict[int | None, list[Function]] = {}
        self.roots: list[Function] = []
        self.calls_in_functions: list[tuple[Function, str, list]] = []

    # -- traversal (defs, lambdas, assignments: TracksNotebookFunctions) ------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        caller = self.functions.function()
        prompt = self._prompt(func)
        if prompt is not None:
            self.prompts.append((node, prompt, caller))
            return
        if not isinstance(func, cst.Name):
            return
        if caller is None:
            target = self.functions.called_now(func.value)
            if target is not None:
                self.roots.append(target)
        else:
            # resolved in finish(): the callee may be defined in a later cell
            self.calls_in_functions.append((caller, func.value, list(self.context.scopes.stack)))

    def _prompt(self, func: cst.BaseExpression) -> str | None:
        last = last_name(func)
        # cheap test first (this runs for every call of the notebook); an imported name may be an alias
        if last not in _PROMPT_NAMES and not (isinstance(func, cst.Name) and last in self.context.symbols.imports):
            return None
        for name in _BUILTIN_PROMPTS:
            if self.context.is_builtin(func, name):
                return f"{name}()"
        known = _PROMPTS.get(self.context.qualified_name(func) or "")
        if known is None:
            return None
        written = f"{code_of(func)}()"
        return written if written == known else f"{written} ({known[:-2]})"

    # -- decision ---------------------------------------------------------------------------------

    def finish(self) -> None:
        if not self.prompts:
            return
        for calling, name, scope_stack in self.calls_in_functions:
            reached = self.functions.resolve(name, calling, scope_stack)
            if reached:
                self.edges.setdefault(id(calling), []).extend(reached)
        # Which functions run, and through which call from notebook level (for the message).
        reached_by: dict[int, Function | None] = {}
        queue: list[Function] = []
        for root in self.roots:
            if id(root) not in reached_by:
                reached_by[id(root)] = None
                queue.append(root)
        while queue:
            function = queue.pop()
            for callee in self.edges.get(id(function), ()):
                if id(callee) not in reached_by:
                    reached_by[id(callee)] = function
                    queue.append(callee)
        for node, prompt, caller in self.prompts:
            if caller is None:
                where = "runs when the notebook runs"
            elif id(caller) in reached_by:
                where = f"runs when the notebook calls {self._chain(caller, reached_by)}"
            else:
                continue
            self.report(
                node,
                _message(prompt, where),
                fix=_fix(prompt),
                evidence=hang_evidence(
                    "blocking-call",
                    prompt,
                    "waits for someone to type: under papermill, nbconvert --execute or CI nobody does",
                    call=prompt,
                    reached_by=self._chain(caller, reached_by) if caller is not None else None,
                ),
            )

    def _chain(self, function: Function, reached_by: dict[int, Function | None]) -> str:
        names: list[str] = []
        current: Function | None = function
        while current is not None and len(names) < 6:
            names.append(
                self.functions.names.get(id(current), "a lambda")
                + ("()" if id(current) in self.functions.names else "")
            )
            current = reached_by.get(id(current))
        names.reverse()
        return " -> ".join(names)


def _message(prompt: str, where: str) -> str:
    return (
        f"{prompt} {where} and waits for someone to type: under papermill, nbconvert --execute or CI it blocks "
        "forever or raises StdinNotImplementedError; take the value from a papermill parameters cell or os.environ"
    )


def _fix(prompt: str) -> str:
    if prompt.startswith("getpass"):
        return 'secret = os.environ["SECRET"]  # set it outside the notebook'
    return 'value = os.environ.get("VALUE", "default")  # or a papermill "parameters" cell'
