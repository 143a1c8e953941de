"""Fuzzing, as an attacker or an unlucky repository would (issue 11): real notebooks mutated in their
JSON (types, nesting, huge numbers, NaN, encodings, truncation, conflict markers) and given extreme
cells. Whatever the input, `check` and `strip` exit 0, 1 or 2 without a traceback, never report an
internal error (NB000), name every file they cannot read, and spend bounded time on each.

A seeded generator (the same files on every run, in every process: no set or hash order decides
anything): a small budget in the quick run, a wider one, over the shared corpus as well, in the slow run.
Every failure names its seed and the command that repeats it; NBLINT_FUZZ_SEED=N runs other seeds
(`NBLINT_FUZZ_SEED=$RANDOM pytest tests/test_fuzz.py` explores, and the failure says how to come back).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import CORPUS, REPO, json_findings, run_nblint

from nblint.core.deepstack import call_with_deep_stack
from nblint.core.read.notebook import Unreadable, parse_notebook
from nblint.rules import ALL_RULES, all_options
from nblint.run.pipeline import check_file
from nblint.testing import EXTREME_CELLS

SAMPLES = sorted((REPO / "sample_notebooks").glob("*.ipynb"))
SECONDS_PER_FILE = 5.0
QUICK_SEED, QUICK_BUDGET = 11, 36
SLOW_SEED, SLOW_BUDGET = 1111, 400

SEED_VARIABLE = "NBLINT_FUZZ_SEED"


def fuzz_seed(default: int) -> int:
    """The test's fixed seed, or NBLINT_FUZZ_SEED's."""
    value = os.environ.get(SEED_VARIABLE, "").strip()
    return int(value) if value else default


@contextmanager
def reproducible(seed: int, test: str, sources: int):
    """Adds to any failure inside the seed, what the inputs were drawn from, and the command that repeats it."""
    try:
        yield
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}\n[fuzz seed {seed}, {sources} source notebooks; repeat with: "
            f"{SEED_VARIABLE}={seed} pytest tests/test_fuzz.py::{test}]"
        ) from exc


_ODD_VALUES = [None, True, 0, -1, 1.5, "", "x", [], {}, ["a", ["b"]], {"a": [1, {"b": None}]}, [[["deep"]]]]


def _paths(value, prefix=()):
    """Every JSON path of `value` (iteratively: a corpus notebook's outputs can be large)."""
    found, stack = [], [(prefix, value)]
    while stack:
        path, current = stack.pop()
        found.append(path)
        if isinstance(current, dict):
            stack.extend((path + (key,), item) for key, item in current.items())
        elif isinstance(current, list):
            stack.extend((path + (index,), item) for index, item in enumerate(current))
    return found


def _replace(data, path, value):
    if not path:
        return value
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return data


def _get(data, path):
    for step in path:
        data = data[step]
    return data


def _json(data) -> bytes:
    return json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8", "surrogatepass")


# Each mutation: (random, notebook JSON, its bytes) -> the bytes of a new file.
def change_type(rng, data, raw):
    return _json(_replace(data, rng.choice(_paths(data)), rng.choice(_ODD_VALUES)))


def nest_deeply(rng, data, raw):
    levels = rng.choice([50, 995, 1_500, 20_000])
    text = _json(_replace(data, rng.choice(_paths(data)), "NESTED")).decode("utf-8", "surrogatepass")
    return text.replace(
        '"NESTED"', "[" * levels + "]" * levels if rng.random() < 0.5 else '{"k": ' * levels + "1" + "}" * levels
    ).encode("utf-8", "surrogatepass")


def huge_number(rng, data, raw):
    number = rng.choice(
        ["9" * 5_000, "-" + "1" * 4_400, "1e400", "-1e999", "NaN", "Infinity", "-Infinity", "1" * 4_300]
    )
    text = _json(_replace(data, rng.choice(_paths(data)), "NUMBER")).decode("utf-8", "surrogatepass")
    return text.replace('"NUMBER"', number).encode("utf-8", "surrogatepass")


def odd_encoding(rng, data, raw):
    choice = rng.randrange(6)
    if choice == 0:
        return raw.decode("utf-8").encode("utf-16")
    if choice == 1:
        return b"\xef\xbb\xbf" + raw  # a byte-order mark
    if choice == 2:
        return raw.replace(b'"', b'"\xe9', 1)  # latin-1, not UTF-8
    if choice == 3:
        return raw[: len(raw) // 2] + b"\x00" + raw[len(raw) // 2 :]
    if choice == 4:
        return _json(_replace(data, rng.choice(_paths(data)), "\ud800 lone surrogate"))
    return raw.replace(b'"source"', b'"\\u0073ource"', 1)  # an escaped key


def truncate(rng, data, raw):
    return raw[: rng.randrange(0, len(raw))]


def conflict_markers(rng, data, raw):
    lines = raw.split(b"\n")
    at = rng.randrange(1, max(2, len(lines) - 1))
    ours, theirs = lines[at : at + 2], [line.replace(b"1", b"2") for line in lines[at : at + 2]]
    return b"\n".join(lines[:at] + [b"<<<<<<< HEAD", *ours, b"=======", *theirs, b">>>>>>> feature"] + lines[at + 2 :])


def extreme_cell(rng, data, raw):
    name = rng.choice(sorted(EXTREME_CELLS))
    size = {"nested defs": 150}.get(name, rng.choice([1_200, 25_000]))
    if "chain" not in name and name != "nested defs":
        size = rng.choice([5_000, 30_000])
    cells = data.get("cells") if isinstance(data, dict) else None
    if isinstance(cells, list):
        cells.insert(
            rng.randrange(len(cells) + 1),
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": EXTREME_CELLS[name](size),
            },
        )
    return _json(data)


def shuffle_and_drop(rng, data, raw):
    paths = [path for path in _paths(data) if path and isinstance(path[-1], str)]
    path = rng.choice(paths)
    del _get(data, path[:-1])[path[-1]]
    return _json(data)


MUTATIONS = [
    change_type,
    nest_deeply,
    huge_number,
    odd_encoding,
    truncate,
    conflict_markers,
    extreme_cell,
    shuffle_and_drop,
]


def mutate(sources: list[Path], folder: Path, seed: int, budget: int) -> list[Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(budget):
        source = rng.choice(sources)
        raw = source.read_bytes()
        mutation = MUTATIONS[number % len(MUTATIONS)]
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}  # an already broken sample (the merge conflict): mutate its bytes only
        try:
            new = mutation(rng, data, raw)
        except (IndexError, KeyError, TypeError, ValueError):
            new = truncate(rng, data, raw)
        path = folder / f"{number:03}_{mutation.__name__}_{source.stem[:30]}.ipynb"
        path.write_bytes(new)
        written.append(path)
    return written


def _readable(path: Path) -> bool:
    try:
        call_with_deep_stack(parse_notebook, path, path.read_bytes())
    except Unreadable:
        return False
    return True


def check_fuzzed(files: list[Path], folder: Path) -> None:
    # Each file alone, in process: bounded time, never NB000.
    enabled = set(ALL_RULES)
    options = {key: option.parsed_default() for key, option in all_options().items()}
    for path in files:
        start = time.thread_time()
        result = call_with_deep_stack(check_file, path, enabled, options)
        spent = time.thread_time() - start
        assert spent < SECONDS_PER_FILE, f"{path.name}: {spent:.1f} s"
        assert not [f.message for f in result.findings if f.code == "NB000"], path.name

    # The folder through the real command line: exit 0/1/2, no traceback, every unreadable file named.
    result = run_nblint("check", "--no-cache", "--select", "ALL", "--format", "json", ".", cwd=folder, timeout=600)
    assert result.returncode in (0, 1, 2), result.stderr
    findings = json_findings(result)
    assert not [f for f in findings if f["code"] == "NB000"]
    named = {f["path"] for f in findings}
    unnamed = [path.name for path in files if path.name not in named and not _readable(path)]
    assert not unnamed

    # strip over a copy of the folder: the same, and files it cannot strip are named and left as they were.
    copy = folder.parent / (folder.name + "-strip")
    shutil.copytree(folder, copy)
    before = {path.name: path.read_bytes() for path in copy.iterdir()}
    stripped = run_nblint("strip", ".", cwd=copy, timeout=600)
    assert stripped.returncode in (0, 1, 2) and "Traceback" not in stripped.stderr, stripped.stderr
    for line in stripped.stderr.splitlines():
        if line.endswith("; left unchanged"):
            name = line.split(": ", 1)[0]
            assert (copy / name).read_bytes() == before[name], name
    for path in copy.iterdir():
        if path.read_bytes() != before[path.name]:
            json.loads(path.read_bytes())  # whatever strip wrote is whole JSON


def test_fuzzed_notebooks_quick(tmp_path):
    seed = fuzz_seed(QUICK_SEED)
    with reproducible(seed, "test_fuzzed_notebooks_quick", len(SAMPLES)):
        files = mutate(SAMPLES, tmp_path / "fuzz", seed, QUICK_BUDGET)
        check_fuzzed(files, tmp_path / "fuzz")
        # the clean filter: a whole notebook out whatever comes in (one run: strip's imports take a second)
        raw = next(path for path in files if "huge_number" in path.name).read_text(encoding="utf-8")
        piped = run_nblint("strip", "--stdin", cwd=tmp_path, input=raw)
        assert piped.returncode in (0, 2) and "Traceback" not in piped.stderr, piped.stderr
        assert piped.stdout == raw or json.loads(piped.stdout)


def wide_sources(seed: int) -> list[Path]:
    """The samples and 60 corpus notebooks drawn by `seed` (the samples alone where the corpus is absent:
    the failure message says how many sources there were)."""
    sources = list(SAMPLES)
    if CORPUS.is_dir():
        rng = random.Random(seed)
        corpus = sorted(CORPUS.rglob("*.ipynb"))
        sources += rng.sample(corpus, min(60, len(corpus)))
    return sources


@pytest.mark.slow
def test_fuzzed_notebooks_wide(tmp_path):
    seed = fuzz_seed(SLOW_SEED)
    sources = wide_sources(seed)
    with reproducible(seed, "test_fuzzed_notebooks_wide", len(sources)):
        files = mutate(sources, tmp_path / "fuzz", seed, SLOW_BUDGET)
        check_fuzzed(files, tmp_path / "fuzz")


DIGEST_OF_FILES = """
import hashlib, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_fuzz import SAMPLES, mutate
digest = hashlib.sha256()
for path in mutate(SAMPLES, Path(sys.argv[2]), int(sys.argv[3]), 16):
    digest.update(path.name.encode() + b"\\0" + path.read_bytes())
print(digest.hexdigest())
"""


def test_a_seed_writes_the_same_files_in_every_process(tmp_path):
    """What makes a failure repeatable: the files depend on the seed only, not on the process's hash
    seed (set and dict-of-str orders) or anything else of the run."""
    import subprocess
    import sys

    def digest(hash_seed: str, seed: int, folder: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", DIGEST_OF_FILES, str(REPO / "tests"), str(tmp_path / folder), str(seed)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    first = digest("1", QUICK_SEED, "a")
    assert digest("2", QUICK_SEED, "b") == first
    assert digest("1", QUICK_SEED + 1, "c") != first  # the seed does decide


def test_a_failure_names_its_seed_and_the_command_that_repeats_it(monkeypatch):
    monkeypatch.setenv(SEED_VARIABLE, "4242")
    seed = fuzz_seed(QUICK_SEED)
    assert seed == 4242
    with pytest.raises(AssertionError) as raised:
        with reproducible(seed, "test_fuzzed_notebooks_quick", 7):
            raise AssertionError("012_truncate_x.ipynb: 6.1 s")
    assert str(raised.value) == (
        "012_truncate_x.ipynb: 6.1 s\n[fuzz seed 4242, 7 source notebooks; repeat with: "
        "NBLINT_FUZZ_SEED=4242 pytest tests/test_fuzz.py::test_fuzzed_notebooks_quick]"
    )
    monkeypatch.delenv(SEED_VARIABLE)
    assert fuzz_seed(QUICK_SEED) == QUICK_SEED
