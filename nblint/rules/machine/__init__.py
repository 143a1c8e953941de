"""NB8xx: this machine: kernels and environments that do not match the notebook."""
