"""Downloading articles and feeds safely: http(s) only, public addresses only, size and time caps.

Every hop of a redirect chain is resolved and checked again, so a public URL cannot bounce the
fetch to 127.0.0.1, a private network or a cloud metadata address (SSRF). Loopback and private
targets are allowed only with ``BRIEFBOT_ALLOW_PRIVATE_URLS=true`` (tests and intranets).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ingest.errors import FetchError

logger = logging.getLogger(__name__)

_MAX_REDIRECTS = 5
_USER_AGENT = "briefbot/0.1 (+https://github.com/briefbot; article ingest)"


@dataclass(frozen=True)
class FetchedPage:
    url: str
    content_type: str
    body: bytes


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return bool(ip.is_global) and not ip.is_multicast


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse non-http(s) URLs and hosts that resolve to loopback, private or link-local addresses."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise FetchError(f"{url}: only http and https URLs can be ingested")
    if not parts.hostname:
        raise FetchError(f"{url}: the URL has no host name")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{url}: cannot resolve host {parts.hostname!r} ({exc})") from exc
    for info in infos:
        address = str(info[4][0])
        if not _is_public(address):
            raise FetchError(
                f"{url}: refused: {parts.hostname} resolves to non-public address {address} "
                "(set BRIEFBOT_ALLOW_PRIVATE_URLS=true to ingest from private networks)"
            )


@dataclass
class Fetcher:
    """Fetches one URL at a time with the caps above; reusable across a whole ingest run.

    ``timeout_s`` bounds the whole fetch, redirects and body included, so a server that
    trickles a byte at a time cannot hold an ingest forever. ``proxy`` is an outbound HTTP proxy
    URL; the address checks apply to the URLs fetched, whatever the route to them.
    """

    allow_private: bool = False
    timeout_s: float = 15.0
    max_bytes: int = 25 * 1024 * 1024
    proxy: str | None = None

    def fetch(self, url: str) -> FetchedPage:
        """GET a URL, following redirects by hand so each hop is checked."""
        deadline = time.monotonic() + self.timeout_s
        with httpx.Client(
            timeout=httpx.Timeout(self.timeout_s),
            follow_redirects=False,
            headers={"User-Agent": _USER_AGENT},
            trust_env=False,
            proxy=self.proxy,
        ) as client:
            current = url
            for _ in range(_MAX_REDIRECTS + 1):
                check_url(current, allow_private=self.allow_private)
                page = self._get(client, current, deadline=deadline)
                if isinstance(page, FetchedPage):
                    return page
                current = page
        raise FetchError(f"{url}: more than {_MAX_REDIRECTS} redirects")

    def _get(self, client: httpx.Client, url: str, *, deadline: float) -> FetchedPage | str:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"{url}: timed out after {self.timeout_s:g} s")
        try:
            with client.stream("GET", url, timeout=httpx.Timeout(remaining)) as response:
                if response.is_redirect:
                    target: str = urljoin(url, str(response.headers.get("location", "")))
                    return target
                if response.status_code >= 400:
                    raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
                declared = int(response.headers.get("content-length") or 0)
                if declared > self.max_bytes:
                    raise FetchError(f"{url}: {declared} bytes is over the {self._limit()} limit")
                body = bytearray()
                for piece in response.iter_bytes():
                    body.extend(piece)
                    if len(body) > self.max_bytes:
                        raise FetchError(f"{url}: the download is over the {self._limit()} limit")
                    if time.monotonic() > deadline:
                        raise FetchError(f"{url}: timed out after {self.timeout_s:g} s")
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                page: FetchedPage | str = FetchedPage(str(response.url), content_type.lower(), bytes(body))
                return page
        except httpx.TimeoutException as exc:
            raise FetchError(f"{url}: timed out after {self.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: cannot fetch ({exc.__class__.__name__}: {exc})") from exc

    def _limit(self) -> str:
        return f"{self.max_bytes / 1024 / 1024:g} MB (BRIEFBOT_MAX_DOCUMENT_MB)"
