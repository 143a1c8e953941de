"""NB302 collect-to-driver: a whole Spark DataFrame or RDD pulled into the notebook's process."""

from __future__ import annotations

import libcst as cst

from nblint.core.code.magics import SPARKMAGIC_DEFAULT_MAXROWS, spark_magic
from nblint.core.code.symbols import imported_names
from nblint.core.code.text import source_text
from nblint.core.findings import Severity
from nblint.rules.base import CodeRule, Invalid
from nblint.rules.data.spark_trace import BOUNDED, LARGE_LIMIT, SOURCE, UNKNOWN, SparkTrace, sql_query_state

_SINKS = ("toPandas", "collect")


class CollectToDriver(CodeRule):
    """
    ## What it does
    Flags Spark `collect()` and `toPandas()` that pull a whole table into the notebook's process.

    The notebook's kernel is the Spark driver. Reported:

    - `.collect()` whose receiver nblint traces, through assignments and across cells, to a Spark
      source (`spark.read...`, `spark.table(...)`, `spark.sql(...)`, `spark.createDataFrame(...)`,
      `spark.range(...)`, `sqlContext.*`, `sc.textFile(...)`, `sc.parallelize(...)`...) through steps that
      keep every row (select, filter, join, withColumn, map, orderBy...);
    - `.toPandas()` on any receiver (only Spark has it), unless nblint sees a bound before it;
    - sparkmagic (Livy) cells whose rows come back to this kernel as a pandas DataFrame without a bound:
      `%%sql -n -1` (or `--maxrows` over 1,000,000), with `-o VAR` or shown, and `%%spark -o VAR -n -1`
      with `VAR` traced to a Spark source. sparkmagic ships 2,500 rows by default, so without `-n` (or
      with `-m sample`, or a query bounded as below, or `-q` without `-o`) nothing is reported. A
      `%%spark` cell's body is PySpark and analysed as such (it runs in the cluster's driver; the guard
      leaves it alone). `%%sql` is read as sparkmagic's only in a notebook that shows it uses sparkmagic
      (`%load_ext sparkmagic.magics`, a `%%spark` cell, `%spark`/`%manage_spark`, its PySpark kernel):
      ipython-sql and JupySQL have a `%%sql` of their own.

    A bound is a `limit(n)` (with `n` unknown or at most 1,000,000 rows), `sample()`, `take()`/`head()`,
    or an aggregation: `count()`, `agg()`, `groupBy(...).agg/count/sum...`, `distinct()`,
    `dropDuplicates()`, `reduceByKey()`, `describe()`, a `select()` of aggregate functions only
    (`df.select(F.max("ts"))`)... Rows the code spells out (`sc.parallelize([1, 2, 3])`,
    `spark.createDataFrame([(1, "a")])`) and `spark.range(n)` / `sc.parallelize(range(n))` with `n` at
    most 1,000,000 are small from the start. A `spark.sql()` query whose text ends in
    `LIMIT n`, has `GROUP BY` or `SELECT DISTINCT`, selects only aggregates (`SELECT COUNT(*)...`) or
    returns no table rows (`SHOW`, `DESCRIBE`, DDL) is bounded too. `spark`, `sc` and `sqlContext`
    are taken as the names Spark shells and Databricks define unless the notebook binds them itself.

    Not flagged: `gc.collect()`, polars `LazyFrame.collect()`, any `.collect()` whose receiver nblint
    cannot trace to Spark, and collects after a bound.

    ## Why it kills the kernel
    `collect()` and `toPandas()` copy every row from the executors into the driver, which is the
    notebook's kernel: a table that fits across a cluster does not fit in one Python process. The
    driver runs out of memory (`java.lang.OutOfMemoryError`, "Total size of serialized results is
    bigger than spark.driver.maxResultSize") or the OOM killer ends the kernel, and the Spark session
    is lost with it.

    ## Example
        events = spark.read.parquet("s3://lake/events/")
        pdf = events.filter(events.country == "NL").toPandas()

    ## Use instead
        pdf = events.filter(events.country == "NL").limit(10_000).toPandas()   # a look
        daily = events.groupBy("day").count().toPandas()                         # an aggregate

    or keep the work in Spark and write the result out (`events.write.parquet(...)`).
    """

    code = "NB302"
    needs = (
        *_SINKS,
        "spark",
        "sql",
    )  # the pre-filter (CodeRule.needs): toPandas()/collect(), or a %%spark / %%sql cell
    name = "collect-to-driver"
    # How big the data is, nblint cannot see: likely to kill the driver, not certain.
    severity = Severity.WARNING

    VALID = [
        "import gc\ngc.collect()\n",
        "import polars as pl\ndf = pl.scan_csv('big.csv').filter(pl.col('x') > 0).collect()\n",
        "import polars as pl\nlf = pl.scan_parquet('big.parquet')\n",
        # A receiver nblint cannot trace to Spark.
        "rows = cursor.collect()\n",
        "def run(df):\n    return df.collect()\n",
        # Bounded by a limit, a sample, an aggregation, distinct.
        "df = spark.read.parquet('events')\npdf = df.limit(1000).toPandas()\n",
        "df = spark.read.parquet('events')\nrows = df.limit(20).collect()\n",
        "df = spark.table('events')\npdf = df.sample(fraction=0.01).toPandas()\n",
        "df = spark.table('events')\ncounts = df.groupBy('country').count().toPandas()\n",
        "from pyspark.sql import functions as F\ndf = spark.table('events')\nstats = df.groupBy('day').agg(F.sum('amount')).collect()\n",
        "df = spark.table('events')\ncountries = df.select('country').distinct().collect()\n",
        "rdd = sc.textFile('logs.txt')\ncounts = rdd.flatMap(lambda l: l.split()).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b).collect()\n",
        "df = spark.table('events')\nsummary = df.describe().toPandas()\n",
        "df = spark.read.csv('events.csv')\nfirst = df.take(5)\nn = df.count()\n",
        # Reassigned to a bounded frame before the collect, across cells.
        ["df = spark.read.parquet('events')\n", "df = df.limit(100)\n", "pdf = df.toPandas()\n"],
        # SQL that is limited, aggregated or returns no table rows.
        "pdf = spark.sql('SELECT * FROM events LIMIT 100').toPandas()\n",
        "n = spark.sql('SELECT COUNT(*) AS n FROM events').collect()[0]['n']\n",
        "by_day = spark.sql('SELECT day, count(*) FROM events GROUP BY day').toPandas()\n",
        "tables = spark.sql('SHOW TABLES').collect()\n",
        # `sc` bound by the notebook to something that is not Spark.
        "from sklearn.preprocessing import StandardScaler\nsc = StandardScaler()\nparts = sc.parallelize(x).collect()\n",
        # collect() on a name bound in a loop: unknown.
        "for df in frames:\n    rows = df.collect()\n",
        # Aggregate functions in a select: one row.
        "from pyspark.sql import functions as F\ndf = spark.read.csv('x')\nlatest = df.select(F.max('ts').alias('m')).collect()[0][0]\n",
        "from pyspark.sql.functions import countDistinct\ndf = spark.table('t')\nn = df.select(countDistinct('id')).collect()\n",
        # Rows the code spells out, or a small known count.
        "rows = spark.range(100).collect()\n",
        "rdd = sc.parallelize([1, 2, 3, 4])\nsquares = rdd.map(lambda x: x * x).collect()\n",
        "df = spark.createDataFrame([(1, 'a'), (2, 'b')], ['id', 'v'])\npdf = df.toPandas()\n",
        # Grouped data that is aggregated, after a pivot.
        "df = spark.table('sales')\nwide = df.groupBy('shop').pivot('month').sum('amount').toPandas()\n",
        # sparkmagic: 2,500 rows by default, a bound, a sample, an aggregate, a frame bounded in the cell; and
        # ipython-sql's %%sql (no sparkmagic in the notebook), whose options are not sparkmagic's
        [
            "%load_ext sparkmagic.magics\n",
            "%%sql -o events\nSELECT * FROM events\n",
            "%%sql -o events -n 10000\nSELECT * FROM events\n",
            "%%sql -o sampled -n -1 -m sample -r 0.01\nSELECT * FROM events\n",
            "%%sql -o daily -n -1\nSELECT day, count(*) FROM events GROUP BY day\n",
            "%%spark -o top -n -1\ntop = spark.table('events').limit(100)\n",
            "%%sql -q -n -1\nCREATE TABLE t AS SELECT * FROM events\n",
        ],
        ["%load_ext sql\n", "%%sql -n -1\nSELECT * FROM events\n"],
    ]
    INVALID = [
        Invalid(
            "df = spark.read.parquet('events')\npdf = df.toPandas()\n",
            line=2,
            column=7,
            message="spark.read.parquet('events')",
        ),
        Invalid("df = spark.table('events')\nrows = df.collect()\n", line=2, column=8, message="collect()"),
        # Traced across cells, through row-preserving steps.
        Invalid(
            [
                "from pyspark.sql import SparkSession\nsession = SparkSession.builder.appName('x').getOrCreate()\n",
                "raw = session.read.format('csv').option('header', True).load('events.csv')\n",
                "clean = raw.filter(raw.amount > 0).withColumn('y', raw.amount * 2)\n",
                "rows = clean.select('y').collect()\n",
            ],
            cell=3,
            line=1,
            column=8,
        ),
        Invalid(
            "rdd = sc.parallelize(range(10**9))\nsquares = rdd.map(lambda x: x * x).collect()\n", line=2, column=11
        ),
        Invalid(
            "lines = sc.textFile('hdfs:///logs/*')\nfor line in lines.collect():\n    print(line)\n", line=2, column=13
        ),
        Invalid("df = sqlContext.sql('SELECT * FROM events')\nrows = df.collect()\n", line=2),
        Invalid("df = spark.createDataFrame(pdf)\nrows = df.rdd.collect()\n", line=2),
        Invalid("pdf = spark.sql(f'SELECT * FROM {table}').toPandas()\n", line=1, column=7),
        # toPandas on a receiver nblint cannot trace: only Spark has toPandas.
        Invalid("def show(df):\n    return df.toPandas()\n", line=2, column=12, message="no limit()"),
        Invalid("predictions = model.transform(test)\npdf = predictions.toPandas()\n", line=2, column=7),
        # A limit too large to be one.
        Invalid("df = spark.table('events')\npdf = df.limit(50_000_000).toPandas()\n", line=2, column=7),
        # sparkmagic: a %%spark cell is PySpark; -n -1 ships every row of a %%sql result or a -o frame here.
        Invalid(
            ["%load_ext sparkmagic.magics\n", "%%spark\ndf = spark.read.parquet('events')\npdf = df.toPandas()\n"],
            cell=1,
            line=3,
            column=7,
        ),
        Invalid(
            ["%load_ext sparkmagic.magics\n", "%%sql -o events -n -1\nSELECT * FROM events\n"],
            cell=1,
            line=1,
            message="ships every row of the query's result from the Spark driver into this kernel as the pandas "
            "DataFrame `events`",
        ),
        Invalid(
            ["%%spark\nevents = spark.table('events')\n", "%%spark -o events -n -1\nevents = events.filter('x > 0')\n"],
            cell=1,
            line=1,
            message="(from spark.table('events'))",
        ),
        Invalid(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "source": "%%sql --maxrows -1\nSELECT * FROM events\n",
                        "metadata": {},
                        "outputs": [],
                        "execution_count": None,
                    }
                ],
                "metadata": {"kernelspec": {"name": "pysparkkernel", "language": "python", "display_name": "PySpark"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            },
            line=1,
            message="to show it",
        ),
        # The limit came before a join that multiplies rows back: the receiver is what counts.
        Invalid(
            "df = spark.table('events')\nsmall = df.limit(10)\ndf = df.join(small, 'id')\npdf = df.toPandas()\n", line=4
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self.trace = SparkTrace(context)
        self.sinks: list[tuple[cst.Call, cst.BaseExpression, str, tuple, int]] = []
        self._probes: list[cst.Name] = []

    # -- traversal: bindings in notebook order, and the sinks ------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.trace.enter_function(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.trace.leave_function(node)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.trace.enter_function(node)

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.trace.leave_function(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.trace.bind_name(node.name.value, None)

    # An assignment binds after its value ran: `df = df.limit(10)` reads the earlier df.
    def leave_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.trace.bind(target.target, node.value if isinstance(target.target, cst.Name) else None)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.trace.bind(node.target, node.value)

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        self.trace.bind(node.target, None)

    def leave_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.trace.bind(node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        self.trace.bind(node.target, None)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.trace.bind(node.asname.name, None)

    def visit_Import(self, node: cst.Import) -> None:
        self._imported(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._imported(node)

    def _imported(self, node: cst.Import | cst.ImportFrom) -> None:
        for name in imported_names(node):
            self.trace.bind_name(name, None)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _SINKS and not node.args:
            self.sinks.append((node, func.value, func.attr.value, self.trace.scopes(), self.trace.tick()))

    # -- decision ---------------------------------------------------------------------------------

    def finish(self) -> None:
        for node, receiver, sink, scopes, order in self.sinks:
            traced = self.trace.classify(receiver, scopes, order)
            if traced.state == SOURCE:
                origin = source_text(traced.source, 60) if traced.source is not None else "a Spark source"
                self.report(node, _traced_message(receiver, sink, origin), fix=_fix(receiver, sink))
            elif sink == "toPandas" and traced.state == UNKNOWN:
                self.report(node, _untraced_message(receiver), fix=_fix(receiver, sink))
            # BOUNDED and the non-data states (a session, a reader) say nothing
        for index, source in self.context.spark_cells:
            self._sparkmagic_cell(index, source)

    def _sparkmagic_cell(self, index: int, source: str) -> None:
        """sparkmagic ships a `%%sql` result (and a `%%spark -o VAR` frame) back to this kernel as a pandas
        DataFrame: `-n N` rows of it, 2,500 by default, every row with `-n -1`."""
        magic = spark_magic(source)
        if magic is None or not (magic.unbounded or (magic.maxrows or 0) > LARGE_LIMIT) or magic.sample:
            return
        rows = "every row" if magic.unbounded else f"up to {magic.maxrows:,} rows"
        if magic.sql:
            if magic.output is None and magic.quiet:
                return  # nothing kept, nothing shown
            body = "\n".join(source.split("\n")[magic.line + 1 :])
            if not body.strip() or sql_query_state(body) == BOUNDED:
                return
            what = "the query's result"
        else:
            if magic.output is None:
                return  # a %%spark cell ships back only what -o names
            probe = cst.Name(magic.output)
            # kept alive: the trace memoises by id(node), and a freed probe's id is reused by the next one
            self._probes.append(probe)
            traced = self.trace.classify(probe, (None,), self.trace.order + 1)
            if traced.state != SOURCE:
                return  # a frame nblint cannot trace to a Spark source, or one bounded in the cell
            origin = source_text(traced.source, 60) if traced.source is not None else "a Spark source"
            what = f"`{magic.output}` (from {origin})"
        into = f"as the pandas DataFrame `{magic.output}`" if magic.output else "as a pandas DataFrame, to show it"
        flag = f"-n {magic.maxrows}"
        self.report_at(
            f"`{magic.text}` ships {rows} of {what} from the Spark driver into this kernel {into} "
            f"(`{flag}`; sparkmagic's default is {SPARKMAGIC_DEFAULT_MAXROWS:,} rows), as toPandas() would; "
            "keep a row bound (-n 10000), sample (-m sample -r 0.01), or aggregate in Spark first",
            cell=index,
            line=magic.line + 1,
            column=len(source.split("\n")[magic.line]) - len(source.split("\n")[magic.line].lstrip()) + 1,
            fix=magic.text.replace(flag, "-n 10000"),
        )


def _traced_message(receiver: cst.BaseExpression, sink: str, origin: str) -> str:
    what = "as one pandas DataFrame" if sink == "toPandas" else "as a Python list"
    return (
        f"{source_text(receiver, 40)}.{sink}() copies every row of {origin} into the driver (this kernel) {what}, with no "
        f"limit of at most {LARGE_LIMIT:,} rows, sample or aggregation in between; take a bounded look (.limit(n), "
        ".take(n)), aggregate in Spark first, or write the result out (.write.parquet(...))"
    )


def _untraced_message(receiver: cst.BaseExpression) -> str:
    return (
        f"{source_text(receiver, 40)}.toPandas() copies every row of a Spark DataFrame into the driver (this kernel), and "
        "nblint sees no limit() or aggregation before it; take a bounded look (.limit(n)) or aggregate in Spark first"
    )


def _fix(receiver: cst.BaseExpression, sink: str) -> str:
    if (
        isinstance(receiver, cst.Call)
        and isinstance(receiver.func, cst.Attribute)
        and receiver.func.attr.value == "limit"
    ):
        receiver = receiver.func.value  # a limit too large to help: replace it
    base = source_text(receiver)
    if sink == "toPandas":
        return f"{base}.limit(10_000).toPandas()"
    return f"{base}.take(20)  # or .limit(n).collect(), or aggregate first"
