"""Server-sent event framing, read back with the same parser the server tests use."""

from __future__ import annotations

from support.api_server import parse_sse

from bot.api.streaming import sse


def test_event_data_is_one_json_line_even_with_newlines_in_the_text() -> None:
    frame = sse("token", {"text": "line one\nline two"})

    events = list(parse_sse(iter(frame.split("\n"))))

    assert frame.count("\n") == 3 and frame.endswith("\n\n")
    assert [(e.name, e.json()) for e in events] == [("token", {"text": "line one\nline two"})]


def test_plain_data_lines_have_no_event_name() -> None:
    events = list(parse_sse(iter((sse(None, {"a": 1}) + sse(None, "[DONE]")).split("\n"))))

    assert [(e.name, e.data) for e in events] == [(None, '{"a": 1}'), (None, "[DONE]")]
