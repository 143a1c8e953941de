"""Atomic writes: the whole new file or the whole old one, the target's permission bits kept, no
temporary file left behind, even when writing fails."""

from __future__ import annotations

import os
import stat

import pytest

from nblint.atomic import write_bytes_atomic, write_text_atomic

def test_a_new_file_gets_the_umask_and_an_existing_one_keeps_its_mode(tmp_path):
    fresh = tmp_path / "fresh.ipynb"
    write_text_atomic(fresh, "{}\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    kept = tmp_path / "kept.ipynb"
    kept.write_text("old")
    kept.chmod(0o640)
    write_bytes_atomic(kept, b"new", durable=False)
    assert kept.read_bytes() == b"new" and stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.ipynb", "kept.ipynb"]

def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "nb.ipynb"
    target.write_text("old")

    with pytest.raises(TypeError):
        write_bytes_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]
