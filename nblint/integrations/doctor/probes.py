"""Probes: small stdlib-only scripts run by a kernel's own interpreter, in a subprocess with a timeout."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from typing import Mapping, Sequence

from nblint.rules.machine.facts import Probe

INTERPRETER = r"""
import json, os, platform, sys
import importlib.util
args = json.loads(sys.argv[1])
# Only the interpreter's own sys.path: `-c` puts the working folder first, and a folder holding a
# checkout's egg-info would read as installed. The notebook's folder comes back below, for imports only.
sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != os.getcwd()]
def facts(dist):
    # The header of METADATA only: parsing the whole file (long descriptions) was 2/3 of the probe's time.
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    fields, requires = {"name": None, "version": None}, []
    for line in text.replace("\r\n", "\n").split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "requires-dist":
            requires.append(value.strip())
        elif key in fields and fields[key] is None:
            fields[key] = value.strip()
    if not fields["name"]:
        return None
    if not requires and dist.read_text("requires.txt") is not None:
        requires = dist.requires or []  # an egg-info: importlib.metadata turns its sections into markers
    return {"name": fields["name"], "version": fields["version"] or "", "requires": requires}
try:
    import importlib.metadata as md
    distributions = [f for f in map(facts, md.distributions()) if f]
except Exception:
    distributions = None
if args.get("folder"):
    sys.path.insert(0, args["folder"])  # the kernel runs from the notebook's folder: its modules import
def found(name):
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:
        return False
out = {"prefix": sys.prefix, "executable": sys.executable, "version": platform.python_version()}
if args.get("module"):
    out["module_found"] = found(args["module"])
out["modules"] = {name: found(name) for name in args.get("modules", [])}
out["stdlib"] = sorted(getattr(sys, "stdlib_module_names", ()))
out["distributions"] = distributions
info = sys.implementation.version
out["marker_environment"] = {
    "implementation_name": sys.implementation.name,
    "implementation_version": "%d.%d.%d" % (info.major, info.minor, info.micro),
    "os_name": os.name, "platform_machine": platform.machine(), "platform_release": platform.release(),
    "platform_system": platform.system(), "platform_version": platform.version(),
    "python_full_version": platform.python_version(), "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]), "sys_platform": sys.platform,
}
print(json.dumps(out))
"""


def run(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None, cwd: str | None = None) -> Probe:
    """Run argv; a JSON object on its last stdout line is the probe's data."""
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(env) if env else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return Probe(False, error=f"did not finish within {timeout:g} s", timed_out=True)
    except OSError as exc:
        return Probe(False, error=exc.strerror or str(exc))
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        return Probe(False, error=f"killed by {name}", signal=name)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        return Probe(False, error=(lines[-1] if lines else f"exit code {done.returncode}"))
    lines = done.stdout.strip().splitlines()
    try:
        return Probe(True, json.loads(lines[-1]) if lines else {})
    except ValueError:
        return Probe(True, {})


_PREFIX = "import json, sys; print(json.dumps({'prefix': sys.prefix}))"
_CACHE: dict = {}
_LOCK = threading.Lock()


def prefix(python: str, timeout: float, env: Mapping[str, str] | None = None) -> str | None:
    """sys.prefix of an interpreter (asked once per interpreter and environment in a run)."""
    key = ("prefix", python, tuple(sorted((env or {}).items())))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    answer = run([python, "-c", _PREFIX], timeout, env)
    value = answer.data.get("prefix") if answer.ok else None
    with _LOCK:
        _CACHE[key] = value
    return value


def interpreter(
    python: str,
    module: str | None,
    modules: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Probe:
    """The interpreter's facts; kernelspecs that start the same interpreter the same way share one probe."""
    key = (python, module, tuple(modules), tuple(sorted((env or {}).items())), cwd)
    with _LOCK:
        event = _CACHE.get(key)
        if event is None:
            event = _CACHE[key] = [threading.Event(), None]
            owner = True
        else:
            owner = False
    if not owner:
        event[0].wait()
        return event[1]
    event[1] = _interpreter(python, module, modules, timeout, env, cwd)
    event[0].set()
    return event[1]


def _interpreter(
    python: str,
    module: str | None,
    modules: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Probe:
    arguments = json.dumps({"module": module, "modules": list(modules), "folder": cwd})
    return run([python, "-c", INTERPRETER, arguments], timeout, env, cwd)


def import_crash(
    python: str, module: str, timeout: float, env: Mapping[str, str] | None = None, cwd: str | None = None
) -> Probe:
    return run([python, "-c", f"import sys, os; sys.path.insert(0, os.getcwd()); import {module}"], timeout, env, cwd)


STARTUP = r"""
import glob, json, os, sys, traceback
folder = sys.argv[1]
errors = []
files = sorted(glob.glob(os.path.join(folder, "*.py")) + glob.glob(os.path.join(folder, "*.ipy")))
configs = [os.path.join(os.path.dirname(folder), c) for c in ("ipython_config.py", "ipython_kernel_config.py")]
# An IPython shell costs most of this probe: made only when something needs one (.ipy files, extensions,
# a file using what IPython puts in a kernel's namespace); plain .py files run in a plain namespace.
IPYTHON_WORDS = ("get_ipython", "display", "IPython", "__IPYTHON__", "In[", "Out[", "_ih", "_oh", "exit", "quit")
def needs_shell():
    if any(path.endswith(".ipy") for path in files) or any(os.path.isfile(c) for c in configs):
        return True
    for path in files:
        try:
            text = open(path, encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        if any(word in text for word in IPYTHON_WORDS):
            return True
    return False
shell, namespace = None, {"__name__": "__main__"}
if needs_shell():
    try:
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        namespace = shell.user_ns
    except Exception:
        pass
extensions = []
for config in ("ipython_config.py", "ipython_kernel_config.py"):
    path = os.path.join(os.path.dirname(folder), config)
    if os.path.isfile(path):
        try:
            from traitlets.config.loader import PyFileConfigLoader
            loaded = PyFileConfigLoader(config, os.path.dirname(path)).load_config()
            for section in ("InteractiveShellApp", "IPKernelApp"):
                extensions += list(loaded.get(section, {}).get("extensions", []) or [])
        except Exception as exc:
            errors.append({"file": path, "line": None, "error": "%s: %s" % (type(exc).__name__, exc)})
for name in extensions:
    try:
        if shell is not None:
            shell.extension_manager.load_extension(name)
        else:
            __import__(name)
    except BaseException as exc:
        errors.append({"extension": name, "error": "%s: %s" % (type(exc).__name__, exc)})
for path in files:
    try:
        source = open(path, encoding="utf-8").read()
        if path.endswith(".ipy") and shell is not None:
            result = shell.run_cell(source, silent=True)
            if result.error_in_exec is not None:
                raise result.error_in_exec
        else:
            namespace["__file__"] = path  # as IPython's safe_execfile sets it
            exec(compile(source, path, "exec"), namespace)
    except BaseException as exc:
        lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == path]
        errors.append({"file": path, "line": lines[-1] if lines else None, "error": "%s: %s" % (type(exc).__name__, exc)})
print(json.dumps({"errors": errors}))
"""


def startup(python: str, folder: str, timeout: float, env: Mapping[str, str] | None = None) -> Probe:
    return run([python, "-c", STARTUP, folder], timeout, env)
