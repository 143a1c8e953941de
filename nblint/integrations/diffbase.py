"""`nblint check --diff-base REF`: keep only what is new since git revision REF.

A pull request must be judged on the cells it changed, not on years of old cells. The engine still
analyses each notebook whole (a constant from an old cell is known in a changed one); this module only
filters the findings afterwards:

- a finding in a cell added since REF, or whose source, type or tags changed, is kept;
- a finding in a cell whose outputs alone changed (the notebook was re-run) is kept only when the same
  cell at REF did not have it (same code and message): rules about outputs speak, code rules stay quiet;
- a notebook-level finding (no cell) is kept only when the notebook at REF did not have it;
- a notebook that did not exist at REF, or was not a notebook there, is judged whole.

The notebook at REF comes from git (`git cat-file --batch`, one process per repository), under its old
name when git's rename detection (`git diff -M REF`) says it was renamed. nblint's git hook checks
copies of the staged notebooks (in a folder it hands git as the work tree) and sets
NBLINT_DIFF_BASE_STAGED=1: renames then come from the index (`git diff --cached`), since the copy holds
only the staged notebooks and every other tracked file would look deleted. Changed cells come from nbdime's
notebook diff, imported only here: nbdime brings jupyter_server and a slow `import jsonschema`, so it is
the optional extra `diff` and never loaded by a plain `nblint check`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from nblint.core.findings import Finding
from nblint.core.read.notebook import Notebook, Unreadable, parse_notebook
from nblint.run.config import ConfigError, ConfigResolver
from nblint.run.pipeline import FileResult, check_file

INSTALL_HINT = (
    'pip install nbdime, or install nblint with its `diff` extra (pip install ".[diff]" in the nblint checkout)'
)


class DiffBaseError(ConfigError):
    """A problem that stops a --diff-base run. A usage error like a bad configuration: `check` prints the
    one-line message and exits 2."""


# --------------------------------------------------------------------------------------------- git


def _git(args: list[str], cwd: Path, input: bytes | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True)
    except FileNotFoundError:
        raise DiffBaseError("--diff-base needs git, and git is not installed (or not on PATH)") from None


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else ""


STAGED_VARIABLE = "NBLINT_DIFF_BASE_STAGED"


@dataclass
class Repository:
    """One git work tree, the commit REF names in it, and what it held there."""

    top: Path
    ref: str
    commit: str = ""
    # path at HEAD/work tree (relative to top, posix) -> path at REF, for the files git saw renamed.
    renamed_from: dict[str, str] = field(default_factory=dict)

    def resolve(self) -> None:
        found = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{self.ref}^{{commit}}"], self.top)
        if found.returncode != 0:
            raise DiffBaseError(f"--diff-base {self.ref}: no such commit in the git repository at {self.top}")
        self.commit = found.stdout.decode().strip()
        staged = ["--cached"] if os.environ.get(STAGED_VARIABLE) == "1" else []
        listing = _git(["diff", *staged, "--name-status", "-M", "-z", "--no-relative", self.commit, "--"], self.top)
        if listing.returncode != 0:
            raise DiffBaseError(f"--diff-base {self.ref}: git diff failed in {self.top}: {_first_line(listing.stderr)}")
        fields = listing.stdout.decode("utf-8", "surrogateescape").split("\0")
        position = 0
        while position < len(fields) and fields[position]:
            status = fields[position]
            if status.startswith(("R", "C")):
                old, new = fields[position + 1], fields[position + 2]
                if status.startswith("R"):
                    self.renamed_from[new] = old
                position += 3
            else:
                position += 2

    def old_path(self, relative: str) -> str:
        return self.renamed_from.get(relative, relative)

    def read_at_ref(self, relative_paths: list[str]) -> dict[str, bytes | None]:
        """The bytes of each path at REF (None when it is not a file there), in one git process."""
        contents: dict[str, bytes | None] = {}
        batchable = [p for p in relative_paths if "\n" not in p]
        if batchable:
            request = "".join(f"{self.commit}:{path}\n" for path in batchable).encode("utf-8", "surrogateescape")
            answer = _git(["cat-file", "--batch"], self.top, input=request)
            if answer.returncode != 0:
                raise DiffBaseError(
                    f"--diff-base {self.ref}: git cat-file failed in {self.top}: {_first_line(answer.stderr)}"
                )
            out = answer.stdout
            offset = 0
            for path in batchable:
                end = out.index(b"\n", offset)
                header = out[offset:end].split(b" ")
                offset = end + 1
                if len(header) == 3 and header[1] in (b"blob", b"tree", b"commit", b"tag"):
                    size = int(header[2])
                    data = out[offset : offset + size]
                    offset += size + 1  # the contents are followed by a newline
                    contents[path] = data if header[1] == b"blob" else None
                else:  # "<name> missing" or "<name> ambiguous"
                    contents[path] = None
        for path in relative_paths:
            if path not in contents:  # a newline in the name: ask for it alone
                shown = _git(["cat-file", "blob", f"{self.commit}:{path}"], self.top)
                contents[path] = shown.stdout if shown.returncode == 0 else None
        return contents


def _repository_top(folder: Path, cache: dict[Path, Path | None]) -> Path | None:
    if folder not in cache:
        found = _git(["rev-parse", "--show-toplevel"], folder)
        cache[folder] = Path(found.stdout.decode("utf-8", "surrogateescape").strip()) if found.returncode == 0 else None
    return cache[folder]


# ------------------------------------------------------------------------------------ changed cells


@dataclass
class CellChanges:
    """New-notebook cell indices: changed (added, or source/type/tags changed) and outputs-only changes."""

    changed: set[int] = field(default_factory=set)
    # new index -> old index, for cells whose outputs alone changed.
    outputs_only: dict[int, int] = field(default_factory=dict)


def _for_diff(notebook: Notebook) -> dict:
    """What nbdime compares: source, type and tags as they are, outputs as one digest.

    Outputs go in as a digest in the cell's metadata so that nbdime matches cells on their source alone
    (a re-run notebook keeps its cells matched) and never spends time diffing images. Execution counts,
    cell ids and other metadata are left out: they change on every run and say nothing about the code.
    """
    cells = []
    for cell in notebook.cells:
        metadata: dict = {}
        if cell.tags:
            metadata["tags"] = cell.tags
        if cell.outputs:
            digest = hashlib.sha1(json.dumps(cell.outputs, sort_keys=True, default=str).encode()).hexdigest()
            metadata["nblint-outputs"] = digest
        item = {"cell_type": cell.cell_type or "raw", "metadata": metadata, "source": cell.source}
        if cell.cell_type == "code":
            item["execution_count"] = None
            item["outputs"] = []
        cells.append(item)
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _import_nbdime():
    """nbdime, without the 1.3 s that `import jsonschema` spends building rfc3987-syntax's grammar.

    nbdime imports nbformat, which imports jsonschema, whose format checkers import rfc3987_syntax
    when it is installed (jupyter_server's extras install it) and compile a grammar eagerly: that is
    nine tenths of the whole cost of --diff-base. jsonschema guards the import and only skips the
    `iri` format checks without it, which no notebook schema uses; so the module is hidden while
    nbdime loads, and only when jsonschema has not been loaded already.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        import nbdime

        return nbdime
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes `import rfc3987_syntax` fail
    try:
        import nbdime
    finally:
        if sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]
    return nbdime


def changed_cells(old: Notebook, new: Notebook) -> CellChanges:
    nbdime = _import_nbdime()
    changes = CellChanges()
    for entry in nbdime.diff_notebooks(_for_diff(old), _for_diff(new)):
        if entry.op == "patch" and entry.key == "cells":
            walk_cell_ops(entry.diff, changes)
        elif entry.key == "cells":  # the whole list replaced: every cell is new
            changes.changed.update(range(len(new.cells)))
    return changes


def walk_cell_ops(ops, changes: CellChanges) -> None:
    # Sequence ops are keyed by index into the OLD list; `shift` is how far the new list has moved against
    # the old one at that point (cells added so far minus cells removed). Cells added at old index k come
    # before the old cells removed from k: take additions first at the same key, whatever order we got.
    shift = 0
    rank = {"addrange": 0, "removerange": 1, "patch": 2}
    for op in sorted(ops, key=lambda op: (op.key, rank.get(op.op, 3))):
        if op.op == "addrange":
            start = op.key + shift
            changes.changed.update(range(start, start + len(op.valuelist)))
            shift += len(op.valuelist)
        elif op.op == "removerange":
            shift -= op.length
        elif op.op == "patch":
            new_index = op.key + shift
            touched = {sub.key for sub in op.diff}
            if touched <= {"metadata"} and _only_outputs_digest(op.diff):
                changes.outputs_only[new_index] = op.key
            else:
                changes.changed.add(new_index)


def _only_outputs_digest(cell_diff) -> bool:
    for sub in cell_diff:
        if sub.key != "metadata":
            return False
        if sub.op != "patch" or any(inner.key != "nblint-outputs" for inner in sub.diff):
            return False
    return True


# ---------------------------------------------------------------------------------------- filtering


def only_new(
    results: list[FileResult], ref: str, resolver: ConfigResolver, stderr: TextIO | None = None
) -> list[FileResult]:
    """The same results with only the findings that are new since REF (see the module docstring)."""
    stderr = stderr or sys.stderr
    _require_nbdime()
    tops: dict[Path, Path | None] = {}
    repositories: dict[Path, Repository] = {}
    located: list[tuple[FileResult, Repository, str]] = []
    for result in results:
        absolute = Path(os.path.abspath(result.path))
        top = _repository_top(absolute.parent, tops)
        if top is None:
            raise DiffBaseError(
                f"--diff-base {ref}: {result.path} is not in a git repository, so there is nothing to compare it with"
            )
        repository = repositories.get(top)
        if repository is None:
            repository = repositories[top] = Repository(top, ref)
            repository.resolve()
        relative = _relative_to_top(absolute, top)
        located.append((result, repository, relative))

    old_bytes: dict[tuple[Path, str], bytes | None] = {}
    for repository in repositories.values():
        wanted = [repository.old_path(relative) for result, repo, relative in located if repo is repository]
        for path, data in repository.read_at_ref(wanted).items():
            old_bytes[(repository.top, path)] = data

    filtered = []
    hidden = 0
    for result, repository, relative in located:
        old_relative = repository.old_path(relative)
        data = old_bytes.get((repository.top, old_relative))
        kept = _new_findings(result, data, ref, resolver, stderr)
        hidden += len(result.findings) - len(kept)
        filtered.append(
            FileResult(
                result.path,
                kept,
                result.unreadable,
                warnings=result.warnings,
                could_not_check=result.could_not_check,
            )
        )
    if hidden:
        print(
            f"nblint: {hidden} finding{'s' if hidden != 1 else ''} in cells unchanged since {ref} not shown (--diff-base)",
            file=stderr,
        )
    return filtered


def _require_nbdime() -> None:
    import importlib.util

    if importlib.util.find_spec("nbdime") is None:
        raise DiffBaseError(f"--diff-base needs nbdime, which is not installed: {INSTALL_HINT}")


def _relative_to_top(absolute: Path, top: Path) -> str:
    # git reports the top with symlinks resolved; the file's folder may be reached through one.
    real_folder = Path(os.path.realpath(absolute.parent))
    return (real_folder / absolute.name).relative_to(Path(os.path.realpath(top))).as_posix()


def _new_findings(
    result: FileResult, old_data: bytes | None, ref: str, resolver: ConfigResolver, stderr: TextIO
) -> list[Finding]:
    if old_data is None:
        return list(result.findings)  # new since REF: judged whole
    path = Path(result.path)
    try:
        new_data = path.read_bytes()
    except OSError:
        return list(result.findings)
    if new_data == old_data:
        return []
    try:
        old = parse_notebook(path, old_data)
    except Unreadable as problem:
        print(
            f"nblint: info: {result.path} was not a notebook at {ref} ({problem.message}); checking all of it",
            file=stderr,
        )
        return list(result.findings)
    if not result.findings:
        return []
    try:
        new = parse_notebook(path, new_data)
    except Unreadable:
        new = None  # unreadable now: only notebook-level findings, compared with REF's below

    changes = changed_cells(old, new) if new is not None else CellChanges()
    kept: list[Finding] = []
    to_compare: list[tuple[Finding, int | None]] = []  # (finding, the cell's index at REF or None)
    for finding in result.findings:
        if finding.cell is None:
            to_compare.append((finding, None))
        elif finding.cell in changes.changed:
            kept.append(finding)
        elif finding.cell in changes.outputs_only:
            to_compare.append((finding, changes.outputs_only[finding.cell]))
    if to_compare:
        before = Counter((f.cell, f.code, f.message) for f in _findings_at_ref(path, old_data, resolver))
        for finding, old_cell in to_compare:
            key = (old_cell, finding.code, finding.message)
            if before[key] > 0:
                before[key] -= 1
            else:
                kept.append(finding)
    kept.sort(key=lambda f: f.sort_key())
    return kept


def _findings_at_ref(path: Path, old_data: bytes, resolver: ConfigResolver) -> list[Finding]:
    """The notebook at REF through the same engine and settings: what was already reported then."""
    from nblint.core.deepstack import call_with_deep_stack

    settings = resolver.for_path(path)
    return call_with_deep_stack(
        check_file, path, settings.rules_for(path), settings.options, str(path), old_data
    ).findings
