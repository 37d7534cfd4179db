"""Every loader, fed arbitrary or damaged bytes, loads a document or fails with a `LoaderError`.

A different exception would escape the pipeline's per-document error handling and stop the
whole batch, so "never anything else" is the property. Inputs are random bytes, random text, and
real files (Markdown, HTML, JSONL, RSS, PDF, Word) with bytes flipped, cut or inserted, which
reach much deeper into the parsers than noise does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.documents import article_html, make_docx, make_pdf, rss_feed

from ingest.document import LoadedDocument
from ingest.errors import LoaderError
from ingest.loaders.feed import load_feed
from ingest.loaders.html import load_html
from ingest.loaders.jsonl import load_jsonl
from ingest.loaders.office import load_docx, load_pdf
from ingest.loaders.text import load_text

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PARAGRAPHS = ["Canada raised tariffs on hot-rolled coil to 25% and set a quota for partners.",
              "The canal authority added four daily transit slots after heavy rains."]
Loader = Callable[[bytes], Iterator[LoadedDocument | LoaderError]]


def _offline(url: str) -> LoadedDocument:
    """What the feed loader gets when an entry's article cannot be fetched (no network here)."""
    raise LoaderError(f"{url}: cannot fetch (offline)")


LOADERS: dict[str, Loader] = {
    "md": lambda data: iter([load_text(data, locator="x.md", fmt="md")]),
    "txt": lambda data: iter([load_text(data, locator="x.txt", fmt="txt")]),
    "html": lambda data: iter([load_html(data, locator="x.html", url="https://news.example/a")]),
    "jsonl": lambda data: load_jsonl(data, locator="x.jsonl"),
    "feed": lambda data: load_feed(data, locator="x.xml", fetch_article=_offline),
    "pdf": lambda data: iter([load_pdf(data, locator="x.pdf")]),
    "docx": lambda data: iter([load_docx(data, locator="x.docx")]),
}


def _seeds(folder: Path) -> dict[str, bytes]:
    """One valid file per format, the starting point for the damaged variants."""
    md = "---\ntitle: Coil\ndate: 2026-03-12\n---\n# Coil\nSource: Test Wire\n\n" + " ".join(PARAGRAPHS)
    html = article_html(title="Coil tariffs", site="Test Wire", published="2026-03-12T08:00:00Z",
                        paragraphs=PARAGRAPHS * 2)
    jsonl = "\n".join(json.dumps({"text": p, "title": f"T{i}", "published": "2026-03-12", "url": f"https://x.example/{i}"})
                      for i, p in enumerate(PARAGRAPHS))
    feed = rss_feed(title="Test Wire", items=[
        {"title": "Coil", "link": "https://x.example/coil", "description": PARAGRAPHS[0],
         "pubDate": "Thu, 12 Mar 2026 08:00:00 GMT"}])
    pdf = make_pdf(folder / "seed.pdf", title="Coil", author="Desk", paragraphs=PARAGRAPHS).read_bytes()
    docx = make_docx(folder / "seed.docx", title="Coil", author="Desk", paragraphs=PARAGRAPHS,
                     table=[["Item", "Rate"], ["Coil", "25%"]]).read_bytes()
    return {"md": md.encode(), "txt": md.encode(), "html": html.encode(), "jsonl": jsonl.encode(),
            "feed": feed.encode(), "pdf": pdf, "docx": docx}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _seeds(tmp_path_factory.mktemp("seeds"))


@st.composite
def damaged(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few bytes overwritten, a slice cut out, and/or bytes inserted."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        start = draw(st.integers(0, len(data)))
        del data[start : start + draw(st.integers(0, 400))]
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(max_size=64))
    return bytes(data)


def assert_loads_or_fails_clearly(kind: str, data: bytes) -> None:
    """Documents with text and a title, or `LoaderError`s with a message; nothing else escapes."""
    try:
        outcomes = list(LOADERS[kind](data))
    except LoaderError as exc:
        outcomes = [exc]
    for outcome in outcomes:
        if isinstance(outcome, LoaderError):
            assert str(outcome).strip(), "a LoaderError without a message"
            continue
        assert isinstance(outcome, LoadedDocument)
        assert outcome.text.strip() and isinstance(outcome.title, str)
        if outcome.published is not None:
            date.fromisoformat(outcome.published[:10])


@FUZZ
@given(kind=st.sampled_from(["md", "txt", "html", "jsonl", "feed"]), data=st.binary(max_size=3000))
def test_text_loaders_load_or_refuse_arbitrary_bytes(kind: str, data: bytes) -> None:
    assert_loads_or_fails_clearly(kind, data)


@FUZZ
@given(kind=st.sampled_from(["md", "txt", "html", "jsonl", "feed"]), text=st.text(max_size=3000))
def test_text_loaders_load_or_refuse_arbitrary_text(kind: str, text: str) -> None:
    assert_loads_or_fails_clearly(kind, text.encode("utf-8", "surrogatepass"))


@SLOW_FUZZ
@given(kind=st.sampled_from(["pdf", "docx"]), data=st.binary(max_size=3000))
def test_binary_loaders_load_or_refuse_arbitrary_bytes(kind: str, data: bytes) -> None:
    assert_loads_or_fails_clearly(kind, data)


@pytest.mark.parametrize("kind", ["md", "txt", "html", "jsonl", "feed", "pdf", "docx"])
def test_every_loader_survives_damaged_real_files(kind: str, seeds: dict[str, bytes]) -> None:
    assert_loads_or_fails_clearly(kind, seeds[kind])  # the undamaged seed loads

    @settings(max_examples=60 if kind in {"pdf", "docx"} else 100, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(data=damaged(seeds[kind]))
    def check(data: bytes) -> None:
        assert_loads_or_fails_clearly(kind, data)

    check()
