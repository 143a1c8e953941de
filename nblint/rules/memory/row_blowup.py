"""NB110 row-blowup: pandas reshapes and merges whose result, counted from the keys, is over the budget.

The result's size depends on the data's values (distinct counts, repeated keys): the guard counts them in
the kernel's live frames; `nblint check` reads them only from frames the notebook builds from literals
(nblint.core.frames) and says nothing about any other frame.
"""

from __future__ import annotations

import libcst as cst

from nblint.core.code.symbols import UNKNOWN, last_name
from nblint.core.code.text import source_text
from nblint.core.evidence import named_values, size_evidence, size_message
from nblint.core.findings import Severity
from nblint.core.options import MEMORY_BUDGET, format_size
from nblint.core.sizes import ITEMSIZE, argument, format_budget, format_count, resolve_dtype
from nblint.rules.base import CodeRule, Invalid, Valid

_UNIQUE_KEYS = (
    "make the keys unique first (drop_duplicates or an aggregation), say what you expect with "
    "validate='one_to_one', or merge in chunks"
)
_OPERATORS = {
    cst.Equal: "==",
    cst.NotEqual: "!=",
    cst.LessThan: "<",
    cst.LessThanEqual: "<=",
    cst.GreaterThan: ">",
    cst.GreaterThanEqual: ">=",
}
_ENCODE_WAY_OUT = {
    "get_dummies": "encode it sparsely (sparse=True) or as category codes (.astype('category').cat.codes)",
    "OneHotEncoder": "keep OneHotEncoder's sparse output (the default)",
}
# attributes of a frame that are not its columns
_FRAME_ATTRIBUTES = frozenset(
    {"T", "values", "index", "columns", "loc", "iloc", "at", "iat", "dtypes", "shape", "axes"}
)
_METHODS = frozenset({"get_dummies", "fit_transform", "pivot_table", "unstack", "merge", "join", "crosstab"})

_USERS = "import pandas as pd\nusers = pd.DataFrame({'user': [f'u{i}' for i in range(100_000)], 'n': range(100_000)})\n"
_REPEATS = (
    "import pandas as pd\nleft = pd.DataFrame({'key': [0] * 60_000, 'a': range(60_000)})\n"
    "right = pd.DataFrame({'key': [0] * 60_000, 'b': range(60_000)})\n"
)
_SALES = (
    "import pandas as pd\nimport numpy as np\nn = 200_000\nsales = pd.DataFrame({'store': np.arange(n) % 400, "
    "'day': np.arange(n) % 401, 'item': np.arange(n) % 397, 'size': np.arange(n) % 3, 'n': 1.0})\n"
    "by_level = sales.set_index(['store', 'day', 'item', 'size'])['n']\n"
)
_PRICES = (
    "import pandas as pd\nimport numpy as np\norders = pd.DataFrame({'sku': np.arange(100_000) % 10, 'q': 1.0})\n"
    "history = pd.DataFrame({'sku': np.arange(100_000) % 10, 'price': 2.0, 'day': np.arange(100_000)})\n"
    "catalog = pd.DataFrame({'sku': np.arange(10), 'price': 2.0})\nby_sku = history.set_index('sku')[['price']]\n"
)
_UNIQUE = (
    "import pandas as pd\nleft = pd.DataFrame({'key': range(200_000), 'a': 1.0})\n"
    "right = pd.DataFrame({'key': range(200_000), 'b': 2.0})\n"
)


class RowBlowup(CodeRule):
    """
    ## What it does
    Flags pandas and scikit-learn calls whose result grows with the data's values rather than its size
    (one-hot encodings, pivots, unstacks, merges and joins), when counting the keys shows the result is
    over the memory budget. What each makes:

    - `pd.get_dummies(df["user"])` / `pd.get_dummies(df, columns=[...])` and
      `OneHotEncoder(sparse_output=False).fit_transform(X)`: rows x distinct values of every encoded column;
    - `df.pivot_table(index=..., columns=...)`, one key or a list on each side: the combinations of the
      index keys that occur x those of the column keys (the product of the levels' distinct values when
      they vary independently, and always with `dropna=False`), for each value column and aggregation;
    - `s.unstack()`, `s.unstack(["b", "c"])`: distinct rows of the other index levels x distinct values
      (or combinations) of the unstacked ones, for each column;
    - `left.merge(right, on="key")`, `pd.merge(...)`, `left_index=` / `right_index=`: the rows each key
      value makes on both sides (a key repeated m times on the left and n times on the right makes
      m x n rows; missing keys match each other, as in pandas), and `how="cross"`: the product of the
      row counts;
    - `left.join(other, on="k")`, where `other` may be `other.set_index("k")`, a column selection of it
      (`other.set_index("k").price`, `other[["a"]]`) or a filtered frame (`other[other["x"] > 0]`), and
      `left.join([a, b])`: labels repeated in the index joined multiply the rows like repeated keys.

    Under the guard (`%load_ext nblint`), keys are counted in the live frames where the worst case from
    sizes alone is over the budget, within half a second per cell (the rate measured on a sample first),
    and only in pandas' own frames whose values pandas hashes itself; when they are too many to count
    in time, a warning says which figure could not be had and what the worst case is. `nblint check`
    counts only frames built from literals in the notebook (`pd.DataFrame({"key": [0] * N, ...})`,
    `range(N)`, `np.arange`, `np.repeat`, `np.tile`, `[f"u{i}" for i in range(N)]`, constants) and
    merged, dummied or pivoted on one key; anything read from data is unknown and not reported.

    ## Why it kills the kernel
    A merge on a key that repeats on both sides, or the dummies of an id column, make a result far larger
    than its inputs: 60,000 rows with one key value on each side merge into 3.6 billion rows. The kernel
    allocates until the OOM killer ends it, with every variable of the session.

    ## Example
        left.merge(right, on="key")      # "key" repeats 60,000 times on each side
        pd.get_dummies(users["user"])    # 100,000 distinct users on 100,000 rows
        sales.pivot_table(index=["store", "day"], columns=["item", "size"], values="n")

    ## Use instead
    Make keys unique before merging (`drop_duplicates`, an aggregation) and say what you expect with
    `validate="one_to_one"`; encode high-cardinality columns sparsely (`sparse=True`,
    `OneHotEncoder()` keeps its sparse default) or as codes (`df["user"].astype("category").cat.codes`);
    keep wide reshapes in the long format (`groupby([...]).agg(...)`).

    ## Options
    - `memory-budget` (default `"1 GiB"`): the estimated result size above which a call is reported.
      Under the guard, a result over the memory the kernel has is refused, one over the budget is a warning.
    """

    code = "NB110"
    needs = tuple(sorted(_METHODS))  # the pre-filter (CodeRule.needs): the last name of every call it sizes
    name = "row-blowup"
    severity = Severity.ERROR
    options = (MEMORY_BUDGET,)

    VALID = [
        # static runs never know the counts
        "import pandas as pd\ndf = pd.read_csv('events.csv')\nwide = pd.get_dummies(df['user'])\n",
        # a merge on unique keys: as many rows as the inputs
        Valid("merged = left.merge(right, on='key')\n", live=_UNIQUE),
        Valid("merged = pd.merge(left, right, on='key', how='outer')\n", live=_UNIQUE),
        # a rebinding merge on unique keys, and a crosstab of few values
        Valid("left = left.merge(right, on='key')\n", live=_UNIQUE),
        Valid("table = pd.crosstab(users['n'] % 10, users['n'] % 7)\n", live=_USERS),
        # few distinct values, sparse dummies, a small frame
        Valid(
            "wide = pd.get_dummies(users['n'] % 10)\nflags = pd.get_dummies(users['user'], sparse=True)\n", live=_USERS
        ),
        Valid(
            "small = pd.get_dummies(users.head(1000)['user'])\ntiny = pd.get_dummies(pd.Series(['a', 'b']))\n",
            live=_USERS,
        ),
        # a method of something that is not a frame, and a frame bound again in the cell
        Valid("left = load()\nmerged = left.merge(right, on='key')\n", live=_REPEATS),
        Valid(
            "class Box:\n    def merge(self, other, on):\n        return 1\nBox().merge(1, on='key')\n", live=_REPEATS
        ),
        # pandas' own join example: a lookup table with unique keys, and the same against a large frame
        "import pandas as pd\ndf = pd.DataFrame({'key': ['K0', 'K1', 'K2', 'K3', 'K4', 'K5'], "
        "'A': ['A0', 'A1', 'A2', 'A3', 'A4', 'A5']})\nother = pd.DataFrame({'key': ['K0', 'K1', 'K2'], "
        "'B': ['B0', 'B1', 'B2']})\njoined = df.join(other.set_index('key'), on='key')\n",
        Valid("priced = orders.join(catalog.set_index('sku').price, on='sku')\n", live=_PRICES),
        # a filter that leaves few repeated labels: the rows the filter keeps are counted
        Valid("recent = orders.join(history[history['day'] > 99_990].set_index('sku'), on='sku')\n", live=_PRICES),
        # pandas' pivot_table example (several index levels, few values), and levels that vary together
        Valid(
            "table = sales.pivot_table(index=['store', 'size'], columns='item', values='n', aggfunc='sum')\n",
            live=_SALES,
        ),
        # built from literals: unique keys merge into as many rows; random keys and a key changed in
        # place are not read from the code
        "import pandas as pd\nids = pd.DataFrame({'id': range(1_000_000), 'v': 1.0})\n"
        "other = pd.DataFrame({'id': range(1_000_000), 'w': 2.0})\nboth = ids.merge(other, on='id', how='outer')\n",
        "import pandas as pd\nimport numpy as np\na = pd.DataFrame({'k': np.random.randint(0, 10**6, 10**6), 'v': 1.0})\n"
        "b = pd.DataFrame({'k': np.random.randint(0, 10**6, 10**6), 'w': 1.0})\nab = a.merge(b, on='k')\n",
        "import pandas as pd\nleft = pd.DataFrame({'key': [0] * 60_000, 'a': 1.0})\n"
        "right = pd.DataFrame({'key': [0] * 60_000, 'b': 2.0})\nleft['key'] = range(60_000)\n"
        "right = right.drop_duplicates('key')\nmerged = left.merge(right, on='key')\n",
        # validate= makes pandas check the keys are unique first: a MergeError, not a blow-up
        _REPEATS + "merged = left.merge(right, on='key', validate='one_to_one')\n",
        Valid("looked_up = left.join(right.set_index('key'), on='key', validate='m:1')\n", live=_REPEATS),
        # a parameter of the same name is not the notebook's frame
        _REPEATS + "counts = pd.crosstab(left['key'], right['key'])\n"
        "def pair(left, right):\n    return left.merge(right, on='key')\n",
    ]
    INVALID = [
        Invalid(
            "merged = left.merge(right, on='key')\n",
            live=_REPEATS,
            line=1,
            column=10,
            message="makes ~3,600,000,000 rows (key 'key' repeats up to 60,000 times in left and 60,000 in right)",
        ),
        Invalid("merged = pd.merge(left, right, how='cross')\n", live=_REPEATS, message="~3,600,000,000 rows"),
        Invalid("left = left.merge(right, on='key')\n", live=_REPEATS, message="~3,600,000,000 rows"),
        Invalid(
            "wide = pd.get_dummies(users['user'])\n",
            live=_USERS,
            column=8,
            message="100,000 rows x 100,000 new columns (100,000 distinct values in 'user'; bool)",
        ),
        Invalid("wide = pd.get_dummies(users, columns=['user'], dtype=float)\n", live=_USERS, message="~74.5 GiB"),
        Invalid(
            "from sklearn.preprocessing import OneHotEncoder\n"
            "X = OneHotEncoder(sparse_output=False).fit_transform(users[['user']])\n",
            live=_USERS,
            line=2,
            message="; float64), ~74.5 GiB",
        ),
        Invalid(
            "table = users.pivot_table(index='user', columns='n', values='n', aggfunc='count')\n",
            live=_USERS,
            message="100,000 index values x 100,000 column values",
        ),
        Invalid(
            "table = pd.crosstab(users['user'], users['n'])\n",
            live=_USERS,
            message="100,000 rows x 100,000 columns of counts",
        ),
        Invalid(
            "grid = pairs.unstack()\n",
            live="import pandas as pd\npairs = pd.Series(1.0, index=pd.MultiIndex.from_arrays("
            "[range(100_000), range(100_000)]))\n",
            message="100,000 rows x 100,000 columns",
        ),
        # several levels on each side: the combinations that occur
        Invalid(
            "table = sales.pivot_table(index=['store', 'day'], columns=['item', 'size'], values='n')\n",
            live=_SALES,
            message="makes 160,400 index values (the combinations of 'store', 'day' that occur) x 1,191 column values "
            "(the combinations of 'item', 'size' that occur) (191,036,400 float64 cells), ~1.4 GiB",
        ),
        Invalid("grid = by_level.unstack(['item', 'size'])\n", live=_SALES, message="160,400 rows x 1,191 columns"),
        # joins: against set_index(...) and a selection of it, a list of frames, an index with repeated labels
        Invalid(
            "priced = orders.join(history.set_index('sku').price, on='sku')\n",
            live=_PRICES,
            message="makes ~1,000,000,000 rows ('sku' of orders matches labels repeated up to 10,000 times in history)",
        ),
        Invalid(
            "wide = indexed.join([by_sku, catalog.set_index('sku')])\n",
            live=_PRICES + "indexed = orders.set_index('sku')\n",
            message="labels repeated up to 10,000 times in one of by_sku, catalog",
        ),
        Invalid(
            "both = indexed.join(by_sku, how='outer')\n",
            live=_PRICES + "indexed = orders.set_index('sku')\n",
            message="~1,000,000,000 rows",
        ),
        Invalid(
            "both = indexed.merge(by_sku, left_index=True, right_index=True)\n",
            live=_PRICES + "indexed = orders.set_index('sku')\n",
            message="~1,000,000,000 rows (the index repeats up to 10,000 times in indexed and 10,000 in by_sku)",
        ),
        # frames built from literals in the notebook: sized by `nblint check`, no kernel needed
        Invalid(
            _REPEATS + "merged = left.merge(right, on='key')\n",
            line=4,
            message="makes ~3,600,000,000 rows (key 'key' repeats up to 60,000 times in left and 60,000 in right), "
            "~107 GiB",
        ),
        Invalid(
            [
                "import pandas as pd\nimport numpy as np\n"
                "visits = pd.DataFrame({'user': np.repeat(np.arange(1_000), 300), 'page': 1.0})\n",
                "pairs = pd.merge(visits, visits, on='user', how='left')\n",
            ],
            cell=1,
            message="~90,000,000 rows (key 'user' repeats up to 300 times in visits and 300 in visits), ~2.7 GiB",
        ),
        Invalid(
            "import pandas as pd\nimport numpy as np\nlog = pd.DataFrame({'user': np.repeat(np.arange(20_000), 10), "
            "'item': np.tile(np.arange(10_000), 20), 'n': 1.0})\n"
            "table = log.pivot_table(index='user', columns='item', values='n', aggfunc='sum')\n",
            line=4,
            message="makes 20,000 index values x 10,000 column values (200,000,000 float64 cells), ~1.5 GiB",
        ),
        Invalid(
            "import pandas as pd\nusers = pd.DataFrame({'user': [f'u{i}' for i in range(100_000)], 'n': 1})\n"
            "wide = pd.get_dummies(users['user'])\n",
            line=3,
            message="100,000 rows x 100,000 new columns (100,000 distinct values in 'user'; bool), ~9.3 GiB",
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self._module: cst.Module | None = None
        self._literal_frames = None

    def visit_Module(self, node: cst.Module) -> None:
        self._module = node

    @property
    def _literal(self):
        """The frames built from literals (nblint.core.frames), made when a merge, join, pivot or
        encoding is first read: a notebook without one does not import the frame arithmetic (5 dataclasses)."""
        if self._literal_frames is None:
            from nblint.core.frames import LiteralFrames

            self._literal_frames = LiteralFrames(self.context)
            self._literal_frames.module = self._module
        return self._literal_frames

    def visit_Call(self, node: cst.Call) -> None:
        # Key counts come from the guard's LiveValues (nblint.guard.values) or, for frames built from
        # literals in the notebook itself, from the code (nblint.core.frames); anything else is silent.
        method = last_name(node.func)
        if method not in _METHODS:
            return
        found = None
        if method == "get_dummies":
            found = self._dummies(node)
        elif method == "fit_transform":
            found = self._one_hot(node)
        elif method == "pivot_table":
            found = self._pivot(node)
        elif method == "unstack":
            found = self._unstack(node)
        elif method == "crosstab":
            found = self._crosstab(node)
        elif method == "join":
            found = self._join(node)
        else:
            found = self._merge(node, method)
        if found is None:
            return
        nbytes, evidence, way_out = found[:3]
        budget = self.option(MEMORY_BUDGET)
        if nbytes > budget:
            more = found[3] if len(found) > 3 else {}
            fields = size_evidence(
                source_text(node),
                f"{evidence}, ~{format_size(nbytes)}",
                nbytes,
                budget,
                way_out,
                values=named_values(node, self.context),
                **more,
            )
            self.report(node, size_message(fields, format_budget(budget)), evidence=fields)

    # -- reading the call --------------------------------------------------------------------------

    def _facts(self, name: str):
        """What is known of a pandas object named `name`: the kernel's, or a frame built from literals."""
        live = self.context.live_facts(name)
        if live is not None:
            return live
        return self._literal.facts(name)

    def _counts(self, *names: str):
        """Who counts the keys of these names: the guard's live values when it holds them all, the
        code when all are built from literals; None otherwise."""
        live = self.context.live
        if (
            live is not None
            and hasattr(live, "merge_rows")
            and all(self.context.live_facts(n) is not None for n in names)
        ):
            return live
        if all(self._literal.frame(n) is not None for n in names):
            return self._literal
        return None

    def _frame_name(self, node) -> str | None:
        """The name of a live pandas object (or a frame built from literals) the code refers to directly."""
        if isinstance(node, cst.Name):
            facts = self._facts(node.value)
            if facts is not None and facts.kind in ("frame", "series"):
                return node.value
        return None

    def _selection(self, node) -> tuple[str, tuple[str, ...] | None] | None:
        """`df`, `df["a"]`, `df[["a", "b"]]` or `df.a` -> (frame name, the columns or None for all)."""
        name = self._frame_name(node)
        if name is not None:
            return name, None
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            frame = self._frame_name(node.value)
            columns = self._strings(node.slice[0].slice.value)
            if frame is not None and columns is not None:
                return frame, columns
        return None

    def _strings(self, node) -> tuple[str, ...] | None:
        value = self.context.evaluate(node)
        if isinstance(value, str):
            return (value,)
        if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
            return value
        return None

    def _constant(self, call: cst.Call, keyword: str, default=None):
        node = argument(call, None, keyword)
        if node is None:
            return default
        value = self.context.evaluate(node)
        return UNKNOWN if value is UNKNOWN else value

    def _rows(self, name: str) -> int | None:
        facts = self._facts(name)
        return facts.length if facts is not None else None

    def _uncounted(self, node: cst.Call, source, worst_rows: str, worst: int, check: str) -> None:
        """Keys too many to count in time: a warning naming the figure that could not be had, with
        the worst case the sizes allow."""
        note = getattr(source, "uncounted", None)
        if isinstance(note, str) and worst > self.option(MEMORY_BUDGET):
            self.report(
                node,
                f"{source_text(node)} could not be sized: {note}; at worst {worst_rows}, "
                f"~{format_size(worst)}; {check}",
                severity=Severity.WARNING,
                evidence={"kind": "size-unknown", "missing": note, "worst_case_bytes": worst},
            )

    # -- one-hot encodings -------------------------------------------------------------------------

    def _dummies(self, node: cst.Call):
        if self.context.qualified_name(node.func) != "pandas.get_dummies":
            return None
        data = argument(node, 0, "data")
        selection = self._selection(data) if isinstance(data, cst.CSTNode) else None
        if selection is None or self._constant(node, "sparse", False) is not False:
            return None
        frame, columns = selection
        listed = self._constant(node, "columns")
        if listed is UNKNOWN:
            return None
        if listed is not None:
            if columns is not None or not isinstance(listed, tuple) or not all(isinstance(c, str) for c in listed):
                return None
            columns = listed
        dtype_node = argument(node, None, "dtype")
        dtype = "bool" if dtype_node is None else resolve_dtype(dtype_node, self.context)
        rows = self._rows(frame)
        if dtype is None or rows is None or not self._worth_counting(rows * rows * ITEMSIZE[dtype]):
            return None
        return self._count_and_encode(node, frame, columns, rows, dtype, "get_dummies", True)

    def _one_hot(self, node: cst.Call):
        func = node.func
        if not isinstance(func, cst.Attribute):
            return None
        encoder = func.value
        if isinstance(encoder, cst.Name):
            values = self.context.symbols.assigned_values(encoder.value)
            encoder = values[0] if values and len(values) == 1 else None
        if (
            not isinstance(encoder, cst.Call)
            or self.context.qualified_name(encoder.func) != "sklearn.preprocessing.OneHotEncoder"
        ):
            return None
        dense = self._constant(encoder, "sparse_output", self._constant(encoder, "sparse", True))
        if dense is not False or any(
            argument(encoder, None, k) is not None for k in ("max_categories", "min_frequency", "categories")
        ):
            return None
        data = argument(node, 0, "X")
        selection = self._selection(data) if isinstance(data, cst.CSTNode) else None
        dtype_node = argument(encoder, None, "dtype")
        dtype = "float64" if dtype_node is None else resolve_dtype(dtype_node, self.context)
        if selection is None or dtype is None:
            return None
        frame, columns = selection
        rows = self._rows(frame)
        if rows is None or not self._worth_counting(rows * rows * ITEMSIZE[dtype]):
            return None
        return self._count_and_encode(node, frame, columns, rows, dtype, "OneHotEncoder", False)

    def _count_and_encode(
        self, node: cst.Call, frame, columns, rows: int, dtype: str, how: str, categorical_only: bool
    ):
        """Count the encoded columns' distinct values and size the result; a warning naming the figure when
        they are too many to count in time (the worst case: every value distinct)."""
        source = self._counts(frame)
        counts = source.distinct_counts(frame, columns, categorical_only) if source is not None else None
        if counts is None and source is not None:
            self._uncounted(
                node,
                source,
                f"(every value distinct) it makes {format_count(rows)} x {format_count(rows)} {dtype} cells",
                rows * rows * ITEMSIZE[dtype],
                _ENCODE_WAY_OUT[how],
            )
        return self._encoded(rows, counts, dtype, how)

    def _encoded(self, rows: int, counts: dict[str, int] | None, dtype: str, how: str):
        if not counts:
            return None
        width = sum(counts.values())
        named = ", ".join(
            f"{count:,} distinct values in {name!r}" if name else f"{count:,} distinct values"
            for name, count in counts.items()
        )
        way_out = _ENCODE_WAY_OUT[how]
        return (
            rows * width * ITEMSIZE[dtype],
            f"makes {format_count(rows)} rows x {format_count(width)} new columns ({named}; {dtype})",
            way_out,
        )

    # -- reshapes ----------------------------------------------------------------------------------

    def _pivot(self, node: cst.Call):
        """`df.pivot_table(index=..., columns=...)`, one key or several on each side: the rows are the
        index keys' combinations that occur, the columns those of the column keys, for each value
        column and aggregation (float64 cells)."""
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and self.context.qualified_name(func) is None
        ):
            frame = self._frame_name(func.value)
            offset = 0
        elif self.context.qualified_name(func) == "pandas.pivot_table":
            data = argument(node, 0, "data")
            frame = self._frame_name(data) if isinstance(data, cst.CSTNode) else None
            offset = 1
        else:
            return None
        if frame is None:
            return None
        if argument(node, offset, None) is not None or argument(node, offset + 1, None) is not None:
            return None  # values/index given by position: not read
        index, columns = self._as_keys(self._constant(node, "index")), self._as_keys(self._constant(node, "columns"))
        if index is None or columns is None or set(index) & set(columns):
            return None
        dropna = self._constant(node, "dropna", True)
        if dropna not in (True, False):
            return None
        values = self._constant(node, "values")
        aggfunc = self._constant(node, "aggfunc", "mean")
        width = len(values) if isinstance(values, tuple) else 1
        width *= len(aggfunc) if isinstance(aggfunc, tuple) else 1
        rows = self._rows(frame)
        worst = (rows or 0) * (rows or 0) * width * 8
        source = self._counts(frame)
        if rows is None or source is None or not self._worth_counting(worst):
            return None
        if dropna:  # the combinations that occur
            across = source.combinations(frame, index)
            down = source.combinations(frame, columns) if across is not None else None
        else:  # dropna=False reindexes to every product of the levels' values
            across, down = _product(source, frame, index), _product(source, frame, columns)
        if across is None or down is None:
            self._uncounted(
                node,
                source,
                f"(every row its own index and column keys) it makes {format_count(rows)} x {format_count(rows)} cells",
                worst,
                "aggregate to fewer keys first, or keep the long format (groupby([...]).agg(...))",
            )
            return None
        cells = across * down * width

        def named(keys: tuple[str, ...], what: str) -> str:
            if len(keys) == 1:
                return what
            listed = ", ".join(repr(k) for k in keys)
            return (
                f"{what} (the combinations of {listed} that occur)"
                if dropna
                else f"{what} (every combination of {listed})"
            )

        return (
            cells * 8,
            f"makes {format_count(across)} {named(index, 'index values')} x {format_count(down)} "
            f"{named(columns, 'column values')} ({format_count(cells)} float64 cells)",
            "filter or aggregate to fewer keys first, or keep the long format (groupby([...]).agg(...))",
        )

    def _unstack(self, node: cst.Call):
        func = node.func
        if not isinstance(func, cst.Attribute):
            return None
        name = self._frame_name(func.value)
        if name is None or any(arg.keyword is not None and arg.keyword.value != "level" for arg in node.args):
            return None
        level_node = argument(node, 0, "level")
        level = -1 if level_node is None else self.context.evaluate(level_node)
        levels = level if isinstance(level, tuple) else (level,)
        if not levels or not all(isinstance(one, (int, str)) and not isinstance(one, bool) for one in levels):
            return None
        rows = self._rows(name)
        source = self._counts(name)
        worst = (rows or 0) * (rows or 0) * 8
        if rows is None or source is None or not self._worth_counting(worst):
            return None
        shape = source.unstack_cells(name, level)
        if shape is None:
            self._uncounted(
                node,
                source,
                f"(every row its own label on each side) it makes {format_count(rows)} x {format_count(rows)} cells",
                worst,
                "filter to fewer index values first, or keep the long format",
            )
            return None
        rows_out, columns = shape
        facts = self._facts(name)
        width = facts.shape[1] if facts.kind == "frame" and facts.shape and len(facts.shape) == 2 else 1
        each = f" for each of {format_count(width)} columns" if width > 1 else ""
        return (
            rows_out * columns * width * 8,
            f"makes {format_count(rows_out)} rows x {format_count(columns)} columns{each} (float64)",
            "filter to fewer index values first, or keep the long format",
        )

    def _crosstab(self, node: cst.Call):
        """`pd.crosstab(df["a"], df["b"])`: distinct values of a x distinct values of b counts (int64)."""
        if self.context.qualified_name(node.func) != "pandas.crosstab":
            return None
        sides = []
        for position, keyword in ((0, "index"), (1, "columns")):
            found = argument(node, position, keyword)
            selection = self._selection(found) if isinstance(found, cst.CSTNode) else None
            if selection is None or selection[1] is None or len(selection[1]) != 1:
                return None
            sides.append(selection)
        rows = self._rows(sides[0][0])
        source = self._counts(*(frame for frame, _ in sides))
        if rows is None or source is None or not self._worth_counting(rows * rows * 8):
            return None
        counts = [source.distinct_counts(frame, columns, False) for frame, columns in sides]
        if not all(counts):
            self._uncounted(
                node,
                source,
                f"(every value distinct) it makes {format_count(rows)} x {format_count(rows)} int64 counts",
                rows * rows * 8,
                "count in the long format instead (df.groupby([a, b]).size())",
            )
            return None
        (first,), (second,) = (tuple(c.values()) for c in counts)
        return (
            first * second * 8,
            f"makes {format_count(first)} rows x {format_count(second)} columns of counts "
            f"({format_count(first * second)} int64 cells)",
            "count in the long format instead (df.groupby([a, b]).size()), or filter to fewer values first",
        )

    # -- merges ------------------------------------------------------------------------------------

    def _merge(self, node: cst.Call, method: str):
        func = node.func
        if self.context.qualified_name(func) == "pandas.merge" and method == "merge":
            left_node, right_node = argument(node, 0, "left"), argument(node, 1, "right")
        elif isinstance(func, cst.Attribute) and self.context.qualified_name(func) is None:
            left_node, right_node = func.value, argument(node, 0, "right")
        else:
            return None
        left = self._frame_name(left_node) if isinstance(left_node, cst.CSTNode) else None
        right = self._frame_name(right_node) if isinstance(right_node, cst.CSTNode) else None
        if left is None or right is None:
            return None
        left_facts, right_facts = self._facts(left), self._facts(right)
        if left_facts.kind != "frame" or right_facts.kind != "frame":
            return None
        if self._validated(node):
            return None
        keys = self._merge_keys(node)
        source = self._counts(left, right)
        if keys is None or source is None:
            return None
        return self._merge_counted(node, source, left, right, *keys)

    def _merge_counted(self, node: cst.Call, source, left: str, right: str, left_keys, right_keys, how: str):
        left_facts, right_facts = self._facts(left), self._facts(right)
        row_bytes = _row_bytes(left_facts) + _row_bytes(right_facts)
        worst = left_facts.length * right_facts.length * row_bytes
        if not self._worth_counting(worst):
            return None
        counted = source.merge_rows(left, right, left_keys, right_keys, how)
        if counted is None:
            self._uncounted(
                node,
                source,
                f"(every key the same) it makes ~{format_count(left_facts.length * right_facts.length)} rows",
                worst,
                "check the keys are unique (validate='one_to_one')",
            )
            return None
        if how == "cross":
            evidence = (
                f"makes ~{format_count(counted.rows)} rows ({format_count(left_facts.length)} x "
                f"{format_count(right_facts.length)})"
            )
            way_out = "filter both sides first, or merge on a key"
        else:
            shown = "key " + ", ".join(repr(k) for k in left_keys) if left_keys else "the index"
            evidence = (
                f"makes ~{format_count(counted.rows)} rows ({shown} repeats up to "
                f"{format_count(counted.left_most)} times in {left} and {format_count(counted.right_most)} in {right})"
            )
            way_out = _UNIQUE_KEYS
        return counted.rows * row_bytes, evidence, way_out

    def _validated(self, node: cst.Call) -> bool:
        """`validate="one_to_one"` (or 1:m, m:1): pandas checks the keys are unique on that side before
        joining and raises MergeError instead, so the rows cannot multiply."""
        validate = argument(node, None, "validate")
        if validate is None:
            return False
        value = self.context.evaluate(validate)
        return value not in ("many_to_many", "m:m", None)

    def _merge_keys(self, node: cst.Call):
        how = self._constant(node, "how", "inner")
        if not isinstance(how, str):
            return None
        if how == "cross":
            return None, None, how
        on, left_on, right_on = (self._constant(node, k) for k in ("on", "left_on", "right_on"))
        left_index, right_index = self._constant(node, "left_index", False), self._constant(node, "right_index", False)
        if left_index not in (True, False) or right_index not in (True, False):
            return None
        if left_index or right_index:  # the index on one side or both: its labels count like a key
            if on is not None or (left_index and left_on is not None) or (right_index and right_on is not None):
                return None
            left_keys = None if left_index else self._as_keys(left_on)
            right_keys = None if right_index else self._as_keys(right_on)
            if (not left_index and left_keys is None) or (not right_index and right_keys is None):
                return None
            if (left_keys and len(left_keys) != 1) or (right_keys and len(right_keys) != 1):
                return None
            return left_keys, right_keys, how
        if on is not None:
            keys = self._as_keys(on)
            return (keys, keys, how) if keys is not None else None
        left_keys, right_keys = self._as_keys(left_on), self._as_keys(right_on)
        if left_keys is None or right_keys is None or len(left_keys) != len(right_keys):
            return None  # no keys given (pandas' common columns): not guessed
        return left_keys, right_keys, how

    # -- joins -------------------------------------------------------------------------------------

    def _join(self, node: cst.Call):
        """`left.join(other, on=...)`, `other` a frame, a column selection of one, a filtered one or a
        `set_index(k)` of one (whose index is then that column); `left.join([a, b])`: joined one after
        another on the same labels. Counted live only (a frame built from literals has no index read)."""
        func = node.func
        if not isinstance(func, cst.Attribute) or self.context.qualified_name(func) is not None:
            return None
        left = self._frame_name(func.value)
        other = argument(node, 0, "other")
        if left is None or not isinstance(other, cst.CSTNode):
            return None
        left_facts = self._facts(left)
        if left_facts.kind != "frame":
            return None
        how = self._constant(node, "how", "left")
        on = self._constant(node, "on")
        if not isinstance(how, str) or on is UNKNOWN or self._validated(node):
            return None
        left_keys = self._as_keys(on) if on is not None else None
        if (on is not None and left_keys is None) or (left_keys is not None and len(left_keys) != 1):
            return None
        if isinstance(other, (cst.List, cst.Tuple)):
            if on is not None or any(isinstance(e, cst.StarredElement) for e in other.elements):
                return None  # pandas joins a list on the index only
            sides = [self._join_side(element.value) for element in other.elements]
        else:
            sides = [self._join_side(other)]
        if not sides or any(side is None for side in sides):
            return None
        names = [side[0] for side in sides]
        source = self._counts(left, *names)
        if source is None:
            return None
        if how in ("right", "outer") and len(sides) == 1 and sides[0][1:3] == (None, None):
            return self._merge_counted(node, source, left, names[0], left_keys, None, how)  # a frame as it is
        if how not in ("left", "inner"):
            return None
        row_bytes = _row_bytes(left_facts) + sum(side[3] for side in sides)
        worst_rows = left_facts.length
        for name in names:
            worst_rows *= max(1, self._facts(name).length)
        worst = worst_rows * row_bytes
        if not self._worth_counting(worst):
            return None
        counted = source.join_rows(left, left_keys, tuple(side[:3] for side in sides), how)
        if counted is None:
            self._uncounted(
                node,
                source,
                f"(every label the same) it makes ~{format_count(worst_rows)} rows",
                worst,
                "check the labels are unique (other.index.is_unique)",
            )
            return None
        shown = f"{left_keys[0]!r} of {left}" if left_keys else f"the index of {left}"
        others = f"one of {', '.join(names)}" if len(names) > 1 else names[0]
        evidence = (
            f"makes ~{format_count(counted.rows)} rows ({shown} matches labels repeated up to "
            f"{format_count(counted.right_most)} times in {others})"
        )
        return counted.rows * row_bytes, evidence, _UNIQUE_KEYS

    def _join_side(self, node) -> tuple[str, str | None, tuple | None, int] | None:
        """(frame name, the column set_index makes the index or None, the filter or None, bytes a row
        of it adds) for the frames a join accepts: `other`, `other["a"]`, `other[["a", "b"]]`,
        `other.a`, `other[other["x"] > 0]`, `other.set_index("k")` and a selection of that."""
        width: int | None = None
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, (cst.Call, cst.Name))
            and node.attr.value not in _FRAME_ATTRIBUTES
            and not node.attr.value.startswith("_")
        ):
            if not isinstance(node.value, cst.Name) or self._frame_name(node.value) is not None:
                node, width = node.value, 8  # other.column: one column
        elif isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            columns = self._strings(node.slice[0].slice.value)
            if columns is not None:
                node, width = node.value, 8 * len(columns)
        index_column = None
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "set_index":
            if len(node.args) != 1 or node.args[0].keyword is not None:
                return None
            index_column = self.context.evaluate(node.args[0].value)
            if not isinstance(index_column, str):
                return None
            node = node.func.value
        mask = None
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            frame = self._frame_name(node.value)
            mask = self._mask(node.slice[0].slice.value, frame) if frame is not None else None
            if mask is None:
                return None
            node = node.value
        name = self._frame_name(node)
        if name is None or self._facts(name).kind != "frame":
            return None
        if width is None:
            width = _row_bytes(self._facts(name))
        return name, index_column, mask, width

    def _mask(self, node, frame: str) -> tuple | None:
        """`df["x"] > 0`, `(df.x > 0) & (df.y == "a")`: (column, operator, constant) comparisons on
        the frame itself, all of which must hold."""
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitAnd):
            left, right = self._mask(node.left, frame), self._mask(node.right, frame)
            return left + right if left is not None and right is not None else None
        if node.lpar and not isinstance(node, cst.Comparison):
            return None
        if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
            return None
        operator = _OPERATORS.get(type(node.comparisons[0].operator))
        column = self._column_of(node.left, frame)
        value = self.context.evaluate(node.comparisons[0].comparator)
        if operator is None or column is None or type(value) not in (int, float, str, bool):
            return None
        return ((column, operator, value),)

    def _column_of(self, node, frame: str) -> str | None:
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == frame:
            return node.attr.value
        if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and node.value.value == frame:
            if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                column = self.context.evaluate(node.slice[0].slice.value)
                return column if isinstance(column, str) else None
        return None

    @staticmethod
    def _as_keys(value) -> tuple[str, ...] | None:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
            return value
        return None

    def _worth_counting(self, worst_case_bytes: int) -> bool:
        """Counting costs time: only when the worst case the sizes allow is over the budget."""
        return worst_case_bytes > self.option(MEMORY_BUDGET)


def _product(source, frame: str, keys: tuple[str, ...]) -> int | None:
    total = 1
    for key in keys:
        count = source.combinations(frame, (key,))
        if count is None:
            return None
        total *= count
    return total


def _row_bytes(facts) -> int:
    if facts.nbytes is None or not facts.length:
        return 8
    return max(1, facts.nbytes // facts.length)
