"""The rule registry: every rule class, by code.

Rules live by family, one folder per hundred of codes (`memory/` for NB1xx, `loops/` for NB2xx, ...),
each with its helpers beside it; `common/` holds helpers several families share. A rule is added by
writing its module in its family's folder; nothing else changes. Every module below this package is
imported, and each class it defines with a `code` of its own is a rule; helper modules define none.
"""

from __future__ import annotations

import importlib
import pkgutil

from nblint.core.options import GUARD_OPTIONS, MEMORY_BUDGET, Option
from nblint.rules.base import CodeRule, EngineRule, NotebookRule, Rule

RULE_MODULES = sorted(
    module.name
    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}.")
    if not module.ispkg and module.name != f"{__name__}.base"
)


def _load() -> dict[str, type[Rule]]:
    rules: dict[str, type[Rule]] = {}
    for module_name in RULE_MODULES:
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
                rules[value.code] = value
    return dict(sorted(rules.items()))


ALL_RULES: dict[str, type[Rule]] = _load()
RULES_BY_NAME: dict[str, type[Rule]] = {rule.name: rule for rule in ALL_RULES.values()}


def all_options() -> dict[str, Option]:
    """Every rule option by key; an option shared by several rules (memory-budget) appears once."""
    options: dict[str, Option] = {MEMORY_BUDGET.key: MEMORY_BUDGET}
    options.update((option.key, option) for option in GUARD_OPTIONS)  # the guard's own (interrupt-at, ...)
    for rule in ALL_RULES.values():
        for option in rule.options:
            known = options.get(option.key)
            if known is not None and known != option:
                raise RuntimeError(f"option {option.key} is declared twice with different meanings")
            options[option.key] = option
    return options


def rules_using(key: str) -> list[str]:
    return [code for code, rule in ALL_RULES.items() if any(o.key == key for o in rule.options)]
