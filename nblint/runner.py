"""Checking many files: each with the settings of its own configuration, results in a stable order."""

from __future__ import annotations

from pathlib import Path

from nblint.config import ConfigResolver
from nblint.deepstack import call_with_deep_stack
from nblint.engine import FileResult, check_file


def check_one(path: Path, resolver: ConfigResolver) -> FileResult:
    settings = resolver.for_path(path)
    return check_file(path, settings.rules_for(path), settings.options, display_path=str(path))


def check_files(files: list[Path], resolver: ConfigResolver) -> list[FileResult]:
    def run() -> list[FileResult]:
        return [check_one(path, resolver) for path in files]

    results = call_with_deep_stack(run)
    results.sort(key=lambda result: result.path)
    return results
