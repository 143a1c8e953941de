"""`nblint doctor`: real kernelspecs in a temporary JUPYTER_PATH, real venvs, the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nblint.integrations.doctor.examples import build
from nblint.testing import make_notebook, notebook_text
from tests.conftest import run_nblint

LAUNCH = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


def _setup(tmp_path: Path, kernels: dict, **machine) -> dict:
    return build({"kernels": kernels, **machine}, tmp_path)


def _notebook(tmp_path: Path, cells, kernel: str = "k") -> Path:
    metadata = {"kernelspec": {"name": kernel, "language": "python", "display_name": kernel}}
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook_text(make_notebook(cells, metadata)), encoding="utf-8")
    return path


def _doctor(tmp_path: Path, env: dict, *args: str) -> tuple[int, list[dict]]:
    result = run_nblint("doctor", "--format", "json", *args, cwd=tmp_path, env=env)
    assert result.returncode in (0, 1), result.stderr
    findings = json.loads(result.stdout)
    assert result.returncode == (1 if findings else 0)
    return result.returncode, findings


def test_healthy_kernel_and_notebook_exit_0(tmp_path):
    env = _setup(tmp_path, {"k": {"argv": ["{python}", *LAUNCH]}})
    _notebook(tmp_path, ["import json\nimport nblint\n"])
    assert _doctor(tmp_path, env, "nb.ipynb") == (0, [])


def test_broken_kernelspecs_are_named_at_their_kernel_json(tmp_path):
    env = _setup(tmp_path, {"gone": {"argv": ["{missing}", *LAUNCH]}, "bare": {"argv": ["{venv}", *LAUNCH]}})
    _, findings = _doctor(tmp_path, env, "--kernel", "gone", "--kernel", "bare")
    by_code = {f["code"]: f for f in findings}
    assert set(by_code) == {"NB801", "NB802"}
    assert by_code["NB801"]["path"].endswith("gone/kernel.json")
    assert "pip install ipykernel" in by_code["NB802"]["fix"]


def test_notebook_findings_name_cell_and_line(tmp_path):
    env = _setup(
        tmp_path,
        {"k": {"argv": ["{venv}", *LAUNCH]}},
        venv_packages={"nbl-needs": {"version": "1.0", "requires": ["nbl-base>=2"]}, "nbl-base": {"version": "1.4"}},
        files={"requirements.txt": "nbl-base==2.0\n"},
    )
    _notebook(tmp_path, ["import nbl_base\nimport nblint_absent_here\n"])
    _, findings = _doctor(tmp_path, env, "nb.ipynb")
    codes = sorted(f["code"] for f in findings)
    assert codes == ["NB802", "NB806", "NB807", "NB808"], findings
    missing = next(f for f in findings if f["code"] == "NB806")
    assert (missing["cell"], missing["line"]) == (0, 2)


def test_notebook_kernel_not_installed(tmp_path):
    env = _setup(tmp_path, {"k": {"argv": ["{python}", *LAUNCH]}})
    _notebook(tmp_path, ["x = 1\n"], kernel="not-here")
    _, findings = _doctor(tmp_path, env, "nb.ipynb")
    assert [f["code"] for f in findings] == ["NB804"]


def test_crashing_import_is_survived_and_named(tmp_path):
    env = _setup(
        tmp_path, {"k": {"argv": ["{python}", *LAUNCH]}}, files={"crashy.py": "import ctypes\nctypes.string_at(0)\n"}
    )
    _notebook(tmp_path, ["import crashy\n"])
    _, findings = _doctor(tmp_path, env, "nb.ipynb")
    assert [f["code"] for f in findings] == ["NB809"]
    assert "SIGSEGV" in findings[0]["message"]


def test_check_never_runs_machine_rules(tmp_path):
    _notebook(tmp_path, ["import nblint_absent_here\n"], kernel="not-here")
    result = run_nblint("check", "--no-cache", "--select", "ALL", "--format", "json", "nb.ipynb", cwd=tmp_path)
    assert not [f for f in json.loads(result.stdout) if f["code"].startswith("NB8")]


@pytest.mark.slow
def test_slow_kernel_with_start(tmp_path):
    env = _setup(
        tmp_path,
        {"slow": {"argv": ["{python}", "-c", "import time; time.sleep(30)"]}},
        files={"pyproject.toml": "[tool.nblint]\nkernel-start-timeout = 2\n"},
    )
    _, findings = _doctor(tmp_path, env, "--start", "--kernel", "slow")
    assert [f["code"] for f in findings] == ["NB803"]
    assert "within 2 s" in findings[0]["message"]


@pytest.mark.slow
def test_twenty_kernelspecs_are_all_checked(tmp_path):
    """Every one is probed; the figure (under 10 s for 20 kernelspecs) is bench/doctor.py's, not asserted here."""
    kernels = {f"k{i}": {"argv": ["{python}", *LAUNCH]} for i in range(20)}
    env = _setup(tmp_path, kernels)
    env["PATH"] = "/nonexistent"  # no pip on any kernel's PATH: every kernel is probed, none is reported
    kernels[next(iter(kernels))]["argv"][0] = "{missing}"
    _setup(tmp_path, kernels)
    _, findings = _doctor(tmp_path, env, *[f"--kernel=k{i}" for i in range(20)])
    assert [f["code"] for f in findings] == ["NB801"]


def _dist_info(folder: Path, name: str, requires: str) -> None:
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nRequires-Dist: {requires}\n")


def test_environment_probe_sees_only_the_kernel_interpreters_own_path(tmp_path):
    """The doctor's working folder (a checkout with its egg-info) and nblint's own PYTHONPATH are not the
    kernel's environment: their distributions must not be judged as installed there (NB807)."""
    env = _setup(tmp_path, {"k": {"argv": ["{venv}", *LAUNCH]}})
    _dist_info(tmp_path, "nbl-checkout", "nbl-nowhere>=1")
    _dist_info(tmp_path / "onpath", "nbl-onpath", "nbl-nowhere>=1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path / "onpath"), os.environ.get("PYTHONPATH")]))
    assert _doctor(tmp_path, env, "--kernel", "k", "--select", "NB807") == (0, [])
    # a kernelspec whose own env sets PYTHONPATH does see it: that is the kernel's environment
    env = _setup(tmp_path, {"k": {"argv": ["{venv}", *LAUNCH], "env": {"PYTHONPATH": str(tmp_path / "onpath")}}})
    _, findings = _doctor(tmp_path, env, "--kernel", "k", "--select", "NB807")
    assert [f["code"] for f in findings] == ["NB807"] and "nbl-onpath 1.0 requires nbl-nowhere>=1" in findings[0][
        "message"
    ]


def test_profile_startup_file_that_raises(tmp_path):
    env = _setup(
        tmp_path,
        {"k": {"argv": ["{python}", *LAUNCH], "env": {"IPYTHONDIR": "{ipythondir}"}}},
        startup={
            "00-ok.py": "READY = True\nHERE = __file__\n",
            "20-bad.py": "import os\n\nos.environ['NOPE']\n",
        },
    )
    _, findings = _doctor(tmp_path, env, "--kernel", "k")
    assert [f["code"] for f in findings] == ["NB805"]
    assert findings[0]["path"].endswith("k/kernel.json")
    assert "20-bad.py line 3 raises KeyError: 'NOPE'" in findings[0]["message"]
    assert "20-bad.py" in findings[0]["fix"]
    # a file that needs IPython's namespace runs in a real IPython shell, as the kernel runs it
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    (startup / "20-bad.py").unlink()
    (startup / "30-shell.py").write_text("get_ipython().user_ns['X'] = 1\ndisplay('ready')\n", encoding="utf-8")
    assert _doctor(tmp_path, env, "--kernel", "k") == (0, [])


WRAPPER = '#!/bin/sh\nexec {python} "$@"\n'  # another environment's interpreter on the kernel's PATH


def test_shell_pip_and_python_reaching_another_environment(tmp_path):
    env = _setup(
        tmp_path,
        {"k": {"argv": ["{venv}", *LAUNCH], "env": {"PATH": "{bin}:/usr/bin:/bin"}}},
        scripts={"pip": "#!{python}\n", "python": WRAPPER, "python3": WRAPPER},
    )
    cells = [
        "import sys\n!pip install -q polars 2>&1 | tail -1\n",
        "!python train.py --epochs 3\n!{sys.executable} train.py\n",
        "%%bash\ncd /tmp\npython3 -m build\n",
        "%pip install polars && python -m pip list\n",
    ]
    _notebook(tmp_path, cells)
    _, findings = _doctor(tmp_path, env, "nb.ipynb", "--select", "NB810")
    where = [(f["cell"], f["line"]) for f in findings]
    assert where == [(0, 2), (1, 1), (2, 3), (3, 1)], findings
    assert all(f["code"] == "NB810" and f["path"].endswith("nb.ipynb") for f in findings)
    pip, script, bash, after_magic = findings
    assert "%pip" in pip["fix"] and "installs into" in pip["message"]
    assert script["fix"] == "`!{sys.executable} train.py --epochs 3`"
    assert "python3 on the kernel's PATH is" in bash["message"]
    assert "%pip" in after_magic["fix"]  # `python -m pip` after `&&` is the shell's, not the magic's


def test_shell_python_of_the_kernels_own_environment_is_fine(tmp_path):
    env = _setup(tmp_path, {"k": {"argv": ["{venv}", *LAUNCH], "env": {"PATH": "{venvbin}:/usr/bin:/bin"}}})
    _notebook(tmp_path, ["!python -c pass\n!python3 -m json.tool --help\n"])
    assert _doctor(tmp_path, env, "nb.ipynb", "--select", "NB810") == (0, [])


def _pip(venv_python: Path, *args: str) -> subprocess.CompletedProcess:
    """The real pip (nblint's own), acting on the kernel's venv (`pip --python`): that venv has no pip."""
    command = [sys.executable, "-m", "pip", "--python", str(venv_python), "--disable-pip-version-check", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_dependency_installed_with_no_deps_at_an_excluded_version(tmp_path):
    """pyasn1-modules 0.4.2 requires pyasn1>=0.6.1,<0.7.0 (two small pure-Python wheels); installing
    pyasn1 0.5.1 over it with --no-deps breaks it, as `pip check` says: the doctor names the pair."""
    env = _setup(tmp_path, {"k": {"argv": ["{venv}", *LAUNCH]}})
    venv_python = tmp_path / "venv" / "bin" / "python"
    installed = _pip(venv_python, "install", "-q", "pyasn1-modules==0.4.2")
    if installed.returncode != 0:
        pytest.skip(f"pip cannot install pyasn1-modules here (no package index?): {installed.stderr.strip()[-200:]}")
    assert _doctor(tmp_path, env, "--kernel", "k", "--select", "NB807") == (0, [])  # healthy so far
    broken = _pip(venv_python, "install", "-q", "--no-deps", "pyasn1==0.5.1")
    if broken.returncode != 0:
        pytest.skip(f"pip cannot install pyasn1 0.5.1 here: {broken.stderr.strip()[-200:]}")
    check = _pip(venv_python, "check")
    assert "pyasn1-modules 0.4.2 has requirement pyasn1<0.7.0,>=0.6.1, but you have pyasn1 0.5.1" in check.stdout
    _, findings = _doctor(tmp_path, env, "--kernel", "k", "--select", "NB807")
    assert [f["code"] for f in findings] == ["NB807"]
    assert "pyasn1-modules 0.4.2 requires pyasn1<0.7.0,>=0.6.1, but 0.5.1 is installed" in findings[0]["message"]
    assert findings[0]["path"].endswith("k/kernel.json")
    assert f'`{venv_python} -m pip install "pyasn1<0.7.0,>=0.6.1"`' in findings[0]["fix"]


def _notebook_at(path: Path, cells, kernel: str = "k") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"kernelspec": {"name": kernel, "language": "python", "display_name": kernel}}
    path.write_text(notebook_text(make_notebook(cells, metadata)), encoding="utf-8")
    return path


def test_each_notebooks_own_configuration_is_honoured(tmp_path):
    """Found from the notebook's folder upwards, as `check` finds it: select / ignore / per-file-ignores,
    and `# noqa` in the cell; the doctor runs from another folder."""
    env = _setup(tmp_path, {"k": {"argv": ["{venv}", *LAUNCH]}})
    absent = "import nblint_absent_here\n"
    _notebook_at(tmp_path / "plain" / "nb.ipynb", [absent])
    (tmp_path / "quiet" / "legacy").mkdir(parents=True)
    (tmp_path / "quiet" / "nblint.toml").write_text(
        'ignore = ["NB802"]\n[per-file-ignores]\n"legacy/*.ipynb" = ["NB806"]\n', encoding="utf-8"
    )
    _notebook_at(tmp_path / "quiet" / "legacy" / "old.ipynb", [absent])
    _notebook_at(tmp_path / "quiet" / "new.ipynb", [absent, "import nblint_absent_too  # noqa: NB806\n"])
    (tmp_path / "checkonly").mkdir()
    (tmp_path / "checkonly" / "pyproject.toml").write_text('[tool.nblint]\nselect = ["NB1"]\n', encoding="utf-8")
    _notebook_at(tmp_path / "checkonly" / "nb.ipynb", [absent])
    (tmp_path / "narrow").mkdir()
    (tmp_path / "narrow" / "pyproject.toml").write_text('[tool.nblint]\nselect = ["NB802"]\n', encoding="utf-8")
    _notebook_at(tmp_path / "narrow" / "nb.ipynb", [absent])
    runner = tmp_path / "elsewhere"
    runner.mkdir()
    result = run_nblint("doctor", "--format", "json", str(tmp_path), cwd=runner, env=env)
    found = sorted((Path(f["path"]).relative_to(tmp_path).as_posix(), f["code"]) for f in json.loads(result.stdout))
    kernel_json = (tmp_path / "jupyter" / "kernels" / "k" / "kernel.json").relative_to(tmp_path).as_posix()
    assert found == [
        ("checkonly/nb.ipynb", "NB806"),  # a `select` of check's rules only leaves the doctor's default
        (kernel_json, "NB802"),  # the kernel of notebooks that do not all ignore NB802
        ("plain/nb.ipynb", "NB806"),
        ("quiet/new.ipynb", "NB806"),  # cell 1 only: the second import is suppressed by its noqa comment
    ], found
    # the kernel of notebooks that all ignore NB802 is not reported for it
    result = run_nblint("doctor", "--format", "json", str(tmp_path / "quiet"), cwd=runner, env=env)
    assert [(f["code"], f["cell"]) for f in json.loads(result.stdout)] == [("NB806", 0)]


def test_text_summary_says_what_was_checked(tmp_path):
    env = _setup(tmp_path, {"k": {"argv": ["{python}", *LAUNCH]}})
    (tmp_path / "empty").mkdir()
    said = run_nblint("doctor", "empty", cwd=tmp_path, env=env)
    assert (said.returncode, said.stdout.strip()) == (0, "No notebooks found to check.")
    said = run_nblint("doctor", "empty", "--kernel", "k", cwd=tmp_path, env=env)
    assert said.stdout.strip() == "No notebooks found to check (1 kernelspec checked)."
    said = run_nblint("doctor", "--kernel", "k", cwd=tmp_path, env=env)
    assert (said.returncode, said.stdout.strip()) == (0, "All checks passed: 1 kernelspec checked (no notebook given).")
    _notebook(tmp_path, ["import json\n"])
    said = run_nblint("doctor", "nb.ipynb", cwd=tmp_path, env=env)
    assert said.stdout.strip() == "All checks passed: 1 notebook and 1 kernelspec checked."
    said = run_nblint("doctor", "--kernel", "nope", cwd=tmp_path, env=env)
    assert said.returncode == 2 and "--kernel nope: no such kernelspec" in said.stderr
    (tmp_path / "bad.ipynb").write_text("{", encoding="utf-8")
    said = run_nblint("doctor", "bad.ipynb", cwd=tmp_path, env=env)
    assert said.returncode == 1 and "Traceback" not in said.stderr
    assert said.stdout.startswith("bad.ipynb:") and "NB002" in said.stdout and "1 unreadable" in said.stdout


@pytest.mark.slow
def test_start_patience_is_this_machines_jupyter_configuration(tmp_path):
    """--start judges by the figures the server's config files set, and names them: jupyter_server's
    kernel_info_timeout (JSON config) and the heartbeat's time_to_dead (a .py config, read in a subprocess)."""
    silent_heartbeat = (
        "import ipykernel.heartbeat as hb; hb.Heartbeat.run = lambda self: None; "
        "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
    )
    env = _setup(
        tmp_path,
        {
            "slow": {"argv": ["{python}", "-c", "import time; time.sleep(30)"]},
            "silent": {"argv": ["{python}", "-c", silent_heartbeat, "-f", "{connection_file}"]},
            "fine": {"argv": ["{python}", *LAUNCH]},
        },
    )
    config = tmp_path / "jupyter-config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"MappingKernelManager": {"kernel_info_timeout": 3}}), encoding="utf-8"
    )
    (config / "jupyter_server_config.py").write_text("c.KernelRestarter.time_to_dead = 0.5\n", encoding="utf-8")
    env["JUPYTER_CONFIG_DIR"] = str(config)
    _, findings = _doctor(tmp_path, env, "--start", "--kernel", "slow", "--kernel", "silent", "--kernel", "fine")
    by_kernel = {Path(f["path"]).parent.name: f for f in findings}
    assert sorted(by_kernel) == ["silent", "slow"] and all(f["code"] == "NB803" for f in findings), findings
    assert "did not answer kernel_info within 3 s" in by_kernel["slow"]["message"]
    assert (
        f"jupyter_server's MappingKernelManager.kernel_info_timeout, set in {config / 'jupyter_server_config.json'}"
        in by_kernel["slow"]["message"]
    )
    assert "heartbeat did not answer a ping within 0.5 s" in by_kernel["silent"]["message"]
    assert (
        f"jupyter_client's KernelRestarter.time_to_dead, set in {config / 'jupyter_server_config.py'}"
        in by_kernel["silent"]["message"]
    )
