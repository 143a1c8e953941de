"""How long the frontends wait for a kernel, as this machine's Jupyter is configured: jupyter_server's
`MappingKernelManager.kernel_info_timeout` (a new kernel's first kernel_info reply) and the heartbeat's
`time_to_dead` (jupyter_client's `KernelRestarter.time_to_dead`, set in a server config, else the
heartbeat channel's own default). Read from the Jupyter config files (jupyter_core's config path, as
the server reads them, later folders overridden by earlier ones) by a subprocess: a `.py` config
is code, and runs in no process of nblint's own."""

from __future__ import annotations

import sys

from nblint.integrations.doctor import probes
from nblint.rules.machine.facts import Patience

_READ = r"""
import glob, json, os
from jupyter_core.paths import jupyter_config_path
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader
WANTED = {
    "kernel_info_timeout": [("MappingKernelManager", "kernel_info_timeout"),
                            ("AsyncMappingKernelManager", "kernel_info_timeout")],
    "time_to_dead": [("KernelRestarter", "time_to_dead"), ("IOLoopKernelRestarter", "time_to_dead"),
                     ("AsyncIOLoopKernelRestarter", "time_to_dead")],
}
found = {}
for folder in reversed(jupyter_config_path()):  # the first folder wins: read it last
    for app in ("jupyter_notebook_config", "jupyter_server_config"):
        files = sorted(glob.glob(os.path.join(folder, app + ".d", "*.json")))
        files += [os.path.join(folder, app + ".json"), os.path.join(folder, app + ".py")]
        for path in files:
            if not os.path.isfile(path):
                continue
            loader = JSONFileConfigLoader if path.endswith(".json") else PyFileConfigLoader
            try:
                config = loader(os.path.basename(path), os.path.dirname(path)).load_config()
            except Exception:
                continue  # the server would refuse it, or skip it: not a figure to judge by
            for figure, places in WANTED.items():
                for section, key in places:
                    if section in config and key in config[section]:
                        try:
                            found[figure] = [float(config[section][key]), path, section + "." + key]
                        except (TypeError, ValueError):
                            pass
print(json.dumps(found))
"""

SERVER_DEFAULT = 60.0  # jupyter_server's MappingKernelManager.kernel_info_timeout


def configured(timeout: float = 20) -> dict:
    """{figure: [seconds, file, "Section.key"]} for the figures a Jupyter config file sets."""
    answer = probes.run([sys.executable, "-c", _READ], timeout)
    return answer.data if answer.ok and isinstance(answer.data, dict) else {}


def patience(kernel_start_timeout: float, probe_timeout: float = 20) -> Patience:
    """The figures `--start` judges by. nblint's own `kernel-start-timeout`, when set to other than its
    default, is the kernel_info figure; else the server's configured one; else the server's default."""
    from jupyter_client.channels import HBChannel

    figures = configured(probe_timeout)
    if kernel_start_timeout != SERVER_DEFAULT:
        start, start_name = kernel_start_timeout, "nblint's kernel-start-timeout"
    elif "kernel_info_timeout" in figures:
        seconds, path, key = figures["kernel_info_timeout"]
        start, start_name = seconds, f"jupyter_server's {key}, set in {path}"
    else:
        start, start_name = SERVER_DEFAULT, "jupyter_server's MappingKernelManager.kernel_info_timeout, its default"
    if "time_to_dead" in figures:
        seconds, path, key = figures["time_to_dead"]
        beat, beat_name = seconds, f"jupyter_client's {key}, set in {path}"
    else:
        beat, beat_name = float(HBChannel.time_to_dead), "jupyter_client's heartbeat time_to_dead, its default"
    return Patience(start, start_name, beat, beat_name)
