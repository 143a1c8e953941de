"""What share of real notebooks and cells each rule's pre-filter (CodeRule.needs) lets skip.

    python3 bench/prefilter_share.py [CORPUS]

Reads every notebook's code cells (json, no nblint parse) and checks each rule's `may_fire` (default
options) on the whole notebook's code (what the pipeline does) and, for the record, on each cell alone.
A notebook no enabled code rule passes is not parsed with libcst at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nblint.rules import ALL_RULES  # noqa: E402
from nblint.rules.base import CodeRule  # noqa: E402


def cells_of(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except Exception:
        return []
    cells = data.get("cells") if isinstance(data, dict) else None
    out = []
    for cell in cells or []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            out.append("".join(source) if isinstance(source, list) else str(source))
    return out


def program(cells: list[str]) -> str:
    """What the pipeline checks the filters on (nblint.run.pipeline.program_text)."""
    return "\n".join(cells + ["pass None if True"])


def main() -> int:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpus")
    rules = [r for r in ALL_RULES.values() if issubclass(r, CodeRule)]
    declared = [r for r in rules if r.prefiltered()]
    defaults = [r for r in declared if r.default_enabled]
    options = {option.key: option.parsed_default() for r in rules for option in r.options}
    notebooks = [cells_of(p) for p in sorted(corpus.rglob("*.ipynb"))]
    notebooks = [n for n in notebooks if n]
    cells = [c for n in notebooks for c in n]
    print(
        f"{len(notebooks)} notebooks with code, {len(cells)} code cells; {len(declared)} of {len(rules)} code rules declare a pre-filter"
    )
    print("| rule | notebooks it is skipped on | cells holding none of its words |")
    print("|---|---|---|")
    for rule in declared:
        skipped = sum(not rule.may_fire(program(n), options) for n in notebooks)
        quiet = sum(not rule.may_fire(c, options) for c in cells)
        words = ", ".join(rule.needs) if rule.needs is not None else "(its own may_fire)"
        if len(words) > 60:
            words = words[:57] + "..."
        print(
            f"| {rule.code} {rule.name} `{words}` | {100 * skipped / len(notebooks):.0f}% | {100 * quiet / len(cells):.0f}% |"
        )
    none = sum(not any(r.may_fire(c, options) for r in defaults) for c in cells)
    print(f"\nCells no default code rule can fire on: {none} of {len(cells)} ({100 * none / len(cells):.0f}%)")
    unparsed = [n for n in notebooks if not any(r.may_fire(program(n), options) for r in defaults)]
    print(
        f"Notebooks no default code rule can fire on (no libcst parse, no traversal): {len(unparsed)} of "
        f"{len(notebooks)} ({100 * len(unparsed) / len(notebooks):.0f}%), holding {sum(map(len, unparsed))} of "
        f"{len(cells)} code cells"
    )
    kept = [sum(r.may_fire(program(n), options) for r in defaults) for n in notebooks]
    print(f"Default code rules run per notebook: {sum(kept) / len(kept):.1f} of {len(defaults)} on average")
    return 0


if __name__ == "__main__":
    sys.exit(main())
