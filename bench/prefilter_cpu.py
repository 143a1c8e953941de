"""CPU the pre-filter (CodeRule.needs) saves: every notebook of a folder checked in this process with the
default rules, the filter on and off in turn (off: every code rule runs and every notebook is parsed),
a few rounds, the minimum of each. CPU time of this process (resource.getrusage), not wall time.

    python3 bench/prefilter_cpu.py [FOLDER ...] [--rounds N]
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nblint.run import pipeline  # noqa: E402
from nblint.run.config import resolve_enabled  # noqa: E402
from nblint.testing import all_options  # noqa: E402


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    args = sys.argv[1:]
    rounds = 3
    if "--rounds" in args:
        at = args.index("--rounds")
        rounds = int(args[at + 1])
        del args[at : at + 2]
    folders = [Path(a) for a in args] or [Path("/work/shared/corpus")]
    paths = sorted(p for folder in folders for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    enabled = resolve_enabled(None, (), ())
    options = {key: option.parsed_default() for key, option in all_options().items()}
    filtering = pipeline.may_fire

    def every_rule(code_rules, notebook, options=None):
        return code_rules

    times: dict[str, list[float]] = {"off": [], "on": []}
    parsed = {"off": 0, "on": 0}
    build = pipeline.build_program
    count = {"parsed": 0}

    def counting(notebook, parse=True, cells=None):
        count["parsed"] += bool(parse)
        return build(notebook, parse=parse, cells=cells)

    pipeline.build_program = counting
    for path in paths[:20]:  # warm-up: imports, regular expressions
        pipeline.check_file(path, enabled, options)
    for _ in range(rounds):
        for mode in ("off", "on"):
            pipeline.may_fire = filtering if mode == "on" else every_rule
            count["parsed"] = 0
            start = cpu()
            for path in paths:
                pipeline.check_file(path, enabled, options)
            times[mode].append(cpu() - start)
            parsed[mode] = count["parsed"]
    off, on = min(times["off"]), min(times["on"])
    print(f"{len(paths)} notebooks, default rules, {rounds} rounds (CPU s, min): filter off {off:.3f}, on {on:.3f}")
    print(
        f"saved {off - on:.3f} s ({100 * (off - on) / off:.1f}%); notebooks parsed with libcst: {parsed['off']} -> {parsed['on']}"
    )
    print(
        f"all rounds: off {', '.join(f'{t:.3f}' for t in times['off'])}; on {', '.join(f'{t:.3f}' for t in times['on'])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
