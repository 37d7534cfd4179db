"""One ingest at a time per data directory: a second one waits briefly, then says who holds it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ingest.errors import IngestLockedError


@contextmanager
def ingest_lock(data_dir: Path, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold ``<data_dir>/ingest.lock`` for the duration; the OS frees it if the process dies."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(data_dir / "ingest.lock"))
    try:
        lock.acquire(timeout=wait_s)
    except Timeout as exc:
        raise IngestLockedError(
            f"another ingest is running on {data_dir} (lock file {data_dir / 'ingest.lock'}): "
            "wait for it to finish, or pass --wait SECONDS to queue behind it"
        ) from exc
    try:
        yield
    finally:
        lock.release()
