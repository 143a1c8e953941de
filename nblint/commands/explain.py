"""`nblint explain CODE`: a rule's docs (what it does, why, example, use instead, options)."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("explain", help="show a rule's docs", description=__doc__)
    parser.add_argument("rule", metavar="CODE", help="a rule code (NB201) or name (unbounded-loop)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.rules import ALL_RULES, RULES_BY_NAME

    rule = ALL_RULES.get(args.rule.upper()) or RULES_BY_NAME.get(args.rule.lower())
    if rule is None:
        print(f"nblint: error: unknown rule '{args.rule}' (see `nblint rules`)", file=sys.stderr)
        return 2
    fix = f", fix: {rule.fixable.value} (`nblint check --fix`)" if rule.fixable else ""
    print(
        f"# {rule.code} {rule.name} ({rule.severity.value}, {'on' if rule.default_enabled else 'off'} by default{fix})\n"
    )
    print(rule.docs())
    if rule.options and "## Options" not in rule.docs():
        print("\n## Options")
        for option in rule.options:
            print(f"- `{option.key}` (default {option.default!r}): {option.doc}")
    return 0
