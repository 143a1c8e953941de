"""A real IPython kernel for the guard's tests: jupyter_client starts ipykernel with this checkout first on
the path and a throwaway IPYTHONDIR; `run` sends one execute request (with optional request metadata,
as a frontend sends the cell's) and collects what the cell printed and how it ended."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Execution:
    status: str  # "ok" or "error", from the execute reply
    stdout: str = ""
    stderr: str = ""
    ename: str | None = None
    traceback: list[str] = field(default_factory=list)

    @property
    def shown(self) -> str:
        return self.stdout + self.stderr + "\n".join(self.traceback)


def start_kernel(folder: Path):
    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ)
    env["IPYTHONDIR"] = str(folder / "ipython")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.pop("MEM_LIMIT", None)
    env["JUPYTER_RUNTIME_DIR"] = str(folder / "runtime")  # the guard's flight records stay in the test's folder
    return start_new_kernel(kernel_name="python3", env=env, cwd=str(folder), startup_timeout=60)


def run(client, code: str, metadata: dict | None = None, timeout: float = 60) -> Execution:
    request = client.session.msg(
        "execute_request",
        {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        metadata=metadata or {},
    )
    client.shell_channel.send(request)
    msg_id = request["header"]["msg_id"]
    result = Execution(status="?")
    while True:
        message = client.get_iopub_msg(timeout=timeout)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            if content["name"] == "stdout":
                result.stdout += content["text"]
            else:
                result.stderr += content["text"]
        elif kind == "error":
            result.ename = content["ename"]
            result.traceback = list(content["traceback"])
        elif kind == "status" and content["execution_state"] == "idle":
            break
    while True:
        reply = client.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            result.status = reply["content"]["status"]
            return result
