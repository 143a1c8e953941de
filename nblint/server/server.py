"""`nblint server`: the language server, on pygls 2.

Notebook documents (LSP 3.17 notebookDocument/*: open, change, save, close; cells added, moved, deleted
and edited), .ipynb files opened as text and Python text documents are analysed by the engine `nblint
check` uses, and the findings published per cell URI (or on the file). Analysis is debounced: an edit schedules one after
`debounce` seconds, a newer edit replaces the pending one, and the result of an analysis overtaken by
an edit while it ran is dropped (the newer one is already scheduled). Analyses run one at a time on a
deep-stack thread, so the event loop keeps reading messages meanwhile.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Callable

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from nblint import __version__
from nblint.core.deepstack import DeepStackThread
from nblint.core.findings import Finding
from nblint.run.config import CONFIG_FILES, Overrides
from nblint.server.actions import cell_fix_action, file_fix_action, suppression_actions
from nblint.server.analysis import Analyser, Outcome
from nblint.server.diagnostics import SOURCE, document_lines, to_diagnostic
from nblint.server.documents import CellSnapshot, NotebookSnapshot, real_path
from nblint.server.settings import ServerSettings

NOTEBOOK_TYPE = "jupyter-notebook"
DEFAULT_DEBOUNCE = 0.15  # seconds

NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithNotebook(
            notebook=NOTEBOOK_TYPE,
            # markdown cells too, so cell numbers and NB704 (credentials pasted in markdown) match `check`
            cells=[types.NotebookCellLanguage(language="python"), types.NotebookCellLanguage(language="markdown")],
        )
    ],
    save=True,
)


class Published:
    """What was last published on one URI: the findings and their diagnostics, for hovers and actions."""

    def __init__(self, text: str, pairs: list[tuple[Finding, types.Diagnostic]], outcome: Outcome) -> None:
        self.text = text
        self.lines = document_lines(text)
        self.pairs = pairs
        self.outcome = outcome  # the whole analysis: a fix may edit other cells of the notebook


class NblintServer(LanguageServer):
    def __init__(self, overrides: Overrides = Overrides(), debounce: float = DEFAULT_DEBOUNCE) -> None:
        super().__init__("nblint", __version__, notebook_document_sync=NOTEBOOK_SYNC)
        self.debounce = debounce
        self.analyser = Analyser(ServerSettings(overrides))
        self.deep = DeepStackThread()
        self.generation: dict[str, int] = {}  # document uri -> edits seen
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.published: dict[str, Published] = {}  # cell or file uri -> last published
        self.owned: dict[str, set[str]] = {}  # document uri -> the uris its diagnostics went to
        self.shown_errors: set[str] = set()
        self.client_name = ""  # initialize's clientInfo.name

    # -- scheduling --------------------------------------------------------------------------------

    def schedule(self, uri: str, delay: float) -> None:
        """Analyse document `uri` after `delay` seconds, replacing an analysis still pending."""
        self.generation[uri] = self.generation.get(uri, 0) + 1
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(delay, self._start, uri)

    def _start(self, uri: str) -> None:
        self.pending.pop(uri, None)
        job = self._job(uri)
        if job is None:
            return
        generation = self.generation.get(uri)
        future = asyncio.get_running_loop().run_in_executor(None, self.deep.call, job)
        future.add_done_callback(lambda done: self._finish(uri, generation, done))

    def _job(self, uri: str) -> Callable[[], Outcome] | None:
        """The analysis of what the document holds now (copied here, on the event loop)."""
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is not None:
            snapshot = self._snapshot(notebook)
            return lambda: self.analyser.notebook(snapshot)
        document = self.workspace.text_documents.get(uri)
        kind = _text_kind(document)
        if kind is None:
            return None
        path, text = _path_of(uri, self), document.source
        if kind == PYTHON:
            return lambda: self.analyser.python(uri, path, text)
        return lambda: self.analyser.text(uri, path, text)

    def _snapshot(self, notebook: types.NotebookDocument) -> NotebookSnapshot:
        cells = []
        for cell in notebook.cells:
            document = self.workspace.text_documents.get(cell.document)
            text = document.source if document is not None else ""
            language = document.language_id if document is not None and document.language_id else "python"
            cells.append(CellSnapshot(cell.document, int(cell.kind), language, text, cell.metadata))
        return NotebookSnapshot(
            notebook.uri, notebook.version, _path_of(notebook.uri, self), tuple(cells), notebook.metadata
        )

    def _finish(self, uri: str, generation: int | None, done: asyncio.Future) -> None:
        if self.generation.get(uri) != generation or uri not in self.generation:
            return  # edited (or closed) while it ran: the newer analysis publishes
        error = done.exception()
        if error is not None:
            self.window_log_message(
                types.LogMessageParams(types.MessageType.Error, f"nblint: analysis failed: {error!r}")
            )
            return
        self.publish(uri, done.result())

    # -- publishing --------------------------------------------------------------------------------

    def publish(self, document_uri: str, outcome: Outcome) -> None:
        encode = self.encoder()
        targets: set[str] = set()
        for uri, findings in outcome.findings.items():
            text = outcome.texts.get(uri, "")
            lines = document_lines(text)
            pairs = [(finding, to_diagnostic(finding, lines, encode, self.code_in_message())) for finding in findings]
            if outcome.config_error is not None and not targets:
                pairs.append((None, _config_diagnostic(outcome.config_error)))
            targets.add(uri)
            self._send(uri, Published(text, pairs, outcome))
        if outcome.config_error is not None and outcome.config_error not in self.shown_errors:
            self.shown_errors.add(outcome.config_error)
            self.window_show_message(
                types.ShowMessageParams(types.MessageType.Error, f"nblint: {outcome.config_error}")
            )
        for gone in self.owned.get(document_uri, set()) - targets:  # cells deleted since the last analysis
            self._send(gone, None)
        self.owned[document_uri] = targets

    def _send(self, uri: str, published: Published | None) -> None:
        before = self.published.get(uri)
        old = [d for _, d in before.pairs] if before is not None else []
        new = [d for _, d in published.pairs] if published is not None else []
        if published is None:
            self.published.pop(uri, None)
        else:
            self.published[uri] = published
        if old != new:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=new))

    def clear(self, document_uri: str, extra: list[str] = ()) -> None:
        """The document closed: forget it and take its diagnostics away."""
        self.generation.pop(document_uri, None)
        handle = self.pending.pop(document_uri, None)
        if handle is not None:
            handle.cancel()
        for uri in self.owned.pop(document_uri, set()) | set(extra):
            self.published.pop(uri, None)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        self.analyser.forget(document_uri)

    def code_in_message(self) -> bool:
        """VS Code (and its forks) show Diagnostic.code after the message; other clients do not."""
        return not self.client_name.startswith(CODE_SHOWING_CLIENTS)

    def encoder(self):
        codec = self.workspace.position_codec
        return lambda lines, line, column: codec.client_num_units(lines[line][:column]) if line < len(lines) else column

    def is_current(self, outcome: Outcome, uri: str) -> bool:
        """Whether the document at `uri` still holds the text the analysis saw."""
        document = self.workspace.text_documents.get(uri)
        return document is not None and document.source == outcome.texts.get(uri)

    def findings_at(self, uri: str, range_: types.Range) -> list[tuple[Finding, types.Diagnostic]]:
        published = self.published.get(uri)
        if published is None:
            return []
        return [(f, d) for f, d in published.pairs if f is not None and _overlaps(d.range, range_)]


def _overlaps(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position (touching counts: a cursor at a finding's end is on it)."""
    return _at(a.start) <= _at(b.end) and _at(b.start) <= _at(a.end)


def _at(position: types.Position) -> tuple[int, int]:
    return position.line, position.character


def _config_diagnostic(message: str) -> types.Diagnostic:
    top = types.Position(line=0, character=0)
    return types.Diagnostic(
        range=types.Range(start=top, end=top),
        message=f"nblint is not checking this notebook: {message}",
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )


def _path_of(uri: str, server: NblintServer) -> Path:
    """The file a document stands for; an untitled one is taken to sit in the workspace folder."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if path:
        return real_path(Path(path))
    root = server.workspace.root_path or os.getcwd()
    return Path(root) / "Untitled.ipynb"


PYTHON, IPYNB = "python", "ipynb"
# clientInfo.name of the clients that show Diagnostic.code next to the message
CODE_SHOWING_CLIENTS = ("Visual Studio Code", "VSCodium", "Code - OSS", "Cursor")


def _text_kind(document) -> str | None:
    """How to read a text document: Python source (a .py file, or jupyterlab-lsp's virtual document of a
    notebook's code cells, which keeps the .ipynb name), an .ipynb file's JSON, or neither."""
    if document is None:
        return None
    if document.language_id == "python":
        return PYTHON
    if document.uri.lower().endswith(".ipynb"):
        return IPYNB
    return None


def build_server(overrides: Overrides = Overrides(), debounce: float = DEFAULT_DEBOUNCE) -> NblintServer:
    server = NblintServer(overrides, debounce)

    @server.feature(types.INITIALIZE)
    def initialize(ls: NblintServer, params: types.InitializeParams) -> None:
        ls.client_name = params.client_info.name if params.client_info is not None else ""

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def did_open_notebook(ls: NblintServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def did_change_notebook(ls: NblintServer, params: types.DidChangeNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, ls.debounce)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def did_save_notebook(ls: NblintServer, params: types.DidSaveNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, 0)  # the file changed: ids, outputs and counts with it

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def did_close_notebook(ls: NblintServer, params: types.DidCloseNotebookDocumentParams) -> None:
        ls.clear(params.notebook_document.uri, [cell.uri for cell in params.cell_text_documents])

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open_text(ls: NblintServer, params: types.DidOpenTextDocumentParams) -> None:
        if _text_kind(ls.workspace.text_documents.get(params.text_document.uri)) is not None:
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change_text(ls: NblintServer, params: types.DidChangeTextDocumentParams) -> None:
        if _text_kind(ls.workspace.text_documents.get(params.text_document.uri)) is not None:
            ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save_text(ls: NblintServer, params: types.DidSaveTextDocumentParams) -> None:
        if _text_kind(ls.workspace.text_documents.get(params.text_document.uri)) is not None:
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close_text(ls: NblintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.clear(params.text_document.uri)  # pygls has already dropped the document: clear whatever it had

    @server.feature(types.INITIALIZED)
    def initialized(ls: NblintServer, params: types.InitializedParams) -> None:
        # Ask the client to tell us about configuration files (where it can); the mtime check before each
        # analysis covers the clients that cannot.
        workspace = ls.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is not None and watched.dynamic_registration:
            watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_FILES]
            ls.client_register_capability(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id="nblint-configuration",
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                        )
                    ]
                )
            )

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: NblintServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.analyser.settings.forget()
        for uri in list(ls.owned):
            ls.schedule(uri, 0)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: NblintServer, params: types.HoverParams) -> types.Hover | None:
        at = types.Range(start=params.position, end=params.position)
        found = ls.findings_at(params.text_document.uri, at)
        if not found:
            return None
        from nblint.rules import ALL_RULES

        parts = []
        for code in dict.fromkeys(finding.code for finding, _ in found):
            rule = ALL_RULES[code]
            parts.append(f"### {rule.code} {rule.name} ({rule.severity.value})\n\n{rule.docs()}")
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
            range=found[0][1].range,
        )

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])
    )
    def code_action(ls: NblintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        published = ls.published.get(uri)
        if published is None or not ls.is_current(published.outcome, uri):
            return []  # edited since it was analysed: the new diagnostics (and their actions) are on the way
        in_notebook = ls.workspace.get_notebook_document(cell_uri=uri) is not None
        kind = None if in_notebook else _text_kind(ls.workspace.text_documents.get(uri))
        wanted = {d.code for d in params.context.diagnostics if d.source == SOURCE}
        encode = ls.encoder()
        actions: list[types.CodeAction] = []
        for finding, diagnostic in ls.findings_at(uri, params.range):
            if wanted and finding.code not in wanted:
                continue
            if kind == IPYNB:  # the JSON itself: fixes yes; suppressions live in the cells' sources
                action = file_fix_action(uri, published.text, finding, diagnostic, encode)
                actions.extend([action] if action is not None else [])
                continue
            if in_notebook:
                outcome = published.outcome
                lines = {cell: document_lines(outcome.texts[cell]) for cell in outcome.cells}
                action = cell_fix_action(finding, diagnostic, outcome.cells, lines, encode)
                if action is not None and all(ls.is_current(outcome, cell) for cell in action.edit.changes):
                    actions.append(action)
            if finding.cell is None:
                continue  # about the whole notebook: a comment in its first cell would not suppress it
            # in one Python text (a .py file, jupyterlab-lsp's joined cells) a cell comment is not the cell's
            actions.extend(
                suppression_actions(
                    uri, published.text, published.lines, finding, diagnostic, encode, cell_action=in_notebook
                )
            )
        return actions

    return server
