"""Sentence splitting: the unit of chunking and of verbatim quotes."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ingest.sentences import sentence_spans, split_sentences


def test_us_abbreviation_does_not_end_a_sentence() -> None:
    text = "The U.S. Commerce Department widened the rule. Allies are exempt."
    assert split_sentences(text) == [
        "The U.S. Commerce Department widened the rule.",
        "Allies are exempt.",
    ]


def test_title_abbreviation_does_not_end_a_sentence() -> None:
    text = "Mr. Estevez spoke on Tuesday. Dr. Marin agreed with him."
    assert split_sentences(text) == ["Mr. Estevez spoke on Tuesday.", "Dr. Marin agreed with him."]


def test_month_and_number_abbreviations_do_not_end_a_sentence() -> None:
    text = "The rule was published on Jan. 22 and listed as No. 14 in the register. It takes effect soon."
    assert split_sentences(text) == [
        "The rule was published on Jan. 22 and listed as No. 14 in the register.",
        "It takes effect soon.",
    ]


def test_decimal_numbers_do_not_end_a_sentence() -> None:
    text = "Gatun Lake stood at 82.4 feet. Rates fell to $54.50 per tonne. Analysts cheered."
    assert split_sentences(text) == [
        "Gatun Lake stood at 82.4 feet.",
        "Rates fell to $54.50 per tonne.",
        "Analysts cheered.",
    ]


def test_sentence_ending_before_a_number_is_split() -> None:
    assert split_sentences("Imports rose sharply. 2025 was a record year.") == [
        "Imports rose sharply.",
        "2025 was a record year.",
    ]


def test_question_and_exclamation_marks_end_sentences() -> None:
    assert split_sentences("Will rates fall? Nobody knows! Carriers wait.") == [
        "Will rates fall?",
        "Nobody knows!",
        "Carriers wait.",
    ]


def test_closing_quote_stays_with_its_sentence() -> None:
    text = '"Our controls have to follow the technology." She left the podium.'
    assert split_sentences(text) == [
        '"Our controls have to follow the technology."',
        "She left the podium.",
    ]


def test_each_markdown_table_row_is_its_own_unit() -> None:
    text = (
        "The schedule is as follows:\n"
        "| Product | New rate |\n|---|---|\n| Hot-rolled coil | 25% |\n| Rebar | 20% |\n"
        "Shipments above the quota pay the new rates."
    )
    assert split_sentences(text) == [
        "The schedule is as follows:",
        "| Product | New rate |",
        "|---|---|",
        "| Hot-rolled coil | 25% |",
        "| Rebar | 20% |",
        "Shipments above the quota pay the new rates.",
    ]


def test_line_breaks_end_units_even_without_a_full_stop() -> None:
    assert split_sentences("## Allies given an exemption\n\nShipments to allies qualify.") == [
        "## Allies given an exemption",
        "Shipments to allies qualify.",
    ]


def test_blank_text_has_no_sentences() -> None:
    assert sentence_spans("") == []
    assert sentence_spans(" \n\n \t") == []


_TEXTS = st.lists(
    st.sampled_from(
        ["The", "U.S.", "rate", "rose", "2.5%", "Mr.", "Smith", "said.", "Why?", "No.", "|", "a",
         "\n", "\n\n", "  ", '"Yes."', "Jan.", "5", "End!", "(It", "did.)"]
    ),
    max_size=40,
).map(" ".join)


@given(_TEXTS)
def test_spans_are_ordered_trimmed_and_cover_every_word(text: str) -> None:
    spans = sentence_spans(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end
        assert not text[start].isspace() and not text[end - 1].isspace()
        previous_end = end
    covered = "".join(text[s:e] for s, e in spans)
    assert re.sub(r"\s", "", covered) == re.sub(r"\s", "", text)
