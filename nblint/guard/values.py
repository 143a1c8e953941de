"""The kernel's live objects as Facts (nblint.core.code.facts): what they say of themselves, read without
running user code.

- Libraries are found in `sys.modules`: the guard never imports numpy, pandas, scipy or torch itself
  (a kernel that never imported torch holds no tensor).
- Types are tested with `issubclass(type(obj), ...)`, never `isinstance`, which may read a user-defined
  `__class__`. Array and tensor attributes are read through the library type's own descriptors
  (`numpy.ndarray.shape.__get__(obj)`), so a subclass's property of the same name never runs; pandas,
  scipy.sparse, torch, tensorflow and jax objects are read only when their type is the library's own, not
  a user's subclass.
- `len()` is taken only of the exact built-in types (list, tuple, dict, set, str, bytes...), whose length
  is a C field.

Anything else, and anything that raises while being read, is unknown (None / UNKNOWN): never guessed big.
"""

from __future__ import annotations

import sys
from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import TYPE_CHECKING, Any, Mapping

from nblint.core.code.facts import Facts
from nblint.core.code.symbols import UNKNOWN

if TYPE_CHECKING:
    from nblint.guard.counting import Counter

_MISSING = object()
# A class's own name and module, read from type's descriptors: a metaclass property never runs.
_TYPE_NAME = type.__dict__["__name__"]
_TYPE_MODULE = type.__dict__["__module__"]
_SEQUENCES: dict[type, str] = {
    list: "list",
    tuple: "tuple",
    dict: "dict",
    set: "set",
    frozenset: "frozenset",
    range: "range",
}
_CONSTANT_TYPES = (int, float, bool, str, type(None))
_MAX_CONSTANT_TUPLE = 64


class LiveValues:
    """A ValueSource over a kernel namespace (IPython's `user_ns`).

    `imports` maps names to the dotted origins that earlier cells' import statements gave them (the guard
    records them as cells run); a name bound since to something else is no longer trusted."""

    def __init__(self, namespace: Mapping[str, Any], imports: Mapping[str, tuple[str, Any]] | None = None) -> None:
        self._namespace = namespace
        self._imports = imports or {}
        self._facts: dict[str, Facts | None] = {}
        self._counter: Counter | None = None
        self._counted: dict[tuple, Any] = {}
        self._note: str | None = None  # why the last count gave up, naming the figure

    # -- counting keys (the row blow-up rule) --------------------------------------------------------

    def _count(self, method: str, *args) -> Any:
        from nblint.guard.counting import Counter

        if self._counter is None:
            self._counter = Counter()
        # Counted once per value per cell: the guard's second pass (budget = available memory) asks again
        key = (method, *(_count_key(a) for a in args))
        if key not in self._counted:
            self._counter.gave_up = None
            try:
                found = getattr(self._counter, method)(*args)
            except Exception:  # an odd frame: unknown
                found = None
            self._counted[key] = (found, self._counter.gave_up if found is None else None)
        found, self._note = self._counted[key]
        return found

    @property
    def uncounted(self) -> str | None:
        """Why the last count gave up on time, naming the figure it could not get; None otherwise."""
        return self._note

    def distinct_counts(self, name: str, columns, categorical_only: bool) -> dict[str, int] | None:
        value = self._get(name)
        return None if value is _MISSING else self._count("distinct", value, columns, categorical_only)

    def combinations(self, name: str, columns) -> int | None:
        value = self._get(name)
        return None if value is _MISSING else self._count("combinations", value, tuple(columns))

    def merge_rows(self, left: str, right: str, left_keys, right_keys, how: str):
        left_value, right_value = self._get(left), self._get(right)
        if left_value is _MISSING or right_value is _MISSING:
            return None
        return self._count("merge_rows", left_value, right_value, left_keys, right_keys, how)

    def join_rows(self, left: str, left_keys, others, how: str):
        """`others`: (frame name, index column or None, mask or None) for each frame joined."""
        left_value = self._get(left)
        values = tuple((self._get(name), column, mask) for name, column, mask in others)
        if left_value is _MISSING or any(value is _MISSING for value, _, _ in values):
            return None
        return self._count("join_rows", left_value, left_keys, values, how)

    def unstack_cells(self, name: str, level) -> tuple[int, int] | None:
        value = self._get(name)
        return None if value is _MISSING else self._count("unstack_cells", value, level)

    def _get(self, name: str) -> Any:
        try:
            return (
                dict.get(self._namespace, name, _MISSING)
                if isinstance(self._namespace, dict)
                else self._namespace.get(name, _MISSING)
            )
        except Exception:
            return _MISSING

    # -- ValueSource ------------------------------------------------------------------------------

    def binds(self, name: str) -> bool:
        return self._get(name) is not _MISSING

    def constant(self, name: str) -> Any:
        value = self._get(name)
        if type(value) is list and len(value) <= _MAX_CONSTANT_TUPLE:
            value = tuple(value)  # a short list of constants reads as the static reading reads `[...]`
        return value if _is_constant(value, 0) else UNKNOWN

    def origin(self, name: str) -> str | None:
        value = self._get(name)
        if value is _MISSING:
            return None
        recorded = self._imports.get(name)
        if recorded is not None and recorded[1] is value:
            return recorded[0]
        try:
            return _origin_of(value)
        except Exception:
            return None

    def facts(self, name: str) -> Facts | None:
        if name in self._facts:
            return self._facts[name]
        value = self._get(name)
        found = None
        if value is not _MISSING:
            try:
                found = facts_of_object(value, name)
            except Exception:  # an exotic object: unknown, never an error in the user's kernel
                found = None
        self._facts[name] = found
        return found

    def file_path(self, name: str) -> tuple[str, str] | None:
        """The file a pathlib path or an open file object names, read only from the exact standard
        library types (a subclass's properties never run): (path, "path"), (path, "") for a raw file
        object, (path, "gzip") for one that decompresses; None otherwise."""
        value = self._get(name)
        if value is _MISSING:
            return None
        try:
            return _file_of(value)
        except Exception:
            return None


def _count_key(value: Any) -> Any:
    """A cache key for one argument of a count: constants as they are, objects by identity (a frame is
    not hashed), tuples item by item."""
    if type(value) is tuple:
        return tuple(_count_key(item) for item in value)
    if isinstance(value, (str, int, float, type(None), bool)):
        return value
    return ("id", id(value))


def _file_of(held: Any) -> tuple[str, str] | None:
    import io
    import pathlib

    value = held  # `held` keeps the outer object alive: dropping a wrapper would close the file under it
    kind = type(value)
    if kind in (pathlib.PosixPath, pathlib.WindowsPath, pathlib.PurePosixPath, pathlib.PureWindowsPath):
        text = str(value)
        return (text, "path") if type(text) is str else None
    method = ""
    if kind is io.TextIOWrapper:
        value = value.buffer
        kind = type(value)
    gzip = sys.modules.get("gzip")
    if gzip is not None and kind is gzip.GzipFile:
        method = "gzip"
        value = value.fileobj
        kind = type(value)
    if kind is io.BufferedReader:
        value = value.raw
        kind = type(value)
    if kind is not io.FileIO or value.closed or "r" not in value.mode:
        return None
    path = value.name
    return (path, method) if type(path) is str and held is not None else None


def _is_constant(value: Any, depth: int) -> bool:
    kind = type(value)
    if kind in _CONSTANT_TYPES:
        return True
    if kind is tuple and depth < 3 and len(value) <= _MAX_CONSTANT_TUPLE:
        return all(_is_constant(item, depth + 1) for item in value)
    return False


def _origin_of(value: Any) -> str | None:
    kind = type(value)
    if issubclass(kind, ModuleType):
        name = object.__getattribute__(value, "__dict__").get("__name__")
        return name if type(name) is str else None
    if kind in (FunctionType, BuiltinFunctionType):
        module, qualname = value.__module__, value.__qualname__  # C-level fields of these exact types
        if type(module) is str and type(qualname) is str and "<" not in qualname:
            return f"{module}.{qualname}"
    return None


# -- one object ------------------------------------------------------------------------------------


def facts_of_object(value: Any, name: str) -> Facts | None:
    kind = type(value)
    sequence = _SEQUENCES.get(kind)
    if sequence is not None:
        length = len(value)
        return Facts("sequence", length=length, evidence=f"{name} has {length:,} items")
    if kind is str or kind is bytes or kind is bytearray:
        length = len(value)
        return Facts(
            "str" if kind is str else "bytes",
            length=length,
            nbytes=length if kind is not str else None,
            evidence=f"{name} has {length:,} {'characters' if kind is str else 'bytes'}",
        )
    module = _TYPE_MODULE.__get__(kind, type)
    module = module if type(module) is str else ""
    numpy = sys.modules.get("numpy")
    if numpy is not None and issubclass(kind, numpy.ndarray):
        return _numpy_facts(value, name, numpy)
    head = module.partition(".")[0]
    if head == "pandas":
        return _pandas_facts(value, name, sys.modules.get("pandas"))
    if module.startswith("scipy.sparse"):
        return _sparse_facts(value, name, sys.modules.get("scipy.sparse"))
    if head == "torch":
        return _torch_facts(value, name, sys.modules.get("torch"))
    if head == "tensorflow":
        return _tensorflow_facts(value, name)
    if head in ("jax", "jaxlib"):
        return _jax_facts(value, name)
    return None


def _shape(value: Any) -> tuple[int, ...] | None:
    try:
        shape = tuple(int(d) for d in value)
    except (TypeError, ValueError):
        return None
    return shape if all(d >= 0 for d in shape) else None


def _dims(shape: tuple[int, ...]) -> str:
    return " x ".join(f"{d:,}" for d in shape)


def _canonical(dtype_name: str) -> str | None:
    from nblint.core.sizes import canonical_dtype

    return canonical_dtype(dtype_name)


def _numpy_facts(value: Any, name: str, numpy: ModuleType) -> Facts | None:
    base = numpy.ndarray
    shape = _shape(base.shape.__get__(value))
    dtype = base.dtype.__get__(value)
    nbytes = int(base.nbytes.__get__(value))
    dtype_name = _canonical(str(dtype.name)) or None
    if shape is None:
        return None
    return Facts(
        "array",
        shape=shape,
        dtype=dtype_name,
        length=shape[0] if shape else None,
        nbytes=nbytes,
        evidence=f"{name} is a {_dims(shape)} {dtype.name} array",
    )


def _pandas_facts(value: Any, name: str, pandas: ModuleType | None) -> Facts | None:
    if pandas is None:
        return None
    kind = type(value)
    if kind is pandas.DataFrame:
        rows, columns = (int(d) for d in value.shape)
        # deep=False: object columns count their pointers only (reading every string would be slow)
        nbytes = int(value.memory_usage(index=True, deep=False).sum())
        dtypes = {str(d) for d in value.dtypes.unique()} if columns else set()
        dtype = _canonical(dtypes.pop()) if len(dtypes) == 1 else None
        return Facts(
            "frame",
            shape=(rows, columns),
            dtype=dtype,
            length=rows,
            nbytes=nbytes,
            evidence=f"{name} is a DataFrame of {rows:,} rows x {columns:,} columns",
        )
    if kind is pandas.Series:
        rows = int(value.shape[0])
        nbytes = int(value.memory_usage(index=True, deep=False))
        return Facts(
            "series",
            shape=(rows,),
            dtype=_canonical(str(value.dtype)),
            length=rows,
            nbytes=nbytes,
            evidence=f"{name} is a Series of {rows:,} rows",
        )
    return None


def _sparse_facts(value: Any, name: str, sparse: ModuleType | None) -> Facts | None:
    if sparse is None:
        return None
    bases = tuple(
        b for b in (getattr(sparse, "spmatrix", None), getattr(sparse, "sparray", None)) if isinstance(b, type)
    )
    if not bases or not issubclass(type(value), bases):
        return None
    shape = _shape(value.shape)
    if shape is None:
        return None
    nnz = int(value.nnz)
    dtype = _canonical(str(value.dtype))
    format_name = _TYPE_NAME.__get__(type(value), type)
    return Facts(
        "sparse",
        shape=shape,
        dtype=dtype,
        length=shape[0] if shape else None,
        nnz=nnz,
        evidence=f"{name} is a {_dims(shape)} {format_name} with {nnz:,} stored values",
    )


def _torch_facts(value: Any, name: str, torch: ModuleType | None) -> Facts | None:
    if torch is None:
        return None
    kind = type(value)
    # Tensor subclasses run __torch_function__ on every attribute read: only torch's own types are read.
    parameter = getattr(getattr(torch, "nn", None), "Parameter", None)
    if kind is not torch.Tensor and kind is not parameter:
        return None
    shape = _shape(value.shape)
    if shape is None:
        return None
    dtype = _canonical(str(value.dtype).rpartition(".")[2])
    nbytes = int(value.numel()) * int(value.element_size())
    device = str(value.device)
    return Facts(
        "tensor",
        shape=shape,
        dtype=dtype,
        length=shape[0] if shape else None,
        nbytes=nbytes,
        device=device,
        evidence=f"{name} is a {_dims(shape)} {dtype or 'tensor'} tensor on {device}",
    )


def _tensorflow_facts(value: Any, name: str) -> Facts | None:
    kind_name = _TYPE_NAME.__get__(type(value), type)
    if kind_name not in ("EagerTensor", "ResourceVariable", "Tensor"):
        return None
    dims = value.shape.as_list() if hasattr(type(value.shape), "as_list") else None
    if dims is None or any(d is None for d in dims):
        return None
    shape = _shape(dims)
    if shape is None:
        return None
    dtype = _canonical(str(value.dtype.name))
    from nblint.core.sizes import ITEMSIZE

    nbytes = (_product(shape) * ITEMSIZE[dtype]) if dtype else None
    device = str(value.device) if kind_name != "Tensor" else None
    return Facts(
        "tensor",
        shape=shape,
        dtype=dtype,
        length=shape[0] if shape else None,
        nbytes=nbytes,
        device=device,
        evidence=f"{name} is a {_dims(shape)} {dtype or 'tensor'} tensor",
    )


def _jax_facts(value: Any, name: str) -> Facts | None:
    if _TYPE_NAME.__get__(type(value), type) not in ("ArrayImpl", "Array"):
        return None
    shape = _shape(value.shape)
    if shape is None:
        return None
    dtype = _canonical(str(value.dtype))
    nbytes = int(value.nbytes)
    return Facts(
        "tensor",
        shape=shape,
        dtype=dtype,
        length=shape[0] if shape else None,
        nbytes=nbytes,
        evidence=f"{name} is a {_dims(shape)} {dtype or ''} jax array",
    )


def _product(shape: tuple[int, ...]) -> int:
    total = 1
    for d in shape:
        total *= d
    return total
