"""The IPython extension: check each cell with the kernel's live values just before it runs.

How it hooks in (IPython's documented extension points):
- a `pre_run_cell` callback keeps the raw cell (magics and all) and the metadata the frontend sent;
- an AST transformer (`shell.ast_transformers`) runs the check when IPython transforms that cell, after
  parsing and before anything executes. Raising `InputRejected` there is IPython's own way to refuse
  an input: the cell does not run, the execution ends as an error (so "Run All" stops there) and the
  exception's `_render_traceback_` is shown instead of a traceback. Any other exception inside the
  guard is caught here, the cell runs, and one line says the guard skipped it;
- a `post_run_cell` callback records the imports of a cell that ran, so `from numpy.random import rand`
  in one cell makes `rand(...)` numpy's in the next. Names imported before the guard was loaded are
  known from the live objects themselves (a module's `__name__`, a function's `__module__`).
"""

from __future__ import annotations

import ast
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from IPython.core.error import InputRejected

MODES = ("on", "off", "check")
GUARDED_FAMILIES = ("NB1", "NB2", "NB3", "NB4")
# input()/getpass() hang only where the kernel has no stdin (papermill, nbclient, "Run All" in some UIs).
STDIN_RULES = ("NB403",)


class CellRefused(InputRejected):
    """The cell cannot fit in the memory this kernel has; shown as one line, not a traceback."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31m{line}\x1b[0m" for line in self.lines]


class _Transformer(ast.NodeTransformer):
    """IPython calls `visit(module)` on each transformer; this one looks at the cell and never edits it."""

    def __init__(self, guard: "Guard") -> None:
        self.guard = guard

    def visit(self, node: ast.AST) -> ast.AST:
        if self.guard.before_execution() and isinstance(node, ast.Module):
            try:
                return with_checkpoints(node, id(self.guard.shell), self.guard.cell_raw)
            except Exception:  # the guard never breaks a kernel: the cell runs as written
                return node
        return node


# Calls and operators a size rule sizes (NB1xx): a statement of the cell that makes one from a name an
# earlier statement of the same cell bound is checked again just before it runs, with the live values.
_SIZED_CALLS = frozenset(
    {
        "zeros",
        "ones",
        "empty",
        "full",
        "zeros_like",
        "ones_like",
        "empty_like",
        "full_like",
        "rand",
        "randn",
        "random",
        "randint",
        "normal",
        "uniform",
        "standard_normal",
        "eye",
        "identity",
        "tile",
        "repeat",
        "arange",
        "linspace",
        "meshgrid",
        "indices",
        "outer",
        "dot",
        "matmul",
        "kron",
        "einsum",
        "cdist",
        "pdist",
        "pairwise_distances",
        "cosine_similarity",
        "euclidean_distances",
        "toarray",
        "todense",
        "merge",
        "join",
        "pivot_table",
        "unstack",
        "get_dummies",
        "crosstab",
        "fit_transform",
        "figure",
        "subplots",
        "tensor",
    }
)


def _sized(statement: ast.stmt, earlier: set[str]) -> bool:
    reads = sized = False
    for sub in ast.walk(statement):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id in earlier:
            reads = True
        elif isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            sized = sized or name in _SIZED_CALLS
        elif isinstance(sub, ast.BinOp) and isinstance(sub.op, (ast.Mult, ast.MatMult)):
            sized = True
        if reads and sized:
            return True
    return False


def _statement_source(statement: ast.stmt, raw: str) -> str:
    """The statement as written (its comments, suppressions among them) when the cell is plain Python,
    with the cell's `ignore-cell` lines; else as the parser saw it."""
    lines = raw.splitlines()
    if any(line.lstrip().startswith(("%", "!")) for line in lines) or statement.end_lineno is None:
        return ast.unparse(statement)
    own = lines[statement.lineno - 1 : statement.end_lineno]
    cell_wide = [line.strip() for line in lines if "ignore-cell" in line and line.lstrip().startswith("#")]
    return "\n".join([*own, *cell_wide]) + "\n"


def with_checkpoints(module: ast.Module, shell_id: int, raw: str = "") -> ast.Module:
    """The cell with a check before each top-level statement a size rule could fire on once the earlier
    statements have run (`rows = load()` then `np.zeros((len(rows), 50))`)."""
    body: list[ast.stmt] = []
    earlier: set[str] = set()
    for index, statement in enumerate(module.body):
        if index and earlier and _sized(statement, earlier):
            call = ast.parse(
                f"__import__('nblint.guard.extension', fromlist=['checkpoint'])"
                f".checkpoint({shell_id}, {index}, {_statement_source(statement, raw)!r})"
            ).body[0]
            body.append(ast.copy_location(call, statement))
        body.append(statement)
        for sub in ast.walk(statement):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                earlier.add(sub.id)
    if len(body) == len(module.body):
        return module
    module.body = body
    return ast.fix_missing_locations(module)


def checkpoint(shell_id: int, index: int, source: str) -> None:
    """Run by a checkpoint in the cell: check one statement with the values the earlier ones left."""
    guard = _GUARDS.get(shell_id)
    if guard is None or guard.mode != "on":
        return
    try:
        verdict = guard.check(source, guard.cell_tags, checkpoint=True)
    except Exception:
        return
    if verdict.refused:
        ran = "statement 1 of this cell already ran" if index == 1 else f"statements 1-{index} of this cell already ran"
        raise CellRefused([f"{line} ({ran})" for line in verdict.refused])


class Guard:
    def __init__(self, shell) -> None:
        self.shell = shell
        self.mode = "on"
        self.imports: dict[str, tuple[str, Any]] = {}
        self._pending: Any = None  # the ExecutionInfo of the cell about to run
        self._checked_module = None
        self.cell_raw = ""  # the cell being run, for its checkpoints
        self.cell_tags: list[str] = []
        self.last_seconds = 0.0
        from nblint.guard.memory import available_bytes

        self.last_available: int | None = available_bytes()  # refreshed whenever a size rule reports
        self.settings_note = ""
        self._load_settings()
        self.transformer = _Transformer(self)
        # The engine is imported now, with the extension, rather than in the first cell it checks.
        import nblint.core.code.program  # noqa: F401
        import nblint.guard.check  # noqa: F401
        import nblint.guard.values  # noqa: F401
        import nblint.run.pipeline  # noqa: F401

    # -- settings -------------------------------------------------------------------------------

    def _load_settings(self) -> None:
        from nblint.core.options import MEMORY_BUDGET
        from nblint.rules import ALL_RULES, all_options
        from nblint.rules.base import CodeRule
        from nblint.run.config import ConfigError, ConfigResolver

        try:
            settings = ConfigResolver().for_dir(Path.cwd())
            enabled, options = settings.enabled, dict(settings.options)
            self.settings_note = f"from {settings.path}" if settings.path else "nblint's defaults"
        except ConfigError as exc:
            enabled = None
            options = {key: option.parsed_default() for key, option in all_options().items()}
            self.settings_note = f"nblint's defaults (configuration ignored: {exc})"
        # The kernel-killer families only (NB1xx-NB4xx): hygiene (home paths, installs) is `nblint check`'s.
        self.rules = [
            rule
            for code, rule in ALL_RULES.items()
            if issubclass(rule, CodeRule) and code[:3] in GUARDED_FAMILIES and (enabled is None or code in enabled)
        ]
        self.options = options
        self.budget = options[MEMORY_BUDGET.key]

    # -- IPython events -------------------------------------------------------------------------

    def register(self) -> None:
        shell = self.shell
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        if self.transformer not in shell.ast_transformers:
            shell.ast_transformers.append(self.transformer)
        shell.register_magic_function(self.magic, magic_kind="line", magic_name="nblint")
        self._register_watchers()

    def _register_watchers(self) -> None:
        """While a cell runs: the memory watcher (watch.py) and the output flood gate (flood.py)."""
        from nblint.guard import flood, watch

        self.watch: watch.Watch | None = watch.attach(self.shell, self.options, lambda: self.mode != "off")
        self.flood: flood.Flood | None = flood.attach(self.shell, self.options, lambda: self.mode != "off")

    def unregister(self) -> None:
        shell = self.shell
        if getattr(self, "watch", None) is not None:
            from nblint.guard import watch

            assert self.watch is not None  # the getattr above
            watch.detach(shell, self.watch)
            self.watch = None
        if getattr(self, "flood", None) is not None:
            from nblint.guard import flood

            assert self.flood is not None  # the getattr above
            flood.detach(shell, self.flood)
            self.flood = None
        for event, callback in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
            try:
                shell.events.unregister(event, callback)
            except ValueError:
                pass
        if self.transformer in shell.ast_transformers:
            shell.ast_transformers.remove(self.transformer)
        line_magics = shell.magics_manager.magics.get("line", {})
        if line_magics.get("nblint") == self.magic:
            del line_magics["nblint"]

    def pre_run_cell(self, info) -> None:
        self._pending = info
        self._checked_module = None

    def post_run_cell(self, result) -> None:
        module, self._checked_module = self._checked_module, None
        self._pending = None
        if module is None or not getattr(result, "success", False):
            return
        try:
            from nblint.core.code.symbols import SymbolTable

            namespace = self.shell.user_ns
            for name, origin in SymbolTable(module).imports.items():
                if origin is not None and name in namespace:
                    self.imports[name] = (origin, namespace[name])
        except Exception:
            pass

    def before_execution(self) -> bool:
        """Called by the AST transformer: check the cell about to run once (a `%%time` body or a
        `%timeit` statement transformed again later is not checked twice)."""
        info, self._pending = self._pending, None
        if info is None or self.mode == "off":
            return False
        raw = getattr(info, "raw_cell", None)
        if not isinstance(raw, str) or not raw.strip() or raw.lstrip().startswith("%nblint"):
            return False
        self.cell_raw, self.cell_tags = raw, _tags(getattr(info, "cell_meta", None))
        try:
            verdict = self.check(raw, self.cell_tags)
        except Exception as exc:  # the guard never breaks a kernel: the cell runs
            print(f"nblint guard skipped this cell: {_describe(exc)}", file=sys.stderr)
            return False
        for line in verdict.warnings:
            print(line, file=sys.stderr)
        if verdict.refused:
            raise CellRefused(verdict.refused)
        return self.mode == "on"

    # -- the check ------------------------------------------------------------------------------

    def check(self, raw: str, tags: Sequence[str] = (), checkpoint: bool = False):
        from nblint.guard.check import check_cell
        from nblint.guard.memory import available_bytes
        from nblint.guard.values import LiveValues

        started = time.perf_counter()
        try:
            live = LiveValues(self.shell.user_ns, self.imports)
            rules = self.rules if not self._has_stdin() else [r for r in self.rules if r.code not in STDIN_RULES]
            verdict = check_cell(
                raw,
                live,
                rules,
                self.options,
                available_bytes,
                tags,
                refuse=self.mode == "on",
                floor=self.last_available,
            )
            if verdict.available is not None:
                self.last_available = verdict.available
            if not checkpoint:
                self._checked_module = verdict.module
            return verdict
        finally:
            self.last_seconds = time.perf_counter() - started

    def _has_stdin(self) -> bool:
        kernel = getattr(self.shell, "kernel", None)
        if kernel is None:  # terminal IPython: the person is at the keyboard
            return True
        return getattr(kernel, "_allow_stdin", False) is True

    # -- %nblint --------------------------------------------------------------------------------

    def magic(self, line: str = "") -> None:
        """%nblint [on|off|check]: the guard's state, or switch it (check: warn, never refuse)."""
        word = line.strip().lower()
        if word and word not in MODES:
            print(
                f"nblint: unknown argument {word!r}; use %nblint, %nblint on, %nblint off or %nblint check",
                file=sys.stderr,
            )
            return
        if word:
            self.mode = word
        print(self.status())

    def status(self) -> str:
        from nblint.core.options import format_size
        from nblint.guard.memory import available_memory, gpu_free_memory

        state = {
            "on": "on: cells that cannot fit in memory are refused",
            "off": "off: cells run unchecked",
            "check": "check: cells are checked and warned about, never refused",
        }[self.mode]
        lines = [f"nblint guard {state}"]
        figure, figures = available_memory()
        if figure is None:
            lines.append(
                "memory available: unknown (no cgroup, MEM_LIMIT, psutil or /proc/meminfo figure): nothing is refused"
            )
        else:
            lines.append(f"memory available to this kernel: {format_size(figure.available)}, from {figure.source}")
            for other in figures:
                if other is not figure:
                    lines.append(f"  also: {format_size(other.available)} from {other.source}")
        gpu = gpu_free_memory()
        if gpu is not None:
            lines.append(f"GPU memory free: {format_size(gpu.available)}, from {gpu.source}")
        lines.append(f"memory-budget (warnings above it): {format_size(self.budget)}, {self.settings_note}")
        if getattr(self, "watch", None) is not None:
            assert self.watch is not None  # the getattr above
            lines.append(self.watch.status())
        lines.append(f"{len(self.rules)} code rules; last check took {self.last_seconds * 1000:.1f} ms")
        return "\n".join(lines)


def _tags(cell_meta) -> list[str]:
    """Cell tags, where the frontend sends them with the execute request (JupyterLab and Notebook 7
    send only the cell's id; a client that sends `{"tags": [...]}` in the request's metadata gets them
    honoured)."""
    if isinstance(cell_meta, dict):
        tags = cell_meta.get("tags")
        if isinstance(tags, list):
            return [t for t in tags if isinstance(t, str)]
    return []


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_GUARDS: dict[int, Guard] = {}


def load(shell) -> Guard:
    guard = _GUARDS.get(id(shell))
    if guard is None:
        guard = _GUARDS[id(shell)] = Guard(shell)
        guard.register()
        _start_recorder(shell)
    return guard


def _start_recorder(shell) -> None:
    """The flight recorder (nblint.guard.recorder), and the news of the previous kernel's death."""
    try:
        from nblint.guard.recorder import start

        recorder = start(shell)
        if recorder is not None:
            from nblint.guard.deaths import tell_previous

            tell_previous(shell, recorder)
    except Exception:
        pass


def unload(shell) -> None:
    guard = _GUARDS.pop(id(shell), None)
    if guard is not None:
        guard.unregister()
        try:
            from nblint.guard.recorder import stop

            stop()
        except Exception:
            pass
