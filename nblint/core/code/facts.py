"""What is known of a value without running anything: the one size model's input, static or live.

A rule that sizes a result from its inputs (`X @ X.T`, `np.zeros((len(rows), 50))`, `df.merge(...)`)
asks for the Facts of each input and never looks at where they came from:

- statically (`nblint check`, the server) they come from the code: `X = np.random.rand(300_000, 50)`
  gives X the shape and dtype its constructor call allocates (nblint.core.sizes.facts_of);
- live (the guard, inside a running kernel) they come from the object the name holds, read through the
  attributes the object's own library documents (`shape`, `dtype`, `nnz`, `len` of built-in containers),
  never by running user code.

Unknown stays unknown: None, never a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Facts:
    """What is known of a value: its kind, shape, dtype, length and size."""

    # "array" (NumPy and array-likes), "sparse" (scipy.sparse), "frame", "series", "tensor",
    # "sequence" (list, tuple, range, set, dict), "str", "bytes"
    kind: str
    shape: tuple[int, ...] | None = None
    dtype: str | None = None  # canonical dtype name (nblint.core.sizes.ITEMSIZE), None when not known
    length: int | None = None  # len(); for frames and arrays the first axis
    nbytes: int | None = None
    nnz: int | None = None  # stored elements of a sparse matrix
    device: str | None = None  # "cpu", "cuda:0", ... for tensors
    # How it is known, for messages: "X = np.random.rand(300000, 50)", "rows has 47,912 items".
    evidence: str = ""

    @property
    def elements(self) -> int | None:
        return math.prod(self.shape) if self.shape is not None else None


class ValueSource(Protocol):
    """Live values by name (the guard's kernel namespace). Both methods must never run user code and
    never raise: they answer None / UNKNOWN for anything they cannot read safely."""

    def facts(self, name: str) -> Facts | None: ...

    def constant(self, name: str) -> Any:
        """The value of `name` when it is a plain int, float, bool, str, None or a tuple of those;
        nblint.core.code.symbols.UNKNOWN otherwise."""
        ...

    def origin(self, name: str) -> str | None:
        """The dotted name a module or function held by `name` is known by ("numpy", "numpy.zeros"),
        as an import in an earlier cell would have told the static engine; None otherwise."""
        ...

    def binds(self, name: str) -> bool:
        """True when the namespace holds `name` (so a builtin of that name is shadowed)."""
        ...
