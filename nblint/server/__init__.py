"""`nblint server`: a language server for notebook documents (needs the `server` extra: pygls).

- documents.py: an editor's notebook document -> the notebook JSON the engine reads
- settings.py: the configuration `nblint check` would use, re-read when it changes
- analysis.py: the engine run for one document, findings by cell URI
- diagnostics.py: findings -> LSP diagnostics
- actions.py: "ignore NBxxx on this line / in this cell" code actions
- server.py: the pygls server: sync, debounce, publish, hover, code actions
"""
