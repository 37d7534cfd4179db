"""One ingest run in a child process, for crash tests; settings come from the environment.

    python ingest_child.py SOURCE_DIR MARKER_FILE [--crash-before-record N] [--hold]

Like `briefbot ingest`, it holds the data directory's ingest lock while it works. Each document
the pipeline starts on is appended to MARKER_FILE (a line, flushed), so the parent can SIGKILL
this process partway through. With ``--crash-before-record N`` the process kills itself just
before writing its Nth document record, after that document's new chunks are written: the worst
moment for a crash. With ``--hold`` it opens the store, loads the model, takes the lock, writes
``ready`` and then waits to be killed without writing anything (a crash before the first upsert,
and a lock held for as long as a test needs).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.services import build_services, store_location
from bot.settings import Settings
from ingest.lock import ingest_lock
from ingest.pipeline import Ingestor
from vectorstore.records import DocumentRecord
from vectorstore.store import ChromaStore, make_chroma_client


class CrashingStore(ChromaStore):
    """The real store, except that the process dies before the Nth document record is written."""

    def __init__(self, *args: Any, crash_before_record: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crash_before_record = crash_before_record
        self.records_written = 0

    def put_document(self, record: DocumentRecord, text: str) -> None:
        self.records_written += 1
        if self.records_written == self.crash_before_record:
            os.kill(os.getpid(), signal.SIGKILL)
        super().put_document(record, text)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("marker", type=Path)
    parser.add_argument("--crash-before-record", type=int, default=None)
    parser.add_argument("--hold", action="store_true")
    args = parser.parse_args(argv)
    source, marker, crash_at = args.source, args.marker, args.crash_before_record
    services = build_services(Settings(_env_file=None))  # type: ignore[call-arg]
    ingestor = services.ingestor
    if crash_at is not None:
        location = store_location(services.settings)
        store = CrashingStore(make_chroma_client(location), location, model_id=services.embedder.model_id,
                              dimension=services.embedder.dimension, crash_before_record=crash_at)
        ingestor = Ingestor(store, services.embedder, ingestor.loader, ingestor.plan)
    services.embedder.embed(["warm up"])  # load the model before the first document starts

    def progress(items: Iterable[Any], total: int) -> Iterator[Any]:
        with marker.open("a", buffering=1) as out:
            for number, item in enumerate(items, start=1):
                out.write(f"{number}/{total}\n")
                out.flush()
                yield item

    with ingest_lock(services.settings.data_dir):
        if args.hold:
            marker.write_text("ready\n")
            threading.Event().wait()  # until SIGKILL
        report = ingestor.run([source], progress=progress)
    print(report.summary_line())


if __name__ == "__main__":
    main(sys.argv[1:])
