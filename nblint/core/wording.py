"""Small pieces of English shared by messages and summaries."""

from __future__ import annotations

from typing import Iterable, Sequence


def plural(count: int, word: str) -> str:
    """'1 notebook', '3 notebooks'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def listing(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """' (did you mean memory-budget?)' for the nearest known word, or '' when none is near. Case and
    `_` against `-` do not count: `memory_budget` finds `memory-budget`, `nb2o1` finds `NB201`."""
    import difflib

    by_form = {_form(candidate): candidate for candidate in known}
    spelled = _form(word)
    if spelled in by_form and by_form[spelled] != word:
        return f" (did you mean {by_form[spelled]}?)"
    nearest = difflib.get_close_matches(spelled, list(by_form), n=1, cutoff=0.6)
    return f" (did you mean {by_form[nearest[0]]}?)" if nearest else ""


def _form(word: str) -> str:
    return word.replace("_", "-").lower()


def shorten(text: str, limit: int = 200) -> str:
    """`text` cut to `limit` characters with '...' (a line of a million-element literal in a report)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
