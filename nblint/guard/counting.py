"""Counting keys in live pandas objects, for the row blow-up rule (NB110), within a size threshold and a
time limit.

Sizes alone cannot tell what `pd.get_dummies(df["user"])`, `df.pivot_table(index=..., columns=...)` or
`left.merge(right, on="key")` make: that depends on how many distinct values the keys hold and how often
each repeats. Counting them runs pandas' own hashing over the column, which costs time:

- only where the worst case, known from sizes alone, is over the budget (rows x rows for dummies, the
  product of the row counts for a merge): small frames are never counted;
- only within COUNT_SECONDS per cell, predicted from the rows before each count and measured after;
- only on pandas' own DataFrame and Series (not subclasses) and on columns whose values pandas hashes
  itself (numbers, booleans, dates, categories, strings): hashing arbitrary objects would run their
  `__hash__` and `__eq__`.

Everything returns None when it cannot answer: unknown, never guessed.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, Sequence

COUNT_SECONDS = 0.5  # the most one cell's checks may spend counting
SECONDS_PER_ROW = 1e-7  # a conservative rate for value_counts / nunique (measured ~20-60 ns per row here)
MAX_ROWS = 20_000_000
SAMPLE_ROWS = 50_000  # above this, the rate is measured on a head of this many rows first


@dataclass(frozen=True)
class MergeCount:
    rows: int
    left_most: int  # the most rows one key value has on each side (0 for a cross join)
    right_most: int


class Counter:
    """One cell's counting allowance."""

    def __init__(self, seconds: float = COUNT_SECONDS) -> None:
        self.remaining = seconds
        self.gave_up: str | None = None

    def _afford(self, rows: int, sample: Any = None) -> bool:
        """Whether counting `rows` rows fits what is left. Above SAMPLE_ROWS the rate is measured as we
        go, on the first SAMPLE_ROWS rows of `sample` (a callable counting a head of that many rows):
        string keys of high cardinality cost 1-2 us a row, twenty times the rate assumed."""
        if rows > MAX_ROWS or rows * SECONDS_PER_ROW > self.remaining:
            return self._give_up(rows, rows * SECONDS_PER_ROW)
        if sample is None or rows <= SAMPLE_ROWS:
            return True
        started = time.perf_counter()
        try:
            sample(SAMPLE_ROWS)
        finally:
            spent = time.perf_counter() - started
            self.remaining -= spent
        predicted = spent / SAMPLE_ROWS * rows * 1.5  # hash tables grow past the caches: a margin
        if predicted > self.remaining:
            return self._give_up(rows, predicted)
        return True

    def _give_up(self, rows: int, seconds: float) -> bool:
        self.gave_up = (
            f"counting the keys of {rows:,} rows would take ~{seconds:.1f} s, more than the "
            f"{COUNT_SECONDS:g} s the guard allows a cell"
        )
        return False

    def _spend(self, started: float) -> None:
        self.remaining -= time.perf_counter() - started

    # -- distinct values ----------------------------------------------------------------------------

    def distinct(self, obj: Any, columns: Sequence[str] | None, categorical_only: bool) -> dict[str, int] | None:
        """Distinct values per column (a Series counts as one column named ""); `columns` None: every
        column, or with `categorical_only` those get_dummies encodes (object, string, category)."""
        pandas = sys.modules.get("pandas")
        if pandas is None:
            return None
        if type(obj) is pandas.Series:
            series = {"": obj}
        elif type(obj) is pandas.DataFrame:
            names = list(obj.columns) if columns is None else list(columns)
            if any(name not in obj.columns for name in names) or obj.columns.has_duplicates:
                return None
            series = {str(name): obj[name] for name in names}
            if categorical_only and columns is None:
                series = {k: v for k, v in series.items() if _dtype_kind(v) in ("object", "string", "category")}
        else:
            return None
        counts = {}
        for name, column in series.items():
            count = self._distinct(column)
            if count is None:
                return None
            counts[name] = count
        return counts

    def _distinct(self, column: Any) -> int | None:
        kind = _dtype_kind(column)
        if kind == "category":
            return len(column.cat.categories)  # get_dummies makes a column for every category, used or not
        if kind is None or not self._afford(len(column), lambda n: column.iloc[:n].nunique(dropna=True)):
            return None
        started = time.perf_counter()
        try:
            return int(column.nunique(dropna=True))
        finally:
            self._spend(started)

    # -- merges ---------------------------------------------------------------------------------------

    def merge_rows(
        self, left: Any, right: Any, left_keys: Sequence[str] | None, right_keys: Sequence[str] | None, how: str
    ) -> MergeCount | None:
        """Rows of `left.merge(right, ...)` from the key counts of both sides; keys None: the index."""
        self.gave_up = None
        pandas = sys.modules.get("pandas")
        if pandas is None or type(left) is not pandas.DataFrame or type(right) is not pandas.DataFrame:
            return None
        if how == "cross":
            return MergeCount(len(left) * len(right), 0, 0)
        if how not in ("inner", "left", "right", "outer"):
            return None

        def sample(n: int) -> None:
            _key_counts(left.iloc[:n], left_keys, pandas)
            _key_counts(right.iloc[:n], right_keys, pandas)

        if not self._afford(len(left) + len(right), sample):
            return None
        started = time.perf_counter()
        try:
            left_counts = _key_counts(left, left_keys, pandas)
            right_counts = _key_counts(right, right_keys, pandas)
            if left_counts is None or right_counts is None:
                return None
            matched = right_counts.reindex(left_counts.index).fillna(0)
            inner = int((left_counts * matched).sum())
            rows = inner
            if how in ("left", "outer"):
                rows += int(left_counts[matched == 0].sum())
            if how in ("right", "outer"):
                rows += int(right_counts[~right_counts.index.isin(left_counts.index)].sum())
            return MergeCount(
                rows,
                int(left_counts.max()) if len(left_counts) else 0,
                int(right_counts.max()) if len(right_counts) else 0,
            )
        finally:
            self._spend(started)

    def join_rows(
        self, left: Any, left_keys: Sequence[str] | None, others: Sequence[tuple], how: str
    ) -> MergeCount | None:
        """Rows of `left.join(other, on=...)` or `left.join([a, b, ...])`: each of `others` is (frame,
        index column or None, mask or None), the frame whose index (or `set_index` column, after the
        filter `mask`) the join matches. Several frames join one after another on the same labels, so
        the rows of one label multiply across them (how="left": a label missing on the right keeps its
        row)."""
        self.gave_up = None
        pandas = sys.modules.get("pandas")
        if pandas is None or type(left) is not pandas.DataFrame or how not in ("left", "inner"):
            return None
        if not others or any(type(frame) is not pandas.DataFrame for frame, _, _ in others):
            return None
        total = len(left) + sum(len(frame) for frame, _, _ in others)

        def sample(n: int) -> None:
            _key_counts(left.iloc[:n], left_keys, pandas)
            for frame, column, mask in others:
                _index_counts(frame.iloc[:n], column, mask, pandas)

        if not self._afford(total, sample):
            return None
        started = time.perf_counter()
        try:
            rows = first = _key_counts(left, left_keys, pandas)
            if rows is None:
                return None
            most = []
            for frame, column, mask in others:
                counts = _index_counts(frame, column, mask, pandas)
                if counts is None:
                    return None
                matched = counts.reindex(rows.index).fillna(0)
                most.append(int(counts.max()) if len(counts) else 0)
                rows = rows * (matched.where(matched > 0, 1) if how == "left" else matched)
            return MergeCount(int(rows.sum()), int(first.max()) if len(first) else 0, max(most))
        finally:
            self._spend(started)

    # -- reshapes -------------------------------------------------------------------------------------

    def combinations(self, obj: Any, columns: Sequence[str]) -> int | None:
        """Distinct combinations of `columns` that occur in the frame (missing values dropped, as
        `pivot_table` drops them): the rows, or the columns, of a pivot table over those keys."""
        pandas = sys.modules.get("pandas")
        if pandas is None or type(obj) is not pandas.DataFrame or obj.columns.has_duplicates:
            return None
        names = list(columns)
        if not names or any(name not in obj.columns for name in names):
            return None
        if any(_dtype_kind(obj[name]) is None for name in names):
            return None

        def count(frame: Any) -> int:
            if len(names) == 1:
                return int(frame[names[0]].nunique(dropna=True))
            return int(frame.groupby(names, sort=False, observed=True, dropna=True).ngroups)

        if not self._afford(len(obj), lambda n: count(obj.iloc[:n])):
            return None
        started = time.perf_counter()
        try:
            return count(obj)
        finally:
            self._spend(started)

    def unstack_cells(self, obj: Any, level: Any) -> tuple[int, int] | None:
        """(rows, columns) of `obj.unstack(level)` for each column: distinct rows of the other levels,
        distinct values of `level`. Several levels (a list) make columns of their combinations that
        occur, except under columns that are already a MultiIndex, which pandas unstacks one level at
        a time: there the columns are the product of the levels' distinct values."""
        pandas = sys.modules.get("pandas")
        if pandas is None or type(obj) not in (pandas.Series, pandas.DataFrame):
            return None
        index = obj.index
        if type(index) is not pandas.MultiIndex:
            return None
        levels = list(level) if type(level) in (list, tuple) else [level]
        numbers = []
        for one in levels:
            if type(one) is int and -index.nlevels <= one < index.nlevels:
                numbers.append(one % index.nlevels)
            elif type(one) is str and list(index.names).count(one) == 1:
                numbers.append(list(index.names).index(one))
            else:
                return None
        if not numbers or len(set(numbers)) != len(numbers) or len(numbers) >= index.nlevels:
            return None
        stepwise = type(obj) is pandas.DataFrame and type(obj.columns) is pandas.MultiIndex

        def count(part: Any) -> tuple[int, int]:
            if len(numbers) == 1 or stepwise:
                columns = 1
                for number in numbers:
                    columns *= int(part.get_level_values(number).nunique(dropna=False))
            else:
                columns = int(
                    part.droplevel([n for n in range(part.nlevels) if n not in numbers]).nunique(dropna=False)
                )
            return int(part.droplevel(numbers).nunique(dropna=False)), columns

        if not self._afford(len(index), lambda n: count(index[:n])):
            return None
        started = time.perf_counter()
        try:
            return count(index)
        finally:
            self._spend(started)


def _dtype_kind(column: Any) -> str | None:
    """How pandas hashes the column's values: None where it would hash arbitrary Python objects."""
    dtype = column.dtype
    name = str(dtype)
    if name == "category":
        return "category"
    if name in ("string", "str") or name.startswith("string["):
        return "string"
    kind = getattr(dtype, "kind", None)
    if kind in ("b", "i", "u", "f", "M", "m"):
        return "number"
    if kind == "O":
        pandas = sys.modules.get("pandas")
        assert pandas is not None  # a pandas column's dtype: pandas is loaded
        inferred = pandas.api.types.infer_dtype(column, skipna=True)  # one C scan of the values' types
        return "object" if inferred in ("string", "empty") else None
    return None


def _index_counts(frame: Any, column: str | None, mask: Any, pandas) -> Any:
    """How often each label of the index a join matches occurs: the frame's own index, or the column
    `set_index(column)` would make it, among the rows `mask` keeps (a tuple of (column, operator, value)
    comparisons, all true)."""
    if mask is None:
        return _key_counts(frame, None if column is None else (column,), pandas)
    keep = _mask(frame, mask, pandas)
    if keep is None:
        return None
    # only the labels the filter keeps are copied, never the frame's other columns
    if column is None:
        index = frame.index
        if type(index) is pandas.MultiIndex or not _dtype_kind(index.to_series()):
            return None
        return index[keep.to_numpy()].value_counts(dropna=False)
    if column not in frame.columns or _dtype_kind(frame[column]) is None:
        return None
    return frame[column][keep].value_counts(dropna=False)


_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _mask(frame: Any, comparisons: Sequence[tuple], pandas) -> Any:
    """The rows where every (column, operator, constant) holds, for columns pandas compares itself."""
    keep = None
    for column, operator, value in comparisons:
        if column not in frame.columns or type(value) not in (int, float, str, bool) or operator not in _COMPARE:
            return None
        series = frame[column]
        if type(series) is not pandas.Series or _dtype_kind(series) not in ("number", "string", "object"):
            return None
        found = _COMPARE[operator](series, value)
        keep = found if keep is None else keep & found
    return keep


def _key_counts(frame: Any, keys: Sequence[str] | None, pandas) -> Any:
    if keys is None:
        index = frame.index
        if type(index) is pandas.MultiIndex:
            return None
        return index.value_counts(dropna=False) if _dtype_kind(index.to_series()) else None
    if any(key not in frame.columns for key in keys):
        return None
    if any(_dtype_kind(frame[key]) is None for key in keys):
        return None
    if len(keys) == 1:
        return frame[keys[0]].value_counts(dropna=False)
    return frame[list(keys)].value_counts(dropna=False)
