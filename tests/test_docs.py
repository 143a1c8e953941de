"""The docs: a page per rule generated from the rule itself, a README a newcomer can read, a strict build."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nblint.integrations import rule_pages
from nblint.rules import ALL_RULES

REPO = Path(__file__).resolve().parent.parent
RULE_PAGES = REPO / "docs" / "rules"


def test_every_rule_page_is_generated_from_its_rule():
    wanted = rule_pages.pages()
    assert set(wanted) == {f"{code}.md" for code in ALL_RULES} | {"index.md"}
    stale = [
        name
        for name, text in wanted.items()
        if not (RULE_PAGES / name).exists() or (RULE_PAGES / name).read_text(encoding="utf-8") != text
    ]
    extra = sorted(p.name for p in RULE_PAGES.glob("*.md") if p.name not in wanted)
    assert not stale and not extra, (
        f"stale rule pages {stale}, pages of no rule {extra}: run `python -m nblint.integrations.rule_pages docs/rules`"
    )


def test_a_rule_page_holds_the_docs_the_examples_and_where_the_rule_lives():
    page = rule_pages.render(ALL_RULES["NB101"])
    assert page.startswith("# NB101 huge-allocation\n")
    assert "nblint/rules/memory/huge_allocation.py" in page
    assert ALL_RULES["NB101"].doc_sections()["Why it kills the kernel"].split("\n")[0] in page
    assert "np.random.rand(100000, 100000)" in page  # an INVALID example, as the tests run it
    assert "## Examples that are not reported" in page


def test_a_stale_page_is_rewritten_and_a_page_of_no_rule_removed(tmp_path):
    rule_pages.write(tmp_path)
    (tmp_path / "NB101.md").write_text("old\n", encoding="utf-8")
    (tmp_path / "NB999.md").write_text("gone\n", encoding="utf-8")
    assert sorted(rule_pages.write(tmp_path)) == ["NB101.md", "NB999.md"]
    assert not (tmp_path / "NB999.md").exists()
    assert rule_pages.write(tmp_path) == []


def test_readme_is_short_and_starts_with_the_two_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) <= 12 * 1024
    commands = re.findall(r"```sh\n(.*?)\n```", text, re.S)[:2]
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/nblint check sample_notebooks/",
        'python3 -m venv .venv && .venv/bin/pip install ".[test]" && .venv/bin/python -m pytest',
    ]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install ".[test]"' in ci and "python -m pytest" in ci
    assert "pip install nblint" not in text


def test_readme_and_docs_links_point_at_files_that_exist():
    for page in [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


@pytest.mark.slow
def test_the_docs_build_strictly(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    if mkdocs is None:
        pytest.skip("mkdocs is not installed (it comes with the test extras: pip install '.[test]')")
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "rules" / "NB101" / "index.html").exists()
