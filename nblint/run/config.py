"""Configuration: `[tool.nblint]` in the nearest pyproject.toml, or an nblint.toml, found from the
notebook's folder upward as ruff finds its configuration; command-line options override.

Rule selection follows ruff: codes or code prefixes (`NB1`, `NB101`, `ALL`); the most specific
selector wins and, on a tie, `ignore` wins. Unknown keys and unknown codes are errors, exit 2.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from nblint.core.options import OptionError

CONFIG_FILES = ("nblint.toml", "pyproject.toml")

# Folders never searched for notebooks, as ruff's defaults (plus nblint's own cache).
DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nblint_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pypackages__",
    "_build",
    "buck-out",
    "node_modules",
    "site-packages",
    "venv",
)

_SELECTION_KEYS = {"select", "ignore", "extend-select"}
_KNOWN_KEYS = _SELECTION_KEYS | {"per-file-ignores", "exclude", "extend-exclude", "strip"}


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Overrides:
    """What the command line says, applied over every configuration file."""

    config: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    options: tuple[tuple[str, Any], ...] = ()


@dataclass
class Settings:
    """The settings that apply to a notebook: a configuration file's, with the command line over it."""

    path: Path | None  # the configuration file, None for the defaults
    root: Path  # the folder relative patterns are resolved against
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    strip: Any = None  # nblint.run.strip_options.StripOptions, from [tool.nblint.strip]
    enabled: frozenset[str] = frozenset()

    def rules_for(self, notebook: Path) -> frozenset[str]:
        """The enabled codes for one notebook, after per-file-ignores."""
        if not self.per_file_ignores:
            return self.enabled
        relative = _relative(notebook, self.root)
        ignored: set[str] = set()
        for pattern, codes in self.per_file_ignores:
            if _matches(relative, pattern):
                ignored.update(code for code in self.enabled if any(_selects(s, code) for s in codes))
        return self.enabled - ignored

    def is_excluded(self, path: Path) -> bool:
        relative = _relative(path, self.root)
        return any(_matches(relative, pattern) for pattern in self.exclude)

    def fingerprint(self, notebook: Path | None = None) -> str:
        """A stable text of everything that changes what is reported (for the cache); with `notebook`,
        for that notebook alone (its codes after per-file-ignores), so unrelated patterns do not count."""
        options = sorted((k, _stable_repr(v)) for k, v in self.options.items())
        if notebook is not None:
            return repr((sorted(self.rules_for(notebook)), options))
        return repr((sorted(self.enabled), options, self.per_file_ignores))


def _stable_repr(value: Any) -> str:
    """repr() that is the same in every process: sets and dicts in sorted order (str hashing is salted)."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_stable_repr(v) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(sorted(f"{_stable_repr(k)}: {_stable_repr(v)}" for k, v in value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "(" + ", ".join(_stable_repr(v) for v in value) + ")"
    return repr(value)


def _relative(path: Path, root: Path) -> str:
    try:
        return PurePosixPath(Path(os.path.abspath(path)).relative_to(root)).as_posix()
    except ValueError:
        return PurePosixPath(os.path.abspath(path)).as_posix()


def _matches(relative: str, pattern: str) -> bool:
    """gitignore-like: a pattern with no slash matches any path component; otherwise the relative path."""
    pattern = pattern.rstrip("/")
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in relative.split("/"))
    pattern = pattern.lstrip("./") if pattern.startswith("./") else pattern
    return fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(relative, pattern + "/*")


def _selects(selector: str, code: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def _specificity(selector: str) -> int:
    return 0 if selector == "ALL" else len(selector)


def resolve_enabled(select, ignore, extend_select, machine: bool = False) -> frozenset[str]:
    """The enabled codes. The machine rules (NB8xx, `nblint doctor`) are never enabled for `check`, not
    even by ALL; with `machine`, only they are, all of them by default."""
    if machine:
        from nblint.rules import ALL_RULES as rules
    else:  # without importing the machine rules
        from nblint.rules import CHECK_RULES as rules

    selectors: list[tuple[str, bool]] = []
    if select is None:
        base = {code for code, rule in rules.items() if rule.default_enabled or machine}
    else:
        base = set()
        selectors += [(s, True) for s in select]
    selectors += [(s, True) for s in extend_select]
    selectors += [(s, False) for s in ignore]
    enabled = set()
    for code in rules:
        if getattr(rules[code], "machine", False) != machine:
            continue
        best: tuple[int, bool] | None = None
        for selector, on in selectors:
            if _selects(selector, code):
                rank = (_specificity(selector), not on)  # on a tie, ignore wins
                if best is None or rank > best:
                    best = rank
        if best is None:
            if code in base:
                enabled.add(code)
        elif not best[1]:
            enabled.add(code)
    return frozenset(enabled)


def check_selectors(selectors, where: str) -> tuple[str, ...]:
    if not isinstance(selectors, (list, tuple)) or not all(isinstance(s, str) for s in selectors):
        raise ConfigError(f'{where}: expected a list of rule codes such as ["NB101", "NB2"]')
    for selector in selectors:
        if selector != "ALL" and not _selects_a_rule(selector):
            raise ConfigError(f"{where}: unknown rule code or prefix '{selector}'{_nearest_code(selector)}")
    return tuple(selectors)


def _selects_a_rule(selector: str) -> bool:
    from nblint.rules import CHECK_RULES

    if any(code.startswith(selector) for code in CHECK_RULES):
        return True
    from nblint.rules import ALL_RULES  # a machine rule's code (NB8): the machine rules are loaded

    return any(code.startswith(selector) for code in ALL_RULES)


def _nearest_code(selector: str) -> str:
    """A hint for an unknown selector: the code of a rule named instead of coded (`unbounded-loop`), or
    the nearest code (`NB2O1`)."""
    from nblint.core.wording import did_you_mean
    from nblint.rules import ALL_RULES, RULES_BY_NAME

    rule = RULES_BY_NAME.get(selector.lower().replace("_", "-"))
    if rule is not None:
        return f" (did you mean {rule.code}, the code of {rule.name}?)"
    return did_you_mean(selector.upper(), ALL_RULES) or " (see `nblint rules`)"


def load_file(path: Path) -> dict[str, Any] | None:
    """The nblint table of a configuration file; None for a pyproject.toml without [tool.nblint]."""
    # Imported here: a folder without a configuration file does not pay for the TOML parser (its
    # regular expressions, datetime and string: 2-5 ms of a one-notebook run).
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("nblint") if isinstance(tool, dict) else None
        if table is None:
            import difflib

            near = difflib.get_close_matches(
                "nblint", [k for k in tool if isinstance(k, str)] if isinstance(tool, dict) else [], 1, 0.8
            )
            if near:  # a misspelled table would otherwise be ignored silently, every setting in it lost
                raise ConfigError(f"{path}: unknown table [tool.{near[0]}]; did you mean [tool.nblint]?")
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.nblint] must be a table")
        return table
    return data


def settings_from_table(table: dict[str, Any], path: Path | None, overrides: Overrides) -> Settings:
    from nblint.rules import all_options

    where = f"{path}" if path is not None else "command line"
    section = "[tool.nblint]" if path is not None and path.name == "pyproject.toml" else "configuration"
    options_known = all_options()
    unknown = [key for key in table if key not in _KNOWN_KEYS and key not in options_known]
    if unknown:
        from nblint.core.wording import did_you_mean

        hint = did_you_mean(unknown[0], [*_KNOWN_KEYS, *options_known]) or " (see `nblint rules` and the README)"
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' in {section}{hint}")

    settings = Settings(path=path, root=(path.parent if path is not None else Path.cwd()).resolve())
    if "select" in table:
        settings.select = check_selectors(table["select"], f"{where}: select")
    if "ignore" in table:
        settings.ignore = check_selectors(table["ignore"], f"{where}: ignore")
    if "extend-select" in table:
        settings.extend_select = check_selectors(table["extend-select"], f"{where}: extend-select")
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{where}: per-file-ignores must be a table of pattern = [codes]")
    settings.per_file_ignores = tuple(
        (pattern, check_selectors(codes, f"{where}: per-file-ignores.{pattern}")) for pattern, codes in pfi.items()
    )
    for key in ("exclude", "extend-exclude"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of patterns")
        settings.exclude += tuple(value)
    strip = table.get("strip", {})
    if not isinstance(strip, dict):
        raise ConfigError(f"{where}: [tool.nblint.strip] must be a table")
    # Read (and so checked) here, for every command: `check` refuses what `strip` would refuse.
    from nblint.run.strip_options import StripOptionError, options_from_table

    try:
        settings.strip = options_from_table(strip, where)
    except StripOptionError as exc:
        raise ConfigError(str(exc)) from None

    raw_options = {key: value for key, value in table.items() if key in options_known}
    raw_options.update(dict(overrides.options))
    for key, option in options_known.items():
        try:
            settings.options[key] = option.parse(raw_options[key]) if key in raw_options else option.parsed_default()
        except OptionError as exc:
            raise ConfigError(f"{where}: {key}: {exc}") from None
        if option.relative_to_config is not None and settings.options[key] is not None:
            settings.options[key] = option.relative_to_config(settings.options[key], settings.root)

    # The command line is a layer over the file, as in ruff: its --select starts the selection afresh
    # (the file's ignore and extend-select go with it); --ignore and --extend-select add to the layer below.
    if overrides.select is not None:
        settings.select = overrides.select
        settings.ignore = ()
        settings.extend_select = ()
    settings.ignore += overrides.ignore
    settings.extend_select += overrides.extend_select
    settings.enabled = resolve_enabled(settings.select, settings.ignore, settings.extend_select)
    return settings


class ConfigResolver:
    """Finds and caches the settings that apply to each notebook."""

    def __init__(self, overrides: Overrides = Overrides()) -> None:
        self.overrides = overrides
        self._by_dir: dict[Path, Settings] = {}
        self._by_file: dict[Path, Settings] = {}
        self._forced: Settings | None = None
        if overrides.config is not None:
            config = overrides.config
            if not config.is_file():
                raise ConfigError(f"{config}: configuration file not found")
            table = load_file(config)
            self._forced = self._settings_for_file(config.resolve(), table or {})

    def default(self) -> Settings:
        if self._forced is not None:
            return self._forced
        return self.for_dir(Path.cwd())

    def for_path(self, path: Path) -> Settings:
        if self._forced is not None:
            return self._forced
        folder = Path(os.path.abspath(path if path.is_dir() else path.parent))
        return self.for_dir(folder)

    def for_dir(self, folder: Path) -> Settings:
        if self._forced is not None:
            return self._forced
        cached = self._by_dir.get(folder)
        if cached is not None:
            return cached
        settings = None
        for candidate_name in CONFIG_FILES:
            candidate = folder / candidate_name
            if candidate.is_file():
                table = load_file(candidate)
                if table is not None:
                    settings = self._settings_for_file(candidate, table)
                    break
        if settings is None:
            parent = folder.parent
            if parent != folder:
                settings = self.for_dir(parent)
            else:
                settings = settings_from_table({}, None, self.overrides)
        self._by_dir[folder] = settings
        return settings

    def _settings_for_file(self, path: Path, table: dict) -> Settings:
        cached = self._by_file.get(path)
        if cached is None:
            cached = settings_from_table(table, path, self.overrides)
            self._by_file[path] = cached
        return cached


def with_options(settings: Settings, **options: Any) -> Settings:
    """A copy of settings with some rule options replaced (used by the rule-example tests)."""
    merged = dict(settings.options)
    merged.update(options)
    return replace(settings, options=merged)
