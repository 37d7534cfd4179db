"""API keys: `Authorization: Bearer <key>` on every /v1 route when BRIEFBOT_API_KEYS is set.

The given key is compared with every configured key in constant time, and a missing header, a
malformed one and a wrong key all get the same 401, so a caller learns nothing about the keys.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from bot.api.errors import ApiError

UNAUTHORIZED = "missing or invalid API key: send the header 'Authorization: Bearer <key>'"


def key_matches(given: str, keys: list[str]) -> bool:
    """True when ``given`` equals one of ``keys``; every key is compared, without early exit."""
    supplied = given.encode("utf-8")
    found = False
    for key in keys:
        found |= hmac.compare_digest(supplied, key.encode("utf-8"))
    return found


def bearer_token(header: str | None) -> str:
    if not header:
        return ""
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class ApiKeyGuard:
    """A dependency holding the configured keys (read once, when the app is built)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    async def __call__(self, request: Request) -> None:
        if not self.keys:
            return
        token = bearer_token(request.headers.get("authorization"))
        if not key_matches(token, self.keys):
            raise ApiError(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
