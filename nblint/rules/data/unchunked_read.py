"""NB301 unchunked-read: a whole-file pandas / polars read of a local file too big for memory."""

from __future__ import annotations

import os
from dataclasses import dataclass

import libcst as cst

from nblint.core.code.symbols import UNKNOWN, last_name
from nblint.core.code.text import source_text
from nblint.core.evidence import size_evidence, size_message
from nblint.core.findings import Severity
from nblint.core.options import MEMORY_BUDGET, Option, format_size, parse_bool, parse_str_list
from nblint.core.sizes import format_budget
from nblint.rules.base import CodeRule, Invalid, Valid
from nblint.rules.data.file_meta import (
    COMPRESSION_FACTOR,
    FEATHER_BATCHES_READ,
    METHODS,
    compression_of_name,
    decompressed_size,
    feather_footer,
    parquet_footer,
)
from nblint.rules.data.local_paths import (
    absolute_dirs,
    find_local,
    has_glob,
    local_part,
    opened_file,
    path_value,
    remote_scheme,
)

GiB = 2**30
MiB = 2**20


@dataclass(frozen=True)
class Format:
    """A file format: how it is named in messages, and in-memory bytes per byte on disk."""

    label: str
    factor: float
    # pandas and polars decompress .gz/.bz2/.xz/.zst/.zip on the fly for these
    compressible: bool
    # the rewrite that reads it within memory, {call} being the reader as written
    fix: str


_CHUNKED = "for chunk in {func}({path}, chunksize=100_000):\n    ...  # process or aggregate each chunk"
_CHUNKED_JSON = (
    "for chunk in {func}({path}, lines=True, chunksize=100_000):\n    ...  # process or aggregate each chunk"
)
FORMATS = {
    "csv": Format("delimited text", 2, True, _CHUNKED),
    "jsonl": Format("JSON lines", 1, True, _CHUNKED_JSON),
    # measured here (pandas 3.1, 200,000 records): read_json held 9.3x its file, json.load 4.6x (peak 5.6x)
    "json": Format("JSON", 5, True, "convert it once to JSON lines, then: " + _CHUNKED_JSON),
    "json-objects": Format(
        "JSON as Python objects",
        4,
        False,
        "stream it (ijson.items(f, 'item')), or store it as JSON lines and read those in chunks",
    ),
    # np.savetxt's default '%.18e' text holds each float64 in 25 bytes: the array is a third of the file
    "numbers-text": Format(
        "text of numbers",
        0.33,
        True,
        "{func}({path}, max_rows=...)  # or convert it once to .npy and np.load(..., mmap_mode='r')",
    ),
    # genfromtxt keeps every field as a bytes object before converting: peak 6.1x measured
    "numbers-text-lists": Format(
        "text of numbers (genfromtxt)",
        4,
        True,
        "np.loadtxt({path})  # converts in C without per-field lists, or max_rows=",
    ),
    "parquet": Format("Parquet", 5, False, "{func}({path}, columns=[...])  # or polars.scan_parquet({path})"),
    "orc": Format("ORC", 5, False, "{func}({path}, columns=[...])"),
    "feather": Format("Feather/Arrow", 1, False, "{func}({path}, columns=[...])"),
    "excel": Format("Excel", 2, False, "{func}({path}, usecols=..., nrows=...)  # or convert it once to Parquet"),
    "pickle": Format("pickle", 1, True, "store the frame as Parquet and read the columns you need"),
    "binary": Format("binary", 1, False, "{func}({path}, chunksize=100_000)  # iterate over the chunks"),
    "xml": Format("XML", 1, True, "{func}({path}, iterparse={{...}})"),
    # An HDF5 store often holds several tables and a read takes one: the file size says nothing.
    "hdf": Format("HDF5", 0, False, "{func}({path}, key, chunksize=100_000)"),
    "polars-csv": Format(
        "delimited text", 2, True, "polars.scan_csv({path})  # lazy: filter and select, then .collect()"
    ),
    "polars-jsonl": Format(
        "JSON lines", 1, True, "polars.scan_ndjson({path})  # lazy: filter and select, then .collect()"
    ),
    "polars-parquet": Format(
        "Parquet", 5, False, "polars.scan_parquet({path})  # lazy: filter and select, then .collect()"
    ),
    "polars-ipc": Format("Arrow IPC", 1, False, "polars.scan_ipc({path})  # lazy: filter and select, then .collect()"),
    "arrow-table": Format("Arrow IPC", 1, False, "{func}({path}, columns=[...])  # or polars.scan_ipc({path})"),
    "polars-excel": Format("Excel", 2, False, "convert it once to Parquet and use polars.scan_parquet"),
    "polars-avro": Format("Avro", 2, False, "{func}({path}, n_rows=..., columns=[...])"),
    "polars-json": Format("JSON", 2, False, "store it as JSON lines and use polars.scan_ndjson"),
}


# reader -> (format, accepts a partitioned folder, accepts a glob)
PANDAS_READERS = {
    "read_csv": ("csv", False, False),
    "read_table": ("csv", False, False),
    "read_fwf": ("csv", False, False),
    "read_json": ("jsonl", False, False),  # only with lines=True: see _is_line_json
    "read_parquet": ("parquet", True, False),
    "read_orc": ("orc", False, False),
    "read_feather": ("feather", False, False),
    "read_pickle": ("pickle", False, False),
    "read_excel": ("excel", False, False),
    "read_stata": ("binary", False, False),
    "read_sas": ("binary", False, False),
    "read_spss": ("binary", False, False),
    "read_hdf": ("hdf", False, False),
    "read_xml": ("xml", False, False),
}
POLARS_READERS = {
    "read_csv": ("polars-csv", False, True),
    "read_ndjson": ("polars-jsonl", False, True),
    "read_parquet": ("polars-parquet", True, True),
    "read_ipc": ("polars-ipc", False, True),
    "read_excel": ("polars-excel", False, False),
    "read_avro": ("polars-avro", False, False),
    "read_json": ("polars-json", False, False),
}
NUMPY_READERS = {
    "loadtxt": ("numbers-text", False, False),
    "genfromtxt": ("numbers-text-lists", False, False),
}
# pyarrow.feather: read_feather gives a pandas frame, read_table an Arrow table
PYARROW_READERS = {
    "read_feather": ("feather", False, False),
    "read_table": ("arrow-table", False, False),
}
_OTHER_READER_NAMES = frozenset({"load", "loadtxt", "genfromtxt"})
# Every reader's last name, for the pre-filter: what _reader resolves, and json.load.
_READER_NAMES = tuple(sorted({*PANDAS_READERS, *POLARS_READERS, *NUMPY_READERS, *PYARROW_READERS, "load"}))
# formats sized by the Arrow IPC footer; True: read into pandas (every value at least 8 bytes)
_ARROW_FORMATS = {"feather": True, "polars-ipc": False, "arrow-table": False}

# Keywords that bound the read (a row count, an iterator, a predicate): unless set to their "off" default
# (None / False), the read is bounded and never reported, whatever the value.
BOUNDING_KEYWORDS = frozenset(
    {"chunksize", "nrows", "n_rows", "iterator", "start", "stop", "where", "filters", "max_rows"}
)
# Keywords that read part of the columns: the estimate becomes unknown.
COLUMN_KEYWORDS = frozenset({"usecols", "columns"})
# skiprows as a callable or a list samples rows; as an int it only drops a header block.
SKIP_KEYWORDS = frozenset({"skiprows", "skip_rows"})
PATH_KEYWORDS = ("filepath_or_buffer", "path_or_buf", "path", "io", "source", "path_or_buffer", "fname", "fp")
# Readers given an in-memory buffer read no file.
_BUFFERS = frozenset({"io.StringIO", "io.BytesIO"})


def _parse_data_dirs(value) -> list[str]:
    return parse_str_list(value)


DATA_DIRS = Option(
    "data-dirs",
    [],
    _parse_data_dirs,
    "Extra folders where NB301 looks for the files notebooks read, after the notebook's own folder "
    "(relative to the configuration file's folder, or absolute).",
    relative_to_config=absolute_dirs,
)
FLAG_UNKNOWN_READ_SIZE = Option(
    "flag-unknown-read-size",
    False,
    parse_bool,
    "Also report (as info) pandas/polars reads whose file or in-memory size NB301 cannot tell.",
)


class UnchunkedRead(CodeRule):
    """
    ## What it does
    Flags a whole-file pandas or polars read of a local file too big for the memory budget.

    The readers: pandas (`read_csv`, `read_table`, `read_fwf`, `read_json`,
    `read_parquet`, `read_excel`, `read_feather`, `read_pickle`, `read_orc`, `read_hdf`, `read_stata`,
    `read_sas`, `read_spss`, `read_xml`; polars `read_csv`, `read_parquet`, `read_ndjson`, `read_ipc`,
    `read_excel`, `read_avro`, `read_json`), `pyarrow.feather.read_feather`/`read_table`, NumPy `loadtxt`/`genfromtxt` and `json.load` of a local file that exists where the notebook runs and whose estimated
    in-memory size is over the memory budget, read whole: no `chunksize`, `nrows`/`n_rows`, `iterator`,
    `start`/`stop`/`where` (HDF) or `filters` (Parquet).

    The path must be spelled out: a string, a notebook-level constant (from any earlier cell),
    `os.path.join`, `pathlib.Path(...) / "x.csv"`, an f-string of constants. It resolves against the
    notebook's folder (where Jupyter starts the kernel), then against each of `data-dirs`. A file
    object counts as its file: `open(path)`, `gzip.open(path)`, `Path(...).open()`, a name assigned
    one, a `with open(path) as f:` block, and, under the guard, a file object or a `Path` an earlier
    cell left in the kernel. A folder of
    Parquet files (a partitioned data set) counts as the total of its files; polars globs are expanded.

    The estimate is the file size times a factor per format, at the low end of what pandas needs once
    the data is parsed (strings become Python objects, numbers 8-byte values): delimited text (CSV,
    TSV, fixed width) x2; JSON lines x1; Parquet and ORC x5 (compressed columnar files expand 5-10x);
    Feather/Arrow, pickle, Stata, SAS, SPSS, XML x1; Excel x2; a whole JSON document (`read_json`
    without `lines=True`) x5 and `json.load` x4 (measured here: 9.3x and 4.6x held, 200,000 records);
    `np.loadtxt` x0.33 (floats written by `np.savetxt` take 25 bytes of text for 8 in memory) and
    `np.genfromtxt` x4 (its per-field lists peaked at 6.1x). A compressed file is first sized as its
    own metadata says, never by reading its data: a `.zip` holding one file by the archive's directory
    (pandas also holds the unzipped bytes while parsing: counted once more); a `.gz` by its trailer's
    ISIZE, which counts modulo 4 GiB (a file that wrapped is said to be at least the smallest size it
    can be); `.bz2`, `.xz`, `.zst` estimated at x4 the compressed bytes, and said to be an estimate.
    `compression=` given explicitly (a name or `{'method': ...}`) wins over the file's name; a file
    object from plain `open()` is read as it is (pandas infers no compression from a handle). A
    Parquet file is sized by its footer (rows x leaf columns x 8 bytes, or the row groups'
    uncompressed bytes, whichever is more), read by hand (no pyarrow), falling back to x5 the file. A
    Feather 2 / Arrow IPC file (`read_feather`, `pyarrow.feather.read_feather`/`read_table`, polars
    `read_ipc`) is sized by its footer and each record batch's metadata: the bodies' bytes, and for a
    compressed file (LZ4 or ZSTD, Feather 2's default) each buffer's uncompressed length, the 8 bytes
    that begin it; read into pandas, at least rows x columns x 8 bytes. Past 64 batches the rest are
    scaled from the first 64 by their stored bytes, and said to be. A Feather 1 file counts x1 its
    size. An HDF5 store (`read_hdf`) often holds several tables,
    so the size of the one read is unknown. Reading only some columns (`usecols=`,
    `columns=`) or sampling rows with a callable or list `skiprows=` makes the estimate unknown; an
    integer `skiprows=` and `dtype=` do not change it.

    Never reported: a file that does not exist where the notebook runs (it is fetched or made at run
    time: nblint cannot know its size), remote URLs (`http(s)://`, `s3://`, `gs://`, `hdfs://`,
    `abfs://`...), in-memory buffers (`io.StringIO`), bounded reads, lazy readers (`polars.scan_*`,
    `dask.dataframe`, `pl.read_csv_batched`).

    ## Why it kills the kernel
    pandas materialises the whole table in RAM, several times the file's size while parsing. Over the
    memory the machine has, the OOM killer ends the kernel with SIGKILL ("The kernel appears to have
    died"), and every variable of the session is gone.

    ## Example
        import pandas as pd
        DATA = "data/transactions.csv"  # 3 GiB on disk
        df = pd.read_csv(DATA)

    ## Use instead
        totals = None
        for chunk in pd.read_csv(DATA, chunksize=1_000_000):
            part = chunk.groupby("account")["amount"].sum()
            totals = part if totals is None else totals.add(part, fill_value=0)

    or read only the columns you need (`usecols=`), or go lazy: `polars.scan_csv(DATA)`.

    ## Options
    - `memory-budget` (default "1 GiB"): the estimated in-memory size above which a read is reported.
    - `data-dirs` (default `[]`): more folders to look in for a relative path, after the notebook's
      folder. Relative entries are taken against the folder of the configuration file that sets them
      (the `pyproject.toml` or `nblint.toml`); absolute ones and `~/` as written.
    - `flag-unknown-read-size` (default `false`): also report, with severity info, a read whose size
      nblint cannot tell: the path is computed at run time, or only some columns are read of a file
      whose whole would be over the budget. Files that do not exist and remote URLs stay unreported.
    """

    code = "NB301"
    needs = (
        _READER_NAMES  # the pre-filter (CodeRule.needs): the last name of every reader it knows (json.load included)
    )
    name = "unchunked-read"
    severity = Severity.WARNING
    options = (MEMORY_BUDGET, DATA_DIRS, FLAG_UNKNOWN_READ_SIZE)

    VALID = [
        # The file does not exist where the notebook runs: its size is unknown, never guessed.
        "import pandas as pd\ndf = pd.read_csv('data/big.csv')\n",
        # Small files.
        Valid("import pandas as pd\ndf = pd.read_csv('data/small.csv')\n", files={"data/small.csv": 100 * MiB}),
        Valid("import pandas as pd\ndf = pd.read_parquet('small.parquet')\n", files={"small.parquet": 150 * MiB}),
        # Bounded reads.
        Valid(
            "import pandas as pd\nfor chunk in pd.read_csv('data/big.csv', chunksize=100_000):\n    print(chunk.shape)\n",
            files={"data/big.csv": 3 * GiB},
        ),
        Valid("import pandas as pd\ndf = pd.read_csv('data/big.csv', nrows=1000)\n", files={"data/big.csv": 3 * GiB}),
        Valid(
            "import pandas as pd\nreader = pd.read_csv('data/big.csv', iterator=True)\n",
            files={"data/big.csv": 3 * GiB},
        ),
        Valid(
            "import pandas as pd\nN = 5000\ndf = pd.read_table('data/big.tsv', nrows=N)\n",
            files={"data/big.tsv": 3 * GiB},
        ),
        Valid("import polars as pl\ndf = pl.read_csv('data/big.csv', n_rows=1000)\n", files={"data/big.csv": 3 * GiB}),
        Valid(
            "import pandas as pd\ndf = pd.read_parquet('big.parquet', filters=[('year', '=', 2024)])\n",
            files={"big.parquet": 1 * GiB},
        ),
        Valid(
            "import pandas as pd\ndf = pd.read_hdf('store.h5', 'table', where='index < 100')\n",
            files={"store.h5": 3 * GiB},
        ),
        # One table of a store that may hold many: unknown.
        Valid("import pandas as pd\ndf = pd.read_hdf('store.h5', 'prices')\n", files={"store.h5": 3 * GiB}),
        # Reading some columns, or sampling rows: the estimate is unknown (reported as info only on request).
        Valid(
            "import pandas as pd\ndf = pd.read_csv('data/big.csv', usecols=['id', 'amount'])\n",
            files={"data/big.csv": 3 * GiB},
        ),
        Valid(
            "import pandas as pd\ndf = pd.read_csv('data/big.csv', skiprows=lambda i: i > 0 and i % 100 != 0)\n",
            files={"data/big.csv": 3 * GiB},
        ),
        # Lazy readers.
        Valid("import polars as pl\nlf = pl.scan_csv('data/big.csv')\n", files={"data/big.csv": 3 * GiB}),
        Valid(
            "import polars as pl\ndf = pl.scan_parquet('big.parquet').filter(pl.col('x') > 0).collect()\n",
            files={"big.parquet": 3 * GiB},
        ),
        Valid("import dask.dataframe as dd\ndf = dd.read_csv('data/big.csv')\n", files={"data/big.csv": 3 * GiB}),
        # A Feather file under the budget, and one read a few columns at a time.
        Valid("import pandas as pd\ndf = pd.read_feather('small.feather')\n", files={"small.feather": 300 * MiB}),
        Valid(
            "import pyarrow.feather as feather\ntable = feather.read_table('frame.feather', columns=['id'])\n",
            files={"frame.feather": 3 * GiB},
        ),
        # A whole JSON document under the budget once expanded (x5), as Kaggle notebooks read them.
        Valid("import pandas as pd\ndf = pd.read_json('train.json')\n", files={"train.json": 150 * MiB}),
        Valid("import json\nwith open('config.json') as f:\n    config = json.load(f)\n", files={"config.json": 4096}),
        # A file written, not read; json.load of no file nblint can see.
        Valid("import json\nwith open('big.json', 'w') as f:\n    json.dump({}, f)\n", files={"big.json": 3 * GiB}),
        "import json\nimport sys\ndata = json.load(sys.stdin)\n",
        # np.loadtxt converts in C: a 2 GiB text of numbers is a ~0.7 GiB array.
        Valid("import numpy as np\nX = np.loadtxt('data/X.txt', delimiter=',')\n", files={"data/X.txt": 2 * GiB}),
        Valid("import numpy as np\nX = np.genfromtxt('data/X.txt', max_rows=1000)\n", files={"data/X.txt": 2 * GiB}),
        # A handle of a .gz file opened with plain open(): pandas does not decompress a handle.
        Valid(
            "import pandas as pd\ndf = pd.read_csv(open('data/small.csv.gz', 'rb'))\n",
            files={"data/small.csv.gz": 200 * MiB},
        ),
        # Remote URLs, as in tensorflow/docs and Azure notebooks.
        "import pandas as pd\ntrain = pd.read_csv('https://storage.googleapis.com/tf-datasets/titanic/train.csv')\n",
        "import pandas as pd\ndf = pd.read_parquet('s3://bucket/big.parquet')\n",
        "import pandas as pd\nURL = 'gs://bucket/data.csv'\ndf = pd.read_csv(URL)\n",
        # A path computed at run time: unknown, not reported by default.
        Valid(
            "import pandas as pd\nimport glob\nfor path in glob.glob('data/*.csv'):\n    df = pd.read_csv(path)\n",
            files={"data/big.csv": 3 * GiB},
        ),
        # An in-memory buffer is no file.
        "import io\nimport pandas as pd\ndf = pd.read_csv(io.StringIO('a,b\\n1,2\\n'))\n",
        # Another library's read_csv (a module of the notebook's own, tf.data) is not pandas.
        Valid("from mylib import read_csv\ndf = read_csv('data/big.csv')\n", files={"data/big.csv": 3 * GiB}),
        Valid(
            "import tensorflow as tf\nds = tf.data.experimental.make_csv_dataset('data/big.csv', batch_size=32)\n",
            files={"data/big.csv": 3 * GiB},
        ),
        # A constant assigned two different paths: which one is read is unknown.
        Valid(
            ["import pandas as pd\nPATH = 'data/small.csv'\n", "PATH = 'data/big.csv'\n", "df = pd.read_csv(PATH)\n"],
            files={"data/big.csv": 3 * GiB, "data/small.csv": 10},
        ),
        # A function parameter named like a notebook constant is not that constant.
        Valid(
            "import pandas as pd\nPATH = 'data/big.csv'\ndef load(PATH):\n    return pd.read_csv(PATH)\n",
            files={"data/big.csv": 3 * GiB},
        ),
        # The budget is an option.
        Valid(
            "import pandas as pd\ndf = pd.read_csv('data/big.csv')\n",
            files={"data/big.csv": 3 * GiB},
            options={"memory-budget": "8 GiB"},
        ),
    ]
    INVALID = [
        Invalid(
            "import pandas as pd\ndf = pd.read_csv('data/big.csv')\n",
            files={"data/big.csv": 3 * GiB},
            line=2,
            column=6,
            message="~6.0 GiB in memory",
        ),
        # A constant from an earlier cell, and `from pandas import read_csv`.
        Invalid(
            ["from pandas import read_csv\nDATA = 'data/big.csv'\n", "df = read_csv(DATA)\n"],
            files={"data/big.csv": 3 * GiB},
            cell=1,
            line=1,
            column=6,
            message="3.0 GiB",
        ),
        # os.path.join and pathlib of constants, across cells.
        Invalid(
            [
                "import os\nimport pandas as pd\nDATA_DIR = 'data'\n",
                "df = pd.read_csv(os.path.join(DATA_DIR, 'big.csv'))\n",
            ],
            files={"data/big.csv": 3 * GiB},
            cell=1,
        ),
        Invalid(
            [
                "from pathlib import Path\nimport pandas as pd\nDATA = Path('data')\n",
                "df = pd.read_csv(DATA / 'big.csv')\n",
            ],
            files={"data/big.csv": 3 * GiB},
            cell=1,
        ),
        Invalid(
            "import pandas as pd\nNAME = 'big'\ndf = pd.read_csv(f'data/{NAME}.csv', sep=';')\n",
            files={"data/big.csv": 3 * GiB},
            line=3,
        ),
        # Reading whole inside a chain still reads whole.
        Invalid(
            "import pandas as pd\nn = len(pd.read_csv('data/big.csv'))\n",
            files={"data/big.csv": 3 * GiB},
            line=2,
            column=9,
        ),
        # iterator=False and nrows=None are the defaults: not bounded.
        Invalid(
            "import pandas as pd\ndf = pd.read_csv('data/big.csv', nrows=None, iterator=False)\n",
            files={"data/big.csv": 3 * GiB},
            line=2,
        ),
        Invalid(
            "import pandas as pd\ndf = pd.read_json('events.jsonl', lines=True)\n",
            files={"events.jsonl": 2 * GiB},
            line=2,
            message="JSON lines",
        ),
        # A whole JSON document: pandas held 9.3x the file here; counted x5.
        Invalid(
            "import pandas as pd\ndf = pd.read_json('big.json')\n",
            files={"big.json": 300 * MiB},
            line=2,
            message="JSON x5",
        ),
        # json.load through an open file: a name bound by open(), a with-block, Path.open().
        Invalid(
            "import json\nf = open('dump.json')\ndata = json.load(f)\n",
            files={"dump.json": 300 * MiB},
            line=3,
            message="x4",
        ),
        Invalid(
            "import json\nwith open('dump.json') as f:\n    data = json.load(f)\n",
            files={"dump.json": 300 * MiB},
            line=3,
            column=12,
        ),
        Invalid(
            "import json\nfrom pathlib import Path\nwith Path('dump.json').open() as f:\n    data = json.load(f)\n",
            files={"dump.json": 300 * MiB},
            line=4,
        ),
        Invalid(
            "import pandas as pd\nf = open('data/big.csv')\ndf = pd.read_csv(f)\n",
            files={"data/big.csv": 3 * GiB},
            line=3,
        ),
        # A Path object in a variable.
        Invalid(
            "import pandas as pd\nfrom pathlib import Path\nSRC = Path('data') / 'big.csv'\ndf = pd.read_csv(SRC)\n",
            files={"data/big.csv": 3 * GiB},
            line=4,
        ),
        # numpy's text readers.
        Invalid(
            "import numpy as np\nX = np.genfromtxt('data/X.txt', delimiter=',')\n",
            files={"data/X.txt": 500 * MiB},
            line=2,
            message="genfromtxt",
        ),
        Invalid("import numpy as np\nX = np.loadtxt('data/X.txt')\n", files={"data/X.txt": 6 * GiB}, line=2),
        # compression= given explicitly: a file whose name does not say it.
        Invalid(
            "import pandas as pd\ndf = pd.read_csv('data/dump', compression='bz2')\n",
            files={"data/dump": 200 * MiB},
            line=2,
            message="estimated",
        ),
        Invalid(
            "import pandas as pd\ndf = pd.read_csv('data/dump', compression={'method': 'xz'})\n",
            files={"data/dump": 200 * MiB},
            line=2,
            message="xz, estimated",
        ),
        # gzip.open decompresses, whatever the name.
        Invalid(
            "import gzip\nimport json\ndata = json.load(gzip.open('dump'))\n",
            files={"dump": 100 * MiB},
            line=3,
            message="gzip",
        ),
        Invalid(
            "import pandas as pd\ndf = pd.read_parquet('events.parquet')\n",
            files={"events.parquet": 300 * MiB},
            line=2,
            message="Parquet x5",
        ),
        # A partitioned Parquet folder counts as the total of its files.
        Invalid(
            "import pandas as pd\ndf = pd.read_parquet('events')\n",
            files={"events/year=2023/part-0.parquet": 120 * MiB, "events/year=2024/part-0.parquet": 120 * MiB},
            line=2,
            message="2 files",
        ),
        Invalid("import pandas as pd\ndf = pd.read_excel('report.xlsx')\n", files={"report.xlsx": 600 * MiB}, line=2),
        Invalid("import pandas as pd\ndf = pd.read_pickle('frame.pkl')\n", files={"frame.pkl": 2 * GiB}, line=2),
        Invalid(
            "import pandas as pd\ndf = pd.read_feather('frame.feather')\n", files={"frame.feather": 2 * GiB}, line=2
        ),
        # pyarrow's Feather readers, sized as pandas' (a Feather 1 or unreadable footer: x1 the file).
        Invalid(
            "import pyarrow.feather as feather\ntable = feather.read_table('frame.arrow')\n",
            files={"frame.arrow": 2 * GiB},
            line=2,
            message="Arrow IPC x1",
        ),
        # Compressed text expands.
        Invalid(
            "import pandas as pd\ndf = pd.read_csv('data/big.csv.gz')\n",
            files={"data/big.csv.gz": 200 * MiB},
            line=2,
            message="compressed",
        ),
        # polars eager readers, and a polars glob.
        Invalid(
            "import polars as pl\ndf = pl.read_csv('data/big.csv')\n",
            files={"data/big.csv": 3 * GiB},
            line=2,
            message="polars.scan_csv",
        ),
        Invalid(
            "import polars as pl\ndf = pl.read_parquet('data/*.parquet')\n",
            files={"data/a.parquet": 200 * MiB, "data/b.parquet": 200 * MiB},
            line=2,
        ),
        Invalid(
            "import polars as pl\ndf = pl.read_ndjson('events.ndjson')\n", files={"events.ndjson": 2 * GiB}, line=2
        ),
        # A budget set lower.
        Invalid(
            "import pandas as pd\ndf = pd.read_csv('data/medium.csv')\n",
            files={"data/medium.csv": 200 * MiB},
            options={"memory-budget": "256 MiB"},
            line=2,
            message="over the 256 MiB budget",
        ),
        # A file found in a data folder.
        Invalid(
            "import pandas as pd\ndf = pd.read_csv('big.csv')\n",
            files={"shared/big.csv": 3 * GiB},
            options={"data-dirs": ["shared"]},
            line=2,
        ),
        # Reading inside a function still reads the whole file.
        Invalid(
            ["import pandas as pd\nDATA = 'data/big.csv'\n", "def load():\n    return pd.read_csv(DATA)\n"],
            files={"data/big.csv": 3 * GiB},
            cell=1,
            line=2,
            column=12,
        ),
        # Unknown sizes, reported as info on request.
        Invalid(
            "import pandas as pd\nimport sys\ndf = pd.read_csv(sys.argv[1])\n",
            options={"flag-unknown-read-size": True},
            line=3,
            message="cannot tell",
        ),
        Invalid(
            "import pandas as pd\ndf = pd.read_csv('data/big.csv', usecols=['a', 'b'])\n",
            files={"data/big.csv": 3 * GiB},
            options={"flag-unknown-read-size": True},
            line=2,
            message="usecols",
        ),
    ]

    def visit_With(self, node: cst.With) -> None:
        # `with open(path) as f:` -> a read of `f` in the body reads `path`
        entered = {
            item.asname.name.value: item.item
            for item in node.items
            if item.asname is not None and isinstance(item.asname.name, cst.Name)
        }
        self.__dict__.setdefault("_withs", []).append(entered)

    def leave_With(self, original_node: cst.With) -> None:
        withs = self.__dict__.get("_withs")
        if withs:
            withs.pop()

    def _entered(self) -> dict:
        merged: dict = {}
        for entered in self.__dict__.get("_withs", ()):
            merged.update(entered)
        return merged

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        short = last_name(func) or ""
        if not short.startswith("read_") and short not in _OTHER_READER_NAMES:
            return
        reader = self._reader(node)
        if reader is None:
            return
        library, name, (format_key, folder_ok, glob_ok) = reader
        if name == "read_json" and library == "pandas" and not self._is_line_json(node):
            format_key = "json"
        bound = self._bound(node)
        if bound == "bounded":
            return
        path_node = _path_argument(node)
        if path_node is None:
            return
        if isinstance(path_node, cst.Call) and self.context.qualified_name(path_node.func) in _BUFFERS:
            return
        opened = opened_file(self.context, path_node, self._entered())
        if opened is not None and opened.live_path is not None:
            path = opened.live_path  # the guard: a file object an earlier cell opened
        elif opened is not None:
            path = path_value(self.context, opened.path_node)
        elif library == "json":
            return  # json.load of something that is no file nblint can see
        else:
            path = path_value(self.context, path_node)
        if path is UNKNOWN:
            self._report_unknown(
                node,
                f"{_call_text(node)} reads a path computed when the notebook runs, so nblint cannot tell its size; "
                f"if it can be over the {format_budget(self.option(MEMORY_BUDGET))} budget once in memory, "
                "read it in chunks (chunksize=) or lazily (polars.scan_*)",
            )
            return
        if not isinstance(path, str) or remote_scheme(path) is not None:
            return
        glob_ok = glob_ok and has_glob(local_part(path))
        found = find_local(self.context, path, self.option(DATA_DIRS), allow_folder=folder_ok, allow_glob=glob_ok)
        if found is None:
            return
        if found.size is None:
            self._report_unknown(
                node, f"{_call_text(node)} reads {self._place(found)}: too many files for nblint to size them"
            )
            return
        place = self._place(found)
        fmt = FORMATS[format_key]
        budget = self.option(MEMORY_BUDGET)
        if not fmt.factor:
            if found.size > budget:
                self._report_unknown(
                    node, f"{_call_text(node)} reads one table of {place}: nblint cannot tell how big that table is"
                )
            return
        single = found.files == 1 and os.path.isfile(found.path)
        method = _compression(path, node, self.context, opened, fmt)
        content = found.size
        notes = []
        if method is not None:
            if single:
                unpacked = decompressed_size(found.path, method, found.size)
                if unpacked.size is None:
                    return  # pandas cannot read that archive (several files in a zip): not a memory problem
                content = unpacked.size
                notes.append(unpacked.how)
            else:
                content = found.size * COMPRESSION_FACTOR
                notes.append(f"compressed, estimated at x{COMPRESSION_FACTOR} the compressed bytes")
        footer = parquet_footer(found.path) if format_key in ("parquet", "polars-parquet") and single else None
        arrow = feather_footer(found.path) if format_key in _ARROW_FORMATS and single else None
        if arrow is not None:
            # read into pandas, every column holds at least 8 bytes a value; Arrow tables are their buffers
            floor = arrow.rows * arrow.columns * 8 if _ARROW_FORMATS[format_key] else 0
            estimate = max(arrow.uncompressed, floor)
            scaled = f", scaled from its first {FEATHER_BATCHES_READ} batches" if arrow.scaled else ""
            stored = "decompressed" if arrow.compressed else "uncompressed"
            notes.append(
                f"Arrow IPC footer: {arrow.rows:,} rows x {arrow.columns:,} columns in {arrow.batches:,} batch{'es' if arrow.batches != 1 else ''}, "
                f"{format_size(arrow.uncompressed)} {stored}{scaled}"
            )
        elif footer is not None:
            # every pandas column holds at least 8 bytes a value (numbers, or pointers to string objects)
            estimate = max(footer.uncompressed, footer.rows * footer.columns * 8)
            notes.append(
                f"Parquet footer: {footer.rows:,} rows x {footer.columns:,} columns, "
                f"{format_size(footer.uncompressed)} uncompressed"
            )
        else:
            estimate = int(content * fmt.factor)
            if method == "zip" and library == "pandas":
                estimate += content  # pandas 3 holds the unzipped member in memory while it parses it
                notes.append("the unzipped bytes held while parsing")
            notes.append(f"{fmt.label} x{fmt.factor:.2g}")
        if estimate <= budget:
            return
        how = "; ".join(notes)
        if bound is not None:
            self._report_unknown(
                node,
                f"{_call_text(node)} reads {place}, ~{format_size(estimate)} in memory ({how}) if read whole, over the "
                f"{format_budget(budget)} budget, but it {bound} and nblint cannot tell how much that saves; check what "
                "is read fits, or read it in chunks (chunksize=)",
            )
            return
        evidence = size_evidence(
            _call_text(node),
            f"reads {place} whole: ~{format_size(estimate)} in memory ({how})",
            estimate,
            budget,
            _advice(library, format_key),
            file_bytes=found.size,
        )
        self.report(
            node,
            size_message(evidence, format_budget(budget), ", "),
            fix=fmt.fix.format(func=source_text(func, 60), path=source_text(path_node)),
            evidence=evidence,
        )

    def _place(self, found) -> str:
        """The file as the user knows it: relative to the notebook's folder when under it."""
        shown = os.path.normpath(found.path)
        base = self.context.notebook_dir
        if base is not None:
            try:
                relative = os.path.relpath(shown, base)
            except ValueError:  # another drive
                relative = shown
            # as the notebook would spell it, unless that climbs far out of the notebook's folder
            if relative.count(".." + os.sep) <= 3:
                shown = relative
        size = format_size(found.size) if found.size is not None else "size unknown"
        if found.files > 1 or os.path.isdir(found.path):
            return f"{shown} ({found.files} files, {size})"
        return f"{shown} ({size})"

    # -- what is called ---------------------------------------------------------------------------

    def _reader(self, node: cst.Call):
        qualified = self.context.qualified_name(node.func)
        if qualified is None:
            return None
        library, _, name = qualified.rpartition(".")
        root = library.split(".")[0]
        if root == "pandas" and name in PANDAS_READERS and library in ("pandas", "pandas.io.parsers", "pandas.io.api"):
            return "pandas", name, PANDAS_READERS[name]
        if root == "polars" and library == "polars" and name in POLARS_READERS:
            return "polars", name, POLARS_READERS[name]
        if library == "numpy" and name in NUMPY_READERS:
            return "numpy", name, NUMPY_READERS[name]
        if library == "pyarrow.feather" and name in PYARROW_READERS:
            return "pyarrow", name, PYARROW_READERS[name]
        if qualified == "json.load":
            return "json", name, ("json-objects", False, False)
        return None

    def _is_line_json(self, node: cst.Call) -> bool:
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "lines":
                return self.context.evaluate(arg.value) is True
        return False

    def _bound(self, node: cst.Call) -> str | None:
        """'bounded' for a bounded read; a phrase for a read whose estimate is unknown; None for whole."""
        why = None
        for arg in node.args:
            if arg.star == "**":
                return "bounded"  # keyword arguments from a dict may well hold chunksize: never guess
            if arg.keyword is None:
                continue
            keyword = arg.keyword.value
            if keyword in BOUNDING_KEYWORDS:
                value = self.context.evaluate(arg.value)
                if value is None or value is False:
                    continue  # the default: no bound
                return "bounded"
            if keyword in COLUMN_KEYWORDS:
                if self.context.evaluate(arg.value) is not None:
                    why = f"selects columns ({keyword}=)"
            elif keyword in SKIP_KEYWORDS:
                value = self.context.evaluate(arg.value)
                if value is not None and not (isinstance(value, int) and not isinstance(value, bool)):
                    why = f"samples rows ({keyword}=)"
        return why

    def _report_unknown(self, node: cst.Call, message: str) -> None:
        if self.option(FLAG_UNKNOWN_READ_SIZE):
            self.report(node, message, severity=Severity.INFO)


def _path_argument(node: cst.Call) -> cst.BaseExpression | None:
    for arg in node.args:
        if arg.keyword is None and not arg.star:
            return arg.value
        break
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in PATH_KEYWORDS:
            return arg.value
    return None


def _compression(path: str, node: cst.Call, context, opened, fmt: Format) -> str | None:
    """What the reader decompresses: the opener's own (gzip.open), an explicit `compression=`
    (a name or {'method': ...}), else what pandas infers from the name; a file object is never
    inferred (pandas reads a handle as it is)."""
    if opened is not None and opened.method:
        return opened.method
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == "compression":
            value = context.evaluate(arg.value)
            if isinstance(arg.value, cst.Dict):
                value = None
                for element in arg.value.elements:
                    if isinstance(element, cst.DictElement) and context.evaluate(element.key) == "method":
                        value = context.evaluate(element.value)
            if value == "infer":
                break
            if value is UNKNOWN:
                return None
            return value if value in METHODS else None
    if opened is not None or not fmt.compressible:
        return None
    return compression_of_name(path)


def _call_text(node: cst.Call) -> str:
    path = _path_argument(node)
    inner = source_text(path, 50) if path is not None else ""
    more = ", ..." if len(node.args) > 1 else ""
    return f"{source_text(node.func, 60)}({inner}{more})"


_POLARS_LAZY = {
    "polars-csv": "polars.scan_csv",
    "polars-jsonl": "polars.scan_ndjson",
    "polars-parquet": "polars.scan_parquet",
    "polars-ipc": "polars.scan_ipc",
}


def _advice(library: str, format_key: str) -> str:
    if library == "polars":
        lazy = _POLARS_LAZY.get(format_key)
        if lazy is None:
            return "read part of it (n_rows=, columns=), or convert it once to Parquet and use polars.scan_parquet"
        return f"go lazy with {lazy} and select or filter before .collect(), or read n_rows="
    if format_key == "csv":
        return (
            "read it in chunks (chunksize=), read only the columns you need (usecols=), or go lazy with polars.scan_csv"
        )
    if format_key == "jsonl":
        return "read it in chunks (lines=True, chunksize=) or go lazy with polars.scan_ndjson"
    if format_key in ("parquet", "orc"):
        return (
            "read only the columns you need (columns=), filter on read (filters=), or go lazy with polars.scan_parquet"
        )
    if format_key in ("feather", "arrow-table"):
        return "read only the columns you need (columns=), or go lazy with polars.scan_ipc"
    if format_key in ("json", "json-objects"):
        return "store it as JSON lines and read it in chunks (lines=True, chunksize=), or stream it with ijson"
    if format_key.startswith("numbers-text"):
        return (
            "read part of it (max_rows=, usecols=), or convert it once to .npy and open it with np.load(mmap_mode='r')"
        )
    if format_key == "excel":
        return "read part of it (usecols=, nrows=), or convert it once to Parquet and read that lazily"
    return "read it in parts (chunksize=, iterator=True, columns=) or convert it once to Parquet"
