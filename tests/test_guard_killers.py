"""Issue 21 and 18: evidence fields, the refusal built from them, the guard's figures and key counting."""

from __future__ import annotations

import json
import os

import pytest

from nblint.guard import memory
from nblint.guard.check import check_cell
from nblint.guard.values import LiveValues
from nblint.rules import ALL_RULES, all_options
from nblint.rules.base import CodeRule


def _rules():
    return [r for c, r in ALL_RULES.items() if issubclass(r, CodeRule) and c[:3] in ("NB1", "NB3")]


def _options():
    return {key: option.parsed_default() for key, option in all_options().items()}


def test_json_output_of_a_size_finding_has_estimate_and_budget(tmp_path):
    from conftest import run_nblint

    cell = {
        "cell_type": "code",
        "id": "a",
        "source": "import numpy as np\nx = np.zeros((100000, 100000))\n",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    result = run_nblint("check", str(path), "--no-cache", "--format", "json")
    (finding,) = [f for f in json.loads(result.stdout) if f["code"] == "NB101"]
    assert finding["evidence"]["estimate_bytes"] == 80_000_000_000
    assert finding["evidence"]["budget_bytes"] == 1 << 30
    assert finding["evidence"]["shape"] == [100000, 100000] and finding["evidence"]["dtype"] == "float64"


def test_refusal_of_a_dense_result_names_live_evidence_once_without_doubled_commas():
    np = pytest.importorskip("numpy")
    namespace = {"np": np, "odd": np.zeros(47_912)}
    verdict = check_cell(
        "d = np.outer(odd, np.ones(10**8))\n", LiveValues(namespace), _rules(), _options(), lambda: 6 << 30
    )
    assert verdict.refused, verdict
    line = verdict.refused[0]
    assert ",," not in line and line.count("odd is a 47,912 float64 array") <= 1, line
    assert "GiB available to this kernel" in line


def test_a_merge_rebinding_its_left_frame_is_sized_from_the_live_frame():
    pd = pytest.importorskip("pandas")
    namespace = {
        "pd": pd,
        "df": pd.DataFrame({"key": [0, 1] * 100_000, "a": 1.0}),
        "other": pd.DataFrame({"key": [0, 1] * 100_000, "b": 2.0}),
    }
    for cell in ("df = df.merge(other, on='key')\n", "df = pd.merge(df, other, on='key', how='left')\n"):
        verdict = check_cell(cell, LiveValues(namespace), _rules(), _options(), lambda: 6 << 30)
        assert verdict.refused and "NB110 refused" in verdict.refused[0], (cell, verdict)
    # bound in an earlier statement of the cell: the live value is stale, nothing is said
    verdict = check_cell(
        "df = load()\ndf = df.merge(other, on='key')\n", LiveValues(namespace), _rules(), _options(), lambda: 6 << 30
    )
    assert not verdict.refused and not verdict.warnings


def test_keys_are_counted_once_per_cell_so_the_second_pass_still_refuses():
    pd = pytest.importorskip("pandas")
    namespace = {"left": pd.DataFrame({"key": [0, 1] * 100_000}), "right": pd.DataFrame({"key": [0, 1] * 100_000})}
    live = LiveValues(namespace)
    # the first pass spends the allowance; before the fix the second pass found nothing to refuse
    live._count("merge_rows", namespace["left"], namespace["right"], ("key",), ("key",), "inner")
    live._counter.remaining = 0.0
    verdict = check_cell("m = left.merge(right, on='key')\n", live, _rules(), _options(), lambda: 6 << 30)
    assert verdict.refused, verdict


def test_keys_too_many_to_count_in_time_give_a_warning_naming_the_figure():
    pd = pytest.importorskip("pandas")
    from nblint.guard import counting

    namespace = {
        "left": pd.DataFrame({"key": [f"k{i}" for i in range(300_000)]}),
        "right": pd.DataFrame({"key": [f"k{i}" for i in range(300_000)]}),
    }
    live = LiveValues(namespace)
    live._count("distinct", pd.Series([1]), None, False)  # makes the counter
    live._counter.remaining = counting.COUNT_SECONDS = 1e-4  # the measured rate cannot fit
    try:
        verdict = check_cell("m = left.merge(right, on='key')\n", live, _rules(), _options(), lambda: 6 << 30)
    finally:
        counting.COUNT_SECONDS = 0.5
    assert not verdict.refused
    assert any("could not be sized: counting the keys of 600,000 rows would take" in w for w in verdict.warnings)


def test_a_figure_at_or_below_zero_is_left_out(monkeypatch):
    monkeypatch.setenv("MEM_LIMIT", "1")  # far below this process's resident size
    figure, figures = memory.available_memory()
    assert all(f.available > 0 for f in figures)
    assert all("MEM_LIMIT" not in f.source for f in figures)


def test_the_address_space_limit_is_a_figure():
    import subprocess
    import sys

    code = (
        "import resource; resource.setrlimit(resource.RLIMIT_AS, (6 << 30, resource.RLIM_INFINITY));"
        "from nblint.guard.memory import available_memory; f, fs = available_memory();"
        "print(f.source); print(f.available)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), timeout=60)
    source, available = out.stdout.splitlines()[-2:]
    assert "RLIMIT_AS" in source and 0 < int(available) < 6 << 30, out
