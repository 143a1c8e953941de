"""What the guard reads of live objects (nblint.guard.values) and of the machine (nblint.guard.memory),
without a kernel: real NumPy, pandas and SciPy objects, real /proc and cgroup files, a real MEM_LIMIT."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO

from nblint.core.code.symbols import UNKNOWN
from nblint.guard.values import LiveValues


def test_builtin_containers_strings_and_constants():
    live = LiveValues(
        {
            "rows": list(range(47_912)),
            "name": "abc",
            "N": 100_000,
            "shape": (3, (4, 5.0)),
            "blob": b"\0" * 10,
            "flag": True,
            "pairs": {1: 2},
        }
    )
    assert live.facts("rows").length == 47_912 and live.facts("rows").evidence == "rows has 47,912 items"
    assert live.facts("name").kind == "str" and live.facts("blob").nbytes == 10
    assert live.facts("pairs").length == 1
    assert live.constant("N") == 100_000 and live.constant("shape") == (3, (4, 5.0)) and live.constant("flag") is True
    assert live.constant("rows") is UNKNOWN and live.constant("missing") is UNKNOWN
    assert live.facts("missing") is None and live.binds("rows") and not live.binds("missing")


def test_numpy_arrays_are_read_through_numpys_own_descriptors():
    numpy = pytest.importorskip("numpy", reason="a test extra")

    class Liar(numpy.ndarray):
        @property
        def shape(self):
            raise RuntimeError("never called")

    live = LiveValues(
        {
            "X": numpy.zeros((300, 50), dtype=numpy.float32),
            "odd": numpy.zeros(7).view(Liar),
            "np": numpy,
            "zeros": numpy.zeros,
        }
    )
    facts = live.facts("X")
    assert (facts.kind, facts.shape, facts.dtype, facts.length, facts.nbytes) == (
        "array",
        (300, 50),
        "float32",
        300,
        60_000,
    )
    assert live.facts("odd").shape == (7,)
    assert live.origin("np") == "numpy" and live.origin("zeros") == "numpy.zeros"


def test_pandas_and_scipy_sparse():
    pandas = pytest.importorskip("pandas", reason="a test extra")
    sparse = pytest.importorskip("scipy.sparse", reason="a test extra")
    frame = pandas.DataFrame({"a": range(1000), "b": 1.5})
    live = LiveValues({"df": frame, "s": frame["a"], "M": sparse.random(2000, 3000, density=0.01, format="csr")})
    df = live.facts("df")
    assert (df.kind, df.shape, df.length) == ("frame", (1000, 2), 1000) and df.nbytes >= 16_000
    assert live.facts("s").kind == "series" and live.facts("s").dtype == "int64"
    matrix = live.facts("M")
    assert (matrix.kind, matrix.shape, matrix.nnz, matrix.dtype) == ("sparse", (2000, 3000), 60_000, "float64")

    class Logged(sparse.csr_matrix):  # a notebook's own subclass: its properties are user code
        pass

    ran = []
    logged = Logged((10, 10))
    Logged.nnz = property(lambda self: ran.append("nnz") or 0)  # after construction, which reads nnz itself
    assert LiveValues({"L": logged}).facts("L") is None and ran == []


def test_objects_that_run_code_on_every_read_stay_unknown():
    class Exotic:
        def __getattr__(self, name):
            raise RuntimeError(name)

        def __len__(self):
            raise RuntimeError("len")

        @property
        def __class__(self):
            raise RuntimeError("__class__")

    class Sneaky(list):  # a list subclass may override __len__: not an exact built-in
        def __len__(self):
            raise RuntimeError("len")

    live = LiveValues({"ex": Exotic(), "sneaky": Sneaky([1, 2])})
    assert live.facts("ex") is None and live.facts("sneaky") is None
    assert live.constant("ex") is UNKNOWN and live.origin("ex") is None


def _python(code: str, **env) -> str:
    full = dict(os.environ, PYTHONPATH=str(REPO), **env)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_memory_figures_name_their_source_and_mem_limit_counts_the_kernels_own_size():
    code = (
        "from nblint.guard.memory import available_memory\n"
        "best, all_ = available_memory()\n"
        "print(best.available, best.source)\n"
        "print(*[f.source for f in all_], sep='|')\n"
    )
    plain = _python(code).splitlines()
    assert "available memory" in plain[1] or "cgroup" in plain[1]
    limited = _python(code, MEM_LIMIT=str(2 * 1024**3)).splitlines()
    available, source = limited[0].split(" ", 1)
    assert source == "MEM_LIMIT minus this kernel's resident memory"
    assert 0 < int(available) < 2 * 1024**3  # the interpreter's own resident memory is taken off
    assert "MEM_LIMIT" in _python(code, MEM_LIMIT="3G")


def test_import_nblint_does_not_load_ipython_or_the_guard():
    loaded = _python(
        "import sys, nblint\nprint('IPython' in sys.modules, 'nblint.guard' in sys.modules, "
        "hasattr(nblint, 'load_ipython_extension'))"
    )
    assert loaded.split() == ["False", "False", "True"]
