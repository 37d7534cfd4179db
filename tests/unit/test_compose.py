"""The Dockerfile and docker-compose.yml, checked statically (no Docker engine runs here).

The same entry points run without Docker in the API server tests (`python -m bot.api`), so these
checks cover what only the container files decide: roles, volumes, settings and health checks.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli.serve import serve
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines if line and not line.startswith("#")
    ]


def instructions(dockerfile: list[tuple[str, str]], name: str) -> list[str]:
    return [args for instruction, args in dockerfile if instruction == name]


def test_compose_runs_api_slack_and_chroma(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"api", "slack", "chroma"}


def test_api_and_slack_run_briefbot_roles_from_the_built_image(
    compose: dict[str, Any], dockerfile: list[tuple[str, str]]
) -> None:
    services = compose["services"]

    assert json.loads(instructions(dockerfile, "ENTRYPOINT")[-1]) == ["briefbot"]
    assert services["api"]["command"][0] == "serve" and "0.0.0.0" in services["api"]["command"]
    assert services["slack"]["command"] == ["slack"]
    assert services["api"]["build"] == services["slack"]["build"] == "."


def test_api_and_slack_point_at_the_chroma_service_and_read_env_file(compose: dict[str, Any]) -> None:
    for name in ("api", "slack"):
        service = compose["services"][name]
        assert service["environment"]["BRIEFBOT_CHROMA_URL"] == "http://chroma:8000"
        assert service["environment"]["BRIEFBOT_DATA_DIR"] == "/data"
        assert [entry["path"] for entry in service["env_file"]] == [".env"]
        assert service["depends_on"]["chroma"]["condition"] == "service_healthy"


def test_environment_names_are_real_settings(compose: dict[str, Any]) -> None:
    aliases = {field.alias for field in Settings.model_fields.values()}

    for name in ("api", "slack"):
        assert set(compose["services"][name]["environment"]) <= aliases


def test_chroma_serves_its_data_volume_on_port_8000(compose: dict[str, Any]) -> None:
    chroma = compose["services"]["chroma"]

    assert chroma["image"].startswith("chromadb/chroma:")
    assert shlex.join(["chroma", *chroma["command"]]) == "chroma run --path /data --host 0.0.0.0 --port 8000"
    assert "chroma-data:/data" in chroma["volumes"]
    assert "heartbeat" in " ".join(chroma["healthcheck"]["test"])


def test_data_lives_on_named_volumes(compose: dict[str, Any]) -> None:
    assert set(compose["volumes"]) == {"briefbot-data", "chroma-data"}
    for name in ("api", "slack"):
        assert "briefbot-data:/data" in compose["services"][name]["volumes"]


def test_api_is_health_checked_on_healthz_and_published(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]

    assert "/healthz" in " ".join(api["healthcheck"]["test"])
    assert "8000:8000" in api["ports"]
    assert compose["services"]["slack"]["healthcheck"] == {"disable": True}


def test_image_runs_as_a_non_root_user(dockerfile: list[tuple[str, str]]) -> None:
    users = instructions(dockerfile, "USER")

    assert users and users[-1] not in {"root", "0", "0:0"}
    last_user = max(i for i, (name, _) in enumerate(dockerfile) if name == "USER")
    assert all(name != "RUN" for name, _ in dockerfile[last_user:]), "nothing runs as root after USER"


def test_image_installs_cpu_only_torch_before_the_project(dockerfile: list[tuple[str, str]]) -> None:
    runs = instructions(dockerfile, "RUN")
    torch = next(i for i, run in enumerate(runs) if "torch" in run)
    project = next(i for i, run in enumerate(runs) if re.search(r"pip install \.(\s|$)", run))
    pinned = re.search(r'"torch==([^"]+)"', (ROOT / "pyproject.toml").read_text())

    assert "--index-url https://download.pytorch.org/whl/cpu" in runs[torch]
    assert pinned and f"torch=={pinned.group(1)}" in runs[torch]
    assert torch < project


def test_image_keeps_data_on_a_volume_and_checks_health(dockerfile: list[tuple[str, str]]) -> None:
    assert "/data" in instructions(dockerfile, "VOLUME")[-1]
    assert "BRIEFBOT_DATA_DIR=/data" in " ".join(instructions(dockerfile, "ENV"))
    healthcheck = instructions(dockerfile, "HEALTHCHECK")[-1]
    assert "/healthz" in healthcheck and "urllib" in healthcheck


def test_image_defaults_to_serving_on_all_interfaces(dockerfile: list[tuple[str, str]]) -> None:
    assert json.loads(instructions(dockerfile, "CMD")[-1]) == ["serve", "--host", "0.0.0.0"]
    assert {p.name for p in serve.params} >= {"host", "port"}


def test_build_context_leaves_out_secrets_and_local_data() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()

    assert {".env", ".venv", "data", ".git"} <= set(ignored)
