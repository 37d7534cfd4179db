"""URL and feed ingest cannot be turned against the machine or its network (SSRF).

Every check here either only resolves an address (literal IPs and names from /etc/hosts, which
need no DNS server) or talks to a server on 127.0.0.1: nothing is ever sent to a private or a
public address. A "public" first hop is a literal public IP reached through a loopback HTTP
proxy (the page server, as the fetcher's outbound proxy), so the redirect it answers with is
checked exactly as one from the internet would be.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.documents import article_html, rss_feed
from support.page_server import PageServer

from bot.api import create_app
from bot.services import Services, build_services
from bot.settings import Settings
from ingest.errors import FetchError
from ingest.fetch import Fetcher, check_url
from vectorstore.embedder import Embedder

PUBLIC = "93.184.216.34"  # a public address; only ever reached through the loopback proxy
ARTICLE = article_html(title="Coil tariffs rise", site="Test Wire", published="2026-03-12",
                       paragraphs=["Canada raised tariffs on hot-rolled coil to 25% and set a quota "
                                   "for trade partners, officials said on Thursday."] * 3)

REFUSED_ADDRESSES = [
    "http://127.0.0.1/", "http://127.8.9.10:8080/admin", "http://127.1/", "http://2130706433/",
    "http://0x7f000001/", "http://0.0.0.0:8000/", "http://localhost:8000/",
    "http://10.0.0.5/", "http://172.16.0.1/", "http://172.31.255.254/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/iam/", "http://100.100.100.200/latest/meta-data/",
    "http://100.64.0.1/", "http://[::1]:8000/", "http://[::]/", "http://[fd00::1]/",
    "http://[fd00:ec2::254]/latest/meta-data/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/", "https://[::ffff:10.1.2.3]:443/", "http://224.0.0.1/",
]


def default_services(data_dir: Path, embedder: Embedder) -> Services:
    """Services on the settings a fresh install has: nothing about private URLs is set."""
    return build_services(Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(data_dir)),  # type: ignore[call-arg]
                          embedder=embedder)


def proxied_page(page_server: PageServer, url: str, body: str = "", *, status: int = 200,
                 headers: dict[str, str] | None = None) -> None:
    """What the proxy answers for an absolute ``url`` (a proxy sees the whole URL as the path)."""
    page_server.pages[url] = (status, "text/html; charset=utf-8", body, headers or {})


def requested_paths(page_server: PageServer) -> list[str]:
    return [path for _, path, _ in page_server.requests]


# -- addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", REFUSED_ADDRESSES)
def test_loopback_private_link_local_and_metadata_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="BRIEFBOT_ALLOW_PRIVATE_URLS"):
        check_url(url, allow_private=False)


@pytest.mark.parametrize("url", [f"http://{PUBLIC}/article", "https://[2606:4700:4700::1111]/a",
                                 "http://8.8.8.8:8080/feed.xml"])
def test_public_addresses_pass_the_check(url: str) -> None:
    check_url(url, allow_private=False)  # resolving a literal address sends nothing


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/pub/a.txt", "gopher://127.0.0.1:70/",
                                 "dict://127.0.0.1:11211/stat", "data:text/html,<p>x</p>",
                                 "javascript:alert(1)", "//127.0.0.1/a", "http:///nohost"])
@pytest.mark.parametrize("allow_private", [False, True])
def test_only_http_and_https_urls_with_a_host_are_fetched(url: str, allow_private: bool) -> None:
    with pytest.raises(FetchError, match=r"only http and https|no host name"):
        Fetcher(allow_private=allow_private).fetch(url)


def test_a_file_url_given_to_ingest_reads_nothing(services: Services) -> None:
    report = services.ingestor.run(["file:///etc/passwd"])

    assert report.added == 0 and len(report.failed) == 1
    assert services.store.list_documents() == []


# -- the default setting, end to end -------------------------------------------------------------


def test_the_default_settings_refuse_a_loopback_url_and_the_flag_allows_it(
    embedder: Embedder, page_server: PageServer, tmp_path: Path
) -> None:
    url = page_server.add("/article.html", ARTICLE)
    default = default_services(tmp_path / "data", embedder)

    refused = default.ingestor.run([url])

    assert default.settings.allow_private_urls is False
    assert refused.added == 0 and "BRIEFBOT_ALLOW_PRIVATE_URLS" in refused.failed[0].error
    assert page_server.requests == []
    allowing = default.settings.model_copy(update={"allow_private_urls": True})
    allowed = build_services(allowing, embedder=embedder)
    assert allowed.ingestor.run([url]).added == 1
    assert requested_paths(page_server) == ["/article.html"]


def test_the_api_refuses_to_fetch_a_loopback_url_by_default(
    embedder: Embedder, page_server: PageServer, tmp_path: Path
) -> None:
    url = page_server.add("/article.html", ARTICLE)
    app = create_app(default_services(tmp_path / "data", embedder), warm_up=False)

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/documents", json={"url": url})

    assert response.status_code == 422
    assert "BRIEFBOT_ALLOW_PRIVATE_URLS" in response.json()["error"]["message"]
    assert page_server.requests == []


def test_feed_entries_linking_to_private_addresses_are_not_fetched(
    embedder: Embedder, page_server: PageServer, tmp_path: Path
) -> None:
    secret = page_server.add("/internal/secret", "<html><body>internal</body></html>")
    feed = tmp_path / "feeds" / "wire.xml"
    feed.parent.mkdir()
    feed.write_text(rss_feed(title="Test Wire", items=[
        {"title": "Coil", "link": secret, "pubDate": "Thu, 12 Mar 2026 08:00:00 GMT",
         "description": "Canada raised tariffs on hot-rolled coil to 25% on Thursday."},
        {"title": "Metadata", "link": "http://169.254.169.254/latest/meta-data/",
         "description": "The canal authority added four daily transit slots."},
    ]))
    services = default_services(tmp_path / "data", embedder)

    report = services.ingestor.run([str(feed)])

    assert page_server.requests == []
    assert report.added == 2  # each entry's own content, as when a link cannot be fetched
    assert "internal" not in " ".join(c.text for c in services.store.iter_chunks())


# -- redirects: every hop is checked ---------------------------------------------------------------


@pytest.mark.parametrize("target", ["{loopback}/internal/secret", "http://localhost:{port}/internal/secret",
                                    "http://169.254.169.254/latest/meta-data/", "http://[::1]:{port}/x",
                                    "http://10.0.0.7/admin", "file:///etc/passwd"])
def test_a_public_page_redirecting_to_a_private_address_is_refused(
    page_server: PageServer, target: str
) -> None:
    port = page_server.base_url.rsplit(":", 1)[1]
    location = target.format(loopback=page_server.base_url, port=port)
    page_server.add("/internal/secret", "<html><body>internal</body></html>")
    proxied_page(page_server, f"http://{PUBLIC}/start", status=302, headers={"Location": location})
    fetcher = Fetcher(allow_private=False, timeout_s=5, proxy=page_server.base_url)

    with pytest.raises(FetchError, match=r"refused|only http and https"):
        fetcher.fetch(f"http://{PUBLIC}/start")

    assert requested_paths(page_server) == [f"http://{PUBLIC}/start"]


def test_a_public_redirect_chain_to_a_public_page_is_followed(page_server: PageServer) -> None:
    proxied_page(page_server, f"http://{PUBLIC}/start", status=301,
                 headers={"Location": "/moved"})
    proxied_page(page_server, f"http://{PUBLIC}/moved", status=302,
                 headers={"Location": "http://8.8.8.8/article"})
    proxied_page(page_server, "http://8.8.8.8/article", ARTICLE)
    fetcher = Fetcher(allow_private=False, timeout_s=5, proxy=page_server.base_url)

    page = fetcher.fetch(f"http://{PUBLIC}/start")

    assert page.url == "http://8.8.8.8/article" and b"hot-rolled coil" in page.body
    assert len(page_server.requests) == 3
    assert fetcher.fetch(f"http://{PUBLIC}/start").body == page.body  # one fetcher serves a whole run


def test_a_redirect_loop_stops_after_five_hops(page_server: PageServer) -> None:
    proxied_page(page_server, f"http://{PUBLIC}/loop", status=302, headers={"Location": "/loop"})
    fetcher = Fetcher(allow_private=False, timeout_s=5, proxy=page_server.base_url)

    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetcher.fetch(f"http://{PUBLIC}/loop")

    assert len(page_server.requests) == 6


# -- size and time caps ------------------------------------------------------------------------------


Reply = Callable[[socket.socket], None]


class RawServer:
    """A loopback TCP server that answers every connection with ``reply(sock)``: raw HTTP, so a
    test can send what a well-behaved server never would (no length, a lying length, a trickle)."""

    def __init__(self, reply: Reply) -> None:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.recv(65536)
                with contextlib.suppress(OSError):  # the client hung up: what a cap should make it do
                    reply(self.request)

        self.stopping = threading.Event()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/doc.html"

    def close(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Reply], RawServer]]:
    servers: list[RawServer] = []

    def start(reply: Reply) -> RawServer:
        servers.append(RawServer(reply))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"


def test_a_declared_length_over_the_cap_is_refused_before_reading(page_server: PageServer) -> None:
    url = page_server.add("/big.html", "x" * 5000)

    with pytest.raises(FetchError, match="5000 bytes is over the"):
        Fetcher(allow_private=True, max_bytes=1000).fetch(url)


def test_a_chunked_body_without_a_length_is_cut_off_at_the_cap(
    raw_server: Callable[[Reply], RawServer],
) -> None:
    def chunked(sock: socket.socket) -> None:
        sock.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        for _ in range(100):
            sock.sendall(b"400\r\n" + b"x" * 1024 + b"\r\n")
        sock.sendall(b"0\r\n\r\n")

    with pytest.raises(FetchError, match="download is over the"):
        Fetcher(allow_private=True, max_bytes=10_000).fetch(raw_server(chunked).url)


def test_a_body_ended_by_closing_the_connection_is_cut_off_at_the_cap(
    raw_server: Callable[[Reply], RawServer],
) -> None:
    def close_delimited(sock: socket.socket) -> None:
        sock.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + b"x" * 200_000)

    with pytest.raises(FetchError, match="download is over the"):
        Fetcher(allow_private=True, max_bytes=10_000).fetch(raw_server(close_delimited).url)


def test_an_endless_body_is_refused_at_the_cap_not_read_forever(
    raw_server: Callable[[Reply], RawServer],
) -> None:
    server: RawServer

    def endless(sock: socket.socket) -> None:
        sock.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        while not server.stopping.is_set():
            sock.sendall(b"1000\r\n" + b"x" * 4096 + b"\r\n")

    server = raw_server(endless)
    started = time.monotonic()

    with pytest.raises(FetchError, match="download is over the"):
        Fetcher(allow_private=True, max_bytes=1_000_000).fetch(server.url)

    assert time.monotonic() - started < 10


def test_a_length_that_understates_the_body_reads_no_more_than_declared(
    raw_server: Callable[[Reply], RawServer],
) -> None:
    def lying(sock: socket.socket) -> None:
        sock.sendall(HEAD + b"Content-Length: 500\r\n\r\n" + b"<p>" + b"x" * 100_000)

    page = Fetcher(allow_private=True, max_bytes=10_000).fetch(raw_server(lying).url)

    assert len(page.body) == 500


def test_a_server_that_never_answers_times_out(page_server: PageServer) -> None:
    started = time.monotonic()

    with pytest.raises(FetchError, match=r"timed out after 0\.5 s"):
        Fetcher(allow_private=True, timeout_s=0.5).fetch(page_server.url(page_server.slow_path))

    assert time.monotonic() - started < 3


def test_a_server_trickling_its_body_times_out_as_a_whole(raw_server: Callable[[Reply], RawServer]) -> None:
    server: RawServer

    def trickle(sock: socket.socket) -> None:
        sock.sendall(HEAD + b"Content-Length: 100000\r\n\r\n")
        until = time.monotonic() + 5  # then hang up, so a fetcher without a deadline fails here too
        while not server.stopping.wait(0.05) and time.monotonic() < until:
            sock.sendall(b"x")  # one byte every 50 ms: no single read ever waits long

    server = raw_server(trickle)
    started = time.monotonic()

    with pytest.raises(FetchError, match="timed out after 1 s"):
        Fetcher(allow_private=True, timeout_s=1.0).fetch(server.url)

    assert time.monotonic() - started < 3
