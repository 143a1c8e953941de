"""nblint: find the code that kills Jupyter kernels, and keep notebooks healthy in git."""

__version__ = "0.1.0"
