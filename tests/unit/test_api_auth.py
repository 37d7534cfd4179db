"""API-key checks: constant-time comparison against every key, strict Bearer parsing."""

from __future__ import annotations

import pytest

from bot.api.auth import bearer_token, key_matches


@pytest.mark.parametrize(("given", "expected"), [("key-a", True), ("key-b", True), ("key-c", False),
                                                  ("", False), ("key-", False), ("key-aa", False)])
def test_a_key_matches_only_exactly(given: str, expected: bool) -> None:
    assert key_matches(given, ["key-a", "key-b"]) is expected


def test_no_configured_keys_match_nothing() -> None:
    assert key_matches("", []) is False


@pytest.mark.parametrize(("header", "token"), [
    ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", ""), ("abc", ""),
    (None, ""), ("Bearer", ""),
])
def test_bearer_token_is_read_only_from_the_bearer_scheme(header: str | None, token: str) -> None:
    assert bearer_token(header) == token
