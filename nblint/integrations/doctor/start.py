"""`nblint doctor --start`: start a kernel for real with jupyter_client, timed to its first kernel_info reply."""

from __future__ import annotations

import tempfile
import time

from nblint.rules.machine.facts import KernelFacts, StartResult


def start_kernel(kernel: KernelFacts, timeout: float, env: dict[str, str] | None = None) -> StartResult:
    from jupyter_client import KernelManager

    manager = KernelManager(kernel_name=kernel.name)
    with tempfile.TemporaryFile("w+") as errors:
        began = time.monotonic()
        try:
            manager.start_kernel(stderr=errors, stdout=errors, env=env)
        except Exception as exc:  # a kernelspec jupyter_client cannot launch
            return StartResult(None, timeout, f"does not start: {type(exc).__name__}: {exc}")
        client = manager.client()
        try:
            client.start_channels()
            deadline = began + timeout
            while time.monotonic() < deadline:
                if not manager.is_alive():
                    errors.seek(0)
                    tail = [line for line in errors.read().strip().splitlines() if line.strip()][-1:]
                    status = getattr(getattr(manager, "provisioner", None), "process", None)
                    returncode = status.returncode if status is not None else None
                    said = f": {tail[0]}" if tail else ""
                    return StartResult(None, timeout, f"died at start (exit code {returncode}){said}")
                try:
                    client.wait_for_ready(timeout=min(1.0, max(0.1, deadline - time.monotonic())))
                    return StartResult(time.monotonic() - began, timeout)
                except RuntimeError:
                    continue
            return StartResult(
                None, timeout, f"did not answer kernel_info within {timeout:g} s (jupyter_server gives a kernel 60 s)"
            )
        finally:
            client.stop_channels()
            try:
                manager.shutdown_kernel(now=True)
            except Exception:
                pass
