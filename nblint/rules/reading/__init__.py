"""NB0xx: notebooks that cannot be read or parsed (reported by the engine itself)."""
