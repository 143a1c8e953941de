"""Core: reading notebooks and code, findings, fixes, options and the size model. Imports no rule and nothing that runs."""
