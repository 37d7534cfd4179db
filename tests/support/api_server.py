"""A real `python -m bot.api` process on a free loopback port, and helpers to talk to it.

The server reads its settings from the environment we give it (nothing of the developer's own
BRIEFBOT_*/OPENAI_*/SLACK_* variables leaks in); its log goes to a file shown on failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from support.chroma_server import free_port
from support.processes import stop_process

_OUTSIDE_SETTINGS = ("BRIEFBOT_", "OPENAI_", "SLACK_")
REPO_ROOT = Path(__file__).resolve().parents[2]


def server_environment(settings: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUTSIDE_SETTINGS)}
    env.update({"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", **settings})
    return env


class ApiServer:
    """Owns one API server process; ``url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, settings: Mapping[str, str], *, log_path: Path) -> None:
        self.settings = dict(settings)
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiServer:
        command = [sys.executable, "-m", "bot.api", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                env=server_environment(self.settings), start_new_session=True,
            )
        return self

    def wait_for(self, path: str, *, status: int = 200, timeout_s: float = 60.0) -> httpx.Response:
        """Poll ``path`` until it answers ``status`` (the process must stay alive meanwhile)."""
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"the API server exited with {code}:\n{self.log_tail()}")
            try:
                response = httpx.get(self.url + path, timeout=5.0)
                if response.status_code == status:
                    return response
                last = f"{response.status_code} {response.text[:300]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise RuntimeError(f"{path} did not answer {status} in {timeout_s:g} s ({last}):\n{self.log_tail()}")

    def stop(self, *, timeout_s: float = 15.0) -> None:
        process, self.process = self.process, None
        stop_process(process, timeout_s=timeout_s)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


@dataclass(frozen=True)
class Event:
    """One server-sent event: its name (None for plain `data:` lines) and raw data."""

    name: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


def parse_sse(lines: Iterator[str]) -> Iterator[Event]:
    """Events of a text/event-stream, as a browser's EventSource would see them."""
    name: str | None = None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield Event(name, "\n".join(data))
            name, data = None, []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield Event(name, "\n".join(data))
