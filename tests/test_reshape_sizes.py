"""Issue 21, "Merges, joins and reshapes in every spelling": NB110's counts against what pandas really
makes, frames built from literals sized by `nblint check` and by the guard alike, and the warning when
keys are too many to count in time."""

from __future__ import annotations

import itertools
import re

import pytest

from nblint.guard.check import check_cell
from nblint.guard.values import LiveValues
from nblint.rules import ALL_RULES, all_options
from nblint.rules.base import CodeRule

_SIZE = re.compile(r"~[\d.]+ [KMGT]iB")


def _rules():
    return [r for c, r in ALL_RULES.items() if issubclass(r, CodeRule) and c[:3] in ("NB1", "NB3")]


def _options():
    return {key: option.parsed_default() for key, option in all_options().items()}


# -- the counts are what pandas makes --------------------------------------------------------------------


def _frame(pd, np, n=3_000):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "a": rng.integers(0, 30, n),
            "b": rng.integers(0, 7, n),
            "c": rng.choice(["x", "y", "z", None], n),
            "d": rng.integers(0, 5, n),
            "v": rng.random(n),
        }
    )


def test_pivot_and_unstack_over_several_levels_count_the_cells_pandas_makes():
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    from nblint.guard.counting import Counter

    df = _frame(pd, np)
    for index, columns in ((["a", "b"], ["c", "d"]), (["a"], ["b", "c"]), (["a", "c"], ["d"])):
        table = df.pivot_table(index=index, columns=columns, values="v")
        counter = Counter()
        assert (counter.combinations(df, index), counter.combinations(df, columns)) == table.shape, (index, columns)
    series = df.dropna().set_index(["a", "b", "c", "d"])["v"]
    series = series[~series.index.duplicated()]
    for level in (["c", "d"], [1, 3], "b", -1):
        assert Counter().unstack_cells(series, level) == series.unstack(level).shape, level
    frame = series.to_frame().assign(w=1.0)
    rows, columns = Counter().unstack_cells(frame, ["c", "d"])
    assert (rows, columns * 2) == frame.unstack(["c", "d"]).shape


def test_pivot_table_sizes_in_messages_are_the_shapes_pandas_makes():
    """Through the rule, with a budget small enough to report: occurring combinations by default,
    every product of the levels with dropna=False."""
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    n = 20_000
    df = pd.DataFrame({"a": np.arange(n) % 40, "b": np.arange(n) % 40, "c": np.arange(n) % 97, "x": 1.0})
    options = {**_options(), "memory-budget": 1024}
    for extra in ("", ", dropna=False"):
        call = f"df.pivot_table(index=['a', 'b'], columns='c', values='x'{extra})"
        verdict = check_cell(f"t = {call}\n", LiveValues({"df": df}), _rules(), options, lambda: None)
        (said,) = [w for w in verdict.warnings if "NB110" in w]
        rows, columns = (
            int(v.replace(",", ""))
            for v in re.search(r"makes ([\d,]+) index .*? x ([\d,]+) column values", said).groups()
        )
        assert (rows, columns) == eval(call, {"df": df}).shape, said


def test_joins_count_the_rows_pandas_makes():
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    from nblint.guard.counting import Counter

    df = _frame(pd, np)
    other = _frame(pd, np, 500)
    lookup = pd.DataFrame({"a": range(20), "w": 1.0})
    cases = [
        (df.join(other.set_index("a")[["v"]].add_suffix("_r"), on="a"), ("a",), [(other, "a", None)], "left"),
        (
            df.join(other.set_index("a")[["v"]].add_suffix("_r"), on="a", how="inner"),
            ("a",),
            [(other, "a", None)],
            "inner",
        ),
        (
            df.join(other[other["b"] > 4].set_index("a")[["v"]].add_suffix("_r"), on="a"),
            ("a",),
            [(other, "a", (("b", ">", 4),))],
            "left",
        ),
        (
            df.join(other[other["b"] > 4][["v"]].add_suffix("_r"), on="a", how="inner"),
            ("a",),
            [(other, None, (("b", ">", 4),))],
            "inner",
        ),
        (
            df.set_index("a").join([other.set_index("a")[["d"]].rename(columns={"d": "d2"}), lookup.set_index("a")]),
            None,
            [(other, "a", None), (lookup, "a", None)],
            "left",
        ),
    ]
    for number, (made, keys, others, how) in enumerate(cases):
        left = df if keys else df.set_index("a")
        counted = Counter().join_rows(left, keys, others, how)
        assert counted is not None and counted.rows == len(made), number
    indexed = df.set_index("a")
    merged = indexed.merge(other.set_index("a"), left_index=True, right_index=True)
    assert Counter().merge_rows(indexed, other.set_index("a"), None, None, "inner").rows == len(merged)


def test_literal_keys_match_as_pandas_matches_them():
    """Progressions and explicit values, against the merge of the values themselves."""
    from nblint.core.frames import Keys, Progression, matched

    def values(keys):
        if keys.explicit is not None:
            return [v for v, c in keys.explicit for _ in range(c)]
        p = keys.progression
        shown = [p.start + p.step * i for i in range(p.count)]
        if p.template:
            shown = [f"{p.template[0]}{v}{p.template[1]}" for v in shown]
        return [v for v in shown for _ in range(p.each)]

    shapes = [
        Keys(progression=Progression(0, 1, 12, 1)),
        Keys(progression=Progression(3, 4, 6, 2)),
        Keys(progression=Progression(-5, 6, 5, 3)),
        Keys(progression=Progression(1, 2, 7, 1, ("u", ""))),
        Keys(progression=Progression(0, 3, 9, 1, ("u", ""))),
        Keys(explicit=((0, 5), (7, 2), (30, 1))),
        Keys(explicit=(("u3", 2), ("u04", 1), ("v1", 1))),
    ]
    for left, right in itertools.product(shapes, repeat=2):
        found = matched(left, right)
        if found is None:
            continue
        a, b = values(left), values(right)
        inner = sum(a.count(v) * b.count(v) for v in set(a))
        assert found == (inner, sum(1 for v in a if v not in b), sum(1 for v in b if v not in a)), (left, right)


# -- frames built from literals: the same code and size statically and live -------------------------------


def _static_examples():
    rule = ALL_RULES["NB110"]
    return [e for e in rule.INVALID if not e.live]


def test_literal_frames_are_sized_by_nblint_check_and_the_guard_alike(tmp_path):
    pytest.importorskip("pandas")
    from conftest import json_findings, run_nblint, write_notebook

    examples = _static_examples()
    assert len(examples) >= 3
    for number, example in enumerate(examples):
        cells = [example.source] if isinstance(example.source, str) else list(example.source)
        write_notebook(tmp_path / f"e{number}.ipynb", cells)
    static = json_findings(
        run_nblint("check", "--no-cache", "--select", "NB110", "--format", "json", ".", cwd=tmp_path)
    )
    for number, example in enumerate(examples):
        cells = [example.source] if isinstance(example.source, str) else list(example.source)
        (finding,) = [f for f in static if f["path"] == f"e{number}.ipynb"]
        size = _SIZE.search(finding["message"]).group(0)
        # live: everything before the finding's line has run; the line itself is checked by the guard
        lines = cells[finding["cell"]].splitlines(keepends=True)
        earlier = "".join(cells[: finding["cell"]]) + "".join(lines[: finding["line"] - 1])
        namespace: dict = {}
        exec(compile(earlier, "<setup>", "exec"), namespace)
        checked = "".join(lines[finding["line"] - 1 :])
        verdict = check_cell(checked, LiveValues(namespace), _rules(), _options(), lambda: 6 << 30)
        said = verdict.refused + verdict.warnings
        assert any(("NB110 refused" in line or "NB110 warning" in line) and size in line for line in said), (
            finding["message"],
            said,
        )


def test_a_cell_that_builds_literal_frames_and_merges_them_is_refused_before_anything_runs():
    pytest.importorskip("pandas")
    cell = (
        "import pandas as pd\nprint('ran')\n"
        "left = pd.DataFrame({'key': [0] * 60_000, 'a': range(60_000)})\n"
        "right = pd.DataFrame({'key': [0] * 60_000, 'b': range(60_000)})\n"
        "merged = left.merge(right, on='key')\n"
    )
    verdict = check_cell(cell, LiveValues({}), _rules(), _options(), lambda: 6 << 30)
    assert (
        verdict.refused
        and "NB110 refused: left.merge(right, on='key') makes ~3,600,000,000 rows" in (verdict.refused[0])
    )


# -- too many keys to count in time ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, worst",
    [
        ("t = sales.pivot_table(index=['store', 'day'], columns='item', values='n')\n", "200,000 x 200,000 cells"),
        ("g = by_level.unstack(['item', 'size'])\n", "200,000 x 200,000 cells"),
        ("j = orders.join(history.set_index('sku').price, on='sku')\n", "~10,000,000,000 rows"),
        ("d = pd.get_dummies(history['day'].astype(str))\n", None),
        ("d = pd.get_dummies(names['day'])\n", "100,000 x 100,000 bool cells"),
        ("c = pd.crosstab(history['sku'], history['day'])\n", "100,000 x 100,000 int64 counts"),
    ],
)
def test_keys_too_many_to_count_in_time_give_a_warning_naming_the_figure(monkeypatch, cell, worst):
    pytest.importorskip("pandas")
    from nblint.guard import counting
    from nblint.rules.memory.row_blowup import _PRICES, _SALES

    setup = _SALES + _PRICES + "names = history.assign(day=history['day'].astype(str))\n"
    namespace: dict = {}
    exec(compile(setup, "<setup>", "exec"), namespace)
    monkeypatch.setattr(counting, "SECONDS_PER_ROW", 1.0)  # no count fits the allowance
    verdict = check_cell(cell, LiveValues(namespace), _rules(), _options(), lambda: 6 << 30)
    assert not verdict.refused, verdict
    if worst is None:  # not a frame's own column: not counted, and nothing to say
        assert not verdict.warnings, verdict
        return
    (warning,) = [w for w in verdict.warnings if "NB110" in w]
    assert "could not be sized: counting the keys of" in warning and "at worst" in warning and worst in warning
