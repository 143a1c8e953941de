"""Which local file a call reads, and how big it is where the notebook runs.

Used by NB301 (unchunked-read). A path is known only when the code spells it out with values nblint
can read: string constants (also through notebook-level constants, across cells), `os.path.join`,
`pathlib.Path(...)` and its `/` operator, `joinpath`, f-strings and `str.format`/`%` of constants,
`str()`/`os.fspath()` of a known path, and `os.getcwd()` / `Path.cwd()` (the notebook's folder: Jupyter
starts the kernel there). Anything else is unknown and never guessed.

A relative path resolves against the notebook's folder first, then against each extra data folder in
order; the first that exists wins. Every path looked at is recorded in `context.files_stat`
(absolute path -> size, None when absent) so a result cache can tell when a file changed.
"""

from __future__ import annotations

import glob
import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence, cast
from urllib.parse import unquote, urlparse

import libcst as cst

from nblint.core.code.symbols import UNKNOWN
from nblint.core.lazyre import lazy_compile

if TYPE_CHECKING:
    from nblint.core.code.context import CodeContext

_PATH_CLASSES = frozenset(
    f"pathlib.{name}" for name in ("Path", "PurePath", "PosixPath", "PurePosixPath", "WindowsPath", "PureWindowsPath")
)
_JOINS = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
_PASS_THROUGH = frozenset({"os.fspath", "os.path.normpath", "os.path.abspath", "os.path.realpath"})
_CWD = frozenset({"os.getcwd", *(f"{cls}.cwd" for cls in _PATH_CLASSES)})
# Methods of a Path that return the same file (or its absolute spelling).
_SAME_FILE_METHODS = frozenset({"resolve", "absolute", "expanduser", "as_posix"})

_URL = lazy_compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*)://")
_GLOB_CHARS = lazy_compile(r"[*?\[]")

# Walking a partitioned folder or a glob stops here: past it the size is unknown rather than slow.
MAX_FILES_SIZED = 10_000
_MAX_DEPTH = 30


def path_value(context: "CodeContext", node: cst.CSTNode | None) -> Any:
    """The path `node` names, as a string, or UNKNOWN."""
    return _PathEvaluator(context).value(node, 0)


class _PathEvaluator:
    def __init__(self, context: "CodeContext") -> None:
        self.context = context
        self.resolving: set[str] = set()  # names being resolved: guards `A = A / "x"` cycles

    def value(self, node: cst.CSTNode | None, depth: int) -> Any:
        if node is None or depth > _MAX_DEPTH:
            return UNKNOWN
        context = self.context
        constant = context.evaluate(node)
        if isinstance(constant, str):
            return constant
        if isinstance(node, cst.Name):
            return self._name(node.value, depth)
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node, depth)
        if isinstance(node, cst.FormattedString):
            return self._fstring(node, depth)
        if isinstance(node, cst.Call):
            return self._call(node, depth)
        return UNKNOWN

    def _name(self, name: str, depth: int) -> Any:
        context = self.context
        if context.scopes.is_local(name) or name in self.resolving:
            return UNKNOWN
        values = context.symbols.assigned_values(name)
        if not values:
            live = context.live_file(name)  # the guard: a Path object an earlier cell made
            return live[0] if live is not None and live[1] == "path" else UNKNOWN
        self.resolving.add(name)
        try:
            with _module_level(context):
                results = {self.value(expression, depth + 1) for expression in values}
        finally:
            self.resolving.discard(name)
        if len(results) != 1:
            return UNKNOWN  # assigned different paths in different cells: which one runs last is unknown
        (result,) = results
        return result

    def _binary(self, node: cst.BinaryOperation, depth: int) -> Any:
        left = self.value(node.left, depth + 1)
        if left is UNKNOWN:
            return UNKNOWN
        if isinstance(node.operator, cst.Divide):  # Path("data") / "big.csv"
            right = self.value(node.right, depth + 1)
            return UNKNOWN if right is UNKNOWN else os.path.join(left, right)
        if isinstance(node.operator, cst.Modulo):  # "%s/big.csv" % DATA
            right = self.context.evaluate(node.right)
            if right is UNKNOWN or isinstance(right, float):
                return UNKNOWN
            try:
                return left % right
            except (TypeError, ValueError):
                return UNKNOWN
        if isinstance(node.operator, cst.Add):
            right = self.value(node.right, depth + 1)
            return UNKNOWN if right is UNKNOWN else left + right
        return UNKNOWN

    def _fstring(self, node: cst.FormattedString, depth: int) -> Any:
        pieces = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                pieces.append(part.value)
                continue
            part = cast(cst.FormattedStringExpression, part)  # the only other kind of f-string part
            if part.conversion is not None or part.format_spec is not None:
                return UNKNOWN
            value = self.value(part.expression, depth + 1)
            if value is UNKNOWN:
                value = self.context.evaluate(part.expression)
                if not isinstance(value, int) or isinstance(value, bool):
                    return UNKNOWN
            pieces.append(str(value))
        return "".join(pieces)

    def _call(self, node: cst.Call, depth: int) -> Any:
        if any(arg.star for arg in node.args):
            return UNKNOWN
        positional = [arg.value for arg in node.args if arg.keyword is None]
        if len(positional) != len(node.args):
            return UNKNOWN
        func = node.func
        qualified = self.context.qualified_name(func)
        if qualified in _CWD and not positional:
            return "."
        if qualified in _JOINS or qualified in _PATH_CLASSES:
            if not positional:
                return "." if qualified in _PATH_CLASSES else UNKNOWN
            parts = [self.value(arg, depth + 1) for arg in positional]
            return UNKNOWN if any(part is UNKNOWN for part in parts) else os.path.join(*parts)
        if qualified in _PASS_THROUGH or self.context.is_builtin(func, "str"):
            return self.value(positional[0], depth + 1) if len(positional) == 1 else UNKNOWN
        if qualified == "os.path.expanduser" and len(positional) == 1:
            inner = self.value(positional[0], depth + 1)
            return UNKNOWN if inner is UNKNOWN else os.path.expanduser(inner)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "format":  # "{}/big.csv".format(DATA)
                template = self.context.evaluate(func.value)
                args = [self.value(arg, depth + 1) for arg in positional]
                if not isinstance(template, str) or any(arg is UNKNOWN for arg in args):
                    return UNKNOWN
                try:
                    return template.format(*args)
                except (IndexError, KeyError, ValueError):
                    return UNKNOWN
            if method in _SAME_FILE_METHODS and not positional and self._is_path_object(func.value):
                inner = self.value(func.value, depth + 1)
                return os.path.expanduser(inner) if inner is not UNKNOWN and method == "expanduser" else inner
            if method == "joinpath" and self._is_path_object(func.value):
                parts = [self.value(arg, depth + 1) for arg in (func.value, *positional)]
                return UNKNOWN if any(part is UNKNOWN for part in parts) else os.path.join(*parts)
        return UNKNOWN

    def _is_path_object(self, node: cst.CSTNode) -> bool:
        """A `Path(...)` call, a `/` of one, or a notebook-level name assigned one."""
        for _ in range(_MAX_DEPTH):
            if isinstance(node, cst.Call):
                if self.context.qualified_name(node.func) in _PATH_CLASSES:
                    return True
                if isinstance(node.func, cst.Attribute):  # Path(...).resolve().joinpath(...)
                    node = node.func.value
                    continue
                return False
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
                node = node.left
                continue
            if isinstance(node, cst.Name):
                values = self.context.symbols.assigned_values(node.value)
                if not values or len(values) != 1 or self.context.scopes.is_local(node.value):
                    return False
                node = values[0]
                continue
            return False
        return False


# Calls that open a file for reading -> the compression they undo themselves (None: the raw bytes).
OPENERS = {
    "io.open": None,
    "codecs.open": None,
    "gzip.open": "gzip",
    "gzip.GzipFile": "gzip",
    "bz2.open": "bz2",
    "bz2.BZ2File": "bz2",
    "lzma.open": "xz",
    "lzma.LZMAFile": "xz",
}
_OPENER_PATH_KEYWORDS = ("file", "filename")


class Opened:
    """A file object the code opened: the expression of its path, and what its opener decompresses
    (or, live, the path itself)."""

    def __init__(self, path_node: cst.BaseExpression | None, method: str | None, live_path: str | None = None) -> None:
        self.path_node = path_node
        self.method = method
        self.live_path = live_path


def opened_file(
    context: "CodeContext",
    node: cst.CSTNode | None,
    entered: "dict[str, cst.BaseExpression] | None" = None,
    depth: int = 0,
) -> Opened | None:
    """What `node` opens when it is a file object: `open(path)`, `gzip.open(path)`, `Path(...).open()`,
    a notebook-level name assigned one of those, a `with ... as f` name (`entered` maps the names of
    the enclosing with-items to their expressions), or, under the guard, a live file object."""
    if node is None or depth > 4:
        return None
    if isinstance(node, cst.Name):
        name = node.value
        if entered is not None and name in entered:
            return opened_file(context, entered[name], None, depth + 1)
        if context.scopes.is_local(name):
            return None
        values = context.symbols.assigned_values(name)
        if values is not None:
            return opened_file(context, values[0], None, depth + 1) if len(values) == 1 else None
        live = context.live_file(name)
        if live is not None and live[1] != "path":
            return Opened(None, live[1] or None, live_path=live[0])
        return None
    if not isinstance(node, cst.Call) or any(arg.star for arg in node.args):
        return None
    func = node.func
    first = None
    for arg in node.args:
        if arg.keyword is None:
            first = arg.value
            break
        if arg.keyword.value in _OPENER_PATH_KEYWORDS:
            first = arg.value
            break
    if context.is_builtin(func, "open"):
        return Opened(first, None) if first is not None else None
    qualified = context.qualified_name(func)
    if qualified in OPENERS:
        return Opened(first, OPENERS[qualified]) if first is not None else None
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value == "open"
        and _PathEvaluator(context)._is_path_object(func.value)
    ):
        return Opened(func.value, None)  # Path("data/big.csv").open()
    return None


@contextmanager
def _module_level(context: "CodeContext") -> Iterator[None]:
    """A notebook-level value is evaluated outside any function: the scope stack must not apply."""
    saved = context.scopes.stack
    context.scopes.stack = []
    try:
        yield
    finally:
        context.scopes.stack = saved


# -- where the file is -------------------------------------------------------------------------------


def remote_scheme(path: str) -> str | None:
    """'s3' for 's3://bucket/key', 'https' for a URL; None for a local path (file:// is local)."""
    match = _URL.match(path)
    if match is None:
        return None
    scheme = match.group(1).lower()
    return None if scheme == "file" else scheme


def local_part(path: str) -> str:
    """The file-system path of a local spelling: 'file:///tmp/x.csv' -> '/tmp/x.csv', '~/x' expanded."""
    if path.lower().startswith("file://"):
        path = unquote(urlparse(path).path)
    return os.path.expanduser(path)


def has_glob(path: str) -> bool:
    return _GLOB_CHARS.search(path) is not None


class SizedFile:
    """What nblint found on disk for a path: where, how big (None: exists but cannot be sized)."""

    def __init__(self, path: Path, size: int | None, files: int) -> None:
        self.path = path
        self.size = size
        self.files = files


def find_local(
    context: "CodeContext",
    path: str,
    data_dirs: Sequence[str],
    *,
    allow_folder: bool = False,
    allow_glob: bool = False,
) -> SizedFile | None:
    """The first existing place `path` names (None when none exists), sized.

    Relative paths try the notebook's folder, then each data folder (relative data folders are taken
    against the notebook's folder: the configuration loader has already made the configured ones
    absolute against the configuration file's folder).
    """
    path = local_part(path)
    base = context.notebook_dir or Path.cwd()
    candidates = (
        [Path(path)] if os.path.isabs(path) else [base / path, *((base / folder) / path for folder in data_dirs)]
    )
    for candidate in candidates:
        if allow_glob and has_glob(str(candidate)):
            found = _size_glob(context, candidate)
        else:
            found = _size_path(context, candidate, allow_folder)
        if found is not None:
            return found
    return None


def _record(context: "CodeContext", path: Path | str, size: int | None) -> None:
    context.files_stat[os.path.abspath(path)] = size


def _size_path(context: "CodeContext", path: Path, allow_folder: bool) -> SizedFile | None:
    try:
        status = path.stat()
    except (OSError, ValueError):
        _record(context, path, None)
        return None
    if path.is_dir():
        if not allow_folder:
            _record(context, path, None)
            return None
        total, count = _folder_size(context, path)
        _record(context, path, total)
        return SizedFile(path, total, count)
    _record(context, path, status.st_size)
    return SizedFile(path, status.st_size, 1)


def _folder_size(context: "CodeContext", folder: Path) -> tuple[int | None, int]:
    """The bytes of the data files under a partitioned folder (hidden and `_SUCCESS`-style files skipped)."""
    total = count = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in files:
            if name.startswith((".", "_")):
                continue
            count += 1
            if count > MAX_FILES_SIZED:
                return None, count
            file_path = os.path.join(root, name)
            try:
                size = os.stat(file_path).st_size
            except OSError:
                return None, count
            _record(context, file_path, size)
            total += size
    return total, count


def _size_glob(context: "CodeContext", pattern: Path) -> SizedFile | None:
    total = count = 0
    for match in glob.iglob(str(pattern), recursive=True):
        count += 1
        if count > MAX_FILES_SIZED:
            return SizedFile(pattern, None, count)
        try:
            status = os.stat(match)
        except OSError:
            continue
        if os.path.isdir(match):
            continue
        _record(context, match, status.st_size)
        total += status.st_size
    if count == 0:
        _record(context, pattern, None)
        return None
    return SizedFile(pattern, total, count)


def absolute_dirs(folders: list[str], root: Any) -> list[str]:
    """Option hook: configured data folders, relative ones made absolute against the config's folder."""
    expanded = [os.path.expanduser(folder) for folder in folders]
    return [folder if os.path.isabs(folder) else os.path.join(str(root), folder) for folder in expanded]
