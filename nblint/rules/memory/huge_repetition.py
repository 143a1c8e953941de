"""NB103 huge-repetition: `[0] * N`, `'x' * N`, `list(range(N))`, `bytearray(N)`... over the memory budget."""

from __future__ import annotations

import libcst as cst

from nblint.core.code.text import source_text
from nblint.core.evidence import named_values, size_evidence, size_message
from nblint.core.findings import Severity
from nblint.core.options import MEMORY_BUDGET, format_size
from nblint.core.sizes import (
    ArrayEstimate,
    ContainerEstimate,
    estimate_array,
    estimate_comprehension,
    estimate_materialised_range,
    estimate_repetition,
    format_budget,
    format_count,
)
from nblint.rules.base import CodeRule, Invalid

_WAY_OUT = {
    "list": "iterate lazily (a generator, or range itself) or use a NumPy array with a small dtype",
    "tuple": "iterate lazily (a generator, or range itself) or use a NumPy array with a small dtype",
    "set": "iterate over range(...) directly: it is lazy",
    "str": "write the text in pieces (to a file or a stream) instead of building it whole",
    "bytes": "write it in chunks, or use np.memmap / a file",
    "bytearray": "allocate it in chunks, or use np.memmap / a file",
}
_FIX = {
    "list": "for item in range(n): ...  # or np.zeros(n, dtype=np.int8)",
    "tuple": "for item in range(n): ...",
    "set": "for item in range(n): ...",
    "str": "with open('out.txt', 'w') as f:\n    for _ in range(n): f.write(piece)",
    "bytes": "np.memmap('buffer.bin', dtype=np.uint8, mode='w+', shape=(n,))",
    "bytearray": "np.memmap('buffer.bin', dtype=np.uint8, mode='w+', shape=(n,))",
}


class HugeRepetition(CodeRule):
    """
    ## What it does
    Flags Python containers built whole whose estimated size is over the memory budget: a repetition of a
    literal (`[0] * N`, `'x' * N`, `(None,) * N`, `b'\\0' * N`), a materialised range (`list(range(N))`,
    `tuple(range(N))`, `set(range(N))`), a preallocated buffer (`bytearray(N)`, `bytes(N)`) and a list
    comprehension over `range(N)` (`[[0] * M for _ in range(N)]`).

    The estimate is what CPython allocates, counted conservatively: 8 bytes per list or tuple slot (the
    repeated object is shared, so it is not counted again), 1, 2 or 4 bytes per str character (by the
    widest character), 1 byte per bytes/bytearray item, and for `list(range(N))` a 28-byte int object per
    element beyond the small-int cache. Objects that a comprehension creates are not counted unless they
    are themselves a container or an array nblint can size (`[np.zeros((1000, 1000)) for _ in range(1000)]`).
    N comes from literals, arithmetic and notebook-level constants assigned once; `[x] * len(y)` and
    other sizes known only at run time are never guessed.
    `range(N)` itself is lazy and loops over big ranges allocate nothing: neither is reported.

    ## Why it kills the kernel
    The interpreter asks for the whole container at once: `[0] * 10**10` wants 74.5 GiB for its pointers
    alone. The OOM killer ends the kernel ("The kernel appears to have died") and the session's state is
    lost, or the machine swaps until it stops responding.

    ## Example
        counts = [0] * 10**10
        ids = list(range(2_000_000_000))

    ## Use instead
        counts = np.zeros(10**10 // 1000, dtype=np.int32)   # a smaller problem, a compact dtype
        for i in range(2_000_000_000):                       # range is lazy
            ...

    ## Options
    - `memory-budget` (default `"1 GiB"`): the estimate above which a container is reported. Shared with
      the other size rules.
    """

    code = "NB103"
    needs = (
        "*",
        "bytearray",
        "bytes",
        "range",
    )  # the pre-filter (CodeRule.needs): `[0] * N`, bytes(N), list(range(N)), [... for _ in range(N)]
    name = "huge-repetition"
    severity = Severity.ERROR
    options = (MEMORY_BUDGET,)

    VALID = [
        # range itself is lazy; loops over big ranges allocate nothing
        "r = range(10**12)\nfor i in range(10**12):\n    pass\n",
        "total = sum(i for i in range(10**10))\n",
        # small repetitions
        "print('-' * 80)\nrow = [0] * 1000\nmask = [False] * 10_000_000\n",
        "grid = [[0] * 1000 for _ in range(1000)]\n",
        # [x] * len(y), and other sizes known only at run time
        "weights = [1.0] * len(samples)\npad = ' ' * width\nbuf = bytearray(size)\n",
        # a nested repetition shares its inner list: 2 x 800 KB, not 80 GB
        "board = [[0] * 100_000] * 100_000\n",
        # numbers, not sequences
        "import numpy as np\nx = np.ones(3) * 10**12\ny = 3 * 10**12\n",
        # bytes(...) of a string, list(...) of something that is not a range
        "b = bytes('abc', 'utf-8')\nxs = list(data)\n",
        # a constant assigned twice with different values is unknown
        ["N = 10\n", "N = 10**10\n", "xs = [0] * N\n"],
        # a parameter shadows the constant
        "N = 10**10\ndef make(N):\n    return [0] * N\n",
        # code in comments and strings
        "# xs = [0] * 10**10\ns = 'list(range(10**10))'\n",
        # a builtin that the notebook rebinds is not the builtin
        "def bytearray(n):\n    return n\nb = bytearray(10**12)\n",
        # one array shared by every slot, and a few arrays
        "import numpy as np\nframes = [np.zeros((1000, 1000))] * 1000\nfew = [np.zeros((1000, 1000)) for _ in range(10)]\n",
        # a filtered comprehension is not sized
        "evens = [i for i in range(10**10) if i % 1000 == 0]\n",
        # repetitions seen in real notebooks
        "metrics = ['accuracy'] * 10\ncolumns = [[1, 2, 3]] * 50\n",
        "defaults = [float()] * 30\nargs = [iter(sentences)] * batch_size\nkernel = 2 * (kernel_size,)\n",
        "cpus = [f'CPU:{i}' for i in range(8)]\nmems = [np.zeros([1, 0, model_dim]) for _ in range(n_layer)]\n",
    ]
    INVALID = [
        Invalid(
            "counts = [0] * 10**10\n",
            line=1,
            column=10,
            message="[0] * 10**10 builds a list of 10,000,000,000 items, ~74.5 GiB (8-byte pointer per slot) "
            "over the 1 GiB budget",
        ),
        Invalid("padding = 10**9 * 'ab'\n", line=1, message="str of 2,000,000,000 items, ~1.9 GiB"),
        Invalid("wide = 'é' * 10**9\nwider = '\u4e2d' * 10**9\n", line=2, message="2 bytes per character"),
        Invalid(
            "ids = list(range(100_000_000))\n",
            line=1,
            column=7,
            message="~3.4 GiB (8-byte pointer per slot + 28-byte int object per element)",
        ),
        Invalid("seen = set(range(0, 10**9, 2))\n", line=1, message="set of 500,000,000 items"),
        # lengths past sys.maxsize are counted, not handed to len()
        Invalid("ids = list(range(10**20))\n", line=1, message="100,000,000,000,000,000,000 items"),
        Invalid("buf = bytearray(2 * 1024**3)\n", line=1, message="bytearray of 2,147,483,648 items, ~2.0 GiB"),
        Invalid("zeros = bytes(5_000_000_000)\n", line=1, message="~4.7 GiB"),
        Invalid("t = (None,) * 200_000_000\n", line=1, message="tuple of 200,000,000 items"),
        Invalid("raw = b'\\x00' * 3_000_000_000\n", line=1, message="bytes of 3,000,000,000 items"),
        # cross-cell constant
        Invalid(
            ["N = 100_000\n", "M = N * N\n", "visited = [False] * M\n"], cell=2, line=1, column=11, message="~74.5 GiB"
        ),
        # a comprehension that builds a fresh row each time: 10,000 rows of 100,000 pointers
        Invalid("grid = [[0] * 100_000 for _ in range(10_000)]\n", line=1, column=8, message="~7.5 GiB"),
        Invalid("xs = [None for _ in range(10**9)]\n", line=1, message="~7.5 GiB"),
        # a fresh array per element: 1,000 arrays of 7.6 MiB (each under the budget on its own)
        Invalid(
            "import numpy as np\nframes = [np.zeros((1000, 1000)) for _ in range(1000)]\n",
            line=2,
            message="~7.5 GiB (8-byte pointer per slot + the object each element builds)",
        ),
        # the budget is an option
        Invalid(
            "row = [0] * 10_000_000\n",
            options={"memory-budget": "64 MiB"},
            message="~76.3 MiB (8-byte pointer per slot) over the 64 MiB budget",
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        # Element nodes already counted into a reported comprehension: not reported a second time.
        self._covered: set[int] = set()
        self._sized_elements: list[int] = []

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.Multiply):
            self._consider(node, estimate_repetition(node, self.context))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value in ("list", "tuple", "set", "bytearray", "bytes"):
            self._consider(node, estimate_materialised_range(node, self.context))

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._sized_elements = []
        estimate = estimate_comprehension(node, self.context, self._element_bytes)
        if self._consider(node, estimate):
            self._covered.update(self._sized_elements)

    def _element_bytes(self, element: cst.BaseExpression) -> int | None:
        """What one element of a comprehension builds, when it is itself a container nblint can size."""
        estimate: ContainerEstimate | ArrayEstimate | None
        if isinstance(element, cst.BinaryOperation):
            estimate = estimate_repetition(element, self.context)
        elif isinstance(element, cst.Call):
            estimate = estimate_materialised_range(element, self.context) or estimate_array(element, self.context)
        elif isinstance(element, cst.ListComp):
            estimate = estimate_comprehension(element, self.context, self._element_bytes)
        else:
            estimate = None
        if estimate is None:
            return None
        self._sized_elements.append(id(element))
        return estimate.nbytes

    def _consider(self, node: cst.CSTNode, estimate: ContainerEstimate | None) -> bool:
        """Report the container when its estimate is over the budget; True when reported."""
        if id(node) in self._covered:
            self._covered.discard(id(node))
            return False
        if estimate is None:
            return False
        budget = self.option(MEMORY_BUDGET)
        if estimate.nbytes <= budget:
            return False
        evidence = size_evidence(
            source_text(node),
            f"builds a {estimate.kind} of {format_count(estimate.items)} items, ~{format_size(estimate.nbytes)} "
            f"({estimate.how})",
            estimate.nbytes,
            budget,
            _WAY_OUT[estimate.kind],
            values=named_values(node, self.context),
            length=estimate.items,
        )
        self.report(node, size_message(evidence, format_budget(budget)), fix=_FIX[estimate.kind], evidence=evidence)
        return True
