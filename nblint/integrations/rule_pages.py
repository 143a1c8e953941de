"""The docs' page for each rule, generated from the rule itself: its docstring (what `nblint explain`
prints), its options and the examples the test suite runs. One source: a page that differs from what
this writes is stale, and tests/test_docs.py fails until it is written again with

    python -m nblint.integrations.rule_pages docs/rules
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nblint.rules import ALL_RULES
from nblint.rules.base import Invalid, Rule, Valid

# The family folders under nblint/rules/, by the hundred of their codes.
FAMILY_TITLES = {
    "reading": "NB0xx: reading the notebook",
    "memory": "NB1xx: memory",
    "loops": "NB2xx: loops, recursion and arithmetic that never end",
    "data": "NB3xx: data too big for the kernel",
    "hangs": "NB4xx: cells that hang or flood",
    "environment": "NB5xx: the environment",
    "metadata": "NB6xx: metadata and format",
    "git": "NB7xx: what goes into git",
    "machine": "NB8xx: this machine (`nblint doctor`)",
}


def family(rule: type[Rule]) -> str:
    """`nblint.rules.memory.huge_allocation` -> `memory`."""
    parts = rule.__module__.split(".")
    return parts[2] if len(parts) > 3 else ""


def source_path(rule: type[Rule]) -> str:
    return rule.__module__.replace(".", "/") + ".py"


# Some examples are data pasted on purpose (NB102's 30 KB literals, NB702's big outputs): a page shows
# their start and says how much it left out.
MAX_LINES = 40
MAX_LINE = 200


def _fenced(language: str, text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    shown = [
        line if len(line) <= MAX_LINE else line[:MAX_LINE] + f" ... ({len(line) - MAX_LINE:,} more characters)"
        for line in lines[:MAX_LINES]
    ]
    if len(lines) > MAX_LINES:
        shown.append(f"... ({len(lines) - MAX_LINES:,} more lines)")
    return f"```{language}\n" + "\n".join(shown) + "\n```"


def _example_block(source: Any, raw: bool) -> str:
    if raw:
        return _fenced("json", str(source))
    if isinstance(source, str):
        return _fenced("python", source)
    if isinstance(source, Mapping):
        return "A whole notebook:\n\n" + _fenced("json", json.dumps(source, indent=1))
    blocks = []
    for index, cell in enumerate(source, start=1):
        if isinstance(cell, str):
            blocks.append(f"Cell {index}:\n\n" + _fenced("python", cell))
        else:
            blocks.append(
                f"Cell {index} ({cell.get('cell_type', 'cell')}):\n\n" + _fenced("json", json.dumps(cell, indent=1))
            )
    return "\n\n".join(blocks)


def _example(example: Valid | Any) -> str:
    if not isinstance(example, Valid):
        return _example_block(example, raw=False)
    notes = []
    if example.options:
        notes.append("with " + ", ".join(f"`{key} = {value!r}`" for key, value in example.options.items()))
    if example.files:
        notes.append("beside files " + ", ".join(f"`{name}` ({size:,} bytes)" for name, size in example.files.items()))
    if example.live:
        notes.append("under the guard, with the kernel holding\n\n```python\n" + example.live.rstrip() + "\n```\n")
    if isinstance(example, Invalid) and example.message:
        notes.append(f"reported with `{example.message}` in the message")
    note = ("*" + "; ".join(notes) + "*\n\n") if notes else ""
    return note + _example_block(example.source, example.raw)


def _examples(title: str, examples: Sequence[Any]) -> list[str]:
    if not examples:
        return []
    lines = [f"## {title}", ""]
    for example in examples:
        lines += [_example(example), ""]
    return lines


def render(rule: type[Rule]) -> str:
    fix = f"; fix: {rule.fixable.value} (`nblint check --fix`)" if rule.fixable else ""
    lines = [
        f"# {rule.code} {rule.name}",
        "",
        f"*{rule.severity.value}, {'on' if rule.default_enabled else 'off'} by default{fix}; "
        f"defined in `{source_path(rule)}`; `nblint explain {rule.code}` prints the same text.*",
        "",
        rule.docs(),
        "",
    ]
    if rule.options and "## Options" not in rule.docs():
        lines += ["## Options", ""]
        lines += [f"- `{option.key}` (default `{option.default!r}`): {option.doc}" for option in rule.options]
        lines.append("")
    lines += _examples("Examples that are reported (from the test suite)", rule.INVALID)
    lines += _examples("Examples that are not reported (from the test suite)", rule.VALID)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_index() -> str:
    lines = ["# All rules", "", "Each page is generated from the rule's own docstring and examples.", ""]
    current = None
    for rule in ALL_RULES.values():
        name = family(rule)
        if name != current:
            current = name
            lines += [
                "",
                f"## {FAMILY_TITLES.get(name, name)}",
                "",
                "| code | name | severity | default | summary |",
                "|---|---|---|---|---|",
            ]
        summary = rule.summary().replace("|", "\\|")
        lines.append(
            f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.value} | "
            f"{'on' if rule.default_enabled else 'off'} | {summary} |"
        )
    return "\n".join(lines).lstrip("\n") + "\n"


def pages() -> dict[str, str]:
    """File name -> text for every page under docs/rules/."""
    result = {f"{code}.md": render(rule) for code, rule in ALL_RULES.items()}
    result["index.md"] = render_index()
    return result


def write(folder: Path) -> list[str]:
    """Write the pages; remove pages of rules that no longer exist. Returns the names written anew."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    changed = []
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    for path in folder.glob("*.md"):
        if path.name not in wanted:
            path.unlink()
            changed.append(path.name)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m nblint.integrations.rule_pages FOLDER", file=sys.stderr)
        return 2
    changed = write(Path(args[0]))
    print(f"{len(changed)} page(s) written" if changed else "rule pages are up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
