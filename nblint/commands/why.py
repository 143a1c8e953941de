"""`nblint why [NOTEBOOK ...]`: the kernels that died (no clean shutdown, process gone), newest first, with the
cause and its evidence, the running cell, the memory curve and what to do. From the records the guard's flight
recorder keeps under Jupyter's runtime directory (`jupyter --runtime-dir`)/nblint. Exit 1 when a death is
listed, 0 when none."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("why", help="say why a kernel died", description=__doc__)
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="only these notebooks' kernels (default: all)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--all", action="store_true", help="also the deaths `nblint why` has already told")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.guard.deaths import deaths, matches
    from nblint.guard.record import mark_told, records_dir

    found = deaths()
    if args.notebooks:
        found = [death for death in found if matches(death, args.notebooks)]
    if not args.all:
        found = [death for death in found if "why" not in death.told]
    if args.format == "json":
        print(json.dumps([death.to_json() for death in found], indent=2))
    elif not found:
        print(
            f"nblint: no kernel death recorded{' for ' + ', '.join(args.notebooks) if args.notebooks else ''}"
            f"{'' if args.all else ' that was not told already (--all lists those too)'} (records in {records_dir()})"
        )
    else:
        for index, death in enumerate(found):
            if index:
                print()
            print(_text(death))
    for death in found:
        assert death.record is not None  # deaths() come from explain(), which sets the record
        mark_told(death.record, "why")
    return 1 if found else 0


def _text(death) -> str:
    from nblint.core.options import format_size
    from nblint.guard.deaths import cell_words, display_name, summary

    def size(value):
        return format_size(value) if value is not None else "?"

    lines = [
        f"{display_name(death.notebook)}: kernel {death.kernel_pid} died at {_clock(death.died)} {cell_words(death)}"
        f" (started {_clock(death.started)})",
        f"  cause: {death.cause}: {summary(death)}",
    ]
    if death.notebook != display_name(death.notebook):
        lines.insert(1, f"  notebook: {death.notebook}")
    if death.cell_id:
        lines.append(f"  cell id: {death.cell_id}")
    for item in death.evidence:
        lines.append(f"  evidence: {item}")
    if death.line is not None:
        lines.append(f"  at line {death.line} of the cell" + (f": {death.line_text}" if death.line_text else ""))
    if death.frames and death.cause in ("segfault", "abort", "stack-overflow", "unknown"):
        lines.append("  frames (most recent first): " + "; ".join(death.frames[:4]))
    if death.peak_memory is not None:
        memory = f"  memory: {size(death.start_memory)} when the cell started, peak {size(death.peak_memory)}"
        if death.memory_limit:
            memory += f" of the {size(death.memory_limit)} limit ({death.limit_source})"
        if death.rate is not None and abs(death.rate) >= 1 << 20:
            memory += f", {'growing' if death.rate > 0 else 'shrinking'} {size(abs(death.rate))}/s at the end"
        lines.append(memory)
    lines.append(f"  what to do: {death.advice}")
    return "\n".join(lines)


def _clock(iso: str) -> str:
    return iso.replace("T", " ")[:19] if iso else "an unknown time"
