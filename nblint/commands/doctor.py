"""`nblint doctor [NOTEBOOKS...]`: is this machine ready for these notebooks? Kernels that cannot start,
and environments that do not match the notebook (NB8xx)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from nblint.reporters import FORMATS


def add_parser(subparsers) -> None:
    from nblint.commands.check import _codes

    parser = subparsers.add_parser(
        "doctor", help="check this machine's kernels and environments against notebooks", description=__doc__
    )
    parser.add_argument(
        "paths", nargs="*", metavar="NOTEBOOK", help="notebooks or folders (default: every kernelspec, no notebook)"
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument(
        "--select", type=_codes, metavar="CODES", help="NB8xx codes or prefixes to enable (default: all of NB8)"
    )
    parser.add_argument("--ignore", type=_codes, default=(), metavar="CODES", help="codes or prefixes to disable")
    parser.add_argument(
        "--kernel", action="append", default=[], metavar="NAME", help="check only this kernelspec (repeatable)"
    )
    parser.add_argument(
        "--start", action="store_true", help="start each kernel for real and time it to its first kernel_info reply"
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="use this pyproject.toml or nblint.toml")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when something is reported")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.reporters import RunResult, render
    from nblint.run.config import ConfigError, ConfigResolver, Overrides, check_selectors
    from nblint.run.discovery import discover

    try:
        import jupyter_client  # noqa: F401
    except ImportError:
        print("nblint: error: `nblint doctor` needs jupyter_client: pip install 'nblint[doctor]'", file=sys.stderr)
        return 2
    try:
        for flag in ("select", "ignore"):
            value = getattr(args, flag)
            if value is not None:
                check_selectors(value, f"--{flag}")
                outside = [
                    code for code in value if code != "ALL" and not ("NB8".startswith(code) or code.startswith("NB8"))
                ]
                if outside:
                    print(
                        f"nblint: error: --{flag}: {outside[0]} is not a machine rule: `nblint doctor` runs NB801-NB810",
                        file=sys.stderr,
                    )
                    return 2
        resolver = ConfigResolver(Overrides(config=args.config))
        settings = resolver.for_dir(Path.cwd())
        enabled = machine_rules(settings, args)
        files = None
        if args.paths:
            found = discover(args.paths, resolver)
            for name in found.missing:
                print(f"nblint: error: {name}: no such file or folder", file=sys.stderr)
            if found.missing:
                return 2
            files = list(found.files)

        def settings_for(path: Path):
            here = resolver.for_path(path)
            return replace(here, enabled=machine_rules(here, args)).rules_for(path), here.options

        from nblint.integrations.doctor.diagnose import diagnose, kernelspecs

        unknown = [name for name in args.kernel if name not in kernelspecs()]
        if unknown:
            print(
                f"nblint: error: --kernel {unknown[0]}: no such kernelspec here (`jupyter kernelspec list`)",
                file=sys.stderr,
            )
            return 2
    except ConfigError as exc:
        print(f"nblint: error: {exc}", file=sys.stderr)
        return 2

    diagnosis = diagnose(
        files, enabled, settings.options, kernel_names=args.kernel, start=args.start, settings_for=settings_for
    )
    result = RunResult(
        findings=diagnosis.findings,
        checked=diagnosis.notebooks,
        unreadable=diagnosis.unreadable,
        kernelspecs=diagnosis.kernelspecs,
        notebooks_given=files is not None,
    )
    sys.stdout.write(render(args.format, result))
    return 1 if diagnosis.findings and not args.exit_zero else 0


def _names_machine_rules(selectors) -> bool:
    return any(s == "ALL" or s.startswith("NB8") or "NB8".startswith(s) for s in selectors)


def machine_rules(settings, args: argparse.Namespace) -> frozenset[str]:
    """The NB8xx rules enabled under one configuration, as `check` layers its own: the command line's
    --select starts afresh, --ignore adds. A file's `select` that names no machine code (it is about
    `check`'s rules) leaves the doctor's default, all of NB8; its `ignore` and `extend-select` apply."""
    from nblint.run.config import resolve_enabled

    if args.select is not None:
        return resolve_enabled(args.select, tuple(args.ignore), (), machine=True)
    select = settings.select if settings.select is not None and _names_machine_rules(settings.select) else None
    ignore = tuple(settings.ignore) + tuple(args.ignore)
    return resolve_enabled(select, ignore, tuple(settings.extend_select), machine=True)
