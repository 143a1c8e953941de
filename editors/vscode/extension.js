// Starts `nblint server` and hands it to VS Code's language client. The client syncs notebook
// documents because the server announces notebookDocumentSync (jupyter-notebook, python and markdown
// cells); the selector below also routes hovers and code actions of notebook cells
// (vscode-notebook-cell: URIs), .ipynb files opened as text (their JSON) and .py files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate() {
  const [command, ...args] = vscode.workspace.getConfiguration("nblint").get("command");
  client = new LanguageClient("nblint", "nblint", { command, args }, {
    documentSelector: [
      { scheme: "file", pattern: "**/*.ipynb" }, // an .ipynb opened as text: its JSON
      { notebook: "jupyter-notebook", language: "python" }, // notebook cells: hover and code actions too
      { scheme: "file", language: "python" }, // .py files
    ],
  });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
