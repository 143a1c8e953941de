"""`nblint rules`: every rule's code, name, severity and whether it is on by default."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("rules", help="list every rule", description=__doc__)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.rules import ALL_RULES

    rows = [
        (rule.code, rule.name, rule.severity.value, "on" if rule.default_enabled else "off", rule.summary())
        for rule in ALL_RULES.values()
    ]
    if args.format == "json":
        import json

        keys = ("code", "name", "severity", "default", "summary")
        print(json.dumps([dict(zip(keys, row)) for row in rows], indent=2))
        return 0
    widths = [max(len(row[i]) for row in rows + [("code", "name", "severity", "default", "")]) for i in range(4)]
    header = ("code", "name", "severity", "default", "what it does")
    for row in [header, *rows]:
        print("  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip())
    off = [row[0] for row in rows if row[3] == "off"]
    print(
        f"\n{len(rows) - len(off)} of {len(rows)} rules are on by default: what is almost always worth fixing."
        f" Turn on others with `extend-select` (for example extend-select = [\"{off[0] if off else 'NB'}\"])"
        " or select = [\"ALL\"]."
    )
    return 0
