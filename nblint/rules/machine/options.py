"""The NB8xx rules' options, apart from the rules: `nblint check` reads and checks every option of a
configuration (an unknown or malformed key is an error for every command), and does so without importing
the machine rules, which only `nblint doctor` runs (nblint.rules loads them on first use of ALL_RULES).
A machine rule's new option goes here too: tests/test_startup.py checks that all_options() holds every
rule's options, in order."""

from __future__ import annotations

from nblint.core.options import Option, parse_number

PROBE_TIMEOUT = Option(
    "probe-timeout",
    20,
    parse_number,
    "Seconds a probe of a kernel's interpreter (or one import in it) may take before it is reported.",
)

KERNEL_START_TIMEOUT = Option(
    "kernel-start-timeout",
    60,
    parse_number,
    "Seconds a kernel started by `nblint doctor --start` may take to answer kernel_info (jupyter_server waits 60).",
)

IMPORT_TIMEOUT = Option(
    "import-timeout",
    60,
    parse_number,
    "Seconds one import probe (`nblint doctor`, NB809) may take in the kernel's environment before it is reported.",
)

# In the order the rules (by code) declare them, which is the order of nblint.rules.all_options().
MACHINE_OPTIONS = (PROBE_TIMEOUT, KERNEL_START_TIMEOUT, IMPORT_TIMEOUT)
