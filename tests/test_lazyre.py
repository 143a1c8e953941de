"""lazy_compile: a module-level pattern compiled on first use, then the compiled pattern's own methods."""

from __future__ import annotations

import re

from nblint.core.lazyre import lazy_compile


def test_compiled_on_first_use_only():
    pattern = lazy_compile(r"(?P<word>a+)b", re.I)
    assert "search" not in vars(pattern)  # nothing compiled yet
    match = pattern.search("xxAAb")
    assert match is not None and match.group("word") == "AA"
    assert "search" in vars(pattern)  # now the compiled pattern's method, looked up in the instance
    assert vars(pattern)["search"].__self__ is vars(pattern)["match"].__self__  # one compiled pattern


def test_behaves_as_re_compile():
    source, flags = r"^(\w+)=(\d+)$", re.M
    lazy, eager = lazy_compile(source, flags), re.compile(source, flags)
    text = "a=1\nb=x\ncc=22\n"
    assert [m.groups() for m in lazy.finditer(text)] == [m.groups() for m in eager.finditer(text)]
    assert lazy.findall(text) == eager.findall(text)
    assert lazy.sub(r"\2=\1", text) == eager.sub(r"\2=\1", text)
    assert lazy.split(text) == eager.split(text)
    assert (lazy.pattern, lazy.flags, lazy.groups) == (eager.pattern, eager.flags, eager.groups)
    assert lazy.fullmatch("a=1") is not None and lazy.match("b=x") is None
