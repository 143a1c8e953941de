"""`nblint doctor --start`: start a kernel for real with jupyter_client, timed to its first kernel_info
reply, then ping its heartbeat as a frontend does, each against the frontends' patience."""

from __future__ import annotations

import tempfile
import time

from nblint.rules.machine.facts import KernelFacts, Patience, StartResult

HEARTBEATS = 3  # pings after the first kernel_info reply; the slowest is judged


def start_kernel(kernel: KernelFacts, patience: Patience, env: dict[str, str] | None = None) -> StartResult:
    from jupyter_client import KernelManager

    timeout = patience.start
    manager = KernelManager(kernel_name=kernel.name)
    with tempfile.TemporaryFile("w+") as errors:
        began = time.monotonic()
        try:
            manager.start_kernel(stderr=errors, stdout=errors, env=env)
        except Exception as exc:  # a kernelspec jupyter_client cannot launch
            return StartResult(None, timeout, f"does not start: {type(exc).__name__}: {exc}", patience)
        client = manager.client()
        try:
            client.start_channels(hb=False)  # the heartbeat is pinged below, timed
            deadline = began + timeout
            while time.monotonic() < deadline:
                if not manager.is_alive():
                    errors.seek(0)
                    tail = [line for line in errors.read().strip().splitlines() if line.strip()][-1:]
                    status = getattr(getattr(manager, "provisioner", None), "process", None)
                    returncode = status.returncode if status is not None else None
                    said = f": {tail[0]}" if tail else ""
                    return StartResult(
                        None, timeout, f"died at start (exit code {returncode}){said}", patience, died=True
                    )
                try:
                    client.wait_for_ready(timeout=min(1.0, max(0.1, deadline - time.monotonic())))
                except RuntimeError:
                    continue
                seconds = time.monotonic() - began
                return StartResult(seconds, timeout, "", patience, heartbeat=_heartbeat(manager, patience.heartbeat))
            return StartResult(None, timeout, f"did not answer kernel_info within {timeout:g} s", patience)
        finally:
            client.stop_channels()
            try:
                manager.shutdown_kernel(now=True)
            except Exception:
                pass


def _heartbeat(manager, time_to_dead: float) -> float | None:
    """The slowest round trip of a few pings on the kernel's heartbeat socket; None when one does not
    come back within time_to_dead (a frontend watching the heartbeat calls the kernel dead then)."""
    socket = manager.connect_hb()
    try:
        slowest = 0.0
        for _ in range(HEARTBEATS):
            sent = time.monotonic()
            socket.send(b"ping")
            if not socket.poll(int(time_to_dead * 1000)):
                return None
            socket.recv()
            slowest = max(slowest, time.monotonic() - sent)
        return slowest
    finally:
        socket.close(linger=0)
