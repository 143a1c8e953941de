"""What share of real notebooks and cells each rule's pre-filter (CodeRule.needs) lets skip.

    python3 bench/prefilter_share.py [CORPUS]

Reads every notebook's code cells (json, no nblint parse) and checks each declared rule's `may_fire`
on the whole notebook's code (what the pipeline does) and, for the record, on each cell alone.
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


def main() -> int:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpus")
    rules = [r for r in ALL_RULES.values() if issubclass(r, CodeRule)]
    declared = [r for r in rules if r.needs is not None]
    notebooks = [cells_of(p) for p in sorted(corpus.rglob("*.ipynb"))]
    notebooks = [n for n in notebooks if n]
    cells = [c for n in notebooks for c in n]
    print(
        f"{len(notebooks)} notebooks with code, {len(cells)} code cells; {len(declared)} of {len(rules)} code rules declare a pre-filter"
    )
    print("| rule | notebooks it is skipped on | cells holding none of its words |")
    print("|---|---|---|")
    for rule in declared:
        skipped = sum(not rule.may_fire("\n".join(n) + "\npass None") for n in notebooks)
        quiet = sum(not rule.may_fire(c) for c in cells)
        print(
            f"| {rule.code} {rule.name} `{', '.join(rule.needs)}` | {100 * skipped / len(notebooks):.0f}% | {100 * quiet / len(cells):.0f}% |"
        )
    none = sum(not any(r.may_fire(c) for r in declared) for c in cells)
    print(f"\nCells no declared rule can fire on: {none} of {len(cells)} ({100 * none / len(cells):.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
