"""pandas frames built from literals, read from the code: their rows, their bytes per row, and how often
each key value occurs, so that a merge or a reshape of them can be sized without a kernel.

`pd.DataFrame({"key": [0] * 60_000, "a": range(60_000)})` holds 60,000 rows whose key is one value
60,000 times; merged with a frame like it on "key", it makes 3.6 billion rows. The reading follows
columns whose values the code spells out:

- a literal list of constants, repeated or not (`[0, 1] * N`), a constant broadcast to the other
  columns' length (`"a": 1.0`);
- integer ranges: `range(...)`, `list(range(...))`, `np.arange(...)` with integer bounds;
- `np.repeat(x, m)` and `np.tile(x, m)` of one of these (each value m times as often);
- `[f"u{i}" for i in range(N)]` and `[str(i) for i in range(N)]`: N distinct strings;
- `np.zeros(N)`, `np.ones(N)`, `np.full(N, v)`; any other NumPy constructor counts its length only.

A key is a multiset: either explicit (value -> count, for a few values) or an arithmetic progression
whose every value occurs `each` times, optionally rendered into a string template. Two keys are
matched only where the values can be compared exactly (integers with integers, the same template);
anything else is unknown, and unknown is never guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import libcst as cst

from nblint.core.code.symbols import last_name
from nblint.core.sizes import positional_args, range_arguments, read_count, read_number

_MAX_EXPLICIT = 10_000  # distinct values kept one by one
_MAX_SEARCH = 100_000  # steps tried to align two progressions


@dataclass(frozen=True)
class KeyedRows:
    """The rows a merge or a join makes, and the most rows one key value has on each side."""

    rows: int
    left_most: int
    right_most: int


@dataclass(frozen=True)
class Progression:
    """start, start + step, ... (`count` values, step > 0), each occurring `each` times; rendered as
    `prefix + str(value) + suffix` when `template` is given."""

    start: int
    step: int
    count: int
    each: int
    template: tuple[str, str] | None = None

    @property
    def last(self) -> int:
        return self.start + self.step * (self.count - 1)

    def holds(self, value) -> bool:
        if self.template is not None:
            if type(value) is not str:
                return False
            prefix, suffix = self.template
            if not (value.startswith(prefix) and value.endswith(suffix)) or len(value) < len(prefix) + len(suffix):
                return False
            middle = value[len(prefix) : len(value) - len(suffix)]
            try:
                number = int(middle)
            except ValueError:
                return False
            if str(number) != middle:
                return False
            value = number
        elif type(value) is not int:
            return False
        return self.count > 0 and self.start <= value <= self.last and (value - self.start) % self.step == 0


@dataclass(frozen=True)
class Keys:
    """A column's values as a multiset: `explicit` (value, count) pairs, or a Progression."""

    explicit: tuple[tuple[object, int], ...] | None = None
    progression: Progression | None = None

    @property
    def length(self) -> int:
        if self.progression is not None:
            return self.progression.count * self.progression.each
        return sum(count for _, count in self.explicit or ())

    @property
    def distinct(self) -> int:
        return self.progression.count if self.progression is not None else len(self.explicit or ())

    @property
    def most(self) -> int:
        if self.progression is not None:
            return self.progression.each if self.progression.count else 0
        return max((count for _, count in self.explicit or ()), default=0)

    @property
    def textual(self) -> bool:
        if self.progression is not None:
            return self.progression.template is not None
        return any(type(value) is str for value, _ in self.explicit or ())

    def times(self, factor: int) -> Keys:
        if self.progression is not None:
            p = self.progression
            return Keys(progression=Progression(p.start, p.step, p.count, p.each * factor, p.template))
        return Keys(explicit=tuple((value, count * factor) for value, count in self.explicit or ()))


def matched(left: Keys, right: Keys) -> tuple[int, int, int] | None:
    """(rows both sides make for the values they share, left rows with no match, right rows with no
    match); None where the values cannot be compared exactly."""
    if left.explicit is not None and right.explicit is not None:
        counts = dict(right.explicit)
        if len(counts) != len(right.explicit):
            return None
        inner = sum(count * counts.get(value, 0) for value, count in left.explicit)
        left_only = sum(count for value, count in left.explicit if value not in counts)
        shared = {value for value, _ in left.explicit}
        right_only = sum(count for value, count in right.explicit if value not in shared)
        return inner, left_only, right_only
    if left.explicit is not None or right.explicit is not None:
        explicit, progression = (left, right.progression) if left.explicit is not None else (right, left.progression)
        assert progression is not None
        inside = sum(count for value, count in explicit.explicit or () if progression.holds(value))
        hits = sum(1 for value, _ in explicit.explicit or () if progression.holds(value))
        inner = inside * progression.each
        explicit_only = explicit.length - inside
        progression_only = (progression.count - hits) * progression.each
        if left.explicit is not None:
            return inner, explicit_only, progression_only
        return inner, progression_only, explicit_only
    a, b = left.progression, right.progression
    assert a is not None and b is not None
    if a.template != b.template:
        return None
    common = _common_values(a, b)
    if common is None:
        return None
    return common * a.each * b.each, (a.count - common) * a.each, (b.count - common) * b.each


def _common_values(a: Progression, b: Progression) -> int | None:
    """How many values two progressions share: they form a progression of step lcm(a.step, b.step)."""
    if not a.count or not b.count:
        return 0
    low, high = max(a.start, b.start), min(a.last, b.last)
    if low > high:
        return 0
    step = a.step * b.step // math.gcd(a.step, b.step)
    first = a.start + max(0, -(-(low - a.start) // a.step)) * a.step  # a's first value >= low
    for _ in range(min(step // a.step, _MAX_SEARCH) + 1):
        if first > high:
            return 0
        if (first - b.start) % b.step == 0:
            return (high - first) // step + 1
        first += a.step
    return None if step // a.step > _MAX_SEARCH else 0


@dataclass(frozen=True)
class LiteralFrame:
    rows: int
    columns: dict[str, Keys | None]  # None: the column's values are not known, its length is
    row_bytes: int
    evidence: str

    @property
    def nbytes(self) -> int:
        return self.rows * self.row_bytes


@dataclass(frozen=True)
class _Column:
    keys: Keys | None
    length: int | None  # None: a constant, broadcast to the other columns
    itemsize: int


def literal_frame(node: cst.BaseExpression, context) -> LiteralFrame | None:
    """`pd.DataFrame({...})` whose every column is spelt out (see the module's docstring); None otherwise."""
    if not isinstance(node, cst.Call) or last_name(node.func) != "DataFrame":
        return None
    if context.qualified_name(node.func) not in ("pandas.DataFrame", "pandas.core.frame.DataFrame"):
        return None
    if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
        return None
    data = node.args[0].value
    if not isinstance(data, cst.Dict) or not data.elements:
        return None
    columns: dict[str, _Column] = {}
    for element in data.elements:
        if not isinstance(element, cst.DictElement):
            return None
        name = context.evaluate(element.key)
        if not isinstance(name, str) or name in columns:
            return None
        column = _column(element.value, context)
        if column is None:
            return None
        columns[name] = column
    lengths = {c.length for c in columns.values() if c.length is not None}
    if len(lengths) != 1:
        return None  # only constants (pandas wants an index), or lengths that disagree (pandas raises)
    (rows,) = lengths
    keys: dict[str, Keys | None] = {}
    for name, column in columns.items():
        if column.length is None:
            value = column.keys.explicit[0][0] if column.keys and column.keys.explicit else None
            keys[name] = Keys(explicit=((value, rows),)) if rows else Keys(explicit=())
        else:
            keys[name] = column.keys
    row_bytes = sum(c.itemsize for c in columns.values())
    text = context_source(node)
    return LiteralFrame(rows, keys, row_bytes, text)


def context_source(node: cst.CSTNode) -> str:
    from nblint.core.code.text import source_text

    return source_text(node)


def _itemsize(value) -> int:
    return 1 if type(value) is bool else 8  # int64, float64; strings: one pointer each (object or str)


def _column(node: cst.BaseExpression, context) -> _Column | None:
    value = context.evaluate(node)
    if type(value) in (int, float, str, bool):
        return _Column(Keys(explicit=((value, 1),)), None, _itemsize(value))
    keys, itemsize = _keys(node, context, 0)
    if keys is None:
        length = _length_only(node, context)
        return _Column(None, length, 8) if length is not None else None
    return _Column(keys, keys.length, itemsize)


def _keys(node: cst.BaseExpression, context, depth: int) -> tuple[Keys | None, int]:
    """The multiset a column expression holds and the bytes per value; (None, 0) when not read."""
    if depth > 4:
        return None, 0
    if isinstance(node, (cst.List, cst.Tuple)):
        values = context.evaluate(node)
        if not isinstance(values, tuple) or not values or len(values) > _MAX_EXPLICIT:
            return None, 0
        kinds = {type(v) for v in values}
        if len(kinds) != 1 or not kinds <= {int, float, str, bool}:
            return None, 0
        counts: dict = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        if len(counts) != len({(type(v), v) for v in values}):
            return None, 0  # 1 and True, 1 and 1.0: pandas keeps them apart, a dict does not
        return Keys(explicit=tuple(counts.items())), _itemsize(values[0])
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        for sequence, times in ((node.left, node.right), (node.right, node.left)):
            if isinstance(sequence, (cst.List, cst.Tuple)):
                count = read_count(times, context)
                inner, size = _keys(sequence, context, depth + 1)
                if count is None or inner is None:
                    return None, 0
                return inner.times(count), size
        return None, 0
    if isinstance(node, cst.ListComp):
        return _rendered(node, context), 8
    if not isinstance(node, cst.Call):
        return None, 0
    if context.is_builtin(node.func, "list") and len(node.args) == 1 and not node.args[0].keyword:
        inner, size = _keys(node.args[0].value, context, depth + 1)
        return (inner, size) if inner is not None and inner.progression is not None else (None, 0)
    if context.is_builtin(node.func, "range"):
        return _range(node, context), 8
    qualified = context.qualified_name(node.func) or ""
    if qualified == "numpy.arange":
        if any(arg.keyword is not None for arg in node.args):
            return None, 0
        return _range(node, context), 8
    if qualified in ("numpy.repeat", "numpy.tile") and len(node.args) == 2 and not any(a.keyword for a in node.args):
        count = read_count(node.args[1].value, context)
        inner, size = _keys(node.args[0].value, context, depth + 1)
        if count is None or inner is None:
            return None, 0
        return inner.times(count), size
    if qualified in ("numpy.zeros", "numpy.ones", "numpy.full"):
        if any(arg.keyword is not None for arg in node.args) or len(node.args) != (
            2 if qualified.endswith("full") else 1
        ):
            return None, 0
        length = read_count(node.args[0].value, context)
        fill = 0.0 if qualified.endswith("zeros") else 1.0
        if qualified.endswith("full"):
            fill = context.evaluate(node.args[1].value)
            if type(fill) not in (int, float):
                return None, 0
        if length is None:
            return None, 0
        return Keys(explicit=((fill, length),) if length else ()), 8
    return None, 0


def _range(node: cst.Call, context) -> Keys | None:
    args = positional_args(node)
    if args is None or not 1 <= len(args) <= 3:
        return None
    values = [read_number(a, context) for a in args]
    if any(type(v) is not int for v in values):
        return None
    start, stop, step = range_arguments(values)
    if step == 0:
        return None
    if step < 0:  # the same values, counted upwards
        count = max(0, (start - stop - step - 1) // -step)
        start, step = start + step * (count - 1), -step
    else:
        count = max(0, (stop - start + step - 1) // step)
    return Keys(progression=Progression(start, step, count, 1))


def _rendered(node: cst.ListComp, context) -> Keys | None:
    """`[f"u{i}" for i in range(N)]`, `[str(i) for i in range(N)]`: one distinct string per value."""
    loop = node.for_in
    if loop.inner_for_in is not None or loop.ifs or not isinstance(loop.target, cst.Name):
        return None
    if not isinstance(loop.iter, cst.Call) or not context.is_builtin(loop.iter.func, "range"):
        return None
    keys = _range(loop.iter, context)
    if keys is None or keys.progression is None:
        return None
    variable = loop.target.value
    element = node.elt
    template: tuple[str, str] | None = None
    if (
        isinstance(element, cst.Call)
        and context.is_builtin(element.func, "str")
        and len(element.args) == 1
        and isinstance(element.args[0].value, cst.Name)
        and element.args[0].value.value == variable
    ):
        template = ("", "")
    elif isinstance(element, cst.FormattedString):
        parts = element.parts
        holes = [p for p in parts if isinstance(p, cst.FormattedStringExpression)]
        if (
            len(holes) == 1
            and isinstance(holes[0].expression, cst.Name)
            and holes[0].expression.value == variable
            and holes[0].format_spec is None
            and holes[0].conversion is None
        ):
            index = parts.index(holes[0])
            texts = []
            for side in (parts[:index], parts[index + 1 :]):
                if not all(isinstance(p, cst.FormattedStringText) for p in side):
                    return None
                texts.append("".join(p.value for p in side if isinstance(p, cst.FormattedStringText)))
            if any("{" in t or "}" in t or "\\" in t for t in texts):
                return None
            template = (texts[0], texts[1])
    if template is None:
        return None
    p = keys.progression
    return Keys(progression=Progression(p.start, p.step, p.count, p.each, template))


def _length_only(node: cst.BaseExpression, context) -> int | None:
    """The length of a NumPy array whose values are not read (`np.random.rand(N)`)."""
    from nblint.core.sizes import estimate_array

    if not isinstance(node, cst.Call):
        return None
    estimate = estimate_array(node, context)
    if estimate is None or len(estimate.shape) != 1 or estimate.library != "numpy":
        return None
    return estimate.shape[0]


# -- the frames a cell names ----------------------------------------------------------------------------


class LiteralFrames:
    """The row blow-up rule's key counts from the code: frames assigned once from literals."""

    uncounted = None

    def __init__(self, context) -> None:
        self._context = context
        self._frames: dict[str, LiteralFrame | None] = {}
        self.module: cst.Module | None = None  # set by the rule: where changes in place are looked for
        self._changed: set[str] | None = None

    def frame(self, name: str) -> LiteralFrame | None:
        if self._context.scopes.is_local(name):  # a parameter or a local of the function being read
            return None
        if name not in self._frames:
            found = None
            values = self._context.symbols.assigned_values(name)
            if values is not None and len(values) == 1:
                found = literal_frame(values[0], self._context)
            if found is not None and name in self._changed_in_place():
                found = None
            self._frames[name] = found
        return self._frames[name]

    def _changed_in_place(self) -> set[str]:
        """Names whose object the code changes without binding them again: `df["k"] = ...`,
        `df.loc[...] = ...`, `df.k = ...`, `del df["k"]`, `df.insert(...)`, `df.update(...)`,
        `df.pop(...)`, `df.method(..., inplace=True)`. Their values as built are not what is merged."""
        if self._changed is None:
            changed: set[str] = set()
            stack: list[cst.CSTNode] = [self.module] if self.module is not None else []
            while stack:
                node = stack.pop()
                targets: list[cst.CSTNode] = []
                if isinstance(node, cst.Assign):
                    targets = [t.target for t in node.targets]
                elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
                    targets = [node.target]
                elif isinstance(node, cst.Del):
                    targets = [node.target]
                elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                    inplace = any(a.keyword is not None and a.keyword.value == "inplace" for a in node.args)
                    if inplace or node.func.attr.value in ("insert", "update", "pop"):
                        targets = [node.func.value]
                for target in targets:
                    if isinstance(target, (cst.Subscript, cst.Attribute)) or isinstance(node, cst.Call):
                        root = target
                        while isinstance(root, (cst.Subscript, cst.Attribute)):
                            root = root.value
                        if isinstance(root, cst.Name):
                            changed.add(root.value)
                stack.extend(node.children)
            self._changed = changed
        return self._changed

    def distinct_counts(self, name: str, columns, categorical_only: bool) -> dict[str, int] | None:
        frame = self.frame(name)
        if frame is None:
            return None
        names = list(frame.columns) if columns is None else list(columns)
        if categorical_only and columns is None:
            names = [n for n, keys in frame.columns.items() if keys is not None and keys.textual]
        counts = {}
        for column in names:
            keys = frame.columns.get(column)
            if keys is None:
                return None
            counts[column] = keys.distinct
        return counts

    def combinations(self, name: str, columns) -> int | None:
        """One column only: the joint counts of several are not read from the code."""
        if len(columns) != 1:
            return None
        counts = self.distinct_counts(name, columns, False)
        return counts[columns[0]] if counts else None

    def merge_rows(self, left: str, right: str, left_keys, right_keys, how: str) -> KeyedRows | None:
        a, b = self.frame(left), self.frame(right)
        if a is None or b is None:
            return None
        if how == "cross":
            return KeyedRows(a.rows * b.rows, 0, 0)
        if left_keys is None or right_keys is None or len(left_keys) != 1 or len(right_keys) != 1:
            return None
        first, second = a.columns.get(left_keys[0]), b.columns.get(right_keys[0])
        if first is None or second is None or how not in ("inner", "left", "right", "outer"):
            return None
        found = matched(first, second)
        if found is None:
            return None
        inner, left_only, right_only = found
        rows = inner + (left_only if how in ("left", "outer") else 0) + (right_only if how in ("right", "outer") else 0)
        return KeyedRows(rows, first.most, second.most)

    def join_rows(self, left: str, left_keys, others, how: str) -> KeyedRows | None:
        return None  # joins match an index: not read from the code

    def unstack_cells(self, name: str, level) -> None:
        return None

    def facts(self, name: str):
        from nblint.core.code.facts import Facts

        frame = self.frame(name)
        if frame is None:
            return None
        return Facts(
            "frame",
            shape=(frame.rows, len(frame.columns)),
            length=frame.rows,
            nbytes=frame.nbytes,
            evidence=f"{name} = {frame.evidence}",
        )
