"""`nblint rules`: every rule's code, name, severity, whether it is on by default and whether `check --fix` fixes it."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("rules", help="list every rule", description=__doc__)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.rules import ALL_RULES

    rows = [
        (
            rule.code,
            rule.name,
            rule.severity.value,
            "on" if rule.default_enabled else "off",
            rule.fixable.value if rule.fixable else "-",
            rule.summary(),
        )
        for rule in ALL_RULES.values()
    ]
    if args.format == "json":
        import json

        keys = ("code", "name", "severity", "default", "fix", "summary")
        print(
            json.dumps([{**dict(zip(keys, row)), "fix": row[4] if row[4] != "-" else None} for row in rows], indent=2)
        )
        return 0
    header = ("code", "name", "severity", "default", "fix", "what it does")
    widths = [max(len(row[i]) for row in [*rows, header]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(row)).rstrip())
    off = [row[0] for row in rows if row[3] == "off"]
    print(
        f"\n{len(rows) - len(off)} of {len(rows)} rules are on by default: what is almost always worth fixing."
        f' Turn on others with `extend-select` (for example extend-select = ["{off[0] if off else "NB"}"])'
        ' or select = ["ALL"].'
    )
    return 0
