"""Reading the document's own publication date from what it says."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from dateutil import parser as dateparser

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WRITTEN_DATE = re.compile(
    rf"\b({_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})\b"
)


def normalise_date(value: object) -> str | None:
    """ISO date (or datetime when a time is given) for any date-like value; None if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
            return moment.date().isoformat()
        return moment.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        # Year 1 as the default, so a value that names no year ("May", "Tuesday") is rejected
        # below instead of becoming a made-up date in 1900.
        parsed = dateparser.parse(text, default=datetime(1, 1, 1))
    except (ValueError, OverflowError):
        return None
    if parsed is None or parsed.year < 1900 or parsed.year > 2200:
        return None
    has_time = bool(re.search(r"\d{1,2}:\d{2}", text))
    return normalise_date(parsed) if has_time else parsed.date().isoformat()


def find_written_date(text: str) -> str | None:
    """The first date written out in a passage, e.g. in a dateline 'LONDON, March 4, 2026 (...)'."""
    match = _WRITTEN_DATE.search(text)
    return normalise_date(match.group(1)) if match else None
