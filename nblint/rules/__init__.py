"""The rule registry: every rule class, by code.

A rule is added by writing its module in this package; nothing else changes. Modules whose names
start with an underscore, and `base`, hold helpers rather than rules.
"""

from __future__ import annotations

import importlib
import pkgutil

from nblint.engine.options import MEMORY_BUDGET, Option
from nblint.rules.base import CodeRule, EngineRule, NotebookRule, Rule

RULE_MODULES = sorted(
    f"{__name__}.{module.name}"
    for module in pkgutil.iter_modules(__path__)
    if not module.name.startswith("_") and module.name != "base"
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
    for rule in ALL_RULES.values():
        for option in rule.options:
            known = options.get(option.key)
            if known is not None and known != option:
                raise RuntimeError(f"option {option.key} is declared twice with different meanings")
            options[option.key] = option
    return options


def rules_using(key: str) -> list[str]:
    return [code for code, rule in ALL_RULES.items() if any(o.key == key for o in rule.options)]
