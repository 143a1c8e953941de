"""`nblint server`: the real server over stdio (python -m nblint server), driven by a JSON-RPC client as an
editor drives it (tests/lspclient.py). One server for the module; each test opens its own notebooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import json_findings, run_nblint, write_notebook
from lspclient import LspClient

DEBOUNCE_MS = 200
KERNEL = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
ALLOCATION = [
    "import numpy as np\n",
    "N = 100_000\n",
    {"cell_type": "markdown", "source": "# Data\n"},
    "x = np.zeros((N, N))\n",
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("workspace")
    # Opt-in rules these tests rely on: NB502 (`!pip` -> `%pip`), whose source fix the code-action tests
    # apply, and NB601/NB602, the notebook-level findings that must land on the first cell.
    (folder / "nblint.toml").write_text('extend-select = ["NB502", "NB601", "NB602"]\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def server(workspace):
    pytest.importorskip("pygls.lsp.server", reason='`nblint server` needs the server extra (pip install ".[server]")')
    client = LspClient("--debounce", str(DEBOUNCE_MS), cwd=workspace)
    result = client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": workspace.as_uri(),
            "capabilities": {
                "notebookDocument": {"synchronization": {}},
                "textDocument": {"hover": {"contentFormat": ["markdown"]}},
                "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}},
            },
        },
    )
    client.notify("initialized", {})
    client.capabilities = result["capabilities"]
    yield client
    assert client.shutdown() == 0, client.stderr()


class Notebook:
    """A notebook document open in the server (and written to disk, as an editor opens a file)."""

    def __init__(
        self,
        client: LspClient,
        path: Path,
        cells: list,
        metadata: dict | None = KERNEL,
        write: bool = True,
        client_metadata: dict | None = None,
    ) -> None:
        self.client, self.path, self.version = client, path, 1
        if write:
            write_notebook(path, cells, metadata=metadata)
        self.uri = path.as_uri()
        self.cells: list[str] = []  # cell URIs, in order
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.kinds: dict[str, int] = {}  # 1 markup, 2 code
        self._next = 0
        items = [self._new_cell(cell) for cell in cells]
        client.notify(
            "notebookDocument/didOpen",
            {
                "notebookDocument": {
                    "uri": self.uri,
                    "notebookType": "jupyter-notebook",
                    "version": 1,
                    "metadata": client_metadata or {},
                    "cells": [{"kind": kind, "document": item["uri"]} for kind, item in items],
                },
                "cellTextDocuments": [item for _, item in items],
            },
        )
        self.cells = [item["uri"] for _, item in items]

    def _new_cell(self, cell) -> tuple[int, dict]:
        markdown = isinstance(cell, dict) and cell.get("cell_type") == "markdown"
        text = cell["source"] if isinstance(cell, dict) else cell
        uri = f"vscode-notebook-cell:{self.path}#W{self._next}"
        self._next += 1
        self.texts[uri], self.versions[uri] = text, 1
        self.kinds[uri] = 1 if markdown else 2
        return (1 if markdown else 2), {
            "uri": uri,
            "languageId": "markdown" if markdown else "python",
            "version": 1,
            "text": text,
        }

    def _change(self, change: dict) -> None:
        self.version += 1
        self.client.notify(
            "notebookDocument/didChange",
            {"notebookDocument": {"uri": self.uri, "version": self.version}, "change": change},
        )

    def edit(self, cell: str, edits: list[dict]) -> None:
        """Apply LSP TextEdits to a cell, as the editor does when the user types (or applies an action)."""
        self.versions[cell] += 1
        self.texts[cell] = apply_edits(self.texts[cell], edits)
        self._change(
            {
                "cells": {
                    "textContent": [
                        {
                            "document": {"uri": cell, "version": self.versions[cell]},
                            "changes": [
                                {"range": e["range"], "text": e["newText"]}
                                for e in sorted(edits, key=_edit_order, reverse=True)
                            ],
                        }
                    ]
                }
            }
        )

    def insert(self, index: int, source) -> str:
        kind, item = self._new_cell(source)
        self.cells.insert(index, item["uri"])
        self._change(
            {
                "cells": {
                    "structure": {
                        "array": {"start": index, "deleteCount": 0, "cells": [{"kind": kind, "document": item["uri"]}]},
                        "didOpen": [item],
                    }
                }
            }
        )
        return item["uri"]

    def move(self, old: int, new: int) -> None:
        """As VS Code sends a move: one array change replacing the span between the two places."""
        low, high = min(old, new), max(old, new)
        cell = self.cells.pop(old)
        self.cells.insert(new, cell)
        self._change(
            {
                "cells": {
                    "structure": {
                        "array": {
                            "start": low,
                            "deleteCount": high - low + 1,
                            "cells": [{"kind": self.kinds[uri], "document": uri} for uri in self.cells[low : high + 1]],
                        }
                    }
                }
            }
        )

    def delete(self, index: int) -> str:
        cell = self.cells.pop(index)
        self._change(
            {"cells": {"structure": {"array": {"start": index, "deleteCount": 1}, "didClose": [{"uri": cell}]}}}
        )
        return cell

    def save(self) -> None:
        """Write the cells as they are now, as the editor saves (and tell the server)."""
        write_notebook(
            self.path,
            [
                self.texts[uri] if self.kinds[uri] == 2 else {"cell_type": "markdown", "source": self.texts[uri]}
                for uri in self.cells
            ],
            metadata=KERNEL,
        )
        self.client.notify("notebookDocument/didSave", {"notebookDocument": {"uri": self.uri}})

    def close(self) -> None:
        self.client.notify(
            "notebookDocument/didClose",
            {"notebookDocument": {"uri": self.uri}, "cellTextDocuments": [{"uri": uri} for uri in self.cells]},
        )

    def diagnostics(self, index: int, predicate=lambda found: True) -> list[dict]:
        return self.client.wait_diagnostics(self.cells[index], predicate)


def _edit_order(edit: dict) -> tuple:
    start = edit["range"]["start"]
    return start["line"], start["character"]


def apply_edits(text: str, edits: list[dict]) -> str:
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for edit in sorted(edits, key=_edit_order, reverse=True):
        start, end = edit["range"]["start"], edit["range"]["end"]
        a = offsets[start["line"]] + start["character"]
        b = offsets[end["line"]] + end["character"]
        text = text[:a] + edit["newText"] + text[b:]
    return text


def codes(diagnostics: list[dict]) -> list[str]:
    return sorted(d["code"] for d in diagnostics if "code" in d)


def has(code: str):
    return lambda found: code in codes(found)


def lacks(code: str):
    return lambda found: code not in codes(found)


def test_initialize_advertises_notebook_sync_for_jupyter_notebooks(server):
    sync = server.capabilities["notebookDocumentSync"]
    selector = sync["notebookSelector"][0]
    assert selector["notebook"] == "jupyter-notebook"
    assert {"language": "python"} in selector["cells"]
    assert server.capabilities["hoverProvider"] and server.capabilities["codeActionProvider"]
    # and it asks to hear about configuration files, the client being able to watch them
    server.wait_for(
        lambda: any(r["method"] == "client/registerCapability" for r in server.server_requests),
        what="client/registerCapability",
    )
    request = next(r for r in server.server_requests if r["method"] == "client/registerCapability")
    registration = request["params"]["registrations"][0]
    assert registration["method"] == "workspace/didChangeWatchedFiles"
    assert {w["globPattern"] for w in registration["registerOptions"]["watchers"]} == {
        "**/nblint.toml",
        "**/pyproject.toml",
    }


def test_findings_land_on_their_cells_as_check_reports_them(server, workspace):
    notebook = Notebook(
        server, workspace / "same" / "alloc.ipynb", ALLOCATION + ["while True:\n    i = 1\n", "!pip install pandas\n"]
    )
    expected = json_findings(
        run_nblint("check", "--no-cache", "--format", "json", "alloc.ipynb", cwd=workspace / "same")
    )
    assert {f["code"] for f in expected} >= {"NB101", "NB201", "NB502"}
    server.wait_diagnostics(notebook.cells[-1], has("NB502"))
    server.settle()
    for index, uri in enumerate(notebook.cells):  # a cell with nothing to report gets no publication at all
        wanted = sorted(
            (f["code"], f["line"] - 1, f["code"] + " " + f["message"]) for f in expected if f["cell"] == index
        )
        found = server.diagnostics.get(uri, [])
        assert sorted((d["code"], d["range"]["start"]["line"], d["message"]) for d in found) == wanted, index
    allocation = server.diagnostics[notebook.cells[3]][0]
    assert allocation["source"] == "nblint" and allocation["severity"] == 1  # error
    assert allocation["range"]["start"] == {"line": 0, "character": 4}  # np.zeros(...) in `x = np.zeros(...)`


def test_an_edit_moves_the_diagnostic_with_its_line(server, workspace):
    notebook = Notebook(server, workspace / "edit.ipynb", ALLOCATION)
    cell = notebook.cells[3]
    assert notebook.diagnostics(3, has("NB101"))[0]["range"]["start"]["line"] == 0
    notebook.edit(
        cell,
        [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "newText": "y = 1\n\n"}],
    )
    moved = server.wait_diagnostics(cell, lambda found: has("NB101")(found) and found[0]["range"]["start"]["line"] == 2)
    assert moved[0]["range"]["start"]["character"] == 4
    # cross-cell: the size comes from cell 2; make N small and the finding goes
    notebook.edit(
        notebook.cells[1],
        [{"range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 11}}, "newText": "10"}],
    )
    assert notebook.texts[notebook.cells[1]] == "N = 10\n"
    server.wait_diagnostics(cell, lambda found: found == [])


def test_columns_are_utf16_code_units(server, workspace):
    # LSP counts UTF-16 units by default: "😀" is one character for Python, two units for the editor
    notebook = Notebook(
        server, workspace / "emoji.ipynb", ["import numpy as np\n", 's = "é😀"; x = np.zeros((10**6, 10**6))\n']
    )
    found = notebook.diagnostics(1, has("NB101"))
    assert found[0]["range"]["start"]["character"] == len('s = "é😀"; x = '.encode("utf-16-le")) // 2 == 15


def test_cells_added_moved_and_deleted(server, workspace):
    notebook = Notebook(server, workspace / "structure.ipynb", ALLOCATION)
    notebook.diagnostics(3, has("NB101"))
    loop = notebook.insert(0, "while True:\n    i = 1\n")
    server.wait_diagnostics(loop, has("NB201"))
    # the added cell has no id until it is saved: not a schema error (NB004) of this 4.5 notebook
    assert all("NB004" not in codes(server.diagnostics.get(uri, [])) for uri in notebook.cells)
    allocation = notebook.cells[4]
    notebook.move(4, 1)  # the allocation's cell moves up, above the markdown
    assert notebook.cells[1] == allocation
    notebook.move(0, 3)  # and the loop down
    server.settle(DEBOUNCE_MS / 1000 + 0.5)
    assert codes(server.diagnostics[allocation]) == ["NB101"] and codes(server.diagnostics[loop]) == ["NB201"]
    index = notebook.cells.index(loop)
    notebook.delete(index)
    server.wait_diagnostics(loop, lambda found: found == [])  # a deleted cell's diagnostics are taken away
    assert codes(server.diagnostics[allocation]) == ["NB101"]


def test_code_action_ignores_on_the_line_and_in_the_cell(server, workspace):
    notebook = Notebook(server, workspace / "actions.ipynb", ALLOCATION + ["%%time\nz = np.ones((N, N, 2))\n"])
    cell = notebook.cells[3]
    diagnostic = notebook.diagnostics(3, has("NB101"))[0]
    actions = server.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": cell}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}},
    )
    titles = [action["title"] for action in actions]
    assert titles == ["Ignore NB101 on this line", "Ignore NB101 in this cell"]
    line_action = actions[0]
    assert line_action["kind"] == "quickfix" and line_action["diagnostics"][0]["code"] == "NB101"
    notebook.edit(cell, line_action["edit"]["changes"][cell])
    assert notebook.texts[cell] == "x = np.zeros((N, N))  # nblint: ignore[NB101]\n"
    server.wait_diagnostics(cell, lambda found: found == [])

    # in a cell that starts with a cell magic, the comment goes below it
    magic = notebook.cells[4]
    diagnostic = notebook.diagnostics(4, has("NB101"))[0]
    actions = server.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": magic}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}},
    )
    cell_action = next(action for action in actions if action["title"] == "Ignore NB101 in this cell")
    notebook.edit(magic, cell_action["edit"]["changes"][magic])
    assert notebook.texts[magic] == "%%time\n# nblint: ignore-cell[NB101]\nz = np.ones((N, N, 2))\n"
    server.wait_diagnostics(magic, lambda found: found == [])
    # and the suppression is what `nblint check` honours
    notebook.save()
    result = run_nblint("check", "--no-cache", "--format", "json", str(notebook.path), cwd=workspace)
    assert "NB101" not in {f["code"] for f in json_findings(result)}


def test_no_line_action_where_a_comment_would_land_in_a_string(server, workspace):
    notebook = Notebook(
        server,
        workspace / "string.ipynb",
        ["import numpy as np\n", 'x = np.zeros((10**6, 10**6)); s = """\n# text\n"""\n'],
    )
    diagnostic = notebook.diagnostics(1, has("NB101"))[0]
    actions = server.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": notebook.cells[1]},
            "range": diagnostic["range"],
            "context": {"diagnostics": [diagnostic]},
        },
    )
    assert [action["title"] for action in actions] == ["Ignore NB101 in this cell"]


def test_hover_shows_the_rules_docs(server, workspace):
    notebook = Notebook(server, workspace / "hover.ipynb", ALLOCATION)
    diagnostic = notebook.diagnostics(3, has("NB101"))[0]
    hover = server.request(
        "textDocument/hover", {"textDocument": {"uri": notebook.cells[3]}, "position": diagnostic["range"]["start"]}
    )
    from nblint.rules import ALL_RULES

    assert hover["contents"]["kind"] == "markdown"
    assert ALL_RULES["NB101"].docs() in hover["contents"]["value"]  # what `nblint explain NB101` prints
    assert "## What it does" in hover["contents"]["value"] and "## Use instead" in hover["contents"]["value"]
    nothing = server.request(
        "textDocument/hover", {"textDocument": {"uri": notebook.cells[0]}, "position": {"line": 0, "character": 0}}
    )
    assert nothing is None


def test_configuration_changes_are_picked_up(server, workspace):
    folder = workspace / "configured"
    notebook = Notebook(server, folder / "nb.ipynb", ALLOCATION)
    notebook.diagnostics(3, has("NB101"))
    config = folder / "nblint.toml"
    config.write_text('extend-select = ["NB502"]\nignore = ["NB101"]\n', encoding="utf-8")
    server.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": config.as_uri(), "type": 1}]})
    notebook.diagnostics(3, lacks("NB101"))
    # without a notification (a client that does not watch files), the next analysis sees the change
    config.write_text('memory-budget = "500 GiB"\nignore = []\n', encoding="utf-8")
    notebook.edit(
        notebook.cells[1],
        [
            {
                "range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 11}},
                "newText": "1_000_000",
            }
        ],
    )  # 7.3 TiB: over even this budget
    found = notebook.diagnostics(3, has("NB101"))
    assert "500 GiB budget" in found[0]["message"]


def test_a_bad_configuration_is_reported_not_a_crash(server, workspace):
    folder = workspace / "badconfig"
    (folder).mkdir()
    (folder / "nblint.toml").write_text("no-such-key = 1\n", encoding="utf-8")
    notebook = Notebook(server, folder / "nb.ipynb", ALLOCATION)
    found = notebook.diagnostics(0, lambda found: len(found) == 1)
    assert "no-such-key" in found[0]["message"] and "nblint.toml" in found[0]["message"]
    server.wait_for(lambda: any("no-such-key" in m["message"] for m in server.messages), what="a message")


def test_notebook_level_findings_go_on_the_first_cell(server, workspace):
    notebook = Notebook(
        server, workspace / "nokernel.ipynb", [{"cell_type": "markdown", "source": "# Title\n"}, "x = 1\n"], metadata={}
    )
    found = notebook.diagnostics(0, has("NB601"))
    assert found[0]["range"]["start"]["line"] == 0
    # a new notebook that neither the editor's metadata nor a saved file describes: its kernel is unknown
    unsaved = Notebook(server, workspace / "unsaved.ipynb", ["while True:\n    x = 1\n"], write=False)
    unsaved.diagnostics(0, has("NB201"))
    assert "NB601" not in codes(server.diagnostics[unsaved.cells[0]])
    # the editor's metadata (VS Code nests nbformat's under "metadata") is read when it sends it
    sent = Notebook(
        server,
        workspace / "sent.ipynb",
        ["x = 1\n"],
        write=False,
        client_metadata={"metadata": {"kernelspec": {"name": "python3"}}},
    )
    sent.diagnostics(0, has("NB602"))  # incomplete kernelspec: no display_name


def test_closing_clears_the_diagnostics(server, workspace):
    notebook = Notebook(server, workspace / "close.ipynb", ALLOCATION + ["while True:\n    i = 1\n"], metadata={})
    notebook.diagnostics(3, has("NB101"))
    notebook.diagnostics(0, has("NB601"))
    notebook.close()
    for uri in (notebook.cells[0], notebook.cells[3], notebook.cells[4]):
        server.wait_diagnostics(uri, lambda found: found == [])


def test_edits_are_debounced(server, workspace):
    notebook = Notebook(server, workspace / "typing.ipynb", ALLOCATION)
    cell = notebook.cells[3]
    notebook.diagnostics(3, has("NB101"))
    before = len(server.publications)
    for _ in range(6):  # six keystrokes, each moving the finding down a line
        notebook.edit(
            cell,
            [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "newText": "\n"}],
        )
    final = server.wait_diagnostics(cell, lambda found: has("NB101")(found) and found[0]["range"]["start"]["line"] == 6)
    assert final[0]["range"]["start"]["line"] == 6
    server.settle(DEBOUNCE_MS / 1000 + 0.3)
    published = [uri for uri, _ in server.publications[before:] if uri == cell]
    assert 1 <= len(published) < 6


def test_an_ipynb_opened_as_text_gets_diagnostics_on_its_json_lines(server, workspace):
    path = write_notebook(workspace / "astext.ipynb", ALLOCATION, metadata=KERNEL)
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}
    )
    found = server.wait_diagnostics(uri, has("NB101"))
    expected = next(
        f
        for f in json_findings(run_nblint("check", "--no-cache", "--format", "json", str(path)))
        if f["code"] == "NB101"
    )
    assert found[0]["range"]["start"]["line"] == expected["json_line"] - 1
    assert text.splitlines()[expected["json_line"] - 1].strip().startswith('"x = np.zeros')
    # broken JSON while typing: NB002 where the JSON breaks, nothing else
    server.notify(
        "textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text[:40]}]}
    )
    found = server.wait_diagnostics(uri, has("NB002"))
    assert codes(found) == ["NB002"]
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.wait_diagnostics(uri, lambda found: found == [])


def test_a_missing_config_file_is_a_usage_error(tmp_path):
    result = run_nblint("server", "--config", "missing.toml", cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "missing.toml" in result.stderr


def test_server_without_pygls_says_how_to_install_it(tmp_path):
    # sys.modules[name] = None is how Python spells "this module cannot be imported"
    code = "import sys; sys.modules['pygls'] = None; from nblint.cli import main; sys.exit(main(['server']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and 'pip install ".[server]"' in result.stderr
    assert "Traceback" not in result.stderr


def test_python_text_documents_are_checked_as_source(server, workspace):
    # jupyterlab-lsp sends a notebook as one Python text document of its code cells, keeping the .ipynb name
    uri = (workspace / ".virtual_documents" / "lab.ipynb").as_uri()
    text = "import numpy as np\nN = 100_000\n\n\nx = np.zeros((N, N))\n"
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )
    found = server.wait_diagnostics(uri, has("NB101"))
    assert codes(found) == ["NB101"] and found[0]["range"]["start"]["line"] == 4  # and no NB601: no kernel known
    actions = server.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": uri}, "range": found[0]["range"], "context": {"diagnostics": found}},
    )
    assert [action["title"] for action in actions] == ["Ignore NB101 on this line"]  # no cell to comment
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.wait_diagnostics(uri, lambda found: found == [])


def test_jupyter_lsp_finds_the_server_through_its_entry_point():
    import importlib.util
    from importlib import import_module

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    from conftest import REPO

    entry = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"]["jupyter_lsp_spec_v1"][
        "nblint"
    ]
    module, _, name = entry.partition(":")
    specs = getattr(import_module(module), name)(None)  # jupyter-lsp calls it with its manager
    if importlib.util.find_spec("pygls") is None:
        assert specs == {}  # nothing jupyter-lsp could start
        return
    spec = specs["nblint"]
    assert spec["argv"][1:] == ["-m", "nblint", "server"] and spec["languages"] == ["python"]
    assert spec["version"] == 2
    result = subprocess.run(
        [spec["argv"][0], "-m", "nblint", "server", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "language server" in result.stdout


def code_actions(server: LspClient, uri: str, diagnostic: dict) -> list[dict]:
    return server.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}},
    )


def test_a_findings_safe_fix_is_a_code_action(server, workspace):
    notebook = Notebook(server, workspace / "fix.ipynb", ["import os\n", "!pip install pandas==2.2.2\n"])
    cell = notebook.cells[1]
    diagnostic = notebook.diagnostics(1, has("NB502"))[0]
    actions = code_actions(server, cell, diagnostic)
    preferred = [action for action in actions if action.get("isPreferred")]
    assert len(preferred) == 1 and "%pip" in preferred[0]["title"]
    assert [a["title"] for a in actions if not a.get("isPreferred")] == [
        "Ignore NB502 on this line",
        "Ignore NB502 in this cell",
    ]
    notebook.edit(cell, preferred[0]["edit"]["changes"][cell])
    assert notebook.texts[cell] == "%pip install pandas==2.2.2\n"
    server.wait_diagnostics(cell, lambda found: found == [])


def test_notebook_level_findings_offer_no_cell_actions(server, workspace):
    # NB601's fix writes the notebook's metadata: not something LSP can send to a notebook document
    notebook = Notebook(
        server, workspace / "kernelless.ipynb", ["x = 1\n"], metadata={"language_info": {"name": "python"}}
    )
    diagnostic = notebook.diagnostics(0, has("NB601"))[0]
    assert code_actions(server, notebook.cells[0], diagnostic) == []


def test_fixes_apply_to_an_ipynb_opened_as_text(server, workspace):
    path = write_notebook(workspace / "fixtext.ipynb", ["import os\n", "!pip install pandas==2.2.2\n"], metadata=KERNEL)
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}
    )
    diagnostic = next(d for d in server.wait_diagnostics(uri, has("NB502")) if d["code"] == "NB502")
    actions = code_actions(server, uri, diagnostic)
    assert len(actions) == 1 and actions[0]["isPreferred"]  # the fix; no suppression comments in the JSON
    fixed = apply_edits(text, actions[0]["edit"]["changes"][uri])
    assert fixed.replace('"%pip install', '"!pip install') == text  # only what the fix names changed
    path.write_text(fixed, encoding="utf-8")
    assert "NB502" not in {
        f["code"] for f in json_findings(run_nblint("check", "--no-cache", "--format", "json", str(path)))
    }
    server.notify(
        "textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}
    )
    server.wait_diagnostics(uri, lacks("NB502"))
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


@pytest.mark.slow
def test_the_server_reports_what_check_reports_on_the_corpus():
    """Every corpus notebook, sent as the editor sends it (cells and metadata, no outputs), gets the
    findings `check` gives the file, cell for cell. Not compared: notebooks that do not match nbformat's
    schema (NB004): the editor's document is rebuilt from its cells, so the file's own problems (a cell
    without a source, a malformed output) are not in it."""
    from conftest import CORPUS

    from nblint.run.config import ConfigResolver, Overrides
    from nblint.run.pipeline import check_file
    from nblint.server.analysis import Analyser
    from nblint.server.documents import CODE, MARKUP, CellSnapshot, NotebookSnapshot
    from nblint.server.settings import ServerSettings

    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    analyser, resolver = Analyser(ServerSettings(Overrides())), ConfigResolver()
    compared = 0
    for path in sorted(CORPUS.rglob("*.ipynb")):
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            continue
        if (
            not isinstance(data, dict)
            or data.get("nbformat") != 4
            or not isinstance(data.get("cells"), list)
            or not data["cells"]
        ):
            continue
        settings = resolver.for_path(path)
        expected = check_file(path, settings.rules_for(path), settings.options).findings
        if any(f.code == "NB004" for f in expected):
            continue
        cells = []
        for index, cell in enumerate(data["cells"]):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            kind = MARKUP if cell.get("cell_type") == "markdown" else CODE
            language = {"markdown": "markdown", "raw": "raw"}.get(cell.get("cell_type"), "python")
            cells.append(CellSnapshot(f"cell:{index}", kind, language, source, {"metadata": cell.get("metadata", {})}))
        snapshot = NotebookSnapshot(path.as_uri(), 1, path, tuple(cells), {"metadata": data.get("metadata", {})})
        outcome = analyser.notebook(snapshot)
        got = sorted(
            (f.code, f.cell, f.line, f.column, f.message) for found in outcome.findings.values() for f in found
        )
        want = sorted(
            (
                f.code,
                f.cell,
                f.line if f.cell is not None else None,
                f.column if f.cell is not None else None,
                f.message,
            )
            for f in expected
        )
        compared += 1
        assert got == want, path.name
    assert compared > 400, compared


def test_outputs_come_from_the_saved_file(server, workspace):
    # LSP does not carry outputs: a cell whose text is a saved cell's has that cell's outputs (NB703 here)
    traceback = {
        "output_type": "error",
        "ename": "ZeroDivisionError",
        "evalue": "division by zero",
        "traceback": ["ZeroDivisionError: division by zero"],
    }
    cells = ["x = 1\n", {"cell_type": "code", "source": "1 / 0\n", "outputs": [traceback], "execution_count": 2}]
    notebook = Notebook(server, workspace / "outputs.ipynb", cells)
    found = notebook.diagnostics(1, has("NB703"))
    assert "ZeroDivisionError" in found[0]["message"]
    assert "NB703" not in codes(server.diagnostics.get(notebook.cells[0], []))


def test_a_cell_tag_sent_by_the_editor_suppresses(server, workspace):
    # VS Code sends a cell's nbformat metadata under "metadata": its tags are nblint's cell suppressions
    tagged = Notebook(server, workspace / "tagged2.ipynb", [], write=False)
    uri = f"vscode-notebook-cell:{workspace / 'tagged2.ipynb'}#T0"
    server.notify(
        "notebookDocument/didChange",
        {
            "notebookDocument": {"uri": tagged.uri, "version": 2},
            "change": {
                "cells": {
                    "structure": {
                        "array": {
                            "start": 0,
                            "deleteCount": 0,
                            "cells": [
                                {
                                    "kind": 2,
                                    "document": uri,
                                    "metadata": {"metadata": {"tags": ["nblint-ignore[NB201]"]}},
                                },
                                {"kind": 2, "document": uri + "b"},
                            ],
                        },
                        "didOpen": [
                            {"uri": uri, "languageId": "python", "version": 1, "text": "while True:\n    i = 1\n"},
                            {
                                "uri": uri + "b",
                                "languageId": "python",
                                "version": 1,
                                "text": "while True:\n    j = 1\n",
                            },
                        ],
                    }
                }
            },
        },
    )
    server.wait_diagnostics(uri + "b", has("NB201"))
    server.settle()
    assert "NB201" not in codes(server.diagnostics.get(uri, []))


def test_virtual_documents_use_the_real_notebooks_configuration(server, workspace):
    # jupyterlab-lsp: ROOT/.virtual_documents/REL/nb.ipynb stands for ROOT/REL/nb.ipynb; a nblint.toml beside it applies
    (workspace / "sub").mkdir(exist_ok=True)
    (workspace / "sub" / "nblint.toml").write_text('extend-select = ["NB502"]\nignore = ["NB101"]\n', encoding="utf-8")
    uri = (workspace / ".virtual_documents" / "sub" / "lab.ipynb").as_uri()
    text = 'import numpy as np\nN = 100_000\n\n\nx = np.zeros((N, N))\nget_ipython().getoutput("pip install pandas")\n'
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )
    found = server.wait_diagnostics(uri, lambda found: "NB502" in codes(found))
    assert "NB101" not in codes(found)  # ignored by sub/nblint.toml
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.wait_diagnostics(uri, lambda found: found == [])


def test_getoutput_form_is_read_as_the_bang_line_it_was(server, workspace):
    uri = (workspace / ".virtual_documents" / "bang.ipynb").as_uri()
    text = (
        'x = 1\nget_ipython().getoutput("pip install pandas")\nget_ipython().run_line_magic("pip", " install numpy")\n'
    )
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )
    found = server.wait_diagnostics(uri, lambda found: "NB502" in codes(found))
    assert [d["range"]["start"]["line"] for d in found if d["code"] == "NB502"] == [1]  # `!pip`, not `%pip`
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.wait_diagnostics(uri, lambda found: found == [])


def test_diagnostics_carry_the_code_and_a_link_to_the_rule(server, workspace):
    uri = (workspace / ".virtual_documents" / "coded.ipynb").as_uri()
    text = "import numpy as np\nN = 100_000\nx = np.zeros((N, N))\n"
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )
    found = server.wait_diagnostics(uri, has("NB101"))
    diagnostic = next(d for d in found if d["code"] == "NB101")
    assert diagnostic["message"].startswith("NB101 ")  # plain hover in jupyterlab-lsp and Neovim shows only the message
    assert diagnostic["codeDescription"]["href"].endswith("/rules/NB101/")
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.wait_diagnostics(uri, lambda found: found == [])


@pytest.mark.parametrize(
    "capabilities",
    [{}, {"notebookDocument": {"synchronization": {}}, "general": {"positionEncodings": ["utf-32", "utf-16"]}}],
)
def test_the_early_initialize_answer_is_pygls_own(tmp_path, capabilities):
    pytest.importorskip("pygls.lsp.server", reason='`nblint server` needs the server extra (pip install ".[server]")')
    results = []
    for early in ("1", "0"):
        client = LspClient(cwd=tmp_path, env={"NBLINT_SERVER_EARLY_ANSWER": early})
        results.append(
            client.request(
                "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": capabilities}
            )
        )
        client.notify("initialized", {})
        assert client.shutdown() == 0
        assert "early answer" not in client.stderr()
    assert results[0] == results[1] and "hoverProvider" in results[0]["capabilities"]


def test_an_excluded_notebook_gets_no_diagnostics(server, workspace):
    # `nblint check` skips a notebook the configuration excludes, even when it is named; the editor must too.
    # Seen in JupyterLab: `exclude` in the nblint.toml beside the notebook was ignored, while its per-file-ignores held.
    folder = workspace / "excl"
    folder.mkdir(exist_ok=True)
    (folder / "nblint.toml").write_text('exclude = ["skipped*.ipynb"]\n', encoding="utf-8")
    text = "import numpy as np\nN = 100_000\nx = np.zeros((N, N))\n"
    virtual = (workspace / ".virtual_documents" / "excl" / "skipped.ipynb").as_uri()
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": virtual, "languageId": "python", "version": 1, "text": text}}
    )
    cells = ["import numpy as np\n", "N = 100_000\n", "x = np.zeros((N, N))\n"]
    excluded = Notebook(server, folder / "skipped_too.ipynb", cells)
    # a notebook beside them that is not excluded: once its findings are in, the analyses opened before it are done
    kept = Notebook(server, folder / "kept.ipynb", cells)
    server.wait_diagnostics(kept.cells[2], has("NB101"))
    server.settle()
    assert codes(server.diagnostics.get(virtual, [])) == []
    assert all(codes(server.diagnostics.get(cell, [])) == [] for cell in excluded.cells)
    server.notify("textDocument/didClose", {"textDocument": {"uri": virtual}})
    excluded.close()
    kept.close()
