"""SARIF 2.1.0: one result per finding, every rule described in tool.driver.rules with its help text.

Regions use the raw .ipynb line (json_line) so code scanning shows the finding on the file as committed;
the cell, its id and the line within the cell travel in each result's properties.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote

from nblint import __version__
from nblint.reporters import RunResult
from nblint.rules import ALL_RULES

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


# RFC 3986 pchar, less ":": sub-delims and "@" may stay as they are; everything else is percent-encoded.
# A ":" is encoded wherever it is, because in the first segment it would make the name read as a scheme
# (`x:y.ipynb` is the URI `y.ipynb` of scheme `x`).
_PATH_SAFE = "/!$&'()*+,;=@"


def artifact_uri(path: str) -> str:
    """The notebook's path as SARIF's `artifactLocation.uri`: a relative path as an RFC 3986 relative
    reference (spaces, `%`, `:`, `#`, `?` and non-ASCII percent-encoded, as UTF-8), an absolute one as a
    `file://` URI, which code scanning makes relative to the checkout."""
    if os.path.isabs(path):
        from pathlib import Path

        return Path(path).as_uri()
    return quote(path.replace(os.sep, "/"), safe=_PATH_SAFE)


def _rule_descriptor(rule) -> dict:
    sections = rule.doc_sections()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": " ".join(sections.get("What it does", rule.summary()).split())},
        "help": {"text": rule.docs(), "markdown": rule.docs()},
        "defaultConfiguration": {"level": _LEVEL[rule.severity.value], "enabled": rule.default_enabled},
        "properties": {"tags": [rule.code[:3] + "xx"]},
    }


def render(run: RunResult) -> str:
    codes = list(ALL_RULES)
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for finding in run.findings:
        region: dict = {"startLine": finding.json_line or 1}
        result = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": _LEVEL[finding.severity.value],
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(finding.path)},
                        "region": region,
                    }
                }
            ],
            "properties": {
                "cell": finding.cell,
                "cellId": finding.cell_id,
                "line": finding.line,
                "column": finding.column,
            },
        }
        if finding.evidence:
            result["properties"]["evidence"] = dict(finding.evidence)
        if finding.fix:
            result["message"]["text"] += f" ({finding.fix})"
        results.append(result)
    document = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nblint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule_descriptor(ALL_RULES[code]) for code in codes],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
