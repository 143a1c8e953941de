"""nblint.core.code.cstwalk must see exactly what libcst sees: the same children, the same visit order, the same calls.

Compared against libcst itself on the standard library's own sources (every construct the grammar has)
and, where present, on the code cells of the shared corpus of real notebooks.
"""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from conftest import CORPUS

from nblint.core.code import cstwalk
from nblint.core.deepstack import call_with_deep_stack

STDLIB = Path(sysconfig.get_paths()["stdlib"])
STDLIB_FILES = ["argparse.py", "dataclasses.py", "asyncio/tasks.py", "enum.py"]

NODE_TYPES = sorted(
    {
        kind
        for kind in vars(cst).values()
        if isinstance(kind, type) and issubclass(kind, cst.CSTNode) and not kind.__name__.startswith("Base")
    },
    key=lambda kind: kind.__name__,
)

SNIPPETS = [
    "async def f(a, /, b: int = 1, *args, c, d=2, **kw) -> 'x':\n    async with a as b, c:\n        await b\n"
    "    async for i in b:\n        yield i\n    return [x async for x in y if x]\n",
    "@decorator(1)\nclass C(B, metaclass=M):\n    x: int = 1\n    def m(self): return lambda q, *r: q\n",
    "match command.split():\n    case [action]:\n        pass\n    case [Point(x=0, y=0)] | {'k': v, **rest} if v:\n        pass\n"
    "    case _:\n        pass\n",
    "try:\n    pass\nexcept* ValueError as e:\n    raise X from e\nelse:\n    pass\nfinally:\n    del a[1:2:3], b\n",
    "x = f'{a!r:>{width}} {b=}' 'plain'; bb = b'bytes'\nglobal g\nnonlocal_ = (yield)\nassert a, 'msg'\n"
    "print(*a, **k); import a.b as c; from . import (d, e as f)\nwhile (n := n - 1) > 0: continue\n"
    "y = a if b else -c ** ~d @ e // f % g << h >> i & j | k ^ l\nz = not a and b or c in d is not e\n"
    "s = {1, 2}; t = {**a, 'b': 1}; u = (*a, *b); v = [x for x in y for y in z]; w = {k: v for k, v in i}\n"
    "q = a[..., 1:, ::2]; a.b.c += 1; a -= 1; a *= 2; a @= b; r = 1j + 0x1f + 1_000.5e3\n",
    "# comment\n\n\n@a.b\n@c\ndef g(\n    x,  # trailing\n    y,\n):\n    '''doc'''\n    ...\n",
]


def _modules() -> list[cst.Module]:
    modules = [cst.parse_module(snippet) for snippet in SNIPPETS]
    for name in STDLIB_FILES:
        path = STDLIB / name
        if path.is_file():
            modules.append(cst.parse_module(path.read_text(encoding="utf-8")))
    return modules


def _corpus_sources(limit: int = 80) -> list[str]:
    """The code cells of the first `limit` notebooks of the shared corpus (none where it is absent)."""
    sources = []
    for path in sorted(CORPUS.rglob("*.ipynb"))[:limit]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            cells = data["cells"]
        except Exception:
            continue
        for cell in cells:
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source", "")
                sources.append("".join(source) if isinstance(source, list) else source)
    return sources


def _corpus_modules(limit: int = 80) -> list[cst.Module]:
    modules = []
    for source in _corpus_sources(limit):
        try:
            modules.append(cst.parse_module(source))
        except Exception:
            continue
    return modules


def _slow_walk(node: cst.CSTNode, skip=frozenset()):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(child for child in reversed(current.children) if type(child) not in skip)


class Recorder(cst.BatchableCSTVisitor):
    """Records every call libcst makes to a batched visitor, for the node types it is told to watch."""

    def __init__(self, types, fields=True) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []
        self.types = types
        self.fields = fields

    def get_visitors(self):
        visitors = {}
        for kind in self.types:
            name = kind.__name__
            visitors[f"visit_{name}"] = self._make(f"visit_{name}")
            visitors[f"leave_{name}"] = self._make(f"leave_{name}")
        if self.fields:
            for method in (
                "visit_FunctionDef_body",
                "leave_FunctionDef_params",
                "visit_Call_args",
                "leave_Call_args",
                "visit_If_test",
                "leave_Subscript_slice",
            ):
                visitors[method] = self._make(method)
        return visitors

    def _make(self, label):
        def record(node):
            self.calls.append((label, id(node)))

        return record


@pytest.mark.slow  # walks the standard library's and the corpus's trees twice
@pytest.mark.parametrize("source", ["snippets and stdlib", "corpus"])
def test_children_and_walks_match_libcst(source):
    modules = _modules() if source == "snippets and stdlib" else _corpus_modules()
    if not modules:
        pytest.skip(f"no {source} to compare with (the shared corpus is absent)")
    layout = cstwalk.all_layout()
    for module in modules:
        slow = list(_slow_walk(module))
        assert [id(n) for n in cstwalk.walk(module)] == [id(n) for n in slow]
        for node in slow:
            assert [id(c) for c in cstwalk.children(node)] == [id(c) for c in node.children], type(node).__name__
        # walk_code: the same walk, not entering the layout tokens
        code = [id(n) for n in _slow_walk(module, skip=layout)]
        assert [id(n) for n in cstwalk.walk_code(module)] == code


@pytest.mark.slow  # walks the standard library's trees twice
@pytest.mark.parametrize("watched", ["every node type", "code nodes only"])
def test_visit_batched_makes_the_same_calls_in_the_same_order(watched):
    layout = cstwalk.all_layout()
    types = NODE_TYPES if watched == "every node type" else [t for t in NODE_TYPES if t not in layout]
    for module in _modules() + _corpus_modules(40):
        theirs, ours = Recorder(types), Recorder(types)
        call_with_deep_stack(cst.visit_batched, module, [theirs])
        cstwalk.visit_batched(module, [ours])
        assert ours.calls == theirs.calls


def test_several_visitors_are_called_in_the_order_given():
    module = cst.parse_module("def f(x):\n    return g(x) + 1\n")
    order = []

    class First(cst.BatchableCSTVisitor):
        def visit_Call(self, node):
            order.append("first")

    class Second(cst.BatchableCSTVisitor):
        def visit_Call(self, node):
            order.append("second")

    cstwalk.visit_batched(module, [First(), Second()])
    assert order == ["first", "second"]


@pytest.mark.slow  # expressions nested past the recursion limit
def test_deep_expressions_need_no_stack():
    # 2,000 terms, as in a real Kaggle notebook: libcst's own visit recurses once per term; the walks
    # are loops. (More terms would test libcst's parser, whose time grows with the square of the chain.)
    source = "x = " + " + ".join(["1"] * 2_000) + "\n"
    module = call_with_deep_stack(cst.parse_module, source)
    names = Recorder([cst.Integer], fields=False)
    cstwalk.visit_batched(module, [names])
    assert len(names.calls) == 2 * 2_000
    assert sum(isinstance(node, cst.Integer) for node in cstwalk.walk(module)) == 2_000


def test_a_field_libcst_visits_only_when_set_is_entered_whatever_was_seen_first(monkeypatch):
    # FormattedStringExpression.format_spec is visited only when present: the fields of a type must not
    # depend on which instance a process happened to see first.
    for table in ("_FIELDS", "_CODE_FIELDS", "_ENTER_FIELDS"):
        monkeypatch.setattr(cstwalk, table, {})
    plain, with_spec = cst.parse_module("f'{x}'\nf'{y:{width}}'\n").body
    assert not any(isinstance(n, cst.Name) and n.value == "width" for n in cstwalk.walk(plain))
    for walker in (cstwalk.walk, cstwalk.walk_code):
        assert "width" in {n.value for n in walker(with_spec) if isinstance(n, cst.Name)}, walker.__name__
    assert [id(n) for n in cstwalk.walk(with_spec)] == [id(n) for n in _slow_walk(with_spec)]
