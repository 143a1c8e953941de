"""nblint.core.code.cstparse.parse_module builds the very trees libcst.parse_module builds, and leaves libcst's
validation of hand-built nodes in place."""

from __future__ import annotations

import libcst as cst
import pytest
from test_cstwalk import SNIPPETS, STDLIB, STDLIB_FILES, _corpus_sources

from nblint.core.code.cstparse import parse_module
from nblint.rules import ALL_RULES


def _example_cells() -> list[str]:
    """The code of every rule's VALID and INVALID examples: hundreds of small cells written after real
    notebooks, shipped with nblint, so the comparison never depends on the shared corpus being there.
    The few huge ones (NB102's pasted literals, a 2,000-term expression) are left out: comparing their
    trees node by node takes minutes and recurses past Python's limit, and they add no new syntax."""
    cells = []
    for rule in ALL_RULES.values():
        for example in (*rule.VALID, *rule.INVALID):
            source = getattr(example, "source", example)
            if getattr(example, "raw", False):
                continue
            for cell in [source] if isinstance(source, str) else source if isinstance(source, list) else []:
                code = cell if isinstance(cell, str) else cell.get("source") if isinstance(cell, dict) else None
                if isinstance(code, str) and len(code) < 2000:
                    cells.append(code)
    return cells


def _sources() -> list[str]:
    sources = list(SNIPPETS)
    for name in STDLIB_FILES:
        path = STDLIB / name
        if path.is_file():
            sources.append(path.read_text(encoding="utf-8"))
    return sources + _example_cells() + _corpus_sources(80)


@pytest.mark.slow  # parses the standard library, 750 examples and the corpus twice each
def test_the_trees_are_libcsts():
    compared = 0
    for source in _sources():
        try:
            expected = cst.parse_module(source)
        except cst.ParserSyntaxError:
            with pytest.raises(cst.ParserSyntaxError):
                parse_module(source)
            continue
        ours = parse_module(source)
        assert ours.deep_equals(expected)
        assert ours.code == source
        compared += 1
    assert compared > 300  # the rule examples alone give more than that, with or without the corpus


def test_syntax_errors_still_raise_and_hand_built_nodes_still_validate():
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def f(:\n")
    parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")  # validated: the parse put validation back
