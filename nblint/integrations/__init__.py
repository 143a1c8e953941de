"""Where nblint meets other tools: nbstripout (strip), nbdime (--diff-base), git hooks, the GitHub Action."""
