"""nblint: find the code that kills Jupyter kernels, and keep notebooks healthy in git."""

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """`%load_ext nblint`: the guard (nblint.guard), imported only when IPython asks for it."""
    from nblint.guard import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython) -> None:
    from nblint.guard import unload_ipython_extension as unload

    unload(ipython)
