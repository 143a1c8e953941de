"""How much memory a call or an expression allocates, estimated from what the code says.

Shared by the size rules (NB101 huge-allocation, NB103 huge-repetition, NB104 dense-result, through
`facts_of`, the one size model's static half). Every estimate comes from
values nblint can read: literal numbers and arithmetic, notebook-level constants assigned once,
`shape=`/`size=`/`dtype=` keywords. Anything else (a shape taken from data, `len(df)`, a dtype held in
a variable that is not a constant) makes the estimate unknown, and unknown is never guessed as big:
the functions here return None and the rules say nothing.

Array estimates are elements x itemsize of the dtype. Defaults follow each library: NumPy float64
(int64 for integer `arange`/`randint`), PyTorch and TensorFlow float32 (int64 / int32 for integer
ranges), JAX float32 (JAX computes in 32 bits unless `jax_enable_x64` is switched on).

Python object estimates count what CPython allocates for the container: 8 bytes per list or tuple slot,
1, 2 or 4 bytes per str character (by the widest character), 1 byte per bytes/bytearray item, plus the
int objects that `list(range(N))` creates (28 bytes each beyond the small-int cache). Objects that a
repetition merely shares (`[0] * N` holds N pointers to one 0) are not counted: the estimate is a floor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

import libcst as cst

from nblint.core.code.cstwalk import reads_name
from nblint.core.code.facts import Facts
from nblint.core.code.symbols import UNKNOWN, last_name
from nblint.core.code.text import source_text
from nblint.core.options import format_size

if TYPE_CHECKING:
    from nblint.core.code.context import CodeContext

# -- dtypes ------------------------------------------------------------------------------------------

# Canonical dtype name -> bytes per element.
ITEMSIZE = {
    "bool": 1,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "float16": 2,
    "bfloat16": 2,
    "int32": 4,
    "uint32": 4,
    "float32": 4,
    "int64": 8,
    "uint64": 8,
    "float64": 8,
    "complex64": 8,
    "complex128": 16,
    "longdouble": 16,
}

# Other spellings (NumPy strings and scalar types, torch and tf attributes) -> canonical name.
_DTYPE_ALIASES = {
    # NumPy names and type codes
    "bool_": "bool",
    "bool8": "bool",
    "?": "bool",
    "b1": "bool",
    "byte": "int8",
    "i1": "int8",
    "b": "int8",
    "ubyte": "uint8",
    "u1": "uint8",
    "B": "uint8",
    "short": "int16",
    "i2": "int16",
    "h": "int16",
    "ushort": "uint16",
    "u2": "uint16",
    "H": "uint16",
    "intc": "int32",
    "i4": "int32",
    "i": "int32",
    "uintc": "uint32",
    "u4": "uint32",
    "I": "uint32",
    "int_": "int64",
    "intp": "int64",
    "long": "int64",
    "longlong": "int64",
    "i8": "int64",
    "l": "int64",
    "q": "int64",
    "uint": "uint64",
    "uintp": "uint64",
    "ulonglong": "uint64",
    "u8": "uint64",
    "L": "uint64",
    "Q": "uint64",
    "half": "float16",
    "f2": "float16",
    "e": "float16",
    "single": "float32",
    "f4": "float32",
    "f": "float32",
    "double": "float64",
    "float_": "float64",
    "f8": "float64",
    "d": "float64",
    "csingle": "complex64",
    "c8": "complex64",
    "F": "complex64",
    "cdouble": "complex128",
    "complex_": "complex128",
    "c16": "complex128",
    "D": "complex128",
    "float128": "longdouble",
    "f16": "longdouble",
    "g": "longdouble",
    # Python's names, as strings: dtype="float" is float64
    "float": "float64",
    "int": "int64",
    "complex": "complex128",
}

# Names whose meaning differs by library: `float` is float64 for NumPy but torch.float is float32.
_TORCH_DTYPE_ALIASES = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "long": "int64",
    "int": "int32",
    "short": "int16",
    "bool": "bool",
    "cfloat": "complex64",
    "cdouble": "complex128",
    "uint8": "uint8",
    "int8": "int8",
}
# Python builtins given as dtype=: NumPy (and torch, jax, tf) map them to 64-bit types.
_BUILTIN_DTYPES = {"float": "float64", "int": "int64", "bool": "bool", "complex": "complex128"}


def canonical_dtype(name: str) -> str | None:
    name = name.lstrip("<>=|")
    if name in ITEMSIZE:
        return name
    return _DTYPE_ALIASES.get(name)


def resolve_dtype(node: cst.BaseExpression | None, context: "CodeContext") -> str | None:
    """The canonical dtype a `dtype=` argument names, or None when nblint cannot tell."""
    if node is None:
        return None
    if isinstance(node, cst.Name) and node.value in _BUILTIN_DTYPES and context.is_builtin(node, node.value):
        return _BUILTIN_DTYPES[node.value]
    if isinstance(node, (cst.Attribute, cst.Name)):
        qualified = context.qualified_name(node)
        if qualified is None:
            # a constant holding a dtype string: DTYPE = "float32"
            value = context.evaluate(node) if isinstance(node, cst.Name) else UNKNOWN
            return canonical_dtype(value) if isinstance(value, str) else None
        head, _, last = qualified.rpartition(".")
        if head == "torch":
            return _TORCH_DTYPE_ALIASES.get(last) or canonical_dtype(last)
        if head in ("numpy", "jax.numpy", "tensorflow", "tensorflow.dtypes"):
            return canonical_dtype(last)
        return None
    if isinstance(node, cst.Call) and len(node.args) == 1:
        # np.dtype("float32")
        qualified = context.qualified_name(node.func)
        if qualified in ("numpy.dtype", "jax.numpy.dtype"):
            return resolve_dtype(node.args[0].value, context)
        return None
    value = context.evaluate(node)
    return canonical_dtype(value) if isinstance(value, str) else None


# -- reading arguments -------------------------------------------------------------------------------

_STARRED = object()


def argument(call: cst.Call, position: int | None, keyword: str | None) -> Any:
    """The expression passed as `keyword=` or at `position`; None when absent; _STARRED when a
    `*args`/`**kwargs` makes it impossible to tell."""
    positional = 0
    for arg in call.args:
        if arg.star:
            return _STARRED
        if arg.keyword is not None:
            if keyword is not None and arg.keyword.value == keyword:
                return arg.value
        else:
            if position is not None and positional == position:
                return arg.value
            positional += 1
    return None


def expand_stars(call: cst.Call, context: "CodeContext") -> cst.Call:
    """The call with each `*seq` and `**mapping` whose items nblint knows spelled out as plain arguments
    (`f(*[n] * 3)` as `f(n, n, n)`, `f(**{"shape": s})` as `f(shape=s)`); the call itself when it has none,
    or when one cannot be read (the readers then see the star and give up, as before)."""
    if not any(arg.star for arg in call.args):
        return call
    args: list[cst.Arg] = []
    for arg in call.args:
        if arg.star == "*":
            items = _star_items(arg.value, context, 0)
            if items is None:
                return call
            args.extend(cst.Arg(value=item) for item in items)
        elif arg.star == "**":
            pairs = _double_star_items(arg.value, context, 0)
            if pairs is None:
                return call
            args.extend(cst.Arg(value=value, keyword=cst.Name(key)) for key, value in pairs)
        else:
            args.append(arg)
    return call.with_changes(args=args)


def _star_items(node: cst.BaseExpression, context: "CodeContext", depth: int) -> list[cst.BaseExpression] | None:
    """The expressions a `*node` passes, when its length is known: a literal list or tuple, one repeated
    (`[x] * 3`), a comprehension over a short range whose element does not read its variable, a name
    assigned one of those, or any value nblint evaluates to a tuple of numbers."""
    from nblint.core.code.context import comprehension_repeats
    from nblint.core.code.symbols import MAX_KNOWN_ITEMS

    if depth > 4:
        return None
    if isinstance(node, (cst.List, cst.Tuple)):
        if any(isinstance(element, cst.StarredElement) for element in node.elements):
            return _evaluated_items(node, context)
        return [element.value for element in node.elements]
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        for sequence, times in ((node.left, node.right), (node.right, node.left)):
            if isinstance(sequence, (cst.List, cst.Tuple)):
                inner = _star_items(sequence, context, depth + 1)
                count = read_count(times, context)
                if inner is None or count is None or len(inner) * count > MAX_KNOWN_ITEMS:
                    return None
                return inner * count
    repeats = comprehension_repeats(node, context)
    if repeats is not None and isinstance(node, (cst.ListComp, cst.GeneratorExp)):
        count, target = repeats
        if not reads_name(node.elt, target):
            return [node.elt] * count
    if isinstance(node, cst.Name) and not context.scopes.is_local(node.value) and context.live is None:
        values = context.symbols.assigned_values(node.value)
        if values is not None and len(values) == 1:
            return _star_items(values[0], context, depth + 1)
    return _evaluated_items(node, context)


def _evaluated_items(node: cst.BaseExpression, context: "CodeContext") -> list[cst.BaseExpression] | None:
    value = context.evaluate(node)
    if not isinstance(value, tuple) or not all(_is_count(v) for v in value):
        return None
    return [cst.Integer(str(v)) for v in value]


def _double_star_items(
    node: cst.BaseExpression, context: "CodeContext", depth: int
) -> list[tuple[str, cst.BaseExpression]] | None:
    """The keywords a `**node` passes: a dict literal with string keys (or `dict(k=v)`), or a name
    assigned one."""
    if depth > 4:
        return None
    if isinstance(node, cst.Dict):
        pairs = []
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                return None
            key = context.evaluate(element.key)
            if not isinstance(key, str) or not key.isidentifier():
                return None
            pairs.append((key, element.value))
        return pairs
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        if not context.is_builtin(node.func, "dict") or any(arg.keyword is None for arg in node.args):
            return None
        return [(arg.keyword.value, arg.value) for arg in node.args if arg.keyword is not None]
    if isinstance(node, cst.Name) and not context.scopes.is_local(node.value) and context.live is None:
        values = context.symbols.assigned_values(node.value)
        if values is not None and len(values) == 1:
            return _double_star_items(values[0], context, depth + 1)
    return None


def positional_args(call: cst.Call) -> list[cst.BaseExpression] | None:
    if any(arg.star for arg in call.args):
        return None
    return [arg.value for arg in call.args if arg.keyword is None]


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_shape(node: Any, context: "CodeContext") -> tuple[int, ...] | None:
    """A shape given as an int or a tuple/list of ints; None for anything nblint cannot read."""
    if node is None or node is _STARRED:
        return None
    value = context.evaluate(node)
    if _is_count(value):
        return (value,)
    if isinstance(value, tuple) and all(_is_count(v) for v in value):
        return value
    return None


def read_count(node: Any, context: "CodeContext") -> int | None:
    if node is None or node is _STARRED:
        return None
    value = context.evaluate(node)
    return value if _is_count(value) else None


def read_number(node: Any, context: "CodeContext") -> float | int | None:
    if node is None or node is _STARRED:
        return None
    value = context.evaluate(node)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):  # 1e400 reads as inf
        return None
    return value


def range_arguments(values: list) -> tuple:
    """(start, stop, step) of `range(*values)` / `arange(*values)`, for one to three values."""
    return (0, values[0], 1) if len(values) == 1 else (*values, 1)[:3]


def int_range_length(start: int, stop: int, step: int) -> int | None:
    """len(range(start, stop, step)), in integers: len() itself overflows past sys.maxsize."""
    if step == 0:
        return None
    if step > 0:
        return max(0, (stop - start + step - 1) // step)
    return max(0, (start - stop - step - 1) // -step)


def range_length(start: float, stop: float, step: float) -> int | None:
    """The number of elements `arange(start, stop, step)` produces (floats allowed)."""
    if step == 0:
        return None
    try:
        return max(0, math.ceil((stop - start) / step))
    except (OverflowError, ValueError):
        return None


def _range_bounds(call: cst.Call, context: "CodeContext") -> tuple[int | None, bool] | None:
    """For `arange(stop)` / `arange(start, stop[, step])` (and torch.arange, tf.range): the number of
    elements (None when the step is 0) and whether every bound is an int; None when nblint cannot
    read the bounds."""
    args = positional_args(call)
    if args is None or not 1 <= len(args) <= 3:
        return None
    values = [read_number(a, context) for a in args]
    if any(v is None for v in values):
        return None
    return range_length(*range_arguments(values)), all(isinstance(v, int) for v in values)


def _matrix_shape(
    call: cst.Call, context: "CodeContext", rows_keyword: str, columns_keyword: str | None
) -> tuple[int, int] | None:
    """(rows, columns) of `eye(n)` / `eye(n, m)` / `identity(n)`: columns default to rows."""
    rows = read_count(argument(call, 0, rows_keyword), context)
    columns_node = argument(call, 1, columns_keyword) if columns_keyword is not None else None
    columns = rows if columns_node is None else read_count(columns_node, context)
    if rows is None or columns is None:
        return None
    return rows, columns


def _dtype_argument(call: cst.Call, position: int | None, default: str | None, context: "CodeContext") -> str | None:
    """The dtype passed as `dtype=` (or at `position`); `default` when none is; None when it cannot be read."""
    node = argument(call, position, "dtype")
    if node is _STARRED:
        return None
    return default if node is None else resolve_dtype(node, context)


# -- array constructors --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrayEstimate:
    """An array a call allocates: the library and function, its shape and dtype."""

    library: str  # "numpy", "torch", "tensorflow", "jax"
    function: str  # the qualified name, e.g. "numpy.random.rand"
    shape: tuple[int, ...]
    dtype: str | None  # None: not known, counted as 1 byte per element (a floor)

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.elements * (ITEMSIZE[self.dtype] if self.dtype else 1)


# library -> (default float dtype, default integer dtype)
_DEFAULTS = {
    "numpy": ("float64", "int64"),
    "jax": ("float32", "int32"),
    "torch": ("float32", "int64"),
    "tensorflow": ("float32", "int32"),
}


def _library_of(qualified: str) -> tuple[str, str] | None:
    """'numpy.random.rand' -> ('numpy', 'random.rand'); the family names the argument layout."""
    for prefix, library in (
        ("numpy.", "numpy"),
        ("jax.numpy.", "jax"),
        ("jax.random.", "jax.random"),
        ("torch.", "torch"),
        ("tensorflow.compat.v1.", "tensorflow"),
        ("tensorflow.compat.v2.", "tensorflow"),
        ("tensorflow.", "tensorflow"),
    ):
        if qualified.startswith(prefix):
            return library, qualified[len(prefix) :]
    return None


def _scalar_dtype(value: Any, library: str) -> str | None:
    """The dtype a library infers from a Python scalar (a fill value, arange bounds)."""
    floating, integer = _DEFAULTS[library]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return integer
    if isinstance(value, float):
        return floating if library != "numpy" else "float64"
    return None


def _fill_dtype(node: Any, library: str, context: "CodeContext") -> str | None:
    if node is None or node is _STARRED:
        return None
    value = context.evaluate(node)
    if value is UNKNOWN and isinstance(node, cst.Attribute):
        # np.nan, np.inf, math.pi: floats
        qualified = context.qualified_name(node) or ""
        if qualified.rpartition(".")[2] in ("nan", "inf", "NaN", "NAN", "Inf", "pi", "e"):
            value = 0.0
    return _scalar_dtype(value, library)


def _numpy_like(name: str, call: cst.Call, library: str, context: "CodeContext"):
    """(shape, dtype) for the NumPy-style constructors of numpy and jax.numpy."""
    floating, integer = _DEFAULTS[library]

    def dtype_at(position: int | None, default: str | None) -> str | None:
        return _dtype_argument(call, position, default, context)

    if name in ("zeros", "ones", "empty") or (name == "ndarray" and library == "numpy"):
        return read_shape(argument(call, 0, "shape"), context), dtype_at(1, floating)
    if name == "full":
        fill = argument(call, 1, "fill_value")
        return read_shape(argument(call, 0, "shape"), context), dtype_at(2, _fill_dtype(fill, library, context))
    if name in ("eye", "identity"):
        shape = _matrix_shape(call, context, "N", "M") if name == "eye" else _matrix_shape(call, context, "n", None)
        return (shape, dtype_at(3 if name == "eye" else 1, floating)) if shape is not None else (None, None)
    if name == "arange":
        bounds = _range_bounds(call, context)
        if bounds is None or any(a.keyword and a.keyword.value != "dtype" for a in call.args):
            return None, None
        length, integral = bounds
        return ((length,) if length is not None else None), dtype_at(None, integer if integral else floating)
    if name in ("linspace", "logspace", "geomspace"):
        node = argument(call, 2, "num")
        num = 50 if node is None else read_count(node, context)
        return ((num,) if num is not None else None), dtype_at(None, floating)
    if name == "tile":
        return _tile(call, library, context)
    if library == "numpy" and name.startswith("random."):
        return _numpy_random(name[len("random.") :], call, context)
    return None, None


# NumPy's legacy random functions: name -> position of `size`, dtype of the result.
_NUMPY_RANDOM_SIZE = {
    "random": (0, "float64"),
    "random_sample": (0, "float64"),
    "ranf": (0, "float64"),
    "sample": (0, "float64"),
    "standard_normal": (0, "float64"),
    "uniform": (2, "float64"),
    "normal": (2, "float64"),
    "lognormal": (2, "float64"),
    "laplace": (2, "float64"),
    "logistic": (2, "float64"),
    "gumbel": (2, "float64"),
    "exponential": (1, "float64"),
    "randint": (2, "int64"),
    "binomial": (2, "int64"),
    "poisson": (1, "int64"),
}


def _numpy_random(name: str, call: cst.Call, context: "CodeContext"):
    if name in ("rand", "randn"):
        args = positional_args(call)
        if args is None or len(args) != len(call.args):
            return None, None
        dims = [read_count(a, context) for a in args]
        return (None if any(d is None for d in dims) else tuple(dims)), "float64"
    spec = _NUMPY_RANDOM_SIZE.get(name)
    if spec is None:
        return None, None
    position, dtype = spec
    size = argument(call, position, "size")
    if size is None:  # no size: one scalar
        return None, None
    if name == "randint":
        node = argument(call, 3, "dtype")
        if node is _STARRED:
            return None, None
        if node is not None:
            dtype = resolve_dtype(node, context)
    return read_shape(size, context), dtype


def _tile(call: cst.Call, library: str, context: "CodeContext"):
    source = argument(call, 0, "A")
    reps = read_shape(argument(call, 1, "reps"), context)
    if source is None or source is _STARRED or reps is None:
        return None, None
    inner = estimate_array(source, context) if isinstance(source, cst.Call) else None
    if inner is not None:
        return (inner.elements * math.prod(reps),), inner.dtype
    value = context.evaluate(source)
    leaves = _flatten(value)
    if leaves is None:
        return None, None
    kinds = {_scalar_dtype(leaf, library) for leaf in leaves}
    dtype = kinds.pop() if len(kinds) == 1 else ("float64" if kinds <= {"int64", "float64"} else None)
    return (len(leaves) * math.prod(reps),), dtype


def _flatten(value: Any) -> list | None:
    if isinstance(value, (int, float)):  # bool is an int
        return [value]
    if not isinstance(value, tuple):
        return None
    leaves: list = []
    stack = [value]
    while stack:
        current = stack.pop()
        for item in current:
            if isinstance(item, tuple):
                stack.append(item)
            elif isinstance(item, (int, float)):
                leaves.append(item)
            else:
                return None
    return leaves


def _torch(name: str, call: cst.Call, context: "CodeContext"):
    def dtype_kw(default: str | None) -> str | None:
        return _dtype_argument(call, None, default, context)

    if name in ("zeros", "ones", "empty", "rand", "randn"):
        return _torch_size(call, context), dtype_kw("float32")
    if name == "full":
        fill = argument(call, 1, "fill_value")
        return read_shape(argument(call, 0, "size"), context), dtype_kw(_fill_dtype(fill, "torch", context))
    if name == "randint":
        size = argument(call, None, "size")
        if size is None:
            args = positional_args(call)
            size = args[-1] if args and len(args) in (2, 3) else None
        shape = read_shape(size, context)
        if size is not None and not isinstance(context.evaluate(size), tuple):
            shape = None  # torch.randint's size must be a tuple
        return shape, dtype_kw("int64")
    if name == "arange":
        bounds = _range_bounds(call, context)
        if bounds is None:
            return None, None
        length, integral = bounds
        return ((length,) if length is not None else None), dtype_kw("int64" if integral else "float32")
    if name in ("linspace", "logspace"):
        steps = read_count(argument(call, 2, "steps"), context)
        return ((steps,) if steps is not None else None), dtype_kw("float32")
    if name == "eye":
        shape = _matrix_shape(call, context, "n", "m")
        return (shape, dtype_kw("float32")) if shape is not None else (None, None)
    return None, None


def _torch_size(call: cst.Call, context: "CodeContext") -> tuple[int, ...] | None:
    """torch.zeros(2, 3), torch.zeros((2, 3)), torch.zeros([2, 3]) or torch.zeros(size=(2, 3))."""
    size = argument(call, None, "size")
    if size is _STARRED:
        return None
    if size is not None:
        return read_shape(size, context)
    args = positional_args(call)
    if not args:
        return None
    if len(args) == 1:
        return read_shape(args[0], context)
    dims = [read_count(a, context) for a in args]
    return None if any(d is None for d in dims) else tuple(dims)


def _tensorflow(name: str, call: cst.Call, context: "CodeContext"):
    def dtype_at(position: int | None, default: str | None) -> str | None:
        return _dtype_argument(call, position, default, context)

    if name in ("zeros", "ones"):
        return read_shape(argument(call, 0, "shape"), context), dtype_at(1, "float32")
    if name == "fill":
        value = argument(call, 1, "value")
        return read_shape(argument(call, 0, "dims"), context), _fill_dtype(value, "tensorflow", context)
    if name in ("random.uniform", "random.normal", "random.truncated_normal"):
        return read_shape(argument(call, 0, "shape"), context), dtype_at(3, "float32")
    if name == "eye":
        shape = _matrix_shape(call, context, "num_rows", "num_columns")
        return (shape, dtype_at(None, "float32")) if shape is not None else (None, None)
    if name == "range":
        bounds = _range_bounds(call, context)
        if bounds is None:
            return None, None
        length, integral = bounds
        return ((length,) if length is not None else None), dtype_at(None, "int32" if integral else "float32")
    if name == "linspace":
        num = read_count(argument(call, 2, "num"), context)
        return ((num,) if num is not None else None), "float32"
    return None, None


def _jax_random(name: str, call: cst.Call, context: "CodeContext"):
    """jax.random.normal(key, shape, dtype): the key comes first."""
    if name in ("normal", "uniform", "truncated_normal"):
        return read_shape(argument(call, 1, "shape"), context), _dtype_argument(call, 2, "float32", context)
    if name == "randint":
        return read_shape(argument(call, 1, "shape"), context), _dtype_argument(call, 4, "int32", context)
    return None, None


# The last part of every function name the table above knows: a cheap filter before name resolution.
CONSTRUCTOR_NAMES = frozenset(
    {
        "zeros",
        "ones",
        "empty",
        "full",
        "ndarray",
        "eye",
        "identity",
        "arange",
        "linspace",
        "logspace",
        "geomspace",
        "tile",
        "rand",
        "randn",
        "randint",
        *_NUMPY_RANDOM_SIZE,
        "fill",
        "truncated_normal",
        "range",
    }
)

_FAMILIES: dict[str, Callable] = {
    "numpy": lambda name, call, context: _numpy_like(name, call, "numpy", context),
    "jax": lambda name, call, context: _numpy_like(name, call, "jax", context),
    "jax.random": _jax_random,
    "torch": _torch,
    "tensorflow": _tensorflow,
}


def estimate_array(call: cst.Call, context: "CodeContext") -> ArrayEstimate | None:
    """The array an array-library constructor call allocates, or None when it is not one or its size
    cannot be read."""
    if last_name(call.func) not in CONSTRUCTOR_NAMES:
        return None
    qualified = context.qualified_name(call.func)
    if qualified is None:
        return None
    found = _library_of(qualified)
    if found is None:
        return None
    family, name = found
    shape, dtype = _FAMILIES[family](name, expand_stars(call, context), context)
    if shape is None:
        return None
    library = "jax" if family.startswith("jax") else family
    return ArrayEstimate(library, qualified, tuple(shape), dtype)


# -- Python containers ---------------------------------------------------------------------------------

POINTER = 8
INT_OBJECT = 28  # sys.getsizeof(10**6) on 64-bit CPython
_SMALL_INTS = 262  # -5..256 are cached, never allocated


@dataclass(frozen=True)
class ContainerEstimate:
    """A built-in container a repetition builds: its items and bytes, and how they were counted."""

    kind: str  # "list", "tuple", "str", "bytes", "bytearray"
    items: int
    nbytes: int
    how: str  # how the bytes were counted, for the message


def estimate_repetition(node: cst.BinaryOperation, context: "CodeContext") -> ContainerEstimate | None:
    """`[0] * N`, `N * 'x'`, `(None,) * N`, `b'\\0' * N`: the container the repetition builds."""
    if not isinstance(node.operator, cst.Multiply):
        return None
    for sequence, times in ((node.left, node.right), (node.right, node.left)):
        kind, length, width = _sequence(sequence, context)
        if kind is None:
            continue
        count = read_count(times, context)
        if count is None:
            return None
        items = length * count
        if kind in ("list", "tuple"):
            return ContainerEstimate(kind, items, items * POINTER, "8-byte pointer per slot")
        if kind == "str":
            return ContainerEstimate(
                kind, items, items * width, f"{width} byte{'s' if width > 1 else ''} per character"
            )
        return ContainerEstimate(kind, items, items, "1 byte per item")
    return None


def _sequence(node: cst.BaseExpression, context: "CodeContext") -> tuple[str | None, int, int]:
    """(kind, length, bytes per str character) of a literal sequence, or (None, 0, 0)."""
    if isinstance(node, (cst.List, cst.Tuple)):
        if any(isinstance(e, cst.StarredElement) for e in node.elements):
            return None, 0, 0
        return ("list" if isinstance(node, cst.List) else "tuple"), len(node.elements), 0
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Name)):
        if isinstance(node, cst.SimpleString) and "b" in node.prefix.lower():
            try:
                value = node.evaluated_value
            except Exception:
                return None, 0, 0
            return ("bytes", len(value), 1) if isinstance(value, bytes) else (None, 0, 0)
        value = context.evaluate(node)
        if isinstance(value, str) and value:
            widest = max(map(ord, value))
            return "str", len(value), 1 if widest < 256 else 2 if widest < 65536 else 4
    return None, 0, 0


def estimate_materialised_range(call: cst.Call, context: "CodeContext") -> ContainerEstimate | None:
    """`list(range(N))`, `tuple(range(...))`, `set(range(...))`, `bytearray(N)`, `bytes(N)`."""
    func = call.func
    if not isinstance(func, cst.Name) or len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
        return None
    argument_node = call.args[0].value
    if func.value in ("bytearray", "bytes"):
        if not context.is_builtin(func, func.value):
            return None
        count = read_count(argument_node, context)
        if count is None:
            return None
        return ContainerEstimate(func.value, count, count, "1 byte per item")
    if func.value in ("list", "tuple", "set") and context.is_builtin(func, func.value):
        length = range_call_length(argument_node, context)
        if length is None:
            return None
        objects = max(0, length - _SMALL_INTS)
        return ContainerEstimate(
            func.value,
            length,
            length * POINTER + objects * INT_OBJECT,
            "8-byte pointer per slot + 28-byte int object per element",
        )
    return None


def range_call_length(node: cst.BaseExpression, context: "CodeContext") -> int | None:
    """len(range(...)) for a `range(...)` call nblint can read."""
    if not isinstance(node, cst.Call) or not context.is_builtin(node.func, "range"):
        return None
    args = positional_args(node)
    if args is None or not 1 <= len(args) <= 3 or len(args) != len(node.args):
        return None
    values = [read_number(a, context) for a in args]
    if any(not isinstance(v, int) for v in values):
        return None
    return int_range_length(*range_arguments(values))


def estimate_comprehension(
    node: cst.ListComp, context: "CodeContext", element: Callable[[cst.BaseExpression], int | None]
) -> ContainerEstimate | None:
    """`[expr for _ in range(N)]` with no filter: N slots, plus N times what `expr` itself builds
    when `element` can estimate it (`[[0] * M for _ in range(N)]`)."""
    loop = node.for_in
    if loop.inner_for_in is not None or loop.ifs or loop.asynchronous is not None:
        return None
    length = range_call_length(loop.iter, context)
    if length is None:
        return None
    each = element(node.elt) or 0
    how = "8-byte pointer per slot" + (" + the object each element builds" if each else "")
    return ContainerEstimate("list", length, length * (POINTER + each), how)


# -- messages ------------------------------------------------------------------------------------------


def format_budget(size: int) -> str:
    """'1 GiB' rather than '1.0 GiB' for round budgets."""
    return format_size(size).replace(".0 ", " ")


def format_count(count: int) -> str:
    return f"{count:,}"


# -- what is known of an input: the one size model ----------------------------------------------------

# scipy.sparse classes that take `(M, N)` (an empty matrix) or data with `shape=(M, N)`.
_SPARSE_CLASSES = frozenset(
    f"{layout}_{kind}" for layout in ("csr", "csc", "coo", "lil", "dok", "bsr", "dia") for kind in ("matrix", "array")
)
_SPARSE_FUNCTIONS = frozenset({"random", "rand", "random_array", "eye", "identity", "eye_array"})
# Following names through assignments (`Xt = X.T`, `X = Y`) stops this deep: a cycle cannot loop.
_MAX_NAME_HOPS = 8
_INT32_MAX = 2**31 - 1


def facts_of(node: cst.BaseExpression, context: "CodeContext") -> Facts | None:
    """The Facts of an expression used as an input (nblint.core.code.facts): live ones where the guard
    supplies them, else what the code says: an array constructor (NumPy, PyTorch, TensorFlow, JAX), a
    scipy.sparse constructor, `.T` / `.transpose()` of a known input, `.toarray()` / `.todense()` of a
    known sparse input, or any of these assigned once to a notebook-level name. None when nothing is known."""
    return _facts(node, context, 0)


def _facts(node: cst.BaseExpression, context: "CodeContext", hops: int) -> Facts | None:
    if isinstance(node, cst.Name):
        if context.scopes.is_local(node.value) or hops >= _MAX_NAME_HOPS:
            return None
        live = context.live_facts(node.value)
        if live is not None:
            return live
        values = context.symbols.assigned_values(node.value)
        if not values or len(values) != 1:
            return None
        value = values[0]
        found = _facts(value, context, hops + 1)
        if found is None:
            return None
        # the constructor itself is the evidence; through a rename or a transpose, the chain to it
        evidence = f"{node.value} = {source_text(value)}"
        if not isinstance(value, cst.Call) or found.evidence != source_text(value):
            evidence = f"{evidence}; {found.evidence}"
        return replace(found, evidence=evidence)
    if isinstance(node, cst.Attribute) and node.attr.value == "T":
        return _transposed(_facts(node.value, context, hops))
    if not isinstance(node, cst.Call):
        return None
    method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
    if method == "transpose" and not node.args:
        return _transposed(_facts(node.func.value, context, hops))
    if method in ("toarray", "todense") and not node.args:
        inner = _facts(node.func.value, context, hops)
        if inner is None or inner.kind != "sparse" or inner.shape is None:
            return None
        return Facts(
            "array",
            shape=inner.shape,
            dtype=inner.dtype,
            length=inner.shape[0],
            nbytes=dense_bytes(inner.shape, inner.dtype),
            evidence=inner.evidence,
        )
    estimate = estimate_array(node, context)
    if estimate is not None:
        return Facts(
            "array",
            shape=estimate.shape,
            dtype=estimate.dtype,
            length=estimate.shape[0] if estimate.shape else None,
            nbytes=estimate.nbytes,
            evidence=source_text(node),
        )
    return _sparse_constructor(node, context)


def _transposed(facts: Facts | None) -> Facts | None:
    if facts is None or facts.shape is None or facts.kind not in ("array", "sparse", "tensor"):
        return None
    shape = tuple(reversed(facts.shape))
    return replace(facts, shape=shape, length=shape[0] if shape else None)


def dense_bytes(shape: tuple[int, ...], dtype: str | None) -> int:
    """Bytes of a dense array of `shape`; an unknown dtype counts 1 byte per element (a floor)."""
    return math.prod(shape) * (ITEMSIZE[dtype] if dtype else 1)


def _sparse_constructor(call: cst.Call, context: "CodeContext") -> Facts | None:
    """scipy.sparse: `csr_matrix((M, N))`, `csr_matrix(data, shape=(M, N))`, `sparse.random(M, N,
    density=...)`, `sparse.random_array((M, N), ...)`, `sparse.eye(N)`, `sparse.identity(N)`."""
    name = last_name(call.func)
    if name not in _SPARSE_CLASSES and name not in _SPARSE_FUNCTIONS:
        return None
    qualified = context.qualified_name(call.func)
    if qualified is None or not qualified.startswith("scipy.sparse."):
        return None
    nnz: int | None = None
    if name in _SPARSE_CLASSES:
        first = argument(call, 0, "arg1")
        given = read_shape(first, context)
        if given is not None and len(given) == 2:  # csr_matrix((M, N)): empty
            shape, nnz, dtype = given, 0, _dtype_argument(call, None, "float64", context)
        else:
            shape = read_shape(argument(call, None, "shape"), context)
            dtype = _dtype_argument(call, None, None, context)
    elif name in ("random", "rand", "random_array"):
        if name == "random_array":
            shape = read_shape(argument(call, 0, "shape"), context)
            density_node = argument(call, 1, "density")
        else:
            rows, columns = (read_count(argument(call, i, k), context) for i, k in ((0, "m"), (1, "n")))
            shape = (rows, columns) if rows is not None and columns is not None else None
            density_node = argument(call, 2, "density")
        density = 0.01 if density_node is None else read_number(density_node, context)
        if shape is not None and density is not None and 0 <= density <= 1:
            nnz = int(density * math.prod(shape))
        dtype = _dtype_argument(call, None, "float64", context)
    else:
        rows_keyword = "n" if name == "identity" else "m"
        shape = _matrix_shape(call, context, rows_keyword, None if name == "identity" else "n")
        nnz = min(shape) if shape is not None else None
        dtype = _dtype_argument(call, None, "float64", context)
    if shape is None or len(shape) != 2:
        return None
    nbytes = None
    if nnz is not None and dtype is not None:
        index = 4 if max(nnz, *shape) <= _INT32_MAX else 8
        nbytes = nnz * (ITEMSIZE[dtype] + index) + (shape[0] + 1) * index  # CSR: data, indices, indptr
    return Facts(
        "sparse", shape=tuple(shape), dtype=dtype, length=shape[0], nbytes=nbytes, nnz=nnz, evidence=source_text(call)
    )
