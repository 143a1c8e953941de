"""What `nblint strip` keeps and drops: nbstripout's options, from `[tool.nblint.strip]` and the command line.

Names and meanings are nbstripout 0.9.1's, so a project can move its settings across unchanged:

    [tool.nblint.strip]
    keep-output = false            # true: keep every output (nbstripout --keep-output)
    keep-count = false             # keep execution counts
    extra-keys = ["metadata.foo", "cell.metadata.bar"]   # more keys to strip (a list, or one space-separated string)
    keep-metadata-keys = ["cell.metadata.scrolled"]      # default keys NOT to strip
    drop-empty-cells = false       # remove cells whose source is only whitespace
    drop-tagged-cells = ["solution"]                     # remove cells carrying any of these tags
    strip-init-cells = false       # strip outputs of `init_cell: true` cells too
    max-size = 0                   # keep outputs of at most this size ("10K", "2M" as nbstripout: powers of 1000)
    renumber-ids = false           # replace cell ids with 0, 1, 2... (nbstripout without --keep-id)

This module imports neither nbformat nor nbstripout: reading the configuration stays cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any, Iterable

from nblint.core.options import OptionError, parse_size

# The keys nbstripout 0.9.1's command line strips by default (its `main()`, not `strip_output`).
DEFAULT_EXTRA_KEYS = (
    "metadata.signature",
    "metadata.widgets",
    "cell.metadata.collapsed",
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",
    "cell.metadata.heading_collapsed",
    "cell.metadata.hidden",
    "cell.metadata.scrolled",
)

_BOOLEAN_KEYS = ("keep-output", "keep-count", "drop-empty-cells", "strip-init-cells", "renumber-ids")
_LIST_KEYS = ("extra-keys", "keep-metadata-keys", "drop-tagged-cells")
KNOWN_KEYS = _BOOLEAN_KEYS + _LIST_KEYS + ("max-size",)

# nbstripout's own size syntax: digits, optionally followed by K, M or G (powers of 1000).
_NBSTRIPOUT_SIZE = re.compile(r"^(\d+)([KMG]?)$", re.IGNORECASE)
_NBSTRIPOUT_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}


class StripOptionError(ValueError):
    """An option that cannot be used; the message names where it came from and what was expected."""


@dataclass(frozen=True)
class StripOptions:
    """What `nblint strip` keeps and drops, as nbstripout's options."""

    keep_output: bool = False
    keep_count: bool = False
    extra_keys: tuple[str, ...] = ()
    keep_metadata_keys: tuple[str, ...] = ()
    drop_empty_cells: bool = False
    drop_tagged_cells: tuple[str, ...] = ()
    strip_init_cells: bool = False
    max_size: int | None = None  # None: not given (0, strip every output)
    renumber_ids: bool = False

    def keys_to_strip(self) -> list[str]:
        """As nbstripout's CLI: its defaults plus extra-keys, less keep-metadata-keys (exact matches)."""
        return [key for key in (*DEFAULT_EXTRA_KEYS, *self.extra_keys) if key not in self.keep_metadata_keys]

    def merged(self, other: "StripOptions") -> "StripOptions":
        """`other` (the command line) over self (the configuration): flags add, lists extend, a size replaces."""
        return replace(
            self,
            keep_output=self.keep_output or other.keep_output,
            keep_count=self.keep_count or other.keep_count,
            extra_keys=_unique(self.extra_keys + other.extra_keys),
            keep_metadata_keys=_unique(self.keep_metadata_keys + other.keep_metadata_keys),
            drop_empty_cells=self.drop_empty_cells or other.drop_empty_cells,
            drop_tagged_cells=_unique(self.drop_tagged_cells + other.drop_tagged_cells),
            strip_init_cells=self.strip_init_cells or other.strip_init_cells,
            max_size=other.max_size if other.max_size is not None else self.max_size,
            renumber_ids=self.renumber_ids or other.renumber_ids,
        )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def parse_max_size(value: Any, where: str) -> int:
    """nbstripout's sizes ("0", "500", "10K", "2M", "1G": powers of 1000), a byte count, or "1 MiB"."""
    if isinstance(value, str):
        match = _NBSTRIPOUT_SIZE.match(value.strip())
        if match:
            return int(match.group(1)) * _NBSTRIPOUT_UNITS[match.group(2).upper()]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value  # nbstripout's --max-size is a number of bytes when it has no unit
    try:
        return parse_size(value)
    except OptionError:
        raise StripOptionError(
            f'{where}: expected a size such as 0, "10K" or "2M" (as nbstripout), got {value!r}'
        ) from None


def check_key(key: str, where: str) -> str:
    """extra-keys and keep-metadata-keys name `metadata.<key>` or `cell.<key>`, dotted for nesting."""
    namespace, _, rest = key.partition(".")
    if namespace not in ("metadata", "cell") or not rest:
        raise StripOptionError(
            f"{where}: '{key}' is not a key nbstripout can strip; write metadata.<key> or cell.<key> "
            "(for example metadata.foo, cell.metadata.bar)"
        )
    return key


def _words(value: Any, where: str) -> tuple[str, ...]:
    """A list of strings, or one space-separated string as nbstripout's command line takes."""
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(word for item in value for word in item.split())
    raise StripOptionError(f"{where}: expected a list of strings, got {value!r}")


def options_from_table(table: dict[str, Any], where: str) -> StripOptions:
    """Check and read a `[tool.nblint.strip]` table; `where` names the file for messages."""
    unknown = [key for key in table if key not in KNOWN_KEYS]
    if unknown:
        from nblint.core.wording import did_you_mean

        hint = did_you_mean(unknown[0], KNOWN_KEYS) or f" (known: {', '.join(KNOWN_KEYS)})"
        raise StripOptionError(f"{where}: unknown key '{unknown[0]}' in [tool.nblint.strip]{hint}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        attribute = key.replace("-", "_")
        if key in _BOOLEAN_KEYS:
            if not isinstance(value, bool):
                raise StripOptionError(f"{where}: strip.{key}: expected true or false, got {value!r}")
            values[attribute] = value
        elif key in _LIST_KEYS:
            words = _words(value, f"{where}: strip.{key}")
            if key != "drop-tagged-cells":
                for word in words:
                    check_key(word, f"{where}: strip.{key}")
            values[attribute] = words
        else:  # max-size
            values[attribute] = parse_max_size(value, f"{where}: strip.{key}")
    return StripOptions(**values)


def options_from_arguments(args: Any) -> StripOptions:
    """The command line's options (argparse names are the attribute names)."""
    values: dict[str, Any] = {}
    for field in fields(StripOptions):
        value = getattr(args, field.name, None)
        if value is None:
            continue
        if field.name in ("extra_keys", "keep_metadata_keys", "drop_tagged_cells"):
            words = _words(list(value), f"--{field.name.replace('_', '-')}")
            if field.name != "drop_tagged_cells":
                for word in words:
                    check_key(word, f"--{field.name.replace('_', '-')}")
            values[field.name] = words
        elif field.name == "max_size":
            values[field.name] = parse_max_size(value, "--max-size")
        else:
            values[field.name] = bool(value)
    return StripOptions(**values)
