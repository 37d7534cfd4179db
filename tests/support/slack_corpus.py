"""A data folder ingested once per test module, for the Slack tests' real answer chain.

Module-scoped, so it cannot use the function-scoped `make_settings`; it clears the same
outside variables as the hermetic-environment fixture before building its settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.services import build_services
from bot.settings import Settings
from ingest.pipeline import IngestReport
from vectorstore.embedder import Embedder

_OUTSIDE_SETTINGS = ("BRIEFBOT_", "OPENAI_", "SLACK_")


def ingest_corpus(data_dir: Path, embedder: Embedder, sources: list[Path]) -> IngestReport:
    """Ingest ``sources`` into an embedded store in ``data_dir`` with default settings."""
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith(_OUTSIDE_SETTINGS)]:
            env.delenv(name)
        settings = Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(data_dir))  # type: ignore[call-arg]
        return build_services(settings, embedder=embedder).ingestor.run([str(s) for s in sources])
