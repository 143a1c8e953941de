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
        raise OptionError(f"expected {expected}, got {value!r}: a number without a unit; write \"{value:g} GiB\" or \"{value:g} B\"")
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
    "Estimated memory above which an allocation or a read is reported (\"1 GiB\", \"512 MB\").",
)
