"""Conversation turns and feedback in SQLite, so sessions survive restarts.

One short-lived connection per call keeps this safe to use from the API's worker threads and
from several processes (WAL mode); the data is small and the calls are rare compared to search.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    question TEXT NOT NULL,
    standalone_question TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (session_id, turn)
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    channel TEXT NOT NULL DEFAULT 'api',
    created REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Turn:
    turn: int
    question: str
    standalone_question: str
    answer: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.answer,
        }


@dataclass(frozen=True)
class FeedbackRecord:
    session_id: str
    turn: int
    rating: str
    comment: str | None
    channel: str


def new_session_id() -> str:
    return uuid.uuid4().hex


class SessionStore:
    """Turns per session and feedback per turn."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA synchronous=NORMAL")  # WAL keeps this crash-safe; commits cost far less
        try:
            with db:
                yield db
        finally:
            db.close()

    def turns(self, session_id: str, *, limit: int = 50) -> list[Turn]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT turn, question, standalone_question, answer_json FROM turns "
                "WHERE session_id = ? ORDER BY turn DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [Turn(r[0], r[1], r[2], json.loads(r[3])) for r in reversed(rows)]

    def add_turn(self, session_id: str, question: str, standalone: str, answer: dict[str, Any]) -> int:
        """Append a turn and return its number (1-based)."""
        with self._connect() as db:
            row = db.execute(
                "SELECT COALESCE(MAX(turn), 0) + 1 FROM turns WHERE session_id = ?", (session_id,)
            ).fetchone()
            turn = int(row[0])
            db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, turn, question, standalone, json.dumps(answer), time.time()),
            )
        return turn

    def has_session(self, session_id: str) -> bool:
        with self._connect() as db:
            row = db.execute("SELECT 1 FROM turns WHERE session_id = ? LIMIT 1", (session_id,)).fetchone()
        return row is not None

    def add_feedback(
        self, session_id: str, turn: int, rating: str, comment: str | None = None, *, channel: str = "api"
    ) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO feedback (session_id, turn, rating, comment, channel, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, turn, rating, comment, channel, time.time()),
            )

    def feedback(self, session_id: str | None = None) -> list[FeedbackRecord]:
        query = "SELECT session_id, turn, rating, comment, channel FROM feedback"
        args: tuple[str, ...] = ()
        if session_id is not None:
            query += " WHERE session_id = ?"
            args = (session_id,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        return [FeedbackRecord(*row) for row in rows]
