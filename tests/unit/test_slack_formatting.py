"""Block Kit formatting: escaping, Slack's size limits, sources and feedback buttons."""

from __future__ import annotations

import json

import pytest

from bot.answers.models import Answer, Citation
from bot.slack.formatting import (
    BLOCK_LIMIT,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    SECTION_LIMIT,
    FeedbackRef,
    escape,
    format_answer,
    source_line,
    split_text,
)


def citation(
    n: int, *, title: str = "Canada raises steel tariffs", url: str | None = "https://a.example/x",
    source: str | None = "Ironbridge Economic Review", published: str | None = "2026-06-03",
) -> Citation:
    return Citation(n, f"doc{n}", title, url, source, published, "quote")


def answer(text: str, citations: list[Citation] | None = None) -> Answer:
    cites = [citation(1)] if citations is None else citations
    return Answer(text, cites, "slack:C1:1.2", "q", bool(cites), "extractive")


def texts(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_escape_turns_slack_control_sequences_into_text() -> None:
    assert escape("<!channel> & <@U123> <https://x|y>") == (
        "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt;"
    )


def test_escape_defuses_bare_broadcast_words() -> None:
    assert "@here" not in escape("ping @here and @channel")


@pytest.mark.parametrize("ping", ["<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<!subteam^S1>"])
def test_nothing_from_a_document_can_ping(ping: str) -> None:
    cite = citation(1, title=f"Title {ping}", source=f"Outlet {ping}")
    message = format_answer(answer(f"The notice said {ping} [1]", [cite]), turn=1)
    assert ping not in texts(message.blocks) and ping not in message.text


def test_answer_keeps_its_markers_and_lists_the_sources() -> None:
    message = format_answer(answer("Hot-rolled coil goes to 25% [1]."), turn=3)
    assert message.blocks[0]["text"]["text"] == "Hot-rolled coil goes to 25% [1]."
    assert message.blocks[1]["text"]["text"] == (
        "*Sources*\n[1] <https://a.example/x|Canada raises steel tariffs>"
        " — Ironbridge Economic Review, 2026-06-03"
    )
    assert message.text.startswith("Hot-rolled coil goes to 25%")


def test_every_text_object_is_verbatim_so_slack_parses_nothing() -> None:
    message = format_answer(answer("x [1]"), turn=1)
    for block in message.blocks:
        if block["type"] == "section":
            assert block["text"]["verbatim"] is True


def test_source_without_url_shows_the_plain_title() -> None:
    line = source_line(citation(2, url=None, source=None, published=None))
    assert line == "[2] Canada raises steel tariffs"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://a.example/x y", "ftp://a.example/f"])
def test_source_with_unsafe_url_is_not_linked(url: str) -> None:
    assert "<" not in source_line(citation(1, url=url))


def test_url_characters_that_would_end_the_link_are_encoded() -> None:
    line = source_line(citation(1, url="https://a.example/a|b>c"))
    assert line.startswith("[1] <https://a.example/a%7Cb%3Ec|")


def test_published_datetime_is_shown_as_a_date() -> None:
    assert source_line(citation(1, published="2026-06-03T09:30:00+00:00")).endswith(", 2026-06-03")


def test_buttons_carry_the_session_and_turn() -> None:
    actions = format_answer(answer("x [1]"), turn=4).blocks[-1]
    assert actions["type"] == "actions"
    assert [e["action_id"] for e in actions["elements"]] == [FEEDBACK_UP, FEEDBACK_DOWN]
    assert FeedbackRef.from_value(actions["elements"][1]["value"]) == FeedbackRef("slack:C1:1.2", 4)


@pytest.mark.parametrize("value", ["", "nope", "[]", '{"session_id": "s"}', '{"session_id": 1, "turn": 1}',
                                   '{"session_id": "s", "turn": 0}'])
def test_foreign_button_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        FeedbackRef.from_value(value)


def test_long_answer_is_split_into_sections_within_the_limit() -> None:
    text = " ".join(f"Sentence number {i} says something about tariffs [1]." for i in range(400))
    message = format_answer(answer(text), turn=1)
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert len(sections) > 3
    assert all(len(s) <= SECTION_LIMIT for s in sections)
    assert " ".join(sections[:-1]).replace("  ", " ") == text
    assert len(message.text) <= SECTION_LIMIT


def test_splitting_never_cuts_an_escaped_character() -> None:
    pieces = split_text(escape("&" * 5000), SECTION_LIMIT)
    assert all(p.endswith(";") and p.startswith("&") for p in pieces)
    assert "".join(pieces) == "&amp;" * 5000


def test_huge_answer_is_shortened_to_fit_the_block_limit() -> None:
    text = "\n\n".join("word " * 590 for _ in range(80))
    message = format_answer(answer(text), turn=1)
    assert len(message.blocks) <= BLOCK_LIMIT
    assert "shortened" in texts(message.blocks)
    assert message.blocks[-1]["type"] == "actions"


def test_too_many_sources_end_with_and_n_more() -> None:
    many = [citation(n, title=f"{n} " + "t" * 240) for n in range(1, 1001)]
    message = format_answer(answer("x [1]", many), turn=1)
    assert len(message.blocks) <= BLOCK_LIMIT
    last_sources = message.blocks[-2]["text"]["text"]
    assert last_sources.rsplit("\n", 1)[1].startswith("and ") and last_sources.endswith(" more")
    shown = texts(message.blocks).count("<https://a.example/x|")
    assert shown + int(last_sources.rsplit("\n", 1)[1].split()[1]) == 1000
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in message.blocks if b["type"] == "section")


def test_refusal_has_no_sources_block_but_keeps_the_buttons() -> None:
    message = format_answer(answer("The documents do not say.", []), turn=1)
    assert [b["type"] for b in message.blocks] == ["section", "actions"]


def test_slash_command_answer_says_who_asked_what() -> None:
    message = format_answer(answer("x [1]"), turn=1, asked_by="U0ALICE", question="What <!here>?")
    assert message.blocks[0]["elements"][0]["text"] == "<@U0ALICE> asked: What &lt;!here&gt;?"


def test_asker_that_is_not_a_user_id_is_not_mentioned() -> None:
    message = format_answer(answer("x [1]"), turn=1, asked_by="!channel", question="q")
    assert message.blocks[0]["elements"][0]["text"] == "Someone asked: q"
