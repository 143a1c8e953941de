"""nblint.engine.code.cstparse.parse_module builds the very trees libcst.parse_module builds, and leaves libcst's
validation of hand-built nodes in place."""

from __future__ import annotations

import libcst as cst
import pytest

from nblint.engine.code.cstparse import parse_module
from test_cstwalk import SNIPPETS, STDLIB, STDLIB_FILES, _corpus_sources


def _sources() -> list[str]:
    sources = list(SNIPPETS)
    for name in STDLIB_FILES:
        path = STDLIB / name
        if path.is_file():
            sources.append(path.read_text(encoding="utf-8"))
    return sources + _corpus_sources(80)


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
    assert compared > 50


def test_syntax_errors_still_raise_and_hand_built_nodes_still_validate():
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def f(:\n")
    parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")  # validated: the parse put validation back
