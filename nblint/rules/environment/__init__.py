"""NB5xx: installs, paths and execution order that tie a notebook to one machine or one run."""
