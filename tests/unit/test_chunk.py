"""Chunking with the real MiniLM tokenizer: verbatim slices, every sentence, within the model limit."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ingest.chunk import ChunkPlan, split_text
from ingest.sentences import sentence_spans
from vectorstore.embedder import Embedder
from vectorstore.records import ChunkRecord

_PARAGRAPH = (
    "Sentence {i} says the U.S. tariff on hot-rolled coil rose to 25% from 10% on July 1, "
    "according to the schedule published by the Department of Finance."
)


def _long_text(sentences: int = 60) -> str:
    return " ".join(_PARAGRAPH.format(i=i) for i in range(sentences))


def _split(embedder: Embedder, text: str, *, title: str = "Steel tariffs", source: str | None = "Wire",
           plan: ChunkPlan | None = None) -> list[ChunkRecord]:
    return split_text(
        text, doc_id="doc", title=title, source=source, token_spans=embedder.token_spans,
        plan=plan or ChunkPlan(max_tokens=embedder.max_tokens),
    )


def _tokens(embedder: Embedder, text: str) -> int:
    return len(embedder.token_spans(text))


def test_chunks_are_verbatim_slices_of_the_text(embedder: Embedder) -> None:
    text = _long_text()
    chunks = _split(embedder, text)
    assert len(chunks) > 1
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_chunks_cover_every_sentence_in_order(embedder: Embedder) -> None:
    text = _long_text()
    chunks = _split(embedder, text)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    for start, end in sentence_spans(text):
        assert any(c.start <= start and end <= c.end for c in chunks), text[start:end]


def test_chunk_indexes_count_from_zero(embedder: Embedder) -> None:
    chunks = _split(embedder, _long_text())
    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
    assert {c.doc_id for c in chunks} == {"doc"}


def test_consecutive_chunks_overlap_by_a_sentence(embedder: Embedder) -> None:
    chunks = _split(embedder, _long_text())
    for before, after in itertools.pairwise(chunks):
        assert after.start < before.end
        assert before.text.endswith(after.text[: before.end - after.start])


def test_embedded_text_is_title_and_outlet_then_the_chunk(embedder: Embedder) -> None:
    chunk = _split(embedder, "Rates rose. Carriers diverted ships.", title="Red Sea", source="Tidewater")[0]
    assert chunk.embed_text == "Red Sea (Tidewater)\nRates rose. Carriers diverted ships."


def test_short_text_is_one_chunk_holding_all_of_it(embedder: Embedder) -> None:
    text = "The canal adds four slots. Rates fall."
    chunks = _split(embedder, text)
    assert [(c.start, c.end, c.text) for c in chunks] == [(0, len(text), text)]


def test_every_embedded_text_fits_the_model(embedder: Embedder) -> None:
    chunks = _split(embedder, _long_text(), title="Canada raises steel and aluminium tariffs",
                    source="Ironbridge Economic Review")
    assert max(_tokens(embedder, c.embed_text) for c in chunks) <= embedder.max_tokens


def test_a_sentence_longer_than_the_model_limit_is_cut_to_fit(embedder: Embedder) -> None:
    text = "Intro. " + " ".join(f"item{i}" for i in range(900)) + " end. Outro."
    chunks = _split(embedder, text)
    assert all(_tokens(embedder, c.embed_text) <= embedder.max_tokens for c in chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert "item899" in "".join(c.text for c in chunks)


def test_a_very_long_title_still_leaves_chunks_within_the_model_limit(embedder: Embedder) -> None:
    title = "-".join(str(i % 10) for i in range(200))  # one word piece per character
    chunks = _split(embedder, _long_text(), title=title, source=None)
    assert max(_tokens(embedder, c.embed_text) for c in chunks) <= embedder.max_tokens


def test_a_target_above_the_model_limit_is_capped_by_the_limit(embedder: Embedder) -> None:
    plan = ChunkPlan(max_tokens=embedder.max_tokens, target_tokens=512)
    chunks = _split(embedder, _long_text(), plan=plan)
    assert max(_tokens(embedder, c.embed_text) for c in chunks) <= embedder.max_tokens


def test_a_table_that_fits_stays_in_one_chunk(embedder: Embedder, sample_dir: Path) -> None:
    text = (sample_dir / "steel-tariffs.md").read_text()
    table = [line for line in text.splitlines() if line.startswith("|")]
    chunks = _split(embedder, text)
    assert any(all(row in c.text for row in table) for c in chunks)


@pytest.mark.parametrize("target", [32, 64, 128])
def test_smaller_targets_make_more_and_smaller_chunks(embedder: Embedder, target: int) -> None:
    plan = ChunkPlan(max_tokens=embedder.max_tokens, target_tokens=target)
    chunks = _split(embedder, _long_text(20), plan=plan, source=None)
    default = _split(embedder, _long_text(20), source=None)
    assert len(chunks) > len(default)
    # a single sentence here is ~40 word pieces, so only whole sentences over the target overflow it
    sentence = _tokens(embedder, _PARAGRAPH.format(i=10))
    assert all(_tokens(embedder, c.text) <= max(target, sentence) for c in chunks)
