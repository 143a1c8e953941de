"""Atomic writes: the whole new file or the whole old one, the target's permission bits kept, no
temporary file left behind, even when writing fails."""

from __future__ import annotations

import os
import stat

import pytest

from nblint.core.atomic import write_bytes_atomic, write_text_atomic


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


# A writer of nblint's own, stopped between creating its temporary file and renaming it: what a strip
# killed mid-write leaves (it holds the file locked until it dies).
WRITER = """
import sys
from pathlib import Path
from nblint.core.atomic import create_temporary, lock_temporary
handle, name = create_temporary(Path(sys.argv[1]), "nb.ipynb")
lock_temporary(handle)
print(name, flush=True)
sys.stdin.read()
"""


def _age(path, seconds=3600):
    old = os.stat(path, follow_symlinks=False).st_mtime - seconds
    os.utime(path, (old, old), follow_symlinks=False)


def test_a_later_strip_removes_a_killed_writers_temporary_file_and_nothing_else(tmp_path):
    import signal
    import subprocess
    import sys

    from conftest import REPO, run_nblint, write_notebook

    write_notebook(tmp_path / "nb.ipynb", ["x = 1\n"])
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    leftover = writer.stdout.readline().strip()
    _age(leftover)
    look_alikes = [
        ".nb.ipynb.nblint-tmp",
        "nb.ipynb.0123456789ab.nblint-tmp",
        ".nb.ipynb.0123456789AB.nblint-tmp",
        ".nb.ipynb.0123456789ab.nblint-tmp.bak",
        ".nb.ipynb.0123456789abc.nblint-tmp",
    ]
    for name in look_alikes:
        (tmp_path / name).write_text("not ours")
        _age(tmp_path / name)
    fresh = tmp_path / ".nb.ipynb.00000000000f.nblint-tmp"  # a minute has not passed: maybe a live write
    fresh.write_text("{}")
    os.symlink(tmp_path / "nb.ipynb", tmp_path / ".nb.ipynb.aaaaaaaaaaaa.nblint-tmp")
    _age(tmp_path / ".nb.ipynb.aaaaaaaaaaaa.nblint-tmp")
    try:
        alive = run_nblint("strip", ".", cwd=tmp_path)
        assert os.path.exists(leftover), "removed while its writer was alive"
        assert "temporary file" not in alive.stderr
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    result = run_nblint("strip", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not os.path.exists(leftover)
    assert f"removed {os.path.basename(leftover)}, a temporary file left by an interrupted run" in result.stderr
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted(["nb.ipynb", fresh.name, ".nb.ipynb.aaaaaaaaaaaa.nblint-tmp", *look_alikes])
    assert run_nblint("strip", "--check", ".", cwd=tmp_path).stderr.count("temporary file") == 0
