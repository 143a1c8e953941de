"""The command line itself: version, rules, explain, usage errors."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, run_nblint

from nblint import __version__
from nblint.cli import main
from nblint.rules import ALL_RULES


def test_version():
    result = run_nblint("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"nblint {__version__}"


def test_rules_lists_every_rule():
    result = run_nblint("rules")
    assert result.returncode == 0
    for code, rule in ALL_RULES.items():
        line = next(line for line in result.stdout.splitlines() if line.startswith(code))
        assert rule.name in line and rule.severity.value in line
        assert (" on " if rule.default_enabled else " off ") in line
    off = [code for code, rule in ALL_RULES.items() if not rule.default_enabled]
    assert {"NB501", "NB502", "NB601", "NB602", "NB607"} <= set(off)
    assert f"{len(ALL_RULES) - len(off)} of {len(ALL_RULES)} rules are on by default" in result.stdout


@pytest.mark.slow  # explain for every rule, by code and by name
def test_explain_by_code_and_by_name():
    by_code = run_nblint("explain", "NB001")
    assert by_code.returncode == 0
    assert "## What it does" in by_code.stdout and "## Use instead" in by_code.stdout
    assert run_nblint("explain", "syntax-error").stdout == by_code.stdout
    unknown = run_nblint("explain", "NB999")
    assert unknown.returncode == 2 and "unknown rule" in unknown.stderr


@pytest.mark.parametrize("argv", [["--bogus"], ["check", "--format", "xml"], []])
def test_usage_errors_exit_2(argv):
    result = run_nblint(*argv)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_main_is_callable_in_process(tmp_path, capsys):
    from conftest import write_notebook

    path = write_notebook(tmp_path / "a.ipynb", ["print 'x'\n"])
    assert main(["check", str(path)]) == 1
    assert "NB001" in capsys.readouterr().out
    assert main(["check", "--exit-zero", str(path)]) == 0


def test_sample_notebooks_are_reported():
    """The README's first command: at least five findings, the kernel killers among them, none in clean.ipynb."""
    result = run_nblint("check", "--no-cache", "--format", "json", str(REPO / "sample_notebooks"))
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert len(findings) >= 5
    by_file: dict[str, set[str]] = {}
    for finding in findings:
        by_file.setdefault(finding["path"].split("/")[-1], set()).add(finding["code"])
    assert "clean.ipynb" not in by_file
    assert {"NB101", "NB201", "NB203", "NB204", "NB403"} <= by_file["kernel_killers.ipynb"]
    # the default selection: what is almost always worth fixing; the install and metadata opinions are opt-in
    assert by_file["hygiene.ipynb"] == {"NB503", "NB504", "NB703", "NB704"}
    assert by_file["merge_conflict.ipynb"] == {"NB003"}
    opted_in = run_nblint(
        "check",
        "--no-cache",
        "--format",
        "json",
        "--extend-select",
        "NB501,NB502,NB601",
        str(REPO / "sample_notebooks" / "hygiene.ipynb"),
    )
    assert {f["code"] for f in json.loads(opted_in.stdout)} >= {"NB501", "NB601"}
    text = run_nblint("check", "--no-cache", str(REPO / "sample_notebooks")).stdout
    assert "ghp_4fT9" not in text  # the sample token is shown masked


@pytest.mark.parametrize("argv", [["--help"], []])
def test_help_lists_every_command(argv):
    from nblint.commands import COMMANDS

    result = run_nblint(*argv)
    assert result.returncode == (0 if argv else 2)
    listing = result.stdout + result.stderr
    names = [module.rpartition(".")[2].replace("_", "-") for module in COMMANDS]
    assert len(names) >= 10
    for name in names:
        assert f"\n    {name} " in listing or f"\n    {name}\n" in listing, name


def test_a_run_builds_the_parser_of_its_own_command_only():
    from nblint.cli import build_parser

    def commands(parser):
        return set(next(a for a in parser._actions if a.dest == "command").choices)

    assert commands(build_parser("check")) == {"check"}
    assert commands(build_parser("uninstall-hooks")) == {"uninstall-hooks"}
    everything = commands(build_parser())
    assert {"check", "strip", "server", "why", "install-hooks"} <= everything
    assert commands(build_parser("bogus")) == everything  # argparse then names every choice


def test_a_commands_own_parser_prints_the_same_help_and_usage_as_the_whole_parser():
    from nblint.cli import build_parser
    from nblint.commands import COMMANDS

    def subparser(parser, name):
        return next(a for a in parser._actions if a.dest == "command").choices[name]

    whole = build_parser()
    for module in COMMANDS:
        name = module.rpartition(".")[2].replace("_", "-")
        alone = subparser(build_parser(name), name)
        assert alone.format_help() == subparser(whole, name).format_help(), name
        assert alone.format_usage() == subparser(whole, name).format_usage(), name
    assert build_parser("check").format_help() != whole.format_help()  # the top level lists its commands


@pytest.mark.parametrize("argv", [["check", "--help"], ["strip", "--help"], ["check", "--bogus"], ["chek"]])
def test_help_and_usage_errors_through_main_are_the_whole_parsers(argv, capsys):
    from nblint.cli import build_parser, main

    with pytest.raises(SystemExit) as ours:
        main(argv)
    printed = capsys.readouterr()
    with pytest.raises(SystemExit) as whole:
        build_parser().parse_args(argv)
    assert (ours.value.code, printed) == (whole.value.code, capsys.readouterr())
