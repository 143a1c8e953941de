"""The VS Code extension (editors/vscode/) packages with vsce without a question (issue 19)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import pytest
from conftest import REPO

EXTENSION = REPO / "editors" / "vscode"


def test_the_selector_covers_notebook_cells_and_python_files():
    source = (EXTENSION / "extension.js").read_text(encoding="utf-8")
    assert '{ notebook: "jupyter-notebook", language: "python" }' in source
    assert '{ scheme: "file", language: "python" }' in source
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    assert manifest["repository"]["url"] and manifest["license"] == "MIT" and (EXTENSION / "LICENSE").is_file()


@pytest.mark.slow
def test_vsce_packages_without_a_question(tmp_path):
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the packaging cannot be tried here")
    copy = tmp_path / "vscode"
    shutil.copytree(EXTENSION, copy, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))
    install = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    if install.returncode != 0:
        if any(word in install.stderr for word in ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "network")):
            pytest.skip(f"npm install could not reach the registry: {install.stderr.strip().splitlines()[-1]}")
        pytest.fail(install.stderr)
    # stdin closed: a question vsce asks (no repository, no LICENSE) fails the run instead of waiting
    result = subprocess.run(
        ["npx", "vsce", "package"], cwd=copy, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stdout + result.stderr
    packages = list(copy.glob("*.vsix"))
    assert len(packages) == 1
    names = zipfile.ZipFile(packages[0]).namelist()
    assert "extension/extension.js" in names
    assert "extension/LICENSE.txt" in names or "extension/LICENSE" in names
