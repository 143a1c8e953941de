"""A JSON list of findings (see the README for the fields)."""

from __future__ import annotations

import json

from nblint.reporters import RunResult


def render(run: RunResult) -> str:
    return json.dumps([finding.to_dict() for finding in run.findings], indent=2) + "\n"
