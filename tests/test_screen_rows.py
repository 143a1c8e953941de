"""The screen's fast path for rows (`[[0, 1], [2, 3], ...]`, issue 19) counts exactly what its token-by-token
loop counts: every input below is screened with the fast path on and off and the results compared whole
(each statement's tokens, chains, literals with their element counts and positions)."""

from __future__ import annotations

import json
import random

import pytest
from conftest import CORPUS

from nblint.core.code import screen as screen_module
from nblint.core.code.screen import screen

ATOMS = [
    "0", "17", "-3", "+2", "1.5", "-0.25", ".5", "1.", "1e-5", "-1E+3", "1_000", "0x1F", "3j", "-2.5e-3j",
    "'a'", '"b,c"', "'[x]'", "'(,)'", '"it\'s"', "'a\\'b,'", "b'x'", "r'\\d,'", "f'{a, b}'", "'''tri, ple'''",
    '"""]"""', "''", "-'s'", "True", "False", "None", "-None", "u'ü, ö'",
]  # fmt: skip
# what a row of atoms is not: each of these, inside a row, leaves it to the loop
NOT_ATOMS = [
    "x",
    "f(1)",
    "[1]",
    "[1, [2]]",
    "{1: 2}",
    "{1, 2}",
    "1 + 2",
    "*a",
    "a.b",
    "(1)",
    "()",
    "[]",
    "-x",
    "'a' 'b'",
]
SEPARATORS = [", ", ",", ",\n    ", " , ", ",  # a comment, with [brackets]\n", "\n, ", ",\t", ", \\\n"]
OPENERS = [("[", "]"), ("(", ")")]


def results(text: str) -> list:
    """Everything the screen reports for `text`: every statement with its tokens and literals (MAX_TOKENS
    0), every statement with a chain with its length (MAX_CHAIN 0), each statement's size, and the
    statements of a cell left out whole."""
    found = []
    for max_tokens, max_chain in ((0, 10**9), (10**9, 0)):
        old = screen_module.MAX_TOKENS, screen_module.MAX_CHAIN
        screen_module.MAX_TOKENS, screen_module.MAX_CHAIN = max_tokens, max_chain
        try:
            sizes: list[int] = []
            found.append((screen(text, sizes=sizes), sizes))
        finally:
            screen_module.MAX_TOKENS, screen_module.MAX_CHAIN = old
    found.append(screen(text, every=True))
    return found


def assert_same(text: str, monkeypatch) -> None:
    fast = results(text)
    monkeypatch.setattr(screen_module, "FLAT_ROWS", False)
    slow = results(text)
    monkeypatch.setattr(screen_module, "FLAT_ROWS", True)
    assert fast == slow, text[:500]


@pytest.fixture
def rows_counted(monkeypatch):
    """How many runs of rows the fast path took: the inputs must exercise it, not only the loop."""
    runs = []
    original = screen_module._flat_rows

    def counting(rows, top, statement):
        runs.append(rows.group())
        original(rows, top, statement)

    monkeypatch.setattr(screen_module, "_flat_rows", counting)
    return runs


def row(rng: random.Random, width: int, separators=SEPARATORS, odd=0.05) -> str:
    start, end = rng.choice(OPENERS)
    items = [rng.choice(ATOMS) for _ in range(width)]
    if items and rng.random() < odd:
        items[rng.randrange(len(items))] = rng.choice(NOT_ATOMS)
    inner = "".join(item + (rng.choice(separators) if i < len(items) - 1 else "") for i, item in enumerate(items))
    if rng.random() < odd:
        inner += ","  # a trailing comma: left to the loop
    space = rng.choice(["", " ", "\n  "])
    return start + rng.choice(["", " "]) + inner + space + end


def statement(rng: random.Random) -> str:
    count = rng.choice([0, 1, 2, 3, 99, 100, 101, rng.randrange(1, 300)])
    widths = rng.choice([[2], [0, 1, 2], [1], [3, 4], list(range(6)), [31, 32, 33]] * 3 + [[99, 100, 101]])
    if widths[0] == 99:
        count = min(count, 3)  # the rows of the floor's width, a few at a time (the others are quick)
    separators = rng.choice([SEPARATORS, [", "], [",\n    "], [",\n", ", "]])  # all kinds, or a table's one
    odd = rng.choice([0, 0.01, 0.05, 0.2])  # how often a row is not one of atoms
    rows = [row(rng, rng.choice(widths), separators, odd) for _ in range(count)]
    for _ in range(rng.randrange(3)):  # something else among the rows
        if rows:
            rows[rng.randrange(len(rows))] = rng.choice(
                NOT_ATOMS + ["[1, 2] * 3", "(1, 2)[0]", "[1, 2].copy()", "{'k': [1, 2]}", "[[1, 2], [3, 4]]"]
            )
    ends = [rng.choice(separators) for _ in rows]
    if ends and rng.random() < 0.5:
        ends[-1] = ""  # no trailing comma
    body = "".join(item + end for item, end in zip(rows, ends))
    shape = rng.randrange(8)
    if shape == 0:
        return f"data = ({body})"
    if shape == 1:
        return "table = {" + "".join(f"'k{i}': {item}, " for i, item in enumerate(rows)) + "}"
    if shape == 2:
        return f"frame = pd.DataFrame([{body}], columns=['a', 'b'])"
    if shape == 3:
        return f"m = a[{body}]"
    if shape == 4:
        return f"ys = [f(r) for r in [{body}]]"
    if shape == 5:
        return f"for pair in [{body}]:\n    print(pair)"
    if shape == 6:
        return f"pairs = [[{body}], [{body}]] * 2; z = -[{body}]"
    return f"pairs = [{body}]"


FIXED = [
    "pairs = [[0, 1], [2, 3], [4, 5]]\n",
    "pairs = [[0, 1], [2, 3], [4, 5],]\n",
    "points = [(0.1, 0.2), (0.3, -0.4), (-1e-5, +2)]\n",
    "edges = [(0, 1), (1, 2)]\nG.add_edges_from(edges)\n",
    "colors = [[255, 0, 0], [0, 255, 0], [0, 0, 255]]\nplt.imshow(np.array([colors]))\n",
    "df = pd.DataFrame([[1, 'a,b'], [2, '[c]'], [3, \"(d)\"]], columns=['n', 's'])\n",
    "x = np.array([[1., 2.], [3., 4.]])\nx[[0, 1], [1, 0]]\n",
    "m = [[1, [2]], [3, [4]], [5, 6], [7, 8]]\n",
    "d = [{1: 2}, {3: 4}, [5, 6], [7, 8]]\n",
    "t = [(1), (2,), (3, 4), (), [], (5, 6)]\n",
    "rows = [\n    [1, 2],  # first\n    [3, 4],\n    # between\n    [5, 6],\n]\n",
    "nested = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]\n",
    "s = {(1, 2), (3, 4)}\nd = {'a': [1, 2], 'b': [3, 4]}\n",
    "z = [[-1], [+2], [-'a'], [3, -4], ['x', -5.5]]\n",
    "w = [[1, 2] * 3, [4, 5], [6, 7] + [8], [9, 10]]\n",
    "v = [[1, 2], [3, 4]][0]\nu = [[1, 2], [3, 4]].copy()\n",
    "q = [x for x in [[1, 2], [3, 4]]]\nr = [[1, 2], [3, 4] for x in y]\n",
    # a row holds up to 32 atoms, a run up to 100 rows
    "rows = ["
    + "".join(f"[{', '.join(['7'] * width)}], ({', '.join(['8'] * width)}), " for width in (31, 32, 33))
    + "]\n",
    "pairs = [" + ", ".join(f"[{i}, {-i}]" for i in range(250)) + "]\n",
    "pairs = [" + ", ".join(f"({i}, '{i},]')" for i in range(1500)) + "]\n",
    "wide = [" + ", ".join("[" + ", ".join(["1"] * width) + "]" for width in (0, 1, 99, 100, 101)) + "]\n",
    "wide = [" + ", ".join("[" + ", ".join(["1"] * width) + "]," for width in (99, 100, 101)) + "]\n",
    "deep = [[[" + ", ".join(f"[{i}, {i}]" for i in range(150)) + "]]]\n",
    "a = [[1, 2], [3, 4]]; b = [[5, 6], [7, 8]]\n",
    "bad = [[1, 2], [3, 4]\nok = 1\n",
    "bad = [[1, 2], [3, 4]]]\nok = [[1, 2], [3, 4]]\n",
    "s = ['a' 'b', 'c']\nt = [['a', 'b'] 'c', ['d', 'e']]\n",
]


@pytest.mark.parametrize("text", FIXED)
def test_fixed_inputs_screen_the_same_with_and_without_the_fast_path(text, monkeypatch):
    assert_same(text, monkeypatch)


def test_random_inputs_screen_the_same_with_and_without_the_fast_path(monkeypatch, rows_counted):
    rng = random.Random(19)
    for _ in range(120):
        text = "\n".join(statement(rng) for _ in range(rng.randrange(1, 4))) + "\n"
        assert_same(text, monkeypatch)
    rows = [run.count("],") + run.count("),") for run in rows_counted]
    assert len(rows) > 1_000 and sum(rows) > 3_000 and sum(count >= 50 for count in rows) > 10, rows


def test_the_fast_path_takes_the_issue_19_shapes(rows_counted):
    [big] = screen("pairs = [" + ", ".join(f"[{2 * i}, {2 * i + 1}]" for i in range(30_000)) + "]\n")
    assert [(literal.kind, literal.elements) for literal in big.literals] == [("list", 60_000)]
    assert len(rows_counted) == 300  # 100 rows at a time; the last row is the loop's
    assert screen("[[1, 2], [3, 4]]\n", sizes=[]) == [] and len(rows_counted) == 301


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
def test_corpus_cells_screen_the_same_with_and_without_the_fast_path(monkeypatch):
    for path in sorted(CORPUS.rglob("*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (ValueError, UnicodeDecodeError, AttributeError):
            continue
        for cell in cells if isinstance(cells, list) else []:
            source = cell.get("source", "") if isinstance(cell, dict) else ""
            text = "".join(source) if isinstance(source, list) else source
            if isinstance(text, str) and ("[" in text or "(" in text):
                assert_same(text, monkeypatch)
