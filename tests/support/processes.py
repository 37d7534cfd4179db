"""Starting and stopping the real server processes tests run on loopback."""

from __future__ import annotations

import signal
import subprocess


def stop_process(process: subprocess.Popen[bytes] | None, *, timeout_s: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it lingers; waits so the port is free when this returns."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout_s)
