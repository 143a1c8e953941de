"""The rule registry: every rule class, by code.

Rules live by family, one folder per hundred of codes (`memory/` for NB1xx, `loops/` for NB2xx, ...),
each with its helpers beside it; `common/` holds helpers several families share. A rule is added by
writing its module in its family's folder; nothing else changes. Every module below this package is
imported, and each class it defines with a `code` of its own is a rule; helper modules define none.

`CHECK_RULES` holds the rules `nblint check` (and the guard, and the server) can run: every family but
`machine/`, loaded with this package. The machine rules (NB8xx, run by `nblint doctor` alone) are loaded
on first use of `ALL_RULES` or `RULES_BY_NAME`, which hold every rule: a check of one notebook does not
pay for importing them (three modules, nine dataclasses of facts and probes: 34M instructions). Their
options, which every command reads from the configuration, are in `machine/options.py`, imported with
the rest.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

from nblint.core.options import GUARD_OPTIONS, MEMORY_BUDGET, Option
from nblint.rules.base import CodeRule, EngineRule, NotebookRule, Rule
from nblint.rules.machine.options import MACHINE_OPTIONS

RULE_MODULES = sorted(
    module.name
    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}.")
    if not module.ispkg and module.name != f"{__name__}.base"
)
_MACHINE_FAMILY = f"{__name__}.machine."


def _load(modules: list[str], machine: bool) -> dict[str, type[Rule]]:
    rules: dict[str, type[Rule]] = {}
    for module_name in modules:
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value not in (Rule, CodeRule, NotebookRule, EngineRule)
                and value.__module__ == module.__name__
                and "code" in vars(value)
            ):
                if value.code in rules:
                    raise RuntimeError(f"two rules use code {value.code}")
                if getattr(value, "machine", False) != machine:
                    raise RuntimeError(f"{value.code}: machine rules live in {_MACHINE_FAMILY[:-1]}, and only they")
                rules[value.code] = value
    return dict(sorted(rules.items()))


CHECK_RULES: dict[str, type[Rule]] = _load([m for m in RULE_MODULES if not m.startswith(_MACHINE_FAMILY)], False)


@functools.cache
def _every_rule() -> tuple[dict[str, type[Rule]], dict[str, type[Rule]]]:
    machine = _load([m for m in RULE_MODULES if m.startswith(_MACHINE_FAMILY)], True)
    if set(machine) & set(CHECK_RULES):
        raise RuntimeError(f"two rules use code {sorted(set(machine) & set(CHECK_RULES))[0]}")
    every = dict(sorted({**CHECK_RULES, **machine}.items()))
    return every, {rule.name: rule for rule in every.values()}


def __getattr__(name: str) -> Any:
    """ALL_RULES (every rule, by code) and RULES_BY_NAME (by name), the machine rules loaded on first use."""
    if name == "ALL_RULES":
        return _every_rule()[0]
    if name == "RULES_BY_NAME":
        return _every_rule()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    ALL_RULES: dict[str, type[Rule]]
    RULES_BY_NAME: dict[str, type[Rule]]


def all_options() -> dict[str, Option]:
    """Every rule option by key; an option shared by several rules (memory-budget) appears once."""
    options: dict[str, Option] = {MEMORY_BUDGET.key: MEMORY_BUDGET}
    options.update((option.key, option) for option in GUARD_OPTIONS)  # the guard's own (interrupt-at, ...)
    # The machine rules' last: their codes (NB8xx) sort after every other rule's.
    for option in [o for rule in CHECK_RULES.values() for o in rule.options] + list(MACHINE_OPTIONS):
        known = options.get(option.key)
        if known is not None and known != option:
            raise RuntimeError(f"option {option.key} is declared twice with different meanings")
        options[option.key] = option
    return options


def rules_using(key: str) -> list[str]:
    return [code for code, rule in _every_rule()[0].items() if any(o.key == key for o in rule.options)]
