"""A real `chroma run` server on loopback, which tests can stop and start again (outages).

The port is chosen once and kept across restarts, so a client built before an outage finds the
server again at the same URL afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from support.processes import stop_process


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_executable() -> Path:
    """The `chroma` command installed next to the running Python (the project's venv)."""
    return Path(sys.executable).parent / "chroma"


class ChromaServer:
    """Owns one `chroma run` process; ``url`` stays the same across ``stop()``/``start()``."""

    def __init__(self, path: Path, *, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.path = path
        self.host = host
        self.port = port or free_port()
        self.log_path = path.parent / f"chroma-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, timeout_s: float = 60.0) -> None:
        """Start the server and wait until its heartbeat answers."""
        if self.running:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        command = [str(chroma_executable()), "run", "--path", str(self.path),
                   "--host", self.host, "--port", str(self.port)]
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self.wait_ready(timeout_s=timeout_s)

    def wait_ready(self, *, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run did not answer within {timeout_s:g} s:\n{self.log_tail()}")

    def stop(self, *, timeout_s: float = 15.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL) and wait until the port is closed."""
        process, self._process = self._process, None
        stop_process(process, timeout_s=timeout_s)

    def restart(self, *, timeout_s: float = 60.0) -> None:
        self.stop()
        self.start(timeout_s=timeout_s)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"
