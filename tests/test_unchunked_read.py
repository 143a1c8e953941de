"""NB301 unchunked-read through the real command line: sparse data files, options in a pyproject.toml."""

from __future__ import annotations

import bz2
import gzip
import struct
import zipfile
from pathlib import Path

import pytest
from conftest import json_findings, run_nblint, write_notebook

from nblint.core.code.context import CodeContext
from nblint.rules.data.file_meta import decompressed_size, feather_footer, parquet_footer
from nblint.rules.data.local_paths import find_local

GiB = 2**30
MiB = 2**20
# Arrow IPC files written by pyarrow 26.0.1's pyarrow.feather.write_feather (pyarrow is not installed here):
# zeros_zstd.feather: 4,000,000 rows x 2 int64/float64 columns of zeros, zstd, one batch (3.8 KB on disk;
#   pyarrow's Table.get_total_buffer_size() says 64,000,000 bytes);
# many_batches.feather: 400,000 int64 zeros, lz4, 200 batches of 2,000 rows (3,200,000 bytes in memory).
DATA = Path(__file__).parent / "data"


def sparse(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size)  # no disk used
    return path


def pyproject(folder: Path, body: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text("[tool.nblint]\n" + body, encoding="utf-8")
    return path


def nb301(folder: Path, *args: str) -> list[dict]:
    result = run_nblint("check", "--select", "NB301", "--format", "json", *args, str(folder), cwd=folder)
    assert result.returncode in (0, 1), result.stderr
    return json_findings(result)


READ_BIG = ["import pandas as pd\n", "df = pd.read_csv('data/big.csv')\n"]


def test_a_big_csv_is_reported_at_the_call_with_the_estimate(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", READ_BIG)
    sparse(tmp_path / "data" / "big.csv", 3 * GiB)
    findings = nb301(tmp_path)
    assert [(f["cell"], f["line"], f["column"], f["severity"]) for f in findings] == [(1, 1, 6, "warning")]
    message = findings[0]["message"]
    assert "data/big.csv (3.0 GiB)" in message and "~6.0 GiB in memory" in message and "1 GiB budget" in message
    assert "chunksize=" in findings[0]["fix"]


def test_text_output_and_exit_code(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", READ_BIG)
    sparse(tmp_path / "data" / "big.csv", 3 * GiB)
    result = run_nblint("check", "--select", "NB301", str(tmp_path / "nb.ipynb"), cwd=tmp_path)
    assert result.returncode == 1
    assert "cell 2:1:6: NB301" in result.stdout


@pytest.mark.slow  # several nblint runs in turn
def test_a_missing_file_or_a_small_file_is_not_reported(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", READ_BIG)
    assert nb301(tmp_path) == []
    sparse(tmp_path / "data" / "big.csv", 100 * MiB)
    assert nb301(tmp_path) == []


@pytest.mark.slow  # several nblint runs in turn
def test_memory_budget_option(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", READ_BIG)
    sparse(tmp_path / "data" / "big.csv", 200 * MiB)  # ~400 MiB in memory
    assert nb301(tmp_path) == []
    pyproject(tmp_path, 'memory-budget = "256 MiB"\n')
    findings = nb301(tmp_path)
    assert len(findings) == 1 and "over the 256 MiB budget" in findings[0]["message"]
    sparse(tmp_path / "data" / "big.csv", 3 * GiB)
    pyproject(tmp_path, 'memory-budget = "8 GiB"\n')
    assert nb301(tmp_path) == []


def test_data_dirs_are_relative_to_the_configuration_files_folder(tmp_path):
    project = tmp_path / "project"
    notebooks = project / "notebooks" / "eda"
    write_notebook(notebooks / "nb.ipynb", ["import pandas as pd\ndf = pd.read_csv('big.csv')\n"])
    sparse(project / "shared_data" / "big.csv", 3 * GiB)
    # a folder of the same name beside the notebook must not be the one used
    (notebooks / "shared_data").mkdir()
    assert nb301(notebooks) == []
    pyproject(project, 'data-dirs = ["shared_data"]\n')
    findings = nb301(notebooks)  # run from the notebook's folder: the config's folder still anchors it
    assert len(findings) == 1
    assert "shared_data" in findings[0]["message"] and "3.0 GiB" in findings[0]["message"]


def test_data_dirs_accept_absolute_folders_and_try_them_in_order(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    sparse(elsewhere / "big.csv", 3 * GiB)
    project = tmp_path / "project"
    write_notebook(project / "nb.ipynb", ["import pandas as pd\ndf = pd.read_csv('big.csv')\n"])
    (project / "empty").mkdir()
    pyproject(project, f'data-dirs = ["empty", "{elsewhere.as_posix()}"]\n')
    findings = nb301(project)
    assert len(findings) == 1 and "elsewhere/big.csv (3.0 GiB)" in findings[0]["message"]
    # the notebook's own folder comes first: a small file there wins over the big one
    sparse(project / "big.csv", 10)
    assert nb301(project) == []


def test_flag_unknown_read_size_reports_info_only_for_unknown_sizes(tmp_path):
    cells = [
        "import sys\nimport pandas as pd\n",
        "a = pd.read_csv(sys.argv[1])\n",  # path computed at run time
        "b = pd.read_csv('data/missing.csv')\n",  # does not exist here: never reported
        "c = pd.read_csv('https://example.org/big.csv')\n",  # remote: never reported
        "d = pd.read_csv('data/big.csv', usecols=['id'])\n",  # part of a big file: size unknown
        "e = pd.read_csv('data/big.csv', chunksize=10_000)\n",  # bounded: never reported
    ]
    write_notebook(tmp_path / "nb.ipynb", cells)
    sparse(tmp_path / "data" / "big.csv", 3 * GiB)
    assert nb301(tmp_path) == []
    pyproject(tmp_path, "flag-unknown-read-size = true\n")
    findings = nb301(tmp_path)
    assert [(f["cell"], f["severity"]) for f in findings] == [(1, "info"), (4, "info")]
    assert "computed when the notebook runs" in findings[0]["message"]
    assert "usecols=" in findings[1]["message"]


def test_bad_option_values_are_configuration_errors(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", READ_BIG)
    pyproject(tmp_path, 'data-dirs = "data"\n')
    result = run_nblint("check", "--select", "NB301", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "data-dirs" in result.stderr and "Traceback" not in result.stderr
    pyproject(tmp_path, 'flag-unknown-read-size = "yes"\n')
    result = run_nblint("check", "--select", "NB301", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "flag-unknown-read-size" in result.stderr


def test_a_partitioned_parquet_folder_counts_all_its_files(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", ["import pandas as pd\ndf = pd.read_parquet('events')\n"])
    for year in (2022, 2023, 2024):
        sparse(tmp_path / "events" / f"year={year}" / "part-0.parquet", 100 * MiB)
    sparse(tmp_path / "events" / "_SUCCESS", 0)
    findings = nb301(tmp_path)
    assert len(findings) == 1 and "(3 files, 300 MiB)" in findings[0]["message"]


def test_the_files_sized_are_recorded_on_the_context(tmp_path):
    sparse(tmp_path / "data" / "big.csv", 3 * GiB)
    context = CodeContext(None, tmp_path)
    found = find_local(context, "big.csv", [str(tmp_path / "nowhere"), "data"])
    assert found is not None and found.size == 3 * GiB
    assert context.files_stat == {
        str(tmp_path / "big.csv"): None,
        str(tmp_path / "nowhere" / "big.csv"): None,
        str(tmp_path / "data" / "big.csv"): 3 * GiB,
    }


# -- compressed files and Parquet footers, written for real ---------------------------------------


def _csv_rows(count: int) -> bytes:
    return b"id,name,amount\n" + b"".join(b"%d,user%d,%d.5\n" % (i, i % 97, i % 1000) for i in range(count))


def test_a_zip_holding_one_csv_is_sized_by_its_directory(tmp_path):
    data = _csv_rows(200_000)  # ~4 MB, compresses well
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.csv", data)
    disk = (tmp_path / "big.zip").stat().st_size
    found = decompressed_size(tmp_path / "big.zip", "zip", disk)
    assert found.exact and found.size == len(data) and "big.csv" in found.how
    # a budget between the old guess (x4 the zip) and the truth (the member x2, plus the bytes held)
    write_notebook(tmp_path / "nb.ipynb", ["import pandas as pd\n", "df = pd.read_csv('big.zip')\n"])
    pyproject(tmp_path, f'memory-budget = "{disk * 8 + 1} B"\n')
    findings = nb301(tmp_path)
    assert len(findings) == 1 and "zip member big.csv" in findings[0]["message"], findings


def test_a_zip_of_several_files_is_not_reported(tmp_path):
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        archive.writestr("a.csv", b"a\n1\n")
        archive.writestr("b.csv", b"a\n1\n")
    found = decompressed_size(tmp_path / "two.zip", "zip", (tmp_path / "two.zip").stat().st_size)
    assert found.size is None and "2 files" in found.how


def test_a_gzip_is_sized_by_its_trailer(tmp_path):
    data = _csv_rows(200_000)
    (tmp_path / "big.csv.gz").write_bytes(gzip.compress(data))
    disk = (tmp_path / "big.csv.gz").stat().st_size
    found = decompressed_size(tmp_path / "big.csv.gz", "gzip", disk)
    assert found.exact and found.size == len(data) and "ISIZE" in found.how
    write_notebook(tmp_path / "nb.ipynb", ["import pandas as pd\n", "df = pd.read_csv('big.csv.gz')\n"])
    pyproject(tmp_path, f'memory-budget = "{len(data) * 2 - 1} B"\n')
    findings = nb301(tmp_path)
    assert (
        len(findings) == 1
        and "gzip" in findings[0]["message"]
        and "uncompressed by its trailer" in findings[0]["message"]
    )
    pyproject(tmp_path, f'memory-budget = "{len(data) * 2 + 1} B"\n')
    assert nb301(tmp_path) == []


def test_a_gzip_whose_isize_wrapped_is_said_to_be_a_floor(tmp_path):
    # the trailer of a file past 4 GiB: ISIZE is the size modulo 4 GiB, smaller than the compressed bytes
    path = tmp_path / "wrapped.gz"
    path.write_bytes(b"\x1f\x8b" + b"\0" * 100 + struct.pack("<I", 10))
    found = decompressed_size(path, "gzip", 5 * GiB)
    assert found.size == 8 * GiB + 10 and "at least" in found.how and "modulo 4 GiB" in found.how


def test_bz2_is_estimated_and_says_so(tmp_path):
    (tmp_path / "big.csv.bz2").write_bytes(bz2.compress(_csv_rows(1000)))
    found = decompressed_size(tmp_path / "big.csv.bz2", "bz2", 1000)
    assert not found.exact and found.size == 4000 and "estimated" in found.how


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(value: int) -> bytes:
    return _varint((value << 1) ^ (value >> 63))


def _parquet_file(path: Path, rows: int, columns: int, group_bytes: list[int]) -> None:
    """A hand-built Parquet file: magic, filler for the data, and a thrift compact FileMetaData footer
    (version, schema of a root and `columns` leaves, num_rows, row groups with total_byte_size). No
    Parquet writer is installed here (pandas without pyarrow cannot write one); the parser was checked
    against pyarrow-written files outside the suite (see the report)."""
    footer = bytearray()
    footer += b"\x15" + _zigzag(2)  # 1: version i32
    footer += b"\x19" + bytes([(0xF0 | 0x0C)]) + _varint(columns + 1)  # 2: schema list<struct>, long size
    root = b"\x48" + _varint(6) + b"schema" + b"\x15" + _zigzag(columns) + b"\x00"  # 4: name, 5: num_children
    footer += root
    for index in range(columns):
        name = b"c%d" % index
        footer += b"\x15" + _zigzag(2) + b"\x38" + _varint(len(name)) + name + b"\x00"  # 1: type, 4: name
    footer += b"\x16" + _zigzag(rows)  # 3: num_rows i64
    footer += b"\x19" + bytes([(len(group_bytes) << 4) | 0x0C])  # 4: row_groups list<struct>
    for size in group_bytes:
        footer += b"\x19\x0c" + b"\x16" + _zigzag(size) + b"\x16" + _zigzag(rows // len(group_bytes)) + b"\x00"
    footer += b"\x00"
    path.write_bytes(b"PAR1" + b"\0" * 1000 + bytes(footer) + struct.pack("<I", len(footer)) + b"PAR1")


def test_a_parquet_file_is_sized_by_its_footer(tmp_path):
    _parquet_file(tmp_path / "events.parquet", rows=50_000_000, columns=4, group_bytes=[600 * MiB, 600 * MiB])
    footer = parquet_footer(tmp_path / "events.parquet")
    assert footer is not None and (footer.rows, footer.columns, footer.uncompressed, footer.row_groups) == (
        50_000_000,
        4,
        1200 * MiB,
        2,
    )
    # 2 KB on disk: the old x5 guess said nothing; the footer says 50M rows x 4 columns x 8 bytes = 1.5 GiB
    write_notebook(tmp_path / "nb.ipynb", ["import pandas as pd\n", "df = pd.read_parquet('events.parquet')\n"])
    findings = nb301(tmp_path)
    assert len(findings) == 1 and "Parquet footer: 50,000,000 rows x 4 columns" in findings[0]["message"], findings


def test_a_parquet_footer_that_is_garbage_falls_back_to_the_file_size(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + b"\xff" * 64 + struct.pack("<I", 64) + b"PAR1")
    assert parquet_footer(path) is None


def test_a_with_block_and_a_gzip_open_reach_the_file(tmp_path):
    data = b"[" + b",".join(b'{"id": %d, "name": "user%d"}' % (i, i) for i in range(100_000)) + b"]"
    (tmp_path / "dump.json.gz").write_bytes(gzip.compress(data))
    cells = ["import gzip, json\n", "with gzip.open('dump.json.gz') as f:\n    records = json.load(f)\n"]
    write_notebook(tmp_path / "nb.ipynb", cells)
    pyproject(tmp_path, f'memory-budget = "{len(data) * 4 - 1} B"\n')
    findings = nb301(tmp_path)
    assert [(f["cell"], f["line"]) for f in findings] == [(1, 2)] and "gzip" in findings[0]["message"]


def test_the_guard_sizes_a_live_file_object_as_check_sizes_its_open_call(tmp_path, monkeypatch):
    """Static: `f = open(path)` then `pd.read_csv(f)` in one notebook. Live: `f` is a file object an
    earlier cell left in the kernel. Same rule, same code, same size."""
    import gzip as gzip_module
    import pathlib

    from nblint.guard.check import check_cell
    from nblint.guard.values import LiveValues
    from nblint.rules import ALL_RULES

    data = _csv_rows(100_000)
    (tmp_path / "big.csv.gz").write_bytes(gzip_module.compress(data))
    monkeypatch.chdir(tmp_path)
    budget = len(data) * 2 - 1
    write_notebook(
        tmp_path / "nb.ipynb",
        ["import gzip\nimport pandas as pd\nf = gzip.open('big.csv.gz')\n", "df = pd.read_csv(f)\n"],
    )
    pyproject(tmp_path, f'memory-budget = "{budget} B"\n')
    static = nb301(tmp_path)
    assert len(static) == 1
    rules = [ALL_RULES["NB301"]]
    import pandas

    opened = gzip_module.open(tmp_path / "big.csv.gz")
    try:
        namespace = {"pd": pandas, "f": opened, "gzip": gzip_module, "SRC": pathlib.Path("big.csv.gz")}
        live = LiveValues(namespace, {"pd": ("pandas", pandas)})
        options = {rule_option.key: rule_option.default for rule_option in rules[0].options}
        options["memory-budget"] = budget
        verdict = check_cell("df = pd.read_csv(f)\n", live, rules, options, lambda: None, refuse=False)
        assert len(verdict.warnings) == 1 and "NB301" in verdict.warnings[0]
        size = static[0]["message"].split("whole: ")[1].split(" in memory")[0]
        assert size in verdict.warnings[0] and "uncompressed by its trailer" in verdict.warnings[0]
        # a Path object held by the kernel
        verdict = check_cell("df = pd.read_csv(SRC)\n", live, rules, options, lambda: None, refuse=False)
        assert len(verdict.warnings) == 1 and size in verdict.warnings[0]
    finally:
        opened.close()


def test_a_feather_file_is_sized_by_its_footer_and_its_buffers_uncompressed_lengths(tmp_path):
    footer = feather_footer(DATA / "zeros_zstd.feather")
    assert footer is not None
    assert (footer.rows, footer.columns, footer.uncompressed, footer.batches) == (4_000_000, 2, 64_000_000, 1)
    assert footer.compressed and not footer.scaled
    (tmp_path / "zeros.feather").write_bytes((DATA / "zeros_zstd.feather").read_bytes())
    write_notebook(tmp_path / "nb.ipynb", ["import pandas as pd\n", "df = pd.read_feather('zeros.feather')\n"])
    pyproject(tmp_path, 'memory-budget = "32 MiB"\n')
    findings = nb301(tmp_path)
    # 3.8 KB on disk, x1 said nothing: the footer says 61 MiB once decompressed
    assert len(findings) == 1, findings
    assert "Arrow IPC footer: 4,000,000 rows x 2 columns in 1 batch, 61.0 MiB decompressed" in findings[0]["message"]


def test_pyarrow_and_polars_arrow_readers_are_sized_by_the_footer_too(tmp_path):
    (tmp_path / "zeros.arrow").write_bytes((DATA / "zeros_zstd.feather").read_bytes())
    cells = [
        "import pyarrow.feather as feather\nimport polars as pl\n",
        "t = feather.read_table('zeros.arrow')\n",
        "df = feather.read_feather('zeros.arrow')\n",
        "lf = pl.read_ipc('zeros.arrow')\n",
    ]
    write_notebook(tmp_path / "nb.ipynb", cells)
    pyproject(tmp_path, 'memory-budget = "32 MiB"\n')
    findings = nb301(tmp_path)
    assert [f["cell"] for f in findings] == [1, 2, 3], findings
    assert all("61.0 MiB decompressed" in f["message"] for f in findings)


def test_a_feather_file_of_many_batches_is_scaled_from_the_first_ones_and_says_so(tmp_path):
    footer = feather_footer(DATA / "many_batches.feather")
    assert footer is not None and footer.batches == 200 and footer.scaled
    # the 136 batches not read are scaled by their stored bytes: all batches alike here, so exact
    assert (footer.rows, footer.uncompressed) == (400_000, 3_200_000)
    (tmp_path / "m.feather").write_bytes((DATA / "many_batches.feather").read_bytes())
    write_notebook(tmp_path / "nb.ipynb", ["import pandas as pd\ndf = pd.read_feather('m.feather')\n"])
    pyproject(tmp_path, 'memory-budget = "2 MiB"\n')
    findings = nb301(tmp_path)
    assert len(findings) == 1 and "scaled from its first 64 batches" in findings[0]["message"], findings


def test_a_feather_1_file_or_garbage_has_no_footer(tmp_path):
    (tmp_path / "v1.feather").write_bytes(b"FEA1" + b"\0" * 64 + b"FEA1")
    assert feather_footer(tmp_path / "v1.feather") is None
    good = (DATA / "zeros_zstd.feather").read_bytes()
    # the footer's length pointing past the file, and a footer of garbage
    (tmp_path / "long.feather").write_bytes(good[:-10] + struct.pack("<i", len(good)) + b"ARROW1")
    assert feather_footer(tmp_path / "long.feather") is None
    (tmp_path / "junk.feather").write_bytes(b"ARROW1\0\0" + b"\xff" * 256 + struct.pack("<i", 200) + b"ARROW1")
    assert feather_footer(tmp_path / "junk.feather") is None
    # truncated: every prefix of a real file is refused or read, never a traceback
    for cut in range(0, len(good), 97):
        (tmp_path / "cut.feather").write_bytes(good[:cut])
        feather_footer(tmp_path / "cut.feather")


def test_the_guard_sizes_a_feather_read_as_check_does(tmp_path, monkeypatch):
    import pandas

    from nblint.guard.check import check_cell
    from nblint.guard.values import LiveValues
    from nblint.rules import ALL_RULES

    (tmp_path / "zeros.feather").write_bytes((DATA / "zeros_zstd.feather").read_bytes())
    monkeypatch.chdir(tmp_path)
    write_notebook(tmp_path / "nb.ipynb", ["import pandas as pd\n", "df = pd.read_feather('zeros.feather')\n"])
    pyproject(tmp_path, 'memory-budget = "32 MiB"\n')
    static = nb301(tmp_path)
    assert len(static) == 1
    rule = ALL_RULES["NB301"]
    options = {rule_option.key: rule_option.default for rule_option in rule.options}
    options["memory-budget"] = 32 * MiB
    live = LiveValues({"pd": pandas}, {"pd": ("pandas", pandas)})
    verdict = check_cell("df = pd.read_feather('zeros.feather')\n", live, [rule], options, lambda: None, refuse=False)
    assert len(verdict.warnings) == 1 and "NB301" in verdict.warnings[0]
    assert "61.0 MiB decompressed" in verdict.warnings[0] and "61.0 MiB decompressed" in static[0]["message"]
