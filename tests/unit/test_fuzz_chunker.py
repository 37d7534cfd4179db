"""Properties of the chunker on arbitrary text, with the real MiniLM tokenizer (hypothesis).

Whatever the text (prose, tables, symbols, scripts the model does not know, runs of digits, no
sentence breaks at all), every chunk is a verbatim slice ``text[start:end]``, the chunks come in
order, together they hold every non-space character, each chunk keeps to the size target (less
the title and outlet embedded with it), and each embedded text fits the model.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.chunk import ChunkPlan, split_text
from vectorstore.embedder import Embedder
from vectorstore.records import ChunkRecord

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_WORDS = st.sampled_from([
    "tariff", "U.S.", "Mr.", "25%", "Jan.", "coil", "rare-earth", "licence", "|", "---", "1,250.5",
    "…", "“quoted”", "Zhenhai", "东京", "ÄÖÜ", "e.g.", "[1]", "<!channel>", "http://x.example/a?b=c",
    "0123456789" * 3, "!!!", "?", ".", "\t", "", "naïve", "🚢", "ship's",
])
_SEPARATORS = st.sampled_from([" ", " ", " ", ". ", "? ", "! ", "\n", "\n\n", " | ", ".\n", "  "])


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Text that looks like articles, tables and junk, so sentence and table rules are exercised."""
    if draw(st.booleans()):
        return draw(st.text(min_size=0, max_size=1500))
    words = draw(st.lists(st.one_of(_WORDS, st.text(min_size=1, max_size=12)), max_size=400))
    seps = draw(st.lists(_SEPARATORS, min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True))


def _split(embedder: Embedder, text: str, title: str, source: str | None, target: int) -> list[ChunkRecord]:
    plan = ChunkPlan(max_tokens=embedder.max_tokens, target_tokens=target)
    return split_text(text, doc_id="doc", title=title, source=source,
                      token_spans=embedder.token_spans, plan=plan)


@FUZZ
@given(text=documents(), title=st.text(max_size=300), source=st.none() | st.text(max_size=80),
       target=st.sampled_from([32, 64, 200, 512]))
@example(text="x" * 5000, title="t", source=None, target=200)
@example(text="| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 200, title="Table", source="Wire", target=32)
@example(text=" ".join("9" * 40 for _ in range(50)), title="9" * 300, source="9" * 80, target=512)
def test_chunks_are_ordered_verbatim_slices_that_cover_the_text_within_the_model_limit(
    embedder: Embedder, text: str, title: str, source: str | None, target: int
) -> None:
    chunks = _split(embedder, text, title, source, target)

    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.embed_text.endswith(chunk.text)
        prefix = chunk.embed_text[: len(chunk.embed_text) - len(chunk.text)]
        budget = max(16, min(target, embedder.max_tokens - len(embedder.token_spans(prefix))))
        assert len(embedder.token_spans(chunk.text)) <= budget
        assert len(embedder.token_spans(chunk.embed_text)) <= embedder.max_tokens
    for before, after in itertools.pairwise(chunks):
        assert before.start < after.start and before.end <= after.end
    covered = set(itertools.chain.from_iterable(range(c.start, c.end) for c in chunks))
    missing = [i for i, ch in enumerate(text) if not ch.isspace() and i not in covered]
    assert missing == [], f"characters {missing[:10]} are in no chunk"


@FUZZ
@given(text=documents())
def test_a_text_with_words_has_chunks_and_a_blank_one_has_none(embedder: Embedder, text: str) -> None:
    chunks = _split(embedder, text, "Title", "Wire", 200)

    assert bool(chunks) == bool(text.strip())
