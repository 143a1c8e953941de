"""NB7xx: what should not be committed: outputs, tracebacks, secrets."""
