"""nblint's guard: an IPython extension that checks each cell with the kernel's live values before it runs
and refuses one that cannot fit in the memory the kernel has. `%load_ext nblint.guard` (or
`%load_ext nblint`); `nblint guard install` loads it in every kernel of an IPython profile.
"""


def load_ipython_extension(ipython) -> None:
    from nblint.guard.extension import load

    load(ipython)


def unload_ipython_extension(ipython) -> None:
    from nblint.guard.extension import unload

    unload(ipython)
