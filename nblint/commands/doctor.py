"""`nblint doctor [NOTEBOOKS...]`: is this machine ready for these notebooks? Kernels that cannot start,
and environments that do not match the notebook (NB8xx)."""

from __future__ import annotations

import argparse
import sys
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
    from nblint.run.config import ConfigError, ConfigResolver, Overrides, check_selectors, resolve_enabled
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
        enabled = resolve_enabled(args.select, tuple(settings.ignore) + tuple(args.ignore), (), machine=True)
        files = []
        if args.paths:
            found = discover(args.paths, resolver)
            for name in found.missing:
                print(f"nblint: error: {name}: no such file or folder", file=sys.stderr)
            if found.missing:
                return 2
            files = list(found.files)
    except ConfigError as exc:
        print(f"nblint: error: {exc}", file=sys.stderr)
        return 2
    from nblint.integrations.doctor.diagnose import diagnose

    findings = diagnose(files, enabled, settings.options, kernel_names=args.kernel, start=args.start)
    result = RunResult(findings=findings, checked=len(files))
    sys.stdout.write(render(args.format, result))
    return 1 if findings and not args.exit_zero else 0
