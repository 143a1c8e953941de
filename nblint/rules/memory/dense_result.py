"""NB104 dense-result: a result whose size is the product of its inputs' sizes, over the memory budget."""

from __future__ import annotations

import math
from dataclasses import dataclass

import libcst as cst

from nblint.core.code.facts import Facts
from nblint.core.code.symbols import last_name
from nblint.core.code.text import source_text
from nblint.core.evidence import named_values, size_evidence, size_message
from nblint.core.findings import Severity
from nblint.core.options import MEMORY_BUDGET, format_size
from nblint.core.sizes import (
    ITEMSIZE,
    argument,
    dense_bytes,
    expand_stars,
    facts_of,
    format_budget,
    format_count,
    int_range_length,
    positional_args,
    range_length,
    read_number,
    read_shape,
    resolve_dtype,
)
from nblint.rules.base import CodeRule, Invalid

# sklearn.metrics(.pairwise) functions that return the full n_X x n_Y matrix; True: has dense_output=.
_PAIRWISE = {
    "cosine_similarity": True,
    "linear_kernel": True,
    "pairwise_distances": False,
    "pairwise_kernels": False,
    "euclidean_distances": False,
    "nan_euclidean_distances": False,
    "manhattan_distances": False,
    "cosine_distances": False,
    "haversine_distances": False,
    "rbf_kernel": False,
    "laplacian_kernel": False,
    "polynomial_kernel": False,
    "sigmoid_kernel": False,
    "chi2_kernel": False,
    "additive_chi2_kernel": False,
}
_ARRAY_LIBRARIES = ("numpy.", "jax.numpy.")
_CALL_NAMES = frozenset(
    {
        *_PAIRWISE,
        "toarray",
        "todense",
        "cdist",
        "pdist",
        "squareform",
        "outer",
        "kron",
        "dot",
        "matmul",
        "meshgrid",
        "indices",
    }
)

_WAY_OUT = {
    "densify": "keep it sparse (sparse matrices multiply, sum and slice as they are) or densify a block of "
    "rows at a time (X[i:i + 1000].toarray())",
    "pairwise": "ask only for the nearest neighbours (sklearn.neighbors.NearestNeighbors) or compute it in "
    "blocks of rows (sklearn.metrics.pairwise_distances_chunked)",
    "pairwise-sparse": "ask only for the nearest neighbours (sklearn.neighbors.NearestNeighbors), a sparse "
    "result (dense_output=False) or blocks of rows (sklearn.metrics.pairwise_distances_chunked)",
    "distance": "query the nearest neighbours with scipy.spatial.cKDTree, or compute it in blocks of rows",
    "outer": "keep the factors and combine a block at a time (a[i:j, None] * b[None, :])",
    "kron": "keep the factors (a product with kron(A, B) can be computed from A and B), or use scipy.sparse.kron",
    "product": "compute it in blocks of rows (X[i:j] @ X.T), or ask only for the nearest neighbours",
    "meshgrid": "pass sparse=True (or copy=False): broadcasting does the rest without the full grids",
    "mgrid": "use np.ogrid, whose open grids broadcast to the same result",
    "indices": "pass sparse=True: the open grids broadcast to the same result",
}


@dataclass(frozen=True)
class Result:
    """A result too dense to hold: what it is, its bytes and the way out."""

    what: str  # "a 300,000 x 300,000 float64 matrix"
    nbytes: int
    dtype_known: bool
    inputs: tuple[Facts, ...]
    way_out: str
    fix: str | None = None
    shape: tuple[int, ...] | None = None
    dtype: str | None = None


class DenseResult(CodeRule):
    """
    ## What it does
    Flags results whose size is the product of their inputs' sizes when that product is over the memory
    budget: a scipy.sparse matrix made dense (`.toarray()`, `.todense()`, `.A`); full pairwise matrices
    (`sklearn.metrics.pairwise` functions such as `cosine_similarity(X)`, `linear_kernel(X, Y)`,
    `pairwise_distances`, `euclidean_distances`, `rbf_kernel`: n_X x n_Y, Y defaulting to X; SciPy's
    `cdist(XA, XB)`, `pdist(X)` and `squareform(pdist(X))`); `np.outer`, `np.kron`, `X @ X.T`,
    `np.dot(X, X.T)` and `X.dot(Y)`; and the full grids of `np.meshgrid`, `np.mgrid[...]` and `np.indices`.

    Input sizes come from nblint's one size model: an array or scipy.sparse constructor assigned once to a
    notebook-level name (`X = np.random.rand(300_000, 50)`, `S = sparse.random(10**6, 10**5, density=1e-4)`),
    `.T` of a known input, and, under the live guard, the live objects themselves. Results are counted as
    elements x bytes per element: float64 for SciPy distances and for sklearn unless every input is float32,
    NumPy's promotion of the inputs' dtypes otherwise (an unknown dtype counts 1 byte per element, a floor).
    Inputs of unknown size are never guessed at. Not reported: `dense_output=False`,
    `np.meshgrid(..., sparse=True)` or `copy=False`, `np.ogrid`, `np.indices(..., sparse=True)`, products of
    two sparse matrices (the result stays sparse), and nearest-neighbour queries.

    ## Why it kills the kernel
    A dense result of n x n grows with the square of the input: 300,000 rows of 50 features take 114 MiB,
    their cosine similarities 671 GiB. The allocation fails with a MemoryError at best; more often the OOM
    killer ends the kernel ("The kernel appears to have died") and the session's variables are lost.

    ## Example
        import numpy as np
        from sklearn.metrics.pairwise import cosine_similarity
        X = np.random.rand(300_000, 50)
        similarity = cosine_similarity(X)        # 300,000 x 300,000 float64: ~671 GiB

    ## Use instead
    Ask for what you use, not the whole matrix:

        from sklearn.neighbors import NearestNeighbors
        neighbours = NearestNeighbors(n_neighbors=10, metric="cosine").fit(X)
        distances, indices = neighbours.kneighbors(X)

    or walk it in blocks with `sklearn.metrics.pairwise_distances_chunked(X, metric="cosine")`, keep sparse
    results sparse (`cosine_similarity(S, dense_output=False)`), and pass `sparse=True` to `np.meshgrid`.

    ## Options
    - `memory-budget` (default `"1 GiB"`): the estimated result size above which it is reported. Shared
      with the other size rules.
    """

    code = "NB104"
    needs = (
        *sorted(_CALL_NAMES),
        "A",
        "@",
        "mgrid",
    )  # the pre-filter (CodeRule.needs): the calls it sizes, `.A`, `X @ Y`, np.mgrid[...]
    name = "dense-result"
    severity = Severity.ERROR
    options = (MEMORY_BUDGET,)

    VALID = [
        # small inputs
        "import numpy as np\nfrom sklearn.metrics.pairwise import cosine_similarity\n"
        "X = np.random.rand(1000, 50)\nS = cosine_similarity(X)\nG = X @ X.T\n",
        # a sparse result, open grids, views
        "import scipy.sparse as sp\nfrom sklearn.metrics.pairwise import cosine_similarity, linear_kernel\n"
        "S = sp.random(300_000, 10_000, density=0.001, format='csr')\n"
        "sim = cosine_similarity(S, dense_output=False)\nk = linear_kernel(S, S, dense_output=False)\n",
        "import numpy as np\nx = np.arange(5000)\nz = np.arange(500)\n"
        "xx, yy, zz = np.meshgrid(x, x, z, sparse=True)\nviews = np.meshgrid(x, x, z, copy=False)\n"
        "open_grid = np.ogrid[0:5000, 0:5000, 0:500]\ni, j = np.indices((50_000, 50_000), sparse=True)\n",
        # nearest neighbours instead of the full matrix
        "import numpy as np\nfrom sklearn.neighbors import NearestNeighbors\nX = np.random.rand(300_000, 50)\n"
        "nn = NearestNeighbors(n_neighbors=10).fit(X)\ndist, idx = nn.kneighbors(X)\n",
        # X.T @ X is only features x features
        "import numpy as np\nX = np.random.rand(300_000, 50)\ncov = X.T @ X\ngram = np.dot(X.T, X)\n",
        # sizes from data are unknown
        "from sklearn.metrics.pairwise import cosine_similarity\nX = vectorizer.fit_transform(docs)\n"
        "S = cosine_similarity(X)\nD = X.toarray()\nG = X @ X.T\n",
        # a product of two sparse matrices stays sparse
        "from scipy import sparse\nA = sparse.random(10**6, 10**6, density=1e-7, format='csr')\nB = A @ A.T\n",
        # toarray / .A of things that are not scipy.sparse matrices
        "import numpy as np\nm = np.matrix(data)\na = m.A\nt = tensor.toarray()\n",
        # a parameter shadows the notebook-level input
        "import numpy as np\nX = np.random.rand(300_000, 50)\ndef gram(X):\n    return X @ X.T\n",
        # pairwise_distances of a precomputed matrix returns it as it is
        "import numpy as np\nfrom sklearn.metrics import pairwise_distances\nD = np.zeros((40_000, 40_000), "
        "dtype=np.float32)\nP = pairwise_distances(D, metric='precomputed')\n",
        # modest grids, and a notebook's own cosine_similarity, from the corpus
        "import numpy as np\nxx, yy = np.meshgrid(np.linspace(-3, 3, 500), np.linspace(-3, 3, 500))\n"
        "Y, X = np.mgrid[-1.3:1.3:0.005, -2:1:0.005]\n",
        [
            "import numpy as np\ndef cosine_similarity(u, v):\n    return np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))\n",
            "E = np.random.rand(400_000, 50)\nsim = cosine_similarity(E, E)\n",
        ],
    ]
    INVALID = [
        Invalid(
            [
                "import numpy as np\nfrom sklearn.metrics.pairwise import cosine_similarity\n",
                "X = np.random.rand(300000, 50)\n",
                "similarity = cosine_similarity(X)\n",
            ],
            cell=2,
            line=1,
            column=14,
            message="cosine_similarity(X) builds a 300,000 x 300,000 float64 matrix (~671 GiB; "
            "X = np.random.rand(300000, 50)), over the 1 GiB budget; ask only for the nearest neighbours "
            "(sklearn.neighbors.NearestNeighbors), a sparse result (dense_output=False)",
        ),
        Invalid(
            "import numpy as np\nfrom sklearn.metrics import pairwise_distances\n"
            "A = np.random.rand(200_000, 10)\nB = np.random.rand(50_000, 10)\nD = pairwise_distances(A, B)\n",
            line=5,
            message="200,000 x 50,000 float64 matrix (~74.5 GiB",
        ),
        # float32 inputs keep float32 in sklearn
        Invalid(
            "import numpy as np\nimport sklearn.metrics.pairwise as pw\n"
            "X = np.zeros((100_000, 64), dtype=np.float32)\nK = pw.rbf_kernel(X)\n",
            line=4,
            message="100,000 x 100,000 float32 matrix (~37.3 GiB",
        ),
        # sparse made dense
        Invalid(
            [
                "import scipy.sparse as sp\nS = sp.random(1_000_000, 50_000, density=0.0001, format='csr')\n",
                "dense = S.toarray()\n",
            ],
            cell=1,
            column=9,
            message="S.toarray() builds a 1,000,000 x 50,000 float64 matrix (~373 GiB; "
            "S = sp.random(1_000_000, 50_000, density=0.0001, format='csr')), over the 1 GiB budget; keep it sparse",
        ),
        Invalid(
            "from scipy.sparse import csr_matrix\nM = csr_matrix((100_000, 100_000))\nD = M.A\n",
            line=3,
            message="M.A builds a 100,000 x 100,000 float64 matrix",
        ),
        Invalid(
            "from scipy import sparse\nI = sparse.eye(60_000, dtype='float32')\nD = I.todense()\n",
            line=3,
            message="~13.4 GiB",
        ),
        # SciPy distances
        Invalid(
            "import numpy as np\nfrom scipy.spatial.distance import cdist, pdist, squareform\n"
            "P = np.random.rand(100_000, 3)\nD = squareform(pdist(P))\n",
            line=4,
            column=5,
            message="squareform(pdist(P)) builds a 100,000 x 100,000 float64 matrix (~74.5 GiB",
        ),
        Invalid(
            "import numpy as np\nfrom scipy.spatial import distance\nP = np.random.rand(100_000, 3)\n"
            "Q = np.random.rand(20_000, 3)\nD = distance.cdist(P, Q)\n",
            line=5,
            message="(~14.9 GiB",
        ),
        Invalid(
            "import numpy as np\nfrom scipy.spatial.distance import pdist\nP = np.random.rand(100_000, 3)\n"
            "d = pdist(P)\n",
            line=4,
            message="condensed vector of 4,999,950,000 float64",
        ),
        # products
        Invalid(
            "import numpy as np\nX = np.random.rand(100_000, 20)\nG = X @ X.T\n",
            line=3,
            column=5,
            message="X @ X.T builds a 100,000 x 100,000 float64 matrix (~74.5 GiB; X = np.random.rand(100_000, 20))",
        ),
        Invalid(
            "import numpy as np\nX = np.random.rand(100_000, 20)\nXt = X.T\nG = np.dot(X, Xt)\nH = X.dot(Xt)\n",
            line=4,
            message="Xt = X.T; X = np.random.rand(100_000, 20)",
        ),
        Invalid(
            "import numpy as np\nX = np.random.rand(100_000, 20)\nXt = X.T\nH = X.dot(Xt)\n",
            line=4,
            message="X.dot(Xt) builds a 100,000 x 100,000 float64 matrix",
        ),
        Invalid(
            "import numpy as np\nO = np.outer(np.arange(100_000), np.ones(100_000))\n",
            line=2,
            message="np.outer(np.arange(100_000), np.ones(100_000)) builds a 100,000 x 100,000 float64 matrix "
            "(~74.5 GiB), over",
        ),
        Invalid(
            "import numpy as np\na = np.ones((300, 300))\nK = np.kron(a, a)\n",
            line=3,
            message="builds a 90,000 x 90,000 float64 matrix (~60.3 GiB; a = np.ones((300, 300)))",
        ),
        # grids: three axes of 5,000, 5,000 and 500 points make 12.5 billion cells per array
        Invalid(
            "import numpy as np\nx = np.arange(5000)\nz = np.arange(500)\nX, Y, Z = np.meshgrid(x, x, z)\n",
            line=4,
            column=11,
            message="builds 3 arrays of 5,000 x 5,000 x 500 int64 (~279 GiB; x = np.arange(5000); "
            "z = np.arange(500)), over the 1 GiB budget; pass sparse=True",
        ),
        # the same grids through a starred list of known length
        Invalid(
            "import numpy as np\naxes = [np.arange(5000)] * 3\ngrids = np.meshgrid(*axes)\n",
            line=3,
            message="builds 3 arrays of 5,000 x 5,000 x 5,000 int64",
        ),
        Invalid(
            "import numpy as np\ngrid = np.mgrid[0:5000, 0:5000, 0:500]\n",
            line=2,
            message="builds a 3 x 5,000 x 5,000 x 500 int64 array (~279 GiB)",
        ),
        Invalid(
            "import numpy as np\nrows, cols = np.indices((50_000, 50_000))\n",
            line=2,
            message="builds a 2 x 50,000 x 50,000 int64 array (~37.3 GiB)",
        ),
        # the budget is an option
        Invalid(
            "import numpy as np\nX = np.random.rand(5_000, 10)\nG = X @ X.T\n",
            line=3,
            options={"memory-budget": "100 MiB"},
            message="(~191 MiB; X = np.random.rand(5_000, 10)), over the 100 MiB budget",
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        # pdist(X) inside a reported squareform(...): the same allocation, reported once.
        self._covered: set[int] = set()

    # -- where results are made ----------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        name = last_name(node.func)
        if name not in _CALL_NAMES or id(node) in self._covered:
            return
        if name in ("toarray", "todense"):
            result = self._densified(node, node.func.value) if isinstance(node.func, cst.Attribute) else None
        elif name == "dot" and isinstance(node.func, cst.Attribute) and self.context.qualified_name(node.func) is None:
            args = positional_args(node)  # X.dot(Y) of a notebook variable, not np.dot
            result = self._product(node.func.value, args[0]) if args and len(args) == len(node.args) == 1 else None
        else:
            qualified = self.context.qualified_name(node.func)
            if qualified is None:
                return
            result = self._library_call(node, name, qualified)
        self._consider(node, result)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "A":
            self._consider(node, self._densified(node, node.value))

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.MatrixMultiply):
            self._consider(node, self._product(node.left, node.right))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if last_name(node.value) == "mgrid" and self.context.qualified_name(node.value) in (
            "numpy.mgrid",
            "jax.numpy.mgrid",
        ):
            self._consider(node, self._mgrid(node))

    def _library_call(self, node: cst.Call, name: str, qualified: str) -> Result | None:
        if name in _PAIRWISE and qualified.startswith("sklearn.metrics."):
            return self._pairwise(node, name)
        if qualified.startswith("scipy.spatial.distance."):
            if name == "cdist":
                return self._distances(node, argument(node, 0, "XA"), argument(node, 1, "XB"))
            if name == "squareform":
                inner = argument(node, 0, "X")
                if (
                    isinstance(inner, cst.Call)
                    and last_name(inner.func) == "pdist"
                    and self.context.qualified_name(inner.func) == "scipy.spatial.distance.pdist"
                ):
                    result = self._distances(node, argument(inner, 0, "X"), None)
                    if result is not None:
                        self._covered.add(id(inner))
                    return result
                return None
            if name == "pdist":
                return self._condensed(argument(node, 0, "X"))
            return None
        if not qualified.startswith(_ARRAY_LIBRARIES):
            return None
        if name == "outer":
            return self._outer(argument(node, 0, "a"), argument(node, 1, "b"))
        if name == "kron":
            return self._kron(argument(node, 0, "a"), argument(node, 1, "b"))
        if name in ("dot", "matmul"):
            args = positional_args(node)
            return self._product(args[0], args[1]) if args and len(args) == len(node.args) == 2 else None
        if name == "meshgrid":
            return self._meshgrid(node)
        if name == "indices":
            return self._indices(node)
        return None

    # -- sizes ---------------------------------------------------------------------------------------

    def _input(self, node) -> Facts | None:
        if node is None or not isinstance(node, cst.BaseExpression):
            return None
        facts = facts_of(node, self.context)
        return facts if facts is not None and facts.shape is not None else None

    def _densified(self, node: cst.CSTNode, matrix: cst.BaseExpression) -> Result | None:
        if isinstance(node, cst.Call) and node.args:
            return None
        facts = self._input(matrix)
        if facts is None or facts.kind != "sparse" or len(facts.shape) != 2:
            return None
        return _matrix(facts.shape, facts.dtype, (facts,), _WAY_OUT["densify"])

    def _pairwise(self, node: cst.Call, name: str) -> Result | None:
        if any(arg.star for arg in node.args):
            return None
        dense_output = argument(node, None, "dense_output")
        if dense_output is not None and self.context.evaluate(dense_output) is not True:
            return None
        metric = argument(node, None, "metric")
        if metric is not None and self.context.evaluate(metric) == "precomputed":
            return None
        x = self._input(argument(node, 0, "X"))
        second = argument(node, 1, "Y")
        if second is not None and self.context.evaluate(second) is None:
            second = None  # Y=None: X against itself
        y = x if second is None else self._input(second)
        if x is None or y is None or len(x.shape) != 2 or len(y.shape) != 2:
            return None
        dtype = "float32" if x.dtype == y.dtype == "float32" else "float64"
        inputs = (x,) if second is None else (x, y)
        way_out = _WAY_OUT["pairwise-sparse" if _PAIRWISE[name] else "pairwise"]
        return _matrix((x.shape[0], y.shape[0]), dtype, inputs, way_out)

    def _distances(self, node: cst.Call, first, second) -> Result | None:
        a = self._input(first)
        b = a if second is None else self._input(second)
        if a is None or b is None or len(a.shape) != 2 or len(b.shape) != 2:
            return None
        return _matrix((a.shape[0], b.shape[0]), "float64", (a,) if second is None else (a, b), _WAY_OUT["distance"])

    def _condensed(self, first) -> Result | None:
        a = self._input(first)
        if a is None or len(a.shape) != 2:
            return None
        pairs = a.shape[0] * (a.shape[0] - 1) // 2
        return Result(
            f"a condensed vector of {format_count(pairs)} float64 distances",
            pairs * 8,
            True,
            (a,),
            _WAY_OUT["distance"],
        )

    def _outer(self, first, second) -> Result | None:
        a, b = self._input(first), self._input(second)
        if a is None or b is None:
            return None
        return _matrix((a.elements, b.elements), _promote(a.dtype, b.dtype), (a, b), _WAY_OUT["outer"])

    def _kron(self, first, second) -> Result | None:
        a, b = self._input(first), self._input(second)
        if a is None or b is None or a.kind == "sparse" or b.kind == "sparse":
            return None
        rank = max(len(a.shape), len(b.shape))
        left = (1,) * (rank - len(a.shape)) + a.shape
        right = (1,) * (rank - len(b.shape)) + b.shape
        shape = tuple(x * y for x, y in zip(left, right))
        return _array(shape, _promote(a.dtype, b.dtype), (a, b), _WAY_OUT["kron"], matrix=len(shape) == 2)

    def _product(self, first, second) -> Result | None:
        a, b = self._input(first), self._input(second)
        if a is None or b is None or len(a.shape) != 2 or len(b.shape) != 2 or a.shape[1] != b.shape[0]:
            return None
        if a.kind == "sparse" and b.kind == "sparse":
            return None  # sparse @ sparse stays sparse
        return _matrix((a.shape[0], b.shape[1]), _promote(a.dtype, b.dtype), (a, b), _WAY_OUT["product"])

    def _meshgrid(self, written: cst.Call) -> Result | None:
        node = expand_stars(written, self.context)  # np.meshgrid(*[x] * 3) is np.meshgrid(x, x, x)
        if any(arg.star for arg in node.args):
            return None
        for keyword, harmless in (("sparse", False), ("copy", True)):
            given = argument(node, None, keyword)
            if given is not None and self.context.evaluate(given) is not harmless:
                return None  # sparse=True, copy=False or a value nblint cannot read
        inputs = [self._input(arg) for arg in positional_args(node) or ()]
        if len(inputs) < 2 or any(facts is None for facts in inputs):
            return None
        counts = tuple(facts.elements for facts in inputs)
        cells = math.prod(counts)
        dtypes = [facts.dtype for facts in inputs]
        nbytes = sum(cells * (ITEMSIZE[dtype] if dtype else 1) for dtype in dtypes)
        dtype_known = all(dtypes)
        dtype = dtypes[0] if len(set(dtypes)) == 1 and dtypes[0] else "mixed dtypes"
        what = f"{len(inputs)} arrays of {_dims(counts)} {dtype}"
        return Result(
            what,
            nbytes,
            dtype_known,
            tuple(inputs),
            _WAY_OUT["meshgrid"],
            fix=f"{source_text(written, 200)[:-1]}, sparse=True)",
        )

    def _mgrid(self, node: cst.Subscript) -> Result | None:
        counts = []
        integral = True
        for element in node.slice:
            part = element.slice
            if not isinstance(part, cst.Slice):
                return None
            bounds = [part.lower, part.upper, part.step]
            values = [
                0 if bounds[0] is None else read_number(bounds[0], self.context),
                read_number(bounds[1], self.context),
                1 if bounds[2] is None else read_number(bounds[2], self.context),
            ]
            if any(value is None for value in values):
                return None  # includes complex steps (100j), which count points
            if all(isinstance(value, int) for value in values):
                count = int_range_length(*values)
            else:
                integral = False
                count = range_length(*values)
            if count is None:
                return None
            counts.append(count)
        if len(counts) < 2:
            return None
        return _array(
            (len(counts), *counts),
            "int64" if integral else "float64",
            (),
            _WAY_OUT["mgrid"],
            fix="np.ogrid[...] with the same slices",
        )

    def _indices(self, node: cst.Call) -> Result | None:
        sparse = argument(node, 2, "sparse")
        if sparse is not None and self.context.evaluate(sparse) is not False:
            return None
        dimensions = read_shape(argument(node, 0, "dimensions"), self.context)
        if dimensions is None or len(dimensions) < 2:
            return None
        dtype_node = argument(node, 1, "dtype")
        dtype = "int64" if dtype_node is None else resolve_dtype(dtype_node, self.context)
        return _array((len(dimensions), *dimensions), dtype, (), _WAY_OUT["indices"])

    # -- reporting -----------------------------------------------------------------------------------

    def _consider(self, node: cst.CSTNode, result: Result | None) -> None:
        if result is None:
            return
        budget = self.option(MEMORY_BUDGET)
        if result.nbytes <= budget:
            return
        code = source_text(node)
        size = f"~{format_size(result.nbytes)}" if result.dtype_known else f"at least ~{format_size(result.nbytes)}"
        evidence = _evidence(result.inputs, code)
        values = named_values(node, self.context)
        fields = size_evidence(
            code,
            f"builds {result.what} ({size}{'; ' + evidence if evidence else ''})",
            result.nbytes,
            budget,
            result.way_out,
            shape=result.shape,
            dtype=result.dtype,
            at_least=not result.dtype_known,
            values=values,
        )
        self.report(node, size_message(fields, format_budget(budget), ", "), fix=result.fix, evidence=fields)


def _dims(shape: tuple[int, ...]) -> str:
    return " x ".join(format_count(d) for d in shape)


def _matrix(shape: tuple[int, int], dtype: str | None, inputs: tuple[Facts, ...], way_out: str) -> Result:
    return _array(shape, dtype, inputs, way_out, matrix=True)


def _array(
    shape: tuple[int, ...],
    dtype: str | None,
    inputs: tuple[Facts, ...],
    way_out: str,
    matrix: bool = False,
    fix: str | None = None,
) -> Result:
    kind = "matrix" if matrix else "array"
    what = f"a {_dims(shape)} {dtype or 'unknown-dtype'} {kind}"
    return Result(what, dense_bytes(shape, dtype), dtype is not None, inputs, way_out, fix, shape, dtype)


def _promote(first: str | None, second: str | None) -> str | None:
    """NumPy's result dtype for two inputs, for the dtypes that matter to a size: the wider one, and
    float64 when an integer meets a float no wider than itself (int64 x float32 -> float64)."""
    if first is None or second is None:
        return None
    if first == second:
        return first
    floats = {d for d in (first, second) if d.startswith(("float", "complex", "bfloat", "longdouble"))}
    wider = max(first, second, key=lambda d: ITEMSIZE[d])
    if len(floats) == 1:
        (floating,) = floats
        integer = second if floating == first else first
        if ITEMSIZE[integer] >= ITEMSIZE[floating] and integer != "bool":
            if floating.startswith("complex"):
                return "complex128"
            return "float64" if ITEMSIZE[floating] <= 8 else floating
        return floating
    return wider


def _evidence(inputs: tuple[Facts, ...], code: str) -> str:
    """How each input's size is known, once each, leaving out what the code shown already says."""
    seen: list[str] = []
    for facts in inputs:
        if facts.evidence and facts.evidence not in seen and facts.evidence not in code:
            seen.append(facts.evidence)
    return "; ".join(seen)
