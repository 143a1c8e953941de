"""Rule options: keys of `[tool.nblint]` that tune what a rule reports.

Every option is declared once here or in its rule module with `Option(...)`; the configuration loader
knows every key from the rule registry, so a misspelt key is an error rather than silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
    "k": 1024,
    "m": 1024**2,
    "g": 1024**3,
    "t": 1024**4,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


class OptionError(ValueError):
    """An option's value cannot be understood; the message says what was expected."""


def parse_size(value: Any) -> int:
    """'1 GiB', '512MB', '2g', '500 B' -> bytes. A number without a unit is refused (0 aside): is
    `memory-budget = 2` two bytes or two gigabytes? Whichever we guessed, someone would be surprised."""
    expected = 'a size with its unit, such as "2 GiB", "512 MiB" or "500 MB"'
    if isinstance(value, bool):
        raise OptionError(f"expected {expected}, got {value!r}")
    if isinstance(value, (int, float)):
        if value == 0:
            return 0
        raise OptionError(
            f'expected {expected}, got {value!r}: a number without a unit; write "{value:g} GiB" or "{value:g} B"'
        )
    if isinstance(value, str):
        match = _SIZE_RE.match(value)
        if match and match.group(2).lower() in _SIZE_UNITS:
            if not match.group(2) and float(match.group(1)) != 0:
                raise OptionError(f"expected {expected}, got {value!r}: a number without a unit")
            return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])
    raise OptionError(f"expected {expected}, got {value!r}")


def format_size(size: float) -> str:
    """Bytes -> '74.5 GiB' (binary units, as memory is counted)."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            value = size / factor
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{int(size)} B"


def parse_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise OptionError(f"expected a non-negative integer, got {value!r}")
    return value


def parse_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise OptionError(f"expected a non-negative number, got {value!r}")
    return value


def parse_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise OptionError(f"expected true or false, got {value!r}")
    return value


def parse_str_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise OptionError(f"expected a list of strings, got {value!r}")
    return list(value)


def parse_optional_str_list(value: Any) -> list[str] | None:
    return None if value is None else parse_str_list(value)


@dataclass(frozen=True)
class Option:
    """One key of `[tool.nblint]`: its default (as written in TOML), how to read it, and its docs."""

    key: str
    default: Any
    parse: Callable[[Any], Any]
    doc: str
    # For options naming folders: (parsed value, folder of the configuration file) -> value with relative
    # paths made absolute against that folder (the current folder when no file sets the option).
    relative_to_config: Callable[[Any, Any], Any] | None = None

    def parsed_default(self) -> Any:
        return None if self.default is None else self.parse(self.default)


MEMORY_BUDGET = Option(
    "memory-budget",
    "1 GiB",
    parse_size,
    'Estimated memory above which an allocation or a read is reported ("1 GiB", "512 MB").',
)


# -- the guard's options (read by the guard in a running kernel; `nblint check` ignores them) -------------


def parse_threshold(value: Any) -> float | int | None:
    """`interrupt-at`: a fraction of the limit that would get the kernel killed (0.9, "90%"), a size
    ("1.4 GiB": the usage at which to stop), or false (never stop a cell). A fraction comes back as a
    float, a size as an int (bytes), off as None."""
    expected = 'a fraction of the limit (0.9 or "90%"), a size such as "1.4 GiB", or false'
    if value is False:
        return None
    if isinstance(value, bool):
        raise OptionError(f"expected {expected}, got {value!r}")
    if isinstance(value, (int, float)):
        if 0 < value <= 1:
            return float(value)
        raise OptionError(f"expected {expected}, got {value!r}: a fraction is over 0 and at most 1")
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            percent = float(value.strip()[:-1])
        except ValueError:
            raise OptionError(f"expected {expected}, got {value!r}") from None
        if 0 < percent <= 100:
            return percent / 100
        raise OptionError(f"expected {expected}, got {value!r}: a percentage is over 0 and at most 100")
    try:
        size = parse_size(value)
    except OptionError:
        raise OptionError(f"expected {expected}, got {value!r}") from None
    if size <= 0:
        raise OptionError(f"expected {expected}, got {value!r}: write false to never stop a cell")
    return size


def parse_optional_size(value: Any) -> int | None:
    """A size, or false for no limit."""
    if value is False:
        return None
    return parse_size(value)


INTERRUPT_AT = Option(
    "interrupt-at",
    0.9,
    parse_threshold,
    "Guard: while a cell runs, stop it with MemoryError when the kernel's memory passes this fraction of the "
    'limit that would get it killed (0.9, "90%") or this size ("1.4 GiB"); false never stops a cell.',
)
MAX_CELL_OUTPUT = Option(
    "max-cell-output",
    "10 MB",
    parse_optional_size,
    "Guard: a running cell's printed output past this size is held back from the frontend and written, "
    'whole, to a file the guard names ("10 MB"); false sends everything.',
)
GUARD_OPTIONS = (INTERRUPT_AT, MAX_CELL_OUTPUT)
