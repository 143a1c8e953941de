"""Small pieces of English shared by messages and summaries."""

from __future__ import annotations

from typing import Sequence


def plural(count: int, word: str) -> str:
    """'1 notebook', '3 notebooks'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def listing(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def shorten(text: str, limit: int = 200) -> str:
    """`text` cut to `limit` characters with '...' (a line of a million-element literal in a report)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
