"""Citation markers: renumbered 1..k in order of first use, dangling ones dropped, also mid-stream."""

from __future__ import annotations

import pytest

from bot.answers.citations import MarkerRewriter, build_citations, claims_by_passage, tidy
from bot.answers.models import Draft
from vectorstore.records import SearchHit

DOCUMENTS = {
    "canal": "The canal will offer 36 daily slots from March 16. Tolls earned $3.5 billion last year.",
    "steel": "Canada raised the tariff on hot-rolled coil to 25%. Rebar goes to 20% in August.",
    "ships": "Spot rates reached $4,350 per container. Carriers kept sailing around the Cape.",
}


def hit(doc_id: str) -> SearchHit:
    text = DOCUMENTS[doc_id]
    return SearchHit(
        chunk_id=f"{doc_id}-0", doc_id=doc_id, chunk_index=0, text=text, title=f"{doc_id} title",
        source=f"{doc_id} outlet", published="2026-03-04", url=f"https://{doc_id}.example/a",
        start=0, end=len(text),
    )


PASSAGES = [hit("canal"), hit("steel"), hit("ships")]


def stream(rewriter: MarkerRewriter, pieces: list[str]) -> str:
    return "".join(rewriter.feed(p) for p in pieces) + rewriter.flush()


# -- MarkerRewriter ---------------------------------------------------------------------------


def test_markers_are_renumbered_in_order_of_first_use() -> None:
    rewriter = MarkerRewriter({1, 2, 3})
    assert stream(rewriter, ["Rates rose [3]. Slots rose [1]. Rates again [3]."]) == (
        "Rates rose [1]. Slots rose [2]. Rates again [1]."
    )
    assert rewriter.order == [3, 1]


def test_a_marker_pointing_at_no_passage_is_dropped() -> None:
    rewriter = MarkerRewriter({1, 2})
    assert tidy(stream(rewriter, ["Slots rose [9]. Tariffs rose [2]."])) == "Slots rose. Tariffs rose [1]."
    assert rewriter.order == [2]


def test_a_marker_split_across_stream_pieces_is_renumbered_whole() -> None:
    rewriter = MarkerRewriter(set(range(1, 13)))
    out = [rewriter.feed(p) for p in ["Slots rose [", "1", "2] and fell [", "3]."]]
    assert "".join(out) + rewriter.flush() == "Slots rose [1] and fell [2]."
    assert not any(piece.endswith(("[", "[1")) for piece in out)  # nothing half-written was released


def test_an_unfinished_marker_is_held_back_until_it_completes() -> None:
    rewriter = MarkerRewriter({12})
    assert rewriter.feed("Slots rose [1") == "Slots rose"
    assert rewriter.feed("2].") == " [1]."


def test_a_bracket_that_never_becomes_a_marker_is_released_at_the_end() -> None:
    rewriter = MarkerRewriter({1})
    assert stream(rewriter, ["Rates [", "sic] rose [1"]) == "Rates [sic] rose [1"


def test_streamed_text_equals_the_text_rewritten_in_one_piece() -> None:
    text = "Slots rose [2] while rates fell [9] [1]. Tariffs [12] rose [2].\n"
    whole = MarkerRewriter({1, 2})
    pieces = MarkerRewriter({1, 2})
    assert stream(pieces, [text[i : i + 3] for i in range(0, len(text), 3)]) == stream(whole, [text])


def test_dropping_a_marker_leaves_no_space_before_punctuation_while_streaming() -> None:
    rewriter = MarkerRewriter({1})
    streamed = stream(rewriter, ["Slots rose ", "[7]", ". Rates rose [1]", "."])
    assert streamed == tidy(streamed) == "Slots rose. Rates rose [1]."


def test_a_sources_list_written_by_the_model_is_not_streamed() -> None:
    rewriter = MarkerRewriter({1})
    streamed = stream(rewriter, ["Slots rose [1].", "\n\nSour", "ces:\n[1] Harbor", " Ledger [9]"])
    assert streamed.strip() == "Slots rose [1]."
    assert rewriter.order == [1]


def test_a_line_that_only_starts_like_sources_is_streamed() -> None:
    rewriter = MarkerRewriter({1})
    assert stream(rewriter, ["Slots rose [1].\nSour", "cing costs rose [1]."]) == (
        "Slots rose [1].\nSourcing costs rose [1]."
    )


# -- tidy -------------------------------------------------------------------------------------


def test_tidy_removes_a_sources_list_the_model_wrote_itself() -> None:
    assert tidy("Slots rose [1].\n\n**Sources:**\n[1] Harbor Ledger") == "Slots rose [1]."
    assert tidy("Slots rose [1].\nReferences: [1] Harbor Ledger") == "Slots rose [1]."


def test_tidy_closes_gaps_left_by_dropped_markers() -> None:
    assert tidy("Slots rose  , then fell .  Done ") == "Slots rose, then fell. Done"


def test_tidy_keeps_a_sentence_that_mentions_sources_inline() -> None:
    assert tidy("Two sources: the canal authority [1].") == "Two sources: the canal authority [1]."


# -- build_citations --------------------------------------------------------------------------


def build(text: str, passages: list[SearchHit] = PASSAGES, **kwargs: object) -> tuple[str, list]:
    return build_citations(
        Draft(text, grounded=True, generator="test", **kwargs),  # type: ignore[arg-type]
        passages,
        document_text=DOCUMENTS.get,
    )


def test_citations_are_exactly_the_cited_passages_numbered_by_first_use() -> None:
    text, citations = build("Rates reached $4,350 [3]. Slots rose to 36 [1]. Rates were high [3].")
    assert text == "Rates reached $4,350 [1]. Slots rose to 36 [2]. Rates were high [1]."
    assert [(c.n, c.doc_id) for c in citations] == [(1, "ships"), (2, "canal")]


def test_each_quote_is_the_passage_sentence_that_supports_the_claim() -> None:
    _, citations = build("Rebar goes to 20% in August [2].")
    assert citations[0].quote == "Rebar goes to 20% in August."


def test_a_citation_carries_the_documents_metadata() -> None:
    _, citations = build("Slots rose to 36 [1].")
    assert citations[0].to_json() == {
        "n": 1, "doc_id": "canal", "title": "canal title", "url": "https://canal.example/a",
        "source": "canal outlet", "published": "2026-03-04",
        "quote": "The canal will offer 36 daily slots from March 16.",
    }


def test_a_quote_missing_from_the_stored_document_drops_that_citation_and_its_marker() -> None:
    text, citations = build(
        "Slots rose [1]. Tariffs rose [2].", quotes={1: "A sentence the canal article never said."}
    )
    assert [c.doc_id for c in citations] == ["steel"]
    assert text == "Slots rose. Tariffs rose [1]."


def test_a_marker_beyond_the_passages_adds_no_citation() -> None:
    text, citations = build("Slots rose [1][4]. Rates rose [0].")
    assert text == "Slots rose [1]. Rates rose."
    assert [c.n for c in citations] == [1]


@pytest.mark.parametrize("text", ["Slots rose.", "Slots rose [7]."])
def test_an_answer_without_valid_markers_has_no_citations(text: str) -> None:
    assert build(text)[1] == []


def test_claims_are_grouped_by_the_passage_they_cite() -> None:
    claims = claims_by_passage("Slots rose [1]. Rates rose [3]. Tolls were high [1].")
    assert set(claims) == {1, 3}
    assert "Tolls were high" in claims[1] and "Rates" not in claims[1]


def test_markers_in_a_sources_list_the_model_wrote_cite_nothing() -> None:
    text, citations = build("Slots rose to 36 [1].\n\nSources:\n[1] canal\n[3] ships")
    assert text == "Slots rose to 36 [1]."
    assert [c.doc_id for c in citations] == ["canal"]


def test_markers_in_a_streamed_sources_list_cite_nothing() -> None:
    draft = "Slots rose to 36 [1].\n\nSources:\n[1] canal\n[3] ships"
    rewriter = MarkerRewriter({1, 2, 3})
    streamed = stream(rewriter, [draft[i : i + 5] for i in range(0, len(draft), 5)])
    draft_of = Draft(draft, grounded=True, generator="test")
    text, citations = build_citations(draft_of, PASSAGES, document_text=DOCUMENTS.get, streamed=rewriter)
    assert text == streamed == "Slots rose to 36 [1]."
    assert [c.doc_id for c in citations] == ["canal"]
