"""SARIF 2.1.0: one result per finding, every rule described in tool.driver.rules with its help text.

Regions use the raw .ipynb line (json_line) so code scanning shows the finding on the file as committed;
the cell, its id and the line within the cell travel in each result's properties.
"""

from __future__ import annotations

import json

from nblint import __version__
from nblint.reporters import RunResult
from nblint.rules import ALL_RULES

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


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
                        "artifactLocation": {"uri": finding.path.replace("\\", "/")},
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
