"""The shape of a rule.

A rule is a class with a code, a kebab-case name, a severity, a docstring in four parts (## What it does,
## Why it kills the kernel / ## Why it hurts, ## Example, ## Use instead; ## Options when it has any) and
VALID / INVALID examples that the test suite runs. Three kinds:

- CodeRule: a libcst batchable visitor. All enabled code rules of a notebook run in ONE traversal of the
  notebook's joined code; they report nodes, and positions are computed afterwards for reported nodes only.
- NotebookRule: reads the notebook's JSON (metadata, outputs, execution counts, masked magic lines).
- EngineRule: reported by the engine itself while reading and parsing (NB000-NB004); the class carries
  the docs and examples.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, ClassVar, Mapping, Sequence, TypeVar, Union, cast

import libcst as cst

from nblint.core.findings import Severity
from nblint.core.fixes import Applicability, Fix
from nblint.core.lazyre import lazy_compile
from nblint.core.options import Option

if TYPE_CHECKING:
    from nblint.core.code.context import CodeContext
    from nblint.core.code.program import SetAside
    from nblint.core.read.notebook import Notebook

# An example notebook: a str is one code cell; a list holds cells (str = code cell, dict = a whole
# nbformat cell such as {"cell_type": "markdown", "source": "..."}); a dict is the whole notebook JSON.
ExampleSource = Union[str, Sequence[Union[str, Mapping[str, Any]]], Mapping[str, Any]]


@dataclass(frozen=True)
class Valid:
    """An example that must not be reported."""

    source: ExampleSource
    options: Mapping[str, Any] = field(default_factory=dict)
    # `source` is the file's text as written, not a notebook (for the reading rules NB002/NB003).
    raw: bool = False
    # Files to create beside the notebook: relative path -> size in bytes (for rules that read files).
    files: Mapping[str, int] = field(default_factory=dict)
    # Live-only rules: Python code whose namespace stands for the kernel's; the example (one cell) is
    # then checked as the guard checks a cell, with those live values.
    live: str = ""


@dataclass(frozen=True)
class Invalid(Valid):
    """An example that must be reported, with where (0-based cell index; 1-based line and column).

    `cell=None` expects a notebook-level finding; `line`/`column` None means "any".
    """

    cell: int | None = 0
    line: int | None = 1
    column: int | None = None
    # A piece of text the message must contain (the evidence the rule promises).
    message: str | None = None


@dataclass
class Report:
    """What a rule said, before the engine turns it into a Finding with a position."""

    rule: type["Rule"]
    message: str
    fix: str | None = None
    node: cst.CSTNode | None = None
    # For reports without a node: where, in notebook terms.
    cell: int | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    # JSON path whose file line is the json_line of a notebook-level finding, e.g. ("metadata", "kernelspec"),
    # or of a cell finding without a source line, e.g. ("cells", 3, "outputs", 0).
    json_path: tuple | None = None
    # A severity for this finding alone (e.g. an info-level "cannot size this read"); None: the rule's.
    severity: Severity | None = None
    # The source line to show (`--format full`, the cache) instead of the cell's own: a rule that must not
    # repeat what it found (NB704 secret) passes the line with the finding masked.
    source_line: str | None = None
    # The edits that fix it (nblint.core.fixes), when the rule can make them; `fix` stays the text shown.
    autofix: Fix | None = None
    # Structured evidence (nblint.core.evidence), carried to Finding.evidence.
    evidence: Mapping[str, Any] = field(default_factory=dict)


_SECTION = lazy_compile(r"^## (.+)$", re.M)

_Example = TypeVar("_Example")


class _BuiltOnFirstRead:
    def __init__(self, build: Callable[[], Sequence[Any]]) -> None:
        self._build = build
        self._examples: Sequence[Any] | None = None

    def __get__(self, instance: object, owner: type | None = None) -> Sequence[Any]:
        if self._examples is None:
            self._examples = self._build()
        return self._examples


def built_on_first_read(build: Callable[[], Sequence[_Example]]) -> Sequence[_Example]:
    """A rule's VALID or INVALID examples, built when first read rather than when the rule's module is
    imported: `VALID = built_on_first_read(lambda: [...])`. For examples that cost (megabytes of output,
    10,000-element literals: NB702's and NB102's were 20 ms of every run's imports); checking never reads
    them. The lambda sees module names, not the class's."""
    return cast("Sequence[_Example]", _BuiltOnFirstRead(build))


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    default_enabled: ClassVar[bool] = True
    # One finding per line: the code of a rule whose finding on the same line (after suppressions) makes
    # this rule's finding there redundant, because its rewrite fixes both. None: always reported.
    yields_to: ClassVar[str | None] = None
    # The fixes the rule can attach to its findings: the most permissive applicability it ever uses
    # (SAFE: `--fix` applies at least some; UNSAFE: only `--unsafe-fixes` does), None for no fixes.
    fixable: ClassVar[Applicability | None] = None
    options: ClassVar[tuple[Option, ...]] = ()
    VALID: ClassVar[Sequence[ExampleSource | Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()

    @classmethod
    def docs(cls) -> str:
        return textwrap.dedent(cls.__doc__ or "").strip()

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        text = cls.docs()
        parts = _SECTION.split(text)
        return {parts[i].strip(): textwrap.dedent(parts[i + 1]).strip() for i in range(1, len(parts) - 1, 2)}

    @classmethod
    def summary(cls) -> str:
        """The first sentence of "What it does"."""
        what = cls.doc_sections().get("What it does", "")
        first = " ".join(what.split("\n\n")[0].split())
        return first.split(". ")[0].rstrip(".") + "." if first else cls.name


class RuleRunner:
    """Mixin for rule instances: options and reporting."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self._options = options
        self.reports: list[Report] = []

    def option(self, option: Option) -> Any:
        return self._options[option.key]

    def report_at(
        self,
        message: str,
        *,
        fix: str | None = None,
        cell: int | None = None,
        line: int | None = None,
        column: int | None = None,
        end_line: int | None = None,
        end_column: int | None = None,
        json_path: tuple | None = None,
        source_line: str | None = None,
        severity: Severity | None = None,
        autofix: Fix | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> None:
        rule = cast("type[Rule]", type(self))  # RuleRunner is only mixed into Rule subclasses
        self.reports.append(
            Report(
                rule,
                message,
                fix,
                None,
                cell,
                line,
                column,
                end_line,
                end_column,
                json_path,
                severity=severity,
                source_line=source_line,
                autofix=autofix,
                evidence=evidence or {},
            )
        )


_VISITOR_NAMES: dict[type, tuple[str, ...]] = {}
_NEEDS_SPLIT: dict[type, tuple[frozenset[str], tuple[str, ...]]] = {}
# A run of word characters: the words `needs` names are matched against (one pass over the text for all
# the rules; a regular expression per rule, with look-behinds, cost more than the visits it saved).
_WORD = re.compile(r"[A-Za-z0-9_]+")


class CodeRule(Rule, RuleRunner, cst.BatchableCSTVisitor):
    """A rule over the notebook's code, run in the one batched traversal.

    `self.context` gives the notebook-level table of imports and constants (`qualified_name`,
    `evaluate`) that knows which names a function shadows. Rules that must see the whole program
    before deciding collect candidates during the visit and decide in `finish()`.
    """

    # The cheap pre-filter: what one of which must occur in the program's text for the rule to be able to
    # report anything there; a program holding none of them skips this rule's visit (and, when no code
    # rule is left, the libcst parse). A name (`sleep`) must occur as a whole word, anything else (`**`,
    # `@`) as written. None (the default, and what a new rule gets) means "always run". A rule whose
    # filter needs more than words (an option, a count) overrides `may_fire` as well.
    needs: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def may_fire(
        cls, text: str, options: Mapping[str, Any] | None = None, words: AbstractSet[str] | None = None
    ) -> bool:
        """False only when the rule declared `needs` and none of them occurs in `text`. `options`: the
        run's options (each rule's defaults filled in), for a rule whose filter depends on them; `words`:
        program_words(text), computed once for all the rules of a notebook."""
        if cls.needs is None:
            return True
        split = _NEEDS_SPLIT.get(cls)
        if split is None:
            split = _NEEDS_SPLIT[cls] = (
                frozenset(need for need in cls.needs if need.isidentifier()),
                tuple(need for need in cls.needs if not need.isidentifier()),
            )
        names, tokens = split
        if words is None:
            words = program_words(text)
        return not names.isdisjoint(words) or any(token in text for token in tokens)

    @classmethod
    def prefiltered(cls) -> bool:
        """Whether the rule has a pre-filter at all: `needs`, or a `may_fire` of its own."""
        return cls.needs is not None or cls.may_fire.__func__ is not CodeRule.may_fire.__func__  # type: ignore[attr-defined]

    def __init__(self, context: "CodeContext", options: Mapping[str, Any]) -> None:
        RuleRunner.__init__(self, options)
        cst.BatchableCSTVisitor.__init__(self)
        self.context = context

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        fix: str | None = None,
        severity: Severity | None = None,
        autofix: Fix | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> None:
        self.reports.append(
            Report(type(self), message, fix, node, severity=severity, autofix=autofix, evidence=evidence or {})
        )

    def finish(self) -> None:
        """Called once after the traversal."""

    def check_set_aside(self, set_aside: "SetAside") -> None:
        """Code left out of the parse as too big for libcst (nblint.core.code.screen): a rule that can
        judge it from the screen's cheap reading (the elements of its literals) reports it here."""

    def get_visitors(self):
        # libcst's own get_visitors inspects ~1,000 methods per instance; the names depend only on the class.
        cls = type(self)
        names = _VISITOR_NAMES.get(cls)
        if names is None:
            names = _VISITOR_NAMES[cls] = visitor_names(cls)
        return {name: getattr(self, name) for name in names}


def program_words(text: str) -> frozenset[str]:
    """The words of a text for CodeRule.may_fire: its runs of ASCII letters, digits and underscores."""
    return frozenset(_WORD.findall(text))


def visitor_names(cls: type) -> tuple[str, ...]:
    """The visit_/leave_ functions of a rule class. libcst's own classes only hold no-op stubs (about
    1,600 of them), so only the other classes of the MRO are read: inspect.getmembers over them all
    took a millisecond per rule class, on every run."""
    candidates = {
        name
        for klass in cls.__mro__
        if not klass.__module__.startswith("libcst")
        for name in vars(klass)
        if name.startswith(("visit_", "leave_"))
    }
    return tuple(
        sorted(
            name
            for name in candidates
            if inspect.isfunction(getattr(cls, name)) and not getattr(getattr(cls, name), "_is_no_op", False)
        )
    )


class NotebookRule(Rule, RuleRunner):
    """A rule over the notebook's JSON: metadata, cells, outputs, and the magic lines the engine masked."""

    def check(self, notebook: "Notebook") -> None:
        raise NotImplementedError


class EngineRule(Rule):
    """Reported by the engine while reading or parsing; the class holds its docs and examples."""
