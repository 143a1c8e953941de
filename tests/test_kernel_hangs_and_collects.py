"""NB302 collect-to-driver, NB403 blocking-input and NB404 pool-with-notebook-function through the real
command line, on notebooks shaped like real ones (several cells, markdown between them, outputs)."""

from __future__ import annotations

from conftest import check_notebook

MARKDOWN = {"cell_type": "markdown", "source": "## Next step"}


def check(tmp_path, cells, select: str) -> list[dict]:
    return check_notebook(tmp_path, cells, select)


def where(findings: list[dict]) -> list[tuple]:
    return [(f["code"], f["cell"], f["line"], f["column"]) for f in findings]


def test_collect_to_driver_traces_across_cells_and_stops_at_bounds(tmp_path):
    cells = [
        "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\n",
        MARKDOWN,
        "events = spark.read.parquet('s3://lake/events')\nnl = events.filter(events.country == 'NL')\n",
        "rows = nl.collect()\n",  # reported: every row of the source
        "daily = nl.groupBy('day').count().toPandas()\n",  # aggregated: fine
        "peek = nl.limit(100).toPandas()\n",  # limited: fine
        "import gc\ngc.collect()\n",  # not Spark
        "nl = nl.limit(10)\nsmall = nl.collect()\n",  # rebound to a limited frame first: fine
    ]
    findings = check(tmp_path, cells, "NB302")
    assert where(findings) == [("NB302", 3, 1, 8)]
    assert findings[0]["severity"] == "warning"
    assert "spark.read.parquet('s3://lake/events')" in findings[0]["message"]
    assert findings[0]["fix"] == "nl.take(20)  # or .limit(n).collect(), or aggregate first"


def test_blocking_input_is_reported_at_the_prompt_only_when_it_runs(tmp_path):
    cells = [
        "import getpass\n",
        "def ask_token():\n    return getpass.getpass('token: ')\n",
        "def ask_name():\n    return input('name: ')\n",  # never called: not reported
        MARKDOWN,
        "def main():\n    token = ask_token()\n    return token\n",
        "if __name__ == '__main__':\n    main()\n",
        "import tensorflow as tf\nx = tf.keras.Input(shape=(3,))\n",
    ]
    findings = check(tmp_path, cells, "NB403")
    assert where(findings) == [("NB403", 1, 2, 12)]
    assert "main() -> ask_token()" in findings[0]["message"]
    assert "StdinNotImplementedError" in findings[0]["message"]


def test_blocking_input_can_be_suppressed_on_its_line(tmp_path):
    findings = check(tmp_path, ["name = input('name: ')  # nblint: ignore[NB403]\n", "other = input('x: ')\n"], "NB403")
    assert where(findings) == [("NB403", 1, 1, 9)]


def test_pool_with_notebook_function_across_cells(tmp_path):
    cells = [
        "import multiprocessing as mp\nfrom concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor\n",
        "def work(x):\n    return x * x\n",
        MARKDOWN,
        "with mp.Pool(4) as pool:\n    squares = pool.map(work, range(10))\n",  # reported
        "with ThreadPoolExecutor() as ex:\n    futures = [ex.submit(work, i) for i in range(3)]\n",  # threads: fine
        "with ProcessPoolExecutor() as ex:\n    doubled = list(ex.map(lambda x: 2 * x, range(3)))\n",  # reported
    ]
    findings = check(tmp_path, cells, "NB404")
    assert where(findings) == [("NB404", 3, 2, 15), ("NB404", 5, 2, 20)]
    assert all(f["severity"] == "error" for f in findings)
    assert "Can't get attribute 'work'" in findings[0]["message"]
    assert "PicklingError" in findings[1]["message"]
    assert findings[0]["fix"].startswith("from workers import work")


def test_the_four_rules_are_quiet_on_a_notebook_of_look_alikes(tmp_path):
    cells = [
        "import gc, multiprocessing\nimport polars as pl\nimport pandas as pd\n",
        "n_cpu = multiprocessing.cpu_count()\n",
        "lazy = pl.scan_csv('big.csv').collect()\n",
        "gc.collect()\n",
        "from tensorflow.keras.layers import Input\ninputs = Input(shape=(28, 28))\n",
        "df = pd.read_csv('https://storage.googleapis.com/tf-datasets/titanic/train.csv')\n",
    ]
    assert check(tmp_path, cells, "NB301,NB302,NB403,NB404") == []


# -- sparkmagic (issue 21) ---------------------------------------------------------------------------------

SPARKMAGIC = [
    "%load_ext sparkmagic.magics\n",
    "%%spark\ndf = spark.read.parquet('s3://lake/events')\npdf = df.toPandas()\n",
    "%%sql -o events -n -1\nSELECT * FROM events\n",
    "%%sql -o few\nSELECT * FROM events\n",
    "%%sql -o agg -n -1\nSELECT day, count(*) FROM events GROUP BY day\n",
    "%%spark -o df -n -1\ndf = spark.table('events')\n",
    "%%spark -o small -n -1\nsmall = spark.table('events').limit(100)\n",
    "%%sql -n -1 -m sample -r 0.01\nSELECT * FROM events\n",
    "%%sql -q -n -1\nSELECT * FROM events\n",
    "  %%sql --maxrows 50000000\nSELECT * FROM events\n",
]


def test_sparkmagic_cells_are_read_as_sparkmagic_ships_rows(tmp_path):
    findings = check_notebook(tmp_path, SPARKMAGIC, "NB302")
    assert [(f["cell"], f["line"], f["column"]) for f in findings] == [(1, 3, 7), (2, 1, 1), (5, 1, 1), (9, 1, 3)]
    assert "`events`" in findings[1]["message"] and "-n -1" in findings[1]["message"]
    assert "(from spark.table('events'))" in findings[2]["message"]
    assert "up to 50,000,000 rows" in findings[3]["message"]
    assert findings[1]["fix"] == "%%sql -o events -n 10000"


def test_sql_cells_of_other_magics_are_not_sparkmagics(tmp_path):
    # ipython-sql / JupySQL: the same cell magic name, other options
    assert check_notebook(tmp_path, ["%load_ext sql\n", "%%sql -n -1\nSELECT * FROM events\n"], "NB302") == []


def test_the_body_of_a_spark_cell_is_analysed_statically_and_the_guard_leaves_it_to_the_cluster(tmp_path):
    from nblint.guard.check import check_cell
    from nblint.guard.values import LiveValues
    from nblint.rules import ALL_RULES

    body = "import numpy as np\nx = np.zeros((100_000, 100_000))\n"
    static = check_notebook(tmp_path, ["%%spark\n" + body, "%%spark -c sql\nSELECT 1\n"], "NB101,NB001")
    assert [(f["code"], f["cell"], f["line"]) for f in static] == [("NB101", 0, 3)], static
    rule = ALL_RULES["NB101"]
    options = {option.key: option.parsed_default() for option in rule.options}
    live = LiveValues({}, {})
    assert check_cell("%%spark\n" + body, live, [rule], options, lambda: None, refuse=False).warnings == []
    assert len(check_cell(body, live, [rule], options, lambda: None, refuse=False).warnings) == 1


def test_sparkmagic_options_are_read_as_sparkmagic_reads_them():
    from nblint.core.code.magics import spark_magic

    found = spark_magic("\n%%sql -q --output out --maxrows -1 -c true\nSELECT 1\n")
    assert found is not None and (found.output, found.maxrows, found.quiet, found.sql, found.line) == (
        "out",
        -1,
        True,
        True,
        1,
    )
    assert spark_magic("%%spark -c sql -o t\nSELECT 1\n").sql
    assert not spark_magic("%%spark -s session1 -o t\nx = 1\n").sql
    assert spark_magic("%%sql -n many\nSELECT 1\n") is None  # sparkmagic refuses it: nothing runs
    assert spark_magic("%%sql -o 'unclosed\nSELECT 1\n") is None
    assert spark_magic("%%sqlite\nSELECT 1\n") is None
