"""Reading publication dates: what the document says, or None; never a made-up date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ingest.dates import find_written_date, normalise_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-04", "2026-03-04"),
        ("March 4, 2026", "2026-03-04"),
        ("4 March 2026", "2026-03-04"),
        ("Mar. 4, 2026", "2026-03-04"),
        ("Wed, 04 Mar 2026 00:00:00 GMT", "2026-03-04"),
    ],
)
def test_written_dates_become_iso_dates(value: str, expected: str) -> None:
    assert normalise_date(value) == expected


def test_a_time_of_day_is_kept_and_converted_to_utc() -> None:
    assert normalise_date("2026-08-27T16:05:00+02:00") == "2026-08-27T14:05:00+00:00"


def test_midnight_is_a_plain_date() -> None:
    assert normalise_date(datetime(2026, 5, 18, tzinfo=UTC)) == "2026-05-18"


def test_date_and_datetime_objects_are_accepted() -> None:
    assert normalise_date(date(2026, 9, 9)) == "2026-09-09"
    moment = datetime(2026, 9, 9, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert normalise_date(moment) == "2026-09-10T04:30:00+00:00"


@pytest.mark.parametrize("value", [None, "", "soon", "not a date", "0001-01-01", "9999-01-01"])
def test_unreadable_or_implausible_dates_are_none(value: object) -> None:
    assert normalise_date(value) is None


@pytest.mark.parametrize("value", ["May", "Tuesday", "12", "March 4"])
def test_a_date_without_a_year_is_none_rather_than_invented(value: str) -> None:
    assert normalise_date(value) is None


def test_dateline_date_is_found_in_the_opening_words() -> None:
    opening = "PANAMA CITY, March 4, 2026 (Harbor Ledger) — The Panama Canal Authority said"
    assert find_written_date(opening) == "2026-03-04"


def test_passage_without_a_written_date_has_none() -> None:
    assert find_written_date("The authority said on Wednesday it would add slots.") is None
