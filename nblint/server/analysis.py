"""The engine, run for an editor: a notebook document or an .ipynb file's text in, findings per URI out.

The same `check_file` as `nblint check` (same rules, options, suppressions, NB000 for an internal
error), with the settings `nblint check` would use for that path, and with a CellCache per notebook
document so that an edit re-does only the work of the cell that changed. Runs on one deep-stack thread
(see nblint.core.deepstack): the only thread that touches the caches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nblint.core.code.program import CellCache
from nblint.core.findings import Finding
from nblint.run.config import ConfigError
from nblint.run.pipeline import check_file
from nblint.server.documents import CODE, CellSnapshot, NotebookSnapshot, SavedNotebooks, ipython_lines, notebook_json
from nblint.server.settings import ServerSettings

# Notebook-level findings about the kernel and format metadata, which need the notebook's metadata.
KERNEL_METADATA_CODES = frozenset({"NB601", "NB602", "NB603", "NB604", "NB605", "NB607"})


@dataclass
class Outcome:
    """What one analysis found: findings by the URI they belong on (a cell, or the .ipynb file), and the
    URIs whose texts they refer to (so a cell whose findings went away gets an empty list)."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # uri -> the text analysed, for positions
    cells: tuple[str, ...] = ()  # a notebook's cell URIs in order (Finding.cell and fixes index them)
    config_error: str | None = None


class Analyser:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.saved = SavedNotebooks()
        self._cells: dict[str, CellCache] = {}

    def python(self, uri: str, path: Path, text: str) -> Outcome:
        """Python source sent as a text document: a .py file, or the notebook jupyterlab-lsp sends as one
        "virtual document" of its code cells (under .virtual_documents/, keeping the .ipynb name),
        checked as a notebook of one cell whose kernel is not known."""
        # its `!` and `%` lines come as jupyterlab-lsp's get_ipython() calls: read them as they were written
        snapshot = NotebookSnapshot(uri, 0, path, (CellSnapshot(uri, CODE, "python", ipython_lines(text)),))
        outcome = self.notebook(snapshot, read_saved=False)
        outcome.texts[uri] = text  # positions and currency are the document's
        return outcome

    def notebook(self, snapshot: NotebookSnapshot, read_saved: bool = True) -> Outcome:
        """A notebook document; `read_saved`: complete it from the file on disk (see documents.py)."""
        outcome = Outcome(
            texts={cell.uri: cell.text for cell in snapshot.cells}, cells=tuple(cell.uri for cell in snapshot.cells)
        )
        outcome.findings = {cell.uri: [] for cell in snapshot.cells}
        try:
            settings = self.settings.for_notebook(snapshot.path)
        except ConfigError as exc:
            outcome.config_error = str(exc)
            return outcome
        if settings.is_excluded(snapshot.path):
            return outcome  # as `nblint check` skips it (even when named): no findings, earlier ones cleared
        saved = self.saved.get(snapshot.path) if read_saved else None
        raw, metadata_known = notebook_json(snapshot, saved)
        cells = self._cells.setdefault(snapshot.uri, CellCache())
        result = check_file(
            snapshot.path,
            settings.rules_for(snapshot.path),
            settings.options,
            display_path=str(snapshot.path),
            raw=raw,
            cells=cells,
        )
        first = snapshot.cells[0].uri if snapshot.cells else None
        for finding in result.findings:
            if finding.cell is None and not metadata_known and finding.code in KERNEL_METADATA_CODES:
                continue  # a new notebook the client sent no metadata for: its kernel is not known, not missing
            if finding.cell is not None and 0 <= finding.cell < len(snapshot.cells):
                outcome.findings[snapshot.cells[finding.cell].uri].append(finding)
            else:
                # about the whole notebook (kernelspec, nbformat): on its first cell, at the top, with no
                # line of the JSON file to point at (the editor does not show the JSON); on the notebook's
                # own URI when it has no cell
                finding.line = finding.column = finding.end_line = finding.end_column = None
                outcome.findings.setdefault(first or snapshot.uri, []).append(finding)
        return outcome

    def text(self, uri: str, path: Path, text: str) -> Outcome:
        """An .ipynb file opened as text: findings on the lines of its JSON (as `--format github` puts them)."""
        outcome = Outcome(findings={uri: []}, texts={uri: text})
        try:
            settings = self.settings.for_notebook(path)
        except ConfigError as exc:
            outcome.config_error = str(exc)
            return outcome
        if settings.is_excluded(path):
            return outcome
        result = check_file(
            path, settings.rules_for(path), settings.options, display_path=str(path), raw=text.encode("utf-8")
        )
        for finding in result.findings:
            if finding.cell is not None:
                # a cell's finding, placed on the JSON line that holds its source line
                finding.line, finding.column = finding.json_line, None
                finding.end_line = finding.end_column = None
            elif finding.json_line is not None:
                finding.line = finding.json_line
            finding.cell = None
            outcome.findings[uri].append(finding)
        return outcome

    def forget(self, uri: str) -> None:
        self._cells.pop(uri, None)
