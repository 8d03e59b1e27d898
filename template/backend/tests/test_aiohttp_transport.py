"""The shared HTTP client's transport: httpx's requests sent by aiohttp, against real sockets.

Each failure a server can cause is checked for the httpx error it becomes, because callers
decide on those: ConnectError and ConnectTimeout mean nothing was sent (a create may be tried
again), any other TransportError that the outcome is unknown. Requests leave two ways, each
checked: the plain way of `AiohttpClient.request` (every PostgREST query), and httpx's own.
"""

import asyncio
import datetime
import gzip
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.core.aiohttp_transport import AiohttpClient, AiohttpTransport
from app.core.http_client import SharedHttpClient
from scripts.local_stack.postgres import free_port
from tests.conftest import SettingsFactory
from tests.upstream import BOTH_WAYS, raw_server, read_request, send_by

pytestmark = pytest.mark.anyio

EMPTY_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"


@asynccontextmanager
async def shared_client(
    make_settings: SettingsFactory, **values: object
) -> AsyncIterator[httpx.AsyncClient]:
    """The service's own client (SharedHttpClient), closed afterwards."""
    http = SharedHttpClient(make_settings(**values))
    try:
        yield http.get()
    finally:
        await http.aclose()


def one_connection_transport(ssl_context: ssl.SSLContext | None = None) -> AiohttpTransport:
    """The transport alone, with a pool of one connection."""
    return AiohttpTransport(
        max_connections=1,
        keepalive_seconds=5,
        ssl_context=ssl_context or ssl.create_default_context(),
    )


def answering(
    answer: bytes, received: list[bytes] | None = None
) -> Callable[[socket.socket], None]:
    """A connection handler: reads one request (kept in `received`), sends `answer`, closes."""

    def handle(connection: socket.socket) -> None:
        with connection:
            request = read_request(connection)
            if received is not None:
                head, _, body = request.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.lower().split(b"\r\n")
                        if line.startswith(b"content-length:")
                    ),
                    0,
                )
                while len(body) < length:
                    body += connection.recv(65536)
                received.append(head + b"\r\n\r\n" + body)
            connection.sendall(answer)

    return handle


def answering_on_one_connection(answer: bytes, times: int) -> Callable[[socket.socket], None]:
    """A connection handler that answers `times` requests on the same connection."""

    def handle(connection: socket.socket) -> None:
        with connection:
            for _ in range(times):
                read_request(connection)
                connection.sendall(answer)

    return handle


def never_answering(connection: socket.socket) -> None:
    with connection:
        read_request(connection)
        time.sleep(2)


def sent(raw: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    """A request as it arrived: its request line, its headers in order, its body."""
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.split(b"\r\n")
    headers = [(name, value) for name, _, value in (line.partition(b": ") for line in header_lines)]
    return request_line, headers, body


async def test_a_request_is_sent_exactly_as_httpx_built_it(make_settings: SettingsFactory) -> None:
    received: list[bytes] = []
    with raw_server(answering(EMPTY_ANSWER, received)) as url:
        async with shared_client(make_settings) as client:
            request = client.build_request(
                "POST",
                f"{url}/rest/v1/entities",
                params={"select": "*", "order": "created_at.desc,id", "title": "eq.a b"},
                headers={"Prefer": "return=representation", "X-Request-ID": "req-1"},
                json={"title": "Ünïcode"},
            )
            response = await client.send(request)

    assert response.status_code == 200
    (raw,) = received
    request_line, headers, body = sent(raw)
    assert request_line == b"POST " + request.url.raw_path + b" HTTP/1.1"
    assert sorted(headers) == sorted(request.headers.raw), "each header once as built, none added"
    assert dict(headers)[b"Prefer"] == b"return=representation"
    assert body == request.content


async def not_sent_by_httpx(*_: object, **__: object) -> httpx.Response:
    raise AssertionError("a plain request went through httpx's client pipeline")


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("GET", None),
        ("HEAD", None),
        ("POST", '{"title":"Ü"}'.encode()),
        ("PATCH", b"{}"),
        ("DELETE", None),
    ],
)
async def test_a_plain_request_goes_out_as_httpx_would_send_it(
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    body: bytes | None,
) -> None:
    """What postgrest-py passes for a query: its parameters and headers, a body of bytes."""
    params = httpx.QueryParams(
        [
            ("select", "id,title"),
            ("owner_id", "eq.user_1"),
            ("title", 'in.("a b",ü,%)'),
            ("order", "created_at.desc,id.asc"),
            ("limit", "20"),
        ]
    )
    headers = httpx.Headers({"Prefer": "count=estimated", "Accept-Profile": "public"})
    received: list[bytes] = []
    with raw_server(answering(EMPTY_ANSWER, received)) as url:
        async with shared_client(make_settings) as client:
            table = f"{url}/rest/v1/entities"
            by_httpx = client.build_request(
                method, table, params=params, headers=headers, content=body
            )
            monkeypatch.setattr(httpx.AsyncClient, "send", not_sent_by_httpx)
            response = await client.request(
                method, table, params=params, headers=headers, content=body, auth=None
            )

    (raw,) = received
    request_line, sent_headers, sent_body = sent(raw)
    assert request_line == method.encode() + b" " + by_httpx.url.raw_path + b" HTTP/1.1"
    # aiohttp states that a bodiless DELETE is empty, where httpx says nothing: the same request.
    added = [(b"Content-Length", b"0")] if method == "DELETE" else []
    assert sorted(sent_headers) == sorted([*by_httpx.headers.raw, *added]), "each header once"
    assert sent_body == (body or b"")
    assert response.request.url == by_httpx.url
    assert response.request.headers.raw == by_httpx.headers.raw


@pytest.mark.parametrize(
    ("path", "options"),
    [
        pytest.param("/items", {"json": {"title": "x"}}, id="json"),
        pytest.param("/items", {"timeout": 5}, id="timeout"),
        pytest.param("/items?page=2", {"params": {"size": 10}}, id="query-in-the-url"),
        pytest.param("/items", {"content": "text"}, id="text-body"),
    ],
)
async def test_any_other_request_takes_httpx_path(
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    options: dict[str, object],
) -> None:
    sent_by_httpx: list[httpx.Request] = []
    send = httpx.AsyncClient.send

    async def recording(
        client: httpx.AsyncClient, request: httpx.Request, **rest: object
    ) -> httpx.Response:
        sent_by_httpx.append(request)
        return await send(client, request, **rest)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.AsyncClient, "send", recording)
    with raw_server(answering(EMPTY_ANSWER)) as url:
        async with shared_client(make_settings) as client:
            response = await client.request("POST", f"{url}{path}", **options)  # type: ignore[arg-type]

    assert response.status_code == 200
    assert sent_by_httpx == [response.request]


async def test_hooks_and_cookies_added_to_the_client_later_still_apply(
    make_settings: SettingsFactory,
) -> None:
    received: list[bytes] = []
    hooked: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request)

    with raw_server(answering(EMPTY_ANSWER, received)) as url:
        async with shared_client(make_settings) as client:
            client.event_hooks["request"].append(hook)
            await client.get(f"{url}/hooked")
            client.event_hooks["request"].clear()
            client.cookies.set("session", "one", domain="127.0.0.1")
            await client.get(f"{url}/with-cookie")

    assert [request.url.path for request in hooked] == ["/hooked"]
    assert (b"Cookie", b"session=one") in sent(received[1])[1]


async def test_a_plain_answer_read_to_its_end_gives_its_connection_back() -> None:
    """The second request can only go out on the first one's connection: the pool has one."""
    answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
    with raw_server(answering_on_one_connection(answer, times=2)) as url:
        async with AiohttpClient(
            transport=one_connection_transport(), timeout=httpx.Timeout(1, pool=0.2)
        ) as client:
            responses = [await client.get(f"{url}/first"), await client.get(f"{url}/second")]

    assert [response.text for response in responses] == ["ok", "ok"]
    assert all(response.is_closed for response in responses)
    assert all(response.elapsed.total_seconds() > 0 for response in responses)


@BOTH_WAYS
async def test_the_proxy_of_the_environment_is_used(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    """As httpx's own transport would: HTTP_PROXY, its credentials, and NO_PROXY."""
    received: list[bytes] = []
    with raw_server(answering(EMPTY_ANSWER, received)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.replace("http://", "http://user:secret@"))
        monkeypatch.setenv("NO_PROXY", "bypassed.invalid")
        async with shared_client(make_settings) as client:
            response = await send_by(way, client, "GET", "http://service.invalid/items")
            with pytest.raises(httpx.ConnectError, match=r"bypassed\.invalid"):
                await send_by(way, client, "GET", "http://bypassed.invalid/items")

    assert response.status_code == 200
    (raw,) = received
    request_line, headers, _ = sent(raw)
    assert request_line == b"GET http://service.invalid/items HTTP/1.1"
    assert dict(headers)[b"Proxy-Authorization"] == b"Basic dXNlcjpzZWNyZXQ="


@BOTH_WAYS
async def test_a_compressed_answer_is_decoded(make_settings: SettingsFactory, way: str) -> None:
    body = gzip.compress(b'{"rows": 20}')
    answer = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(body), body)
    )
    with raw_server(answering(answer)) as url:
        async with shared_client(make_settings) as client:
            response = await send_by(way, client, "GET", url)

    assert response.json() == {"rows": 20}


async def test_a_streamed_answer_can_be_read_in_parts(make_settings: SettingsFactory) -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        b"5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\n"
    )
    with raw_server(answering(answer)) as url:
        async with shared_client(make_settings) as client, client.stream("GET", url) as response:
            body = b"".join([part async for part in response.aiter_bytes()])

    assert body == b"firstsecond"


@BOTH_WAYS
async def test_nothing_listening_is_a_connect_error(
    make_settings: SettingsFactory, way: str
) -> None:
    async with shared_client(make_settings) as client:
        with pytest.raises(httpx.ConnectError):
            await send_by(way, client, "POST", f"http://127.0.0.1:{free_port()}/entities", b"{}")


@BOTH_WAYS
async def test_an_answer_that_never_comes_is_a_read_timeout(
    make_settings: SettingsFactory, way: str
) -> None:
    with raw_server(never_answering) as url:
        async with shared_client(make_settings, http_read_timeout_seconds=0.2) as client:
            with pytest.raises(httpx.ReadTimeout):
                await send_by(way, client, "GET", url)


@BOTH_WAYS
@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"", id="closed-unanswered"),
        pytest.param(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b", id="cut-short"),
    ],
)
async def test_a_connection_lost_after_sending_leaves_the_outcome_unknown(
    make_settings: SettingsFactory, answer: bytes, way: str
) -> None:
    with raw_server(answering(answer)) as url:
        async with shared_client(make_settings) as client:
            with pytest.raises(httpx.TransportError) as error:
                await send_by(way, client, "POST", url, b'{"title": "x"}')

    assert not isinstance(error.value, httpx.ConnectError | httpx.ConnectTimeout)
    assert isinstance(error.value, httpx.RemoteProtocolError)


@BOTH_WAYS
async def test_no_free_connection_in_time_is_a_connect_timeout(way: str) -> None:
    """Nothing was sent, like a refused connection: the pool was full for the whole wait (aiohttp
    bounds the wait for a pooled connection and the connecting together: 0.1 + 0.1 s here)."""
    with raw_server(never_answering) as url:
        async with (
            AiohttpClient(
                transport=one_connection_transport(),
                timeout=httpx.Timeout(5, connect=0.1, pool=0.1),
            ) as client,
            anyio.create_task_group() as tasks,
        ):
            tasks.start_soon(client.get, url)
            await anyio.sleep(0.05)
            with pytest.raises(httpx.ConnectTimeout):
                await send_by(way, client, "GET", url)
            tasks.cancel_scope.cancel()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = folder / "cert.pem", folder / "key.pem"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_file, key_file


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    certificate_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_file, key_file)

    def handle(connection: socket.socket) -> None:
        try:
            with context.wrap_socket(connection, server_side=True) as secure:
                answering(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecure")(secure)
        except (ssl.SSLError, OSError):  # the client refused the certificate
            connection.close()

    with raw_server(handle) as url:
        yield url.replace("http://", "https://"), certificate_file


@BOTH_WAYS
async def test_https_is_verified_against_the_trusted_certificates(
    tls_server: tuple[str, Path], make_settings: SettingsFactory, way: str
) -> None:
    url, certificate_file = tls_server
    async with shared_client(make_settings) as client:
        with pytest.raises(httpx.ConnectError, match="certificate"):
            await send_by(way, client, "GET", url)

    trusting = one_connection_transport(ssl.create_default_context(cafile=certificate_file))
    async with httpx.AsyncClient(transport=trusting) as client:
        response = await client.get(url)

    assert response.text == "secure"


def test_a_pool_closed_on_one_event_loop_opens_again_on_the_next() -> None:
    """What two `with TestClient(app)` blocks in a row do: the lifespan closes it in between."""
    transport = one_connection_transport()
    client = httpx.AsyncClient(transport=transport)

    async def call_then_close(url: str) -> int:
        status = (await client.get(url)).status_code
        await transport.aclose()
        return status

    with raw_server(answering(EMPTY_ANSWER)) as url:
        assert [anyio.run(call_then_close, url) for _ in range(2)] == [200, 200]


def test_a_pool_used_from_another_event_loop_says_how_to_open_it() -> None:
    """What a test client used without `with` does: each request on a loop of its own."""
    transport = one_connection_transport()
    client = httpx.AsyncClient(transport=transport)
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        with raw_server(answering(EMPTY_ANSWER)) as url:
            assert first.run_until_complete(client.get(url)).status_code == 200
            with pytest.raises(RuntimeError, match="with TestClient"):
                second.run_until_complete(client.get(url))
        first.run_until_complete(transport.aclose())
    finally:
        first.close()
        second.close()
