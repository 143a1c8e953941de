"""Tracing a Spark expression back to where its rows come from (NB302 collect-to-driver).

During the traversal the rule records every binding of a plain name (`df = spark.read.csv(p)`), in
document order, per function scope; after it, `SparkTrace.classify(expr)` follows names back through
those bindings, across cells, and walks method chains to a Spark source. The answer is one state:

- SESSION / SQLCONTEXT / CONTEXT / READER / GROUPED: Spark objects that are not data yet;
- SOURCE: rows of a source (`spark.read...`, `spark.table/sql`, `sc.textFile/parallelize`,
  `createDataFrame`...) through row-preserving steps only (select, filter, join, withColumn, map...);
- BOUNDED: after a limit, a sample, an aggregation (count, agg, groupBy().x, distinct, reduceByKey...);
- UNKNOWN: anything nblint cannot follow. Unknown is never guessed as big.

Flow is followed in notebook order: a name used at notebook level stands for its latest notebook-level
binding before the use (`df = df.limit(10)` then `df.toPandas()` is bounded). Inside a function, a
name is its latest binding in that function before the use; a notebook-level name used inside a
function must have the same state in every binding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from nblint.core.lazyre import lazy_compile

if TYPE_CHECKING:
    from nblint.core.code.context import CodeContext

SESSION = "session"
SQLCONTEXT = "sqlcontext"
CONTEXT = "sparkcontext"
READER = "reader"
GROUPED = "grouped"
SOURCE = "source"
BOUNDED = "bounded"
UNKNOWN = "unknown"

# A limit(n) above this many rows still brings an unbounded amount to the driver.
LARGE_LIMIT = 1_000_000

# Names Spark shells, Databricks and Synapse notebooks define before the first cell.
PREDEFINED = {"spark": SESSION, "sc": CONTEXT, "sqlContext": SQLCONTEXT, "sqlCtx": SQLCONTEXT}

SESSION_SOURCES = frozenset({"table", "sql", "createDataFrame", "range"})
CONTEXT_SOURCES = frozenset(
    {
        "textFile",
        "parallelize",
        "wholeTextFiles",
        "sequenceFile",
        "binaryFiles",
        "binaryRecords",
        "pickleFile",
        "objectFile",
        "range",
        "hadoopFile",
        "newAPIHadoopFile",
        "hadoopRDD",
        "newAPIHadoopRDD",
    }
)
READER_SETUP = frozenset({"format", "option", "options", "schema"})
READER_LOADS = frozenset({"load", "csv", "json", "parquet", "orc", "text", "table", "jdbc", "delta", "avro", "xml"})
# Steps after which a DataFrame or RDD holds no more rows than before.
PRESERVING = frozenset(
    {
        "select",
        "selectExpr",
        "filter",
        "where",
        "withColumn",
        "withColumns",
        "withColumnRenamed",
        "withColumnsRenamed",
        "withMetadata",
        "drop",
        "join",
        "crossJoin",
        "union",
        "unionAll",
        "unionByName",
        "orderBy",
        "sort",
        "sortWithinPartitions",
        "repartition",
        "repartitionByRange",
        "coalesce",
        "cache",
        "persist",
        "unpersist",
        "alias",
        "hint",
        "dropna",
        "fillna",
        "fill",
        "replace",
        "toDF",
        "transform",
        "checkpoint",
        "localCheckpoint",
        "intersect",
        "intersectAll",
        "subtract",
        "exceptAll",
        "withWatermark",
        "map",
        "flatMap",
        "mapValues",
        "flatMapValues",
        "mapPartitions",
        "mapPartitionsWithIndex",
        "keys",
        "values",
        "zipWithIndex",
        "zipWithUniqueId",
        "sortBy",
        "sortByKey",
        "groupByKey",
        "cartesian",
        "leftOuterJoin",
        "rightOuterJoin",
        "fullOuterJoin",
        "keyBy",
        "setName",
        "to",
        "unpivot",
        "melt",
        "mapInPandas",
        "mapInArrow",
        "toJSON",
    }
)
# Attributes of a DataFrame that lead on to the same rows.
PRESERVING_ATTRIBUTES = frozenset({"rdd", "na"})
LIMITING = frozenset(
    {"limit", "sample", "sampleBy", "take", "head", "first", "tail", "takeSample", "takeOrdered", "top"}
)
AGGREGATING = frozenset(
    {
        "count",
        "agg",
        "distinct",
        "dropDuplicates",
        "drop_duplicates",
        "dropDuplicatesWithinWatermark",
        "reduceByKey",
        "aggregateByKey",
        "foldByKey",
        "combineByKey",
        "countByKey",
        "countByValue",
        "reduce",
        "fold",
        "aggregate",
        "treeReduce",
        "treeAggregate",
        "describe",
        "summary",
        "approxQuantile",
        "corr",
        "cov",
        "crosstab",
        "freqItems",
        "sum",
        "mean",
        "max",
        "min",
        "stats",
        "stdev",
        "variance",
        "countApprox",
        "countApproxDistinct",
        "isEmpty",
        "collectAsMap",
    }
)
GROUPING = frozenset({"groupBy", "groupby", "rollup", "cube", "groupingSets"})
# pyspark.sql.functions that aggregate: `df.select(F.max("x")).collect()` is one row.
AGGREGATE_FUNCTIONS = frozenset(
    {
        "max",
        "min",
        "sum",
        "avg",
        "mean",
        "count",
        "countDistinct",
        "count_distinct",
        "approx_count_distinct",
        "approxCountDistinct",
        "sum_distinct",
        "sumDistinct",
        "stddev",
        "stddev_samp",
        "stddev_pop",
        "std",
        "variance",
        "var_samp",
        "var_pop",
        "corr",
        "covar_pop",
        "covar_samp",
        "percentile_approx",
        "percentile",
        "median",
        "mode",
        "first",
        "last",
        "any_value",
        "kurtosis",
        "skewness",
        "max_by",
        "min_by",
        "count_if",
        "bool_and",
        "bool_or",
        "every",
        "some",
        "product",
        "collect_list",
        "collect_set",
        "array_agg",
        "grouping",
        "grouping_id",
        "histogram_numeric",
        "approx_percentile",
    }
)
# On grouped data these give back every row (a grouped map), not one per group.
GROUPED_MAPS = frozenset({"applyInPandas", "apply", "cogroup", "applyInPandasWithState", "applyInArrow"})

_SQL_LIMIT = lazy_compile(r"\bLIMIT\s+(\d+)\s*;?\s*$", re.I)
_SQL_GROUPED = lazy_compile(r"\bGROUP\s+BY\b|^\s*SELECT\s+DISTINCT\b", re.I)
_SQL_AGGREGATE_SELECT = lazy_compile(
    r"^\s*SELECT\s+(COUNT|SUM|AVG|MIN|MAX|MEAN|STDDEV\w*|VARIANCE|VAR_\w+|APPROX_\w+|PERCENTILE\w*)\s*\(", re.I
)
_SQL_NOT_ROWS = lazy_compile(
    r"^\s*(SHOW|DESCRIBE|DESC|EXPLAIN|CREATE|DROP|INSERT|ALTER|USE|SET|RESET|CACHE|UNCACHE|REFRESH|MSCK|"
    r"ANALYZE|TRUNCATE|DELETE|UPDATE|MERGE|OPTIMIZE|VACUUM|GRANT|REVOKE|ADD|LIST)\b",
    re.I,
)
_MAX_DEPTH = 60


@dataclass(frozen=True)
class Binding:
    """One binding of a name: what it is bound to, in which scopes, in what order."""

    value: cst.BaseExpression | None  # None: bound by something nblint does not follow (a loop, an import)
    scopes: tuple[int | None, ...]  # the scope chain where it happens, innermost first
    order: int


@dataclass(frozen=True)
class Traced:
    """What is known of a Spark value's size (`state`), and the call it comes from."""

    state: str
    source: cst.CSTNode | None = None  # the source call, for the message


class SparkTrace:
    def __init__(self, context: "CodeContext") -> None:
        self.context = context
        self.functions: list[cst.CSTNode] = []  # enclosing defs and lambdas, innermost last
        self.params: dict[int, frozenset[str]] = {}
        self.bindings: dict[tuple[int | None, str], list[Binding]] = {}
        self.order = 0
        self._memo: dict[tuple[int, int, tuple], Traced] = {}
        self._active: set[tuple[int, int]] = set()

    # -- recording (during the traversal) ---------------------------------------------------------

    def scopes(self) -> tuple[int | None, ...]:
        return (*(id(function) for function in reversed(self.functions)), None)

    def tick(self) -> int:
        self.order += 1
        return self.order

    def enter_function(self, node: cst.FunctionDef | cst.Lambda) -> None:
        if isinstance(node, cst.FunctionDef):
            self.bind_name(node.name.value, None)
        params = node.params
        names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.add(star.name.value)
        self.params[id(node)] = frozenset(names)
        self.functions.append(node)

    def leave_function(self, node: cst.CSTNode) -> None:
        if self.functions and self.functions[-1] is node:
            self.functions.pop()

    def bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self.bind_name(target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value, None)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, None)

    def bind_name(self, name: str, value: cst.BaseExpression | None) -> None:
        scopes = self.scopes()
        self.bindings.setdefault((scopes[0], name), []).append(Binding(value, scopes, self.tick()))

    # -- classifying (after the traversal) --------------------------------------------------------

    def classify(self, node: cst.CSTNode, scopes: tuple[int | None, ...], order: int, depth: int = 0) -> Traced:
        key = (id(node), order, scopes)
        known = self._memo.get(key)
        if known is not None:
            return known
        if depth > _MAX_DEPTH or (id(node), order) in self._active:
            return Traced(UNKNOWN)
        self._active.add((id(node), order))
        try:
            result = self._classify(node, scopes, order, depth + 1)
        finally:
            self._active.discard((id(node), order))
        self._memo[key] = result
        return result

    def _classify(self, node: cst.CSTNode, scopes, order, depth) -> Traced:
        if isinstance(node, cst.Name):
            return self._name(node.value, scopes, order, depth)
        if isinstance(node, cst.Attribute):
            base = self.classify(node.value, scopes, order, depth)
            attr = node.attr.value
            if attr == "read" and base.state in (SESSION, SQLCONTEXT):
                return Traced(READER)
            if attr == "sparkContext" and base.state == SESSION:
                return Traced(CONTEXT)
            if attr in PRESERVING_ATTRIBUTES and base.state in (SOURCE, BOUNDED):
                return base
            return Traced(UNKNOWN)
        if isinstance(node, cst.Call):
            return self._call(node, scopes, order, depth)
        return Traced(UNKNOWN)

    def _name(self, name: str, scopes, order, depth) -> Traced:
        for scope in scopes:
            bindings = self.bindings.get((scope, name))
            if scope is not None:
                if bindings:
                    before = [b for b in bindings if b.order < order]
                    return self._binding(before[-1], depth) if before else Traced(UNKNOWN)
                if name in self.params.get(scope, ()):
                    return Traced(UNKNOWN)
                continue
            if not bindings:
                if name in PREDEFINED and self.context.symbols.origin(name) is None:
                    return Traced(PREDEFINED[name])
                return Traced(UNKNOWN)
            if scopes[0] is None:  # used at notebook level: its latest binding so far
                before = [b for b in bindings if b.order < order]
                return self._binding(before[-1], depth) if before else Traced(UNKNOWN)
            states = {self._binding(b, depth) for b in bindings}
            return states.pop() if len(states) == 1 else Traced(UNKNOWN)
        return Traced(UNKNOWN)

    def _binding(self, binding: Binding, depth: int) -> Traced:
        if binding.value is None:
            return Traced(UNKNOWN)
        return self.classify(binding.value, binding.scopes, binding.order, depth)

    def _call(self, node: cst.Call, scopes, order, depth) -> Traced:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return Traced(_constructor(self.context.qualified_name(func)))
        method = func.attr.value
        if method == "getOrCreate":
            return Traced(CONTEXT if _mentions(func.value, "SparkContext") else SESSION)
        qualified = self.context.qualified_name(func)
        if qualified is not None and _constructor(qualified) != UNKNOWN:
            return Traced(_constructor(qualified))
        base = self.classify(func.value, scopes, order, depth)
        state = base.state
        if state in (SESSION, SQLCONTEXT):
            if method == "sql":
                return Traced(self._sql_state(node), node)
            if method not in SESSION_SOURCES:
                return Traced(UNKNOWN)
            return Traced(BOUNDED if self._small_local_data(method, node) else SOURCE, node)
        if state == CONTEXT:
            if method not in CONTEXT_SOURCES:
                return Traced(UNKNOWN)
            return Traced(BOUNDED if self._small_local_data(method, node) else SOURCE, node)
        if state == READER:
            if method in READER_SETUP:
                return Traced(READER)
            return Traced(SOURCE, node) if method in READER_LOADS else Traced(UNKNOWN)
        if state == GROUPED:
            if method in GROUPED_MAPS:
                return Traced(UNKNOWN)
            return Traced(GROUPED) if method == "pivot" else Traced(BOUNDED)
        if state in (SOURCE, BOUNDED):
            if method == "limit":
                rows = self.context.evaluate(node.args[0].value) if node.args else None
                if isinstance(rows, int) and not isinstance(rows, bool) and rows > LARGE_LIMIT:
                    return base
                return Traced(BOUNDED)
            if method in LIMITING or method in AGGREGATING:
                return Traced(BOUNDED)
            if method in GROUPING:
                return Traced(GROUPED)
            if method == "select" and node.args and all(self._is_aggregate(arg.value) for arg in node.args):
                return Traced(BOUNDED)  # df.select(F.max("x")): one row
            if method in PRESERVING:
                return base
        return Traced(UNKNOWN)

    def _small_local_data(self, method: str, node: cst.Call) -> bool:
        """`spark.range(10)`, `sc.parallelize([1, 2, 3])`, `spark.createDataFrame([(1, "a")])`: rows that
        the code itself spells out, or a known count of at most LARGE_LIMIT."""
        if not node.args or node.args[0].keyword is not None:
            return False
        first = node.args[0].value
        if method == "range":
            values = [self.context.evaluate(arg.value) for arg in node.args[:2]]
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                return False
            rows = values[0] if len(values) == 1 else values[1] - values[0]
            return rows <= LARGE_LIMIT
        if method in ("parallelize", "createDataFrame"):
            if isinstance(first, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
                return True
            if isinstance(first, cst.Call) and isinstance(first.func, cst.Name) and first.func.value == "range":
                bounds = [self.context.evaluate(arg.value) for arg in first.args[:2]]
                if bounds and all(isinstance(v, int) and not isinstance(v, bool) for v in bounds):
                    rows = bounds[0] if len(bounds) == 1 else bounds[1] - bounds[0]
                    return rows <= LARGE_LIMIT
        return False

    def _is_aggregate(self, node: cst.BaseExpression) -> bool:
        """`F.max("x")`, `max("x").alias("m")` (pyspark.sql.functions), as a select argument."""
        for _ in range(4):
            if not isinstance(node, cst.Call):
                return False
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("alias", "name", "cast", "astype"):
                node = func.value
                continue
            qualified = self.context.qualified_name(func) or ""
            if not qualified.startswith("pyspark.sql.functions"):
                # `F.max` with `from pyspark.sql import functions as F` resolves; a bare `max` must be imported
                return False
            return qualified.rsplit(".", 1)[-1] in AGGREGATE_FUNCTIONS
        return False

    def _sql_state(self, node: cst.Call) -> str:
        """`spark.sql(query)`: a source, unless the query text says it is limited or aggregated."""
        if not node.args:
            return UNKNOWN
        query = _static_text(self.context, node.args[0].value)
        if query is None:
            return SOURCE
        return sql_query_state(query)


def sql_query_state(query: str) -> str:
    """BOUNDED when a Spark SQL query's text says it is limited, aggregated or returns no table rows, else SOURCE."""
    if _SQL_NOT_ROWS.search(query) or _SQL_GROUPED.search(query) or _SQL_AGGREGATE_SELECT.search(query):
        return BOUNDED
    limit = _SQL_LIMIT.search(query.strip())
    if limit is not None and int(limit.group(1)) <= LARGE_LIMIT:
        return BOUNDED
    return SOURCE


def _constructor(qualified: str | None) -> str:
    """The state of a `SparkSession(...)`-style construction, by what the callee is."""
    if not qualified or not qualified.startswith("pyspark"):
        return UNKNOWN
    last = qualified.rsplit(".", 1)[-1]
    if last == "SparkSession":
        return SESSION
    if last == "SparkContext":
        return CONTEXT
    if last in ("SQLContext", "HiveContext"):
        return SQLCONTEXT
    return UNKNOWN


def _mentions(node: cst.CSTNode, name: str) -> bool:
    """Does the call/attribute chain under `node` name `name` (SparkContext.getOrCreate())?"""
    for _ in range(_MAX_DEPTH):
        if isinstance(node, cst.Name):
            return node.value == name
        if isinstance(node, cst.Attribute):
            if node.attr.value == name:
                return True
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        else:
            return False
    return False


def _static_text(context: "CodeContext", node: cst.CSTNode) -> str | None:
    """A query's text: a constant, or an f-string whose holes are left blank."""
    value = context.evaluate(node)
    if isinstance(value, str):
        return value
    if isinstance(node, cst.FormattedString):
        return "".join(part.value if isinstance(part, cst.FormattedStringText) else " x " for part in node.parts)
    return None
