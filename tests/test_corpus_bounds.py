"""No notebook of the shared corpus takes more than 5 s to check (issue 11), measured one by one, in
CPU time of the checking thread so that other work on a shared machine does not count."""

from __future__ import annotations

import time

import pytest
from conftest import CORPUS

from nblint.core.deepstack import call_with_deep_stack
from nblint.rules import ALL_RULES, all_options
from nblint.run.pipeline import check_file

LIMIT_SECONDS = 5.0


def check_each(paths):
    """[(CPU seconds, path, codes)] for every notebook, every rule on, as `nblint check --select ALL`."""
    enabled = set(ALL_RULES)
    options = {key: option.parsed_default() for key, option in all_options().items()}
    timings = []
    for path in paths:
        start = time.thread_time()
        result = check_file(path, enabled, options)
        timings.append((time.thread_time() - start, path, [f.code for f in result.findings]))
    return timings


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
def test_no_corpus_notebook_takes_over_5_seconds():
    paths = sorted(CORPUS.rglob("*.ipynb"))
    assert len(paths) > 500
    timings = call_with_deep_stack(check_each, paths)
    slow = [
        (round(seconds, 2), str(path.relative_to(CORPUS))) for seconds, path, _ in timings if seconds > LIMIT_SECONDS
    ]
    assert not slow, slow
    assert not [path for _, path, codes in timings if "NB000" in codes]
