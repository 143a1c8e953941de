"""NB101 huge-allocation: an array constructor whose estimated size is over the memory budget."""

from __future__ import annotations

import libcst as cst

from nblint.core.code.text import source_text
from nblint.core.evidence import named_values, size_evidence, size_message
from nblint.core.findings import Severity
from nblint.core.options import MEMORY_BUDGET, format_size
from nblint.core.sizes import CONSTRUCTOR_NAMES, ArrayEstimate, estimate_array, format_budget, format_count
from nblint.rules.base import CodeRule, Invalid

# Constructors whose memory np.memmap can stand for (zeros and empty: a new memmap is zero-filled).
_MEMMAP_FRIENDLY = {"zeros", "empty"}


class HugeAllocation(CodeRule):
    """
    ## What it does
    Flags NumPy, PyTorch, TensorFlow and JAX array constructors (`zeros`, `ones`, `empty`, `full`,
    `random.rand/randn/random/uniform/normal/randint`, `arange`, `linspace`, `eye`, `identity`, `tile`...)
    whose estimated size (elements x bytes per element of the dtype) is over the memory budget.

    The estimate comes from what the code says: literal numbers and arithmetic (`10**5`, `1e4` through
    `int()`, `100_000`), notebook-level constants assigned once (in any earlier cell), the `shape=`/`size=`
    and `dtype=` keywords (`'float32'`, `np.int8`, `torch.float16`, `tf.int8`), and the library's default
    dtype: float64 for NumPy, float32 for PyTorch, TensorFlow and JAX (JAX computes in 32 bits unless
    `jax_enable_x64` is on). Aliases are followed (`import numpy as numeric`, `from numpy import ones`).
    Sequences whose length is known are followed through `*` and `**`: a known tuple spliced in
    (`(*SHAPE, 3)`), one repeated (`(*[n] * 3,)`, `(N,) * 3`), a comprehension of one `for` over a
    short range whose element does not read its variable (`[N for _ in range(3)]`), passed whole or
    unpacked (`np.random.rand(*[N] * 3)`, `torch.zeros(*shape)`), and a dict of keywords
    (`np.zeros(**{"shape": s})`).
    Shapes taken from data (`len(df)`, `x.size(1)`), constants assigned twice with different values and
    methods of other objects that happen to be called `zeros` are never guessed at.

    ## Why it kills the kernel
    The allocation asks the operating system for more memory than the machine can give: the kernel is
    killed by the OOM killer ("The kernel appears to have died. It will restart automatically.") and every
    variable of the session is lost, or the machine swaps until it stops responding. `np.empty` and
    `np.zeros` may seem to succeed (pages are committed lazily) and die later, when the array is filled.

    ## Example
        import numpy as np
        distances = np.zeros((100_000, 100_000))  # ~74.5 GiB of float64

    ## Use instead
    Build the result in chunks that fit, keep it on disk, or use a smaller dtype:

        distances = np.memmap("distances.dat", dtype="float32", mode="w+", shape=(100_000, 100_000))
        for start in range(0, 100_000, 1_000):
            distances[start:start + 1_000] = compute_block(start, 1_000)

    ## Options
    - `memory-budget` (default `"1 GiB"`): the estimate above which an allocation is reported, e.g.
      `memory-budget = "16 GiB"` in `[tool.nblint]` on a machine with more memory. Shared with the other
      size rules.
    """

    code = "NB101"
    needs = tuple(
        sorted(CONSTRUCTOR_NAMES)
    )  # the pre-filter (CodeRule.needs): the last name of every constructor estimate_array sizes
    name = "huge-allocation"
    severity = Severity.ERROR
    options = (MEMORY_BUDGET,)

    VALID = [
        # A shape unpacked from a known small tuple.
        "import numpy as np\nIMG = (224, 224)\nbatch = np.zeros((32, *IMG, 3), dtype=np.float32)\n",
        # Sequences of known length unpacked into the shape, small; a comprehension whose element reads its
        # own variable (or a list of unknown length) is not guessed.
        "import numpy as np\nvoxels = np.zeros((*[64] * 3,), dtype=np.uint8)\nx = np.random.rand(*[32 for _ in range(3)])\n",
        "import numpy as np\nlevels = np.zeros([2**i for i in range(40)])\ngrid = np.ones(*sizes)\n",
        # small arrays
        "import numpy as np\nx = np.zeros((100, 100))\ny = np.random.rand(1000, 1000)\n",
        "import torch\nt = torch.randn(64, 3, 224, 224)\n",
        # int8 / uint8: 900 million elements but 858 MiB, under the budget
        "import numpy as np\nmask = np.zeros((30_000, 30_000), dtype=np.uint8)\n",
        "import numpy as np\nmask = np.ones(900_000_000, dtype='int8')\n",
        "import torch\nhalf = torch.zeros(20_000, 20_000, dtype=torch.float16)\n",  # 763 MiB
        # shapes from runtime values are unknown
        "import numpy as np\nz = np.zeros((len(df), 100_000))\n",
        "import torch\nh = torch.zeros(x.size(0), 100_000, 100_000)\n",
        "import numpy as np\nn = int(input())\nz = np.zeros((n, n))\n",
        # a constant assigned twice with different values is unknown
        ["import numpy as np\nN = 10\n", "N = 100_000\n", "z = np.zeros((N, N))\n"],
        # a function parameter shadows the notebook-level constant of the same name
        "import numpy as np\nN = 100_000\ndef grid(N):\n    return np.zeros((N, N))\n",
        # methods of other objects that happen to be called zeros / ones / full
        "model.zeros((100_000, 100_000))\nbuffer.full((100_000, 100_000), 0)\ndf.sample(10**12)\n",
        "import numpy as np\nrng = np.random.default_rng()\nx = rng.random((1000, 1000))\n",
        "import pandas as pd\nidx = pd.RangeIndex(10**12)\n",
        # code in comments and strings
        "import numpy as np\n# x = np.zeros((100_000, 100_000))\ns = 'np.zeros((100_000, 100_000))'\n",
        # np.memmap keeps the data on disk
        "import numpy as np\nm = np.memmap('d.dat', dtype='float64', mode='w+', shape=(100_000, 100_000))\n",
        # np.zeros without an import of numpy is not NumPy's
        "zeros = lambda shape: None\nzeros((100_000, 100_000))\n",
        # a scalar draw, an unknown dtype's floor under the budget
        "import numpy as np\nv = np.random.uniform(0, 1)\nw = np.full(100_000_000, fill)\n",
        # modest ranges and grids seen in real notebooks
        "import numpy as np\nx = np.linspace(-5.0, 5.0, 100)\nt = np.arange(0, 2, 0.1)\nI = np.eye(5)\n",
        "import tensorflow as tf\nx = tf.linspace(-10, 10, 500)\nw = tf.random.uniform(shape=[x.shape[-1], 1])\n",
        # from the corpus: constants from earlier cells, sizes well under the budget
        ["import numpy as np\n", "m = 10000\n", "n_s = 64\n", "s0 = np.zeros((m, n_s))\n"],
        [
            "import tensorflow as tf\nBATCH_SIZE = 2\nAUDIO_MAXLEN = 246000\n",
            "speech = tf.random.uniform(shape=(BATCH_SIZE, AUDIO_MAXLEN))\n",
        ],
        "import numpy as np\nY_oh = np.eye(C)[Y.reshape(-1)]\ni = np.random.randint(0, len(X_test) - 1)\n"
        "pad = np.full(forecast_horizon, np.nan)\n",
        "import tensorflow as tf\nx = tf.zeros([1, 200, 200, 100])\nk = tf.identity(dense.weights[0])\n",
    ]
    INVALID = [
        # `%time` and `%timeit` run their statement: it is analysed, at its own columns.
        Invalid("import numpy as np\n%time y = np.zeros((100_000, 100_000))\n", line=2, column=11),
        Invalid("import numpy as np\n%timeit -n 1 -r 1 np.ones((100_000, 100_000))\n", line=2, column=19),
        # A shape unpacked with * from a known tuple.
        Invalid(
            "import numpy as np\nSHAPE = (100_000, 50_000)\nX = np.zeros((*SHAPE, 3))\n", line=3, message="112 GiB"
        ),
        # Sequences of known length unpacked (* and **) or built by a comprehension over a range.
        Invalid("import numpy as np\nn = 5000\nvolume = np.zeros((*[n] * 3,))\n", line=3, message="931 GiB"),
        Invalid(
            "import numpy as np\nN = 2000\nshape = [N for _ in range(3)]\ncube = np.ones(shape)\n",
            line=4,
            message="shape 2000 x 2000 x 2000",
        ),
        Invalid("import numpy as np\nN = 2000\nx = np.random.rand(*[N] * 3)\n", line=3, message="59.6 GiB"),
        Invalid("import torch\ndims = (2000,) * 3\nt = torch.zeros(*dims)\n", line=3, message="29.8 GiB (float32"),
        Invalid(
            "import numpy as np\nkw = {'shape': (5000, 5000, 5000)}\nx = np.zeros(**kw)\n", line=3, message="931 GiB"
        ),
        Invalid(
            "import numpy as np\nx = np.random.rand(100000, 100000)\n",
            line=2,
            column=5,
            message="np.random.rand(100000, 100000) allocates ~74.5 GiB (float64) over the 1 GiB budget; "
            "build it in chunks, use a smaller dtype, or np.memmap",
        ),
        # cross-cell: the import, the constant and the call in three cells
        Invalid(
            ["import numpy as np\n", "N = 100_000\n", "dist = np.zeros((N, N))\n"],
            cell=2,
            line=1,
            column=8,
            message="~74.5 GiB (float64, shape 100000 x 100000)",
        ),
        # aliases
        Invalid(
            "import numpy as numeric\nx = numeric.empty((50_000, 50_000))\n",
            line=2,
            message="numeric.empty((50_000, 50_000)) allocates ~18.6 GiB",
        ),
        Invalid(
            ["from numpy import ones\n", "x = ones([40_000, 40_000], dtype='float32')\n"],
            cell=1,
            message="~6.0 GiB (float32",
        ),
        # dtype keywords and attributes
        Invalid("import numpy as np\nx = np.zeros(shape=(2**31,), dtype=np.int8)\n", line=2, message="~2.0 GiB (int8"),
        Invalid("import numpy as np\nx = np.ones((100_000, 100_000), np.float16)\n", line=2, message="(float16"),
        # torch and tensorflow default to float32
        Invalid("import torch\nt = torch.randn(100_000, 100_000)\n", line=2, message="~37.3 GiB (float32"),
        Invalid("import torch\nt = torch.zeros((50_000, 50_000), dtype=torch.float64)\n", line=2, message="(float64"),
        Invalid(
            "import tensorflow as tf\nt = tf.random.normal(shape=(100_000, 100_000))\n",
            line=2,
            message="~37.3 GiB (float32",
        ),
        Invalid("import tensorflow as tf\nt = tf.zeros([60_000, 60_000], dtype=tf.int8)\n", line=2, message="(int8"),
        Invalid("import jax.numpy as jnp\nx = jnp.ones((100_000, 100_000))\n", line=2, message="(float32"),
        Invalid("import jax\nx = jax.random.normal(key, (100_000, 100_000))\n", line=2, message="~37.3 GiB"),
        # size= keywords, randint's int64, arange / linspace counts, eye, tile, full
        Invalid(
            "import numpy as np\nx = np.random.randint(0, 10, size=(100_000, 100_000))\n", line=2, message="(int64"
        ),
        Invalid("import numpy as np\nx = np.random.normal(0, 1, size=10**9)\n", line=2, message="~7.5 GiB"),
        Invalid("import numpy as np\nx = np.arange(0, 1e9, 0.5)\n", line=2, message="~14.9 GiB (float64"),
        Invalid("import numpy as np\nx = np.arange(10**9)\n", line=2, message="(int64"),
        Invalid("import numpy as np\nx = np.linspace(0, 1, 500_000_000)\n", line=2, message="~3.7 GiB"),
        Invalid("import numpy as np\nI = np.eye(50_000)\n", line=2, message="~18.6 GiB"),
        Invalid("import numpy as np\nI = np.identity(50_000, dtype=np.float32)\n", line=2, message="~9.3 GiB"),
        Invalid("import numpy as np\nx = np.tile([1.0, 2.0], 10**9)\n", line=2, message="~14.9 GiB (float64"),
        Invalid("import numpy as np\nx = np.full((50_000, 50_000), np.nan)\n", line=2, message="(float64"),
        # a constant spelt with int() and exponent notation
        Invalid(
            ["import numpy as np\nROWS = int(1e6)\n", "x = np.empty((ROWS, 1000))\n"],
            cell=1,
            message="shape 1000000 x 1000",
        ),
        # the budget is an option
        Invalid(
            "import numpy as np\nx = np.zeros((10_000, 10_000))\n",
            line=2,
            options={"memory-budget": "512 MB"},
            message="~763 MiB (float64, shape 10000 x 10000) over the 488 MiB budget",
        ),
        # an unknown dtype is counted at 1 byte per element: still too big
        Invalid("import numpy as np\nx = np.full(10**10, fill)\n", line=2, message="at least ~9.3 GiB"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        estimate = estimate_array(node, self.context)
        if estimate is None:
            return
        budget = self.option(MEMORY_BUDGET)
        if estimate.nbytes <= budget:
            return
        evidence = self._evidence(node, estimate, budget)
        self.report(
            node,
            size_message(evidence, format_budget(budget)),
            fix=self._fix(node, estimate, budget),
            evidence=evidence,
        )

    def _evidence(self, node: cst.Call, estimate: ArrayEstimate, budget: int) -> dict:
        code = source_text(node)
        size = format_size(estimate.nbytes)
        shape = " x ".join(str(d) for d in estimate.shape)
        shown_shape = any(str(d) not in code for d in estimate.shape)
        if estimate.dtype is None:
            evidence = (
                f"at least ~{size} ({format_count(estimate.elements)} elements of a dtype nblint cannot read, "
                f"counted at 1 byte each)"
            )
        else:
            evidence = f"~{size} ({estimate.dtype}" + (f", shape {shape})" if shown_shape else ")")
        return size_evidence(
            code,
            f"allocates {evidence}",
            estimate.nbytes,
            budget,
            self._way_out(node, estimate),
            shape=estimate.shape,
            dtype=estimate.dtype,
            at_least=estimate.dtype is None,
            values=named_values(node, self.context),
        )

    def _way_out(self, node: cst.Call, estimate: ArrayEstimate) -> str:
        if estimate.library == "numpy":
            return f"build it in chunks, use a smaller dtype, or {self._numpy_alias(node)}.memmap"
        if estimate.library == "torch":
            return "build it in chunks or use a smaller dtype (torch.float16, torch.int8)"
        return "build it in chunks or use a smaller dtype"

    def _numpy_alias(self, node: cst.Call) -> str:
        """`np` when the user wrote np.zeros; `numpy` when they imported the function by name."""
        head = node.func
        while isinstance(head, cst.Attribute):
            head = head.value
        if isinstance(head, cst.Name) and self.context.qualified_name(head) == "numpy":
            return head.value
        return "numpy"

    def _fix(self, node: cst.Call, estimate: ArrayEstimate, budget: int) -> str:
        shape = estimate.shape
        function = estimate.function.rpartition(".")[2]
        dtype = estimate.dtype or "float64"
        if estimate.library == "numpy" and function in _MEMMAP_FRIENDLY:
            return f"{self._numpy_alias(node)}.memmap('array.dat', dtype='{dtype}', mode='w+', shape={shape!r})"
        if len(shape) >= 1 and shape[0] > 1:
            row_bytes = max(1, estimate.nbytes // shape[0])
            rows = max(1, (budget // 4) // row_bytes)
            if rows < shape[0]:
                return (
                    f"process it in chunks of {format_count(rows)} rows: for start in range(0, {shape[0]}, {rows}): ..."
                )
        return "use a smaller shape or dtype"
