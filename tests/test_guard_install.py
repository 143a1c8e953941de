"""`nblint guard install/uninstall` on a throwaway IPYTHONDIR, checked by starting real IPython."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO, run_nblint

pytest.importorskip("IPython", reason="the guard is an IPython extension (ipykernel, a test extra, brings it)")


def _env(ipython_dir):
    return {
        "IPYTHONDIR": str(ipython_dir),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
    }


def _ipython(ipython_dir, code: str, profile: str = "default") -> subprocess.CompletedProcess:
    env = dict(os.environ, **_env(ipython_dir))
    return subprocess.run(
        [sys.executable, "-m", "IPython", "--no-banner", f"--profile={profile}", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ipython_dir.parent,
    )


def test_install_loads_the_guard_in_new_ipython_sessions_and_uninstall_removes_exactly_its_file(tmp_path):
    ipython_dir = tmp_path / "ipython"
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    theirs = startup / "00-theirs.py"
    theirs.write_text("print('their startup file')\n")

    installed = run_nblint("guard", "install", env=_env(ipython_dir), cwd=tmp_path)
    assert installed.returncode == 0 and "nblint guard installed" in installed.stdout, installed.stderr
    ours = startup / "50-nblint-guard.py"
    assert ours.is_file()
    again = run_nblint("guard", "install", env=_env(ipython_dir), cwd=tmp_path)
    assert again.returncode == 0 and "already installed" in again.stdout

    session = _ipython(ipython_dir, "%nblint")
    assert "their startup file" in session.stdout and "nblint guard on" in session.stdout, (
        session.stdout + session.stderr
    )

    removed = run_nblint("guard", "uninstall", env=_env(ipython_dir), cwd=tmp_path)
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert sorted(p.name for p in startup.iterdir()) == ["00-theirs.py"]
    assert theirs.read_text() == "print('their startup file')\n"
    session = _ipython(ipython_dir, "%nblint")
    assert "nblint guard on" not in session.stdout
    nothing = run_nblint("guard", "uninstall", env=_env(ipython_dir), cwd=tmp_path)
    assert nothing.returncode == 0 and "nothing of nblint's" in nothing.stdout


def test_a_file_that_is_not_nblints_is_never_overwritten_or_removed(tmp_path):
    ipython_dir = tmp_path / "ipython"
    startup = ipython_dir / "profile_work" / "startup"
    startup.mkdir(parents=True)
    squatter = startup / "50-nblint-guard.py"
    squatter.write_bytes(b"# someone else's file\nx = 1\n")
    for action in ("install", "uninstall"):
        result = run_nblint("guard", action, "--profile", "work", env=_env(ipython_dir), cwd=tmp_path)
        assert result.returncode == 1 and "not nblint's" in result.stderr and "Traceback" not in result.stderr
        assert squatter.read_bytes() == b"# someone else's file\nx = 1\n"
    assert run_nblint("guard", "install", "--profile", "../x", env=_env(ipython_dir), cwd=tmp_path).returncode == 2


def test_a_profile_gets_its_own_file(tmp_path):
    ipython_dir = tmp_path / "ipython"
    result = run_nblint("guard", "install", "--profile", "big", env=_env(ipython_dir), cwd=tmp_path)
    assert result.returncode == 0
    assert (ipython_dir / "profile_big" / "startup" / "50-nblint-guard.py").is_file()
    assert not (ipython_dir / "profile_default").exists()
