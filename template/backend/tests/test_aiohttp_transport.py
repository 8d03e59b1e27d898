"""The shared HTTP client's transport: httpx's requests sent by aiohttp, against real sockets.

Each failure a server can cause is checked for the httpx error it becomes, because callers
decide on those: ConnectError and ConnectTimeout mean nothing was sent (a create may be tried
again), any other TransportError that the outcome is unknown.
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

from app.core.aiohttp_transport import AiohttpTransport
from app.core.http_client import SharedHttpClient
from scripts.local_stack.postgres import free_port
from tests.conftest import SettingsFactory
from tests.upstream import raw_server, read_request

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


def never_answering(connection: socket.socket) -> None:
    with connection:
        read_request(connection)
        time.sleep(2)


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
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.split(b"\r\n")
    assert request_line == b"POST " + request.url.raw_path + b" HTTP/1.1"
    sent = [(name, value) for name, _, value in (line.partition(b": ") for line in header_lines)]
    assert sorted(sent) == sorted(request.headers.raw), "each header once as built, none added"
    assert dict(sent)[b"Prefer"] == b"return=representation"
    assert body == request.content


async def test_a_compressed_answer_is_decoded(make_settings: SettingsFactory) -> None:
    body = gzip.compress(b'{"rows": 20}')
    answer = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(body), body)
    )
    with raw_server(answering(answer)) as url:
        async with shared_client(make_settings) as client:
            response = await client.get(url)

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


async def test_nothing_listening_is_a_connect_error(make_settings: SettingsFactory) -> None:
    async with shared_client(make_settings) as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(f"http://127.0.0.1:{free_port()}/entities", json={})


async def test_an_answer_that_never_comes_is_a_read_timeout(
    make_settings: SettingsFactory,
) -> None:
    with raw_server(never_answering) as url:
        async with shared_client(make_settings, http_read_timeout_seconds=0.2) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(url)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"", id="closed-unanswered"),
        pytest.param(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b", id="cut-short"),
    ],
)
async def test_a_connection_lost_after_sending_leaves_the_outcome_unknown(
    make_settings: SettingsFactory, answer: bytes
) -> None:
    with raw_server(answering(answer)) as url:
        async with shared_client(make_settings) as client:
            with pytest.raises(httpx.TransportError) as error:
                await client.post(url, json={"title": "x"})

    assert not isinstance(error.value, httpx.ConnectError | httpx.ConnectTimeout)
    assert isinstance(error.value, httpx.RemoteProtocolError)


async def test_no_free_connection_in_time_is_a_connect_timeout() -> None:
    """Nothing was sent, like a refused connection: the pool was full for the whole wait (aiohttp
    bounds the wait for a pooled connection and the connecting together: 0.1 + 0.1 s here)."""
    transport = one_connection_transport()
    with raw_server(never_answering) as url:
        async with (
            httpx.AsyncClient(
                transport=transport, timeout=httpx.Timeout(5, connect=0.1, pool=0.1)
            ) as client,
            anyio.create_task_group() as tasks,
        ):
            tasks.start_soon(client.get, url)
            await anyio.sleep(0.05)
            with pytest.raises(httpx.ConnectTimeout):
                await client.get(url)
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


async def test_https_is_verified_against_the_trusted_certificates(
    tls_server: tuple[str, Path], make_settings: SettingsFactory
) -> None:
    url, certificate_file = tls_server
    async with shared_client(make_settings) as client:
        with pytest.raises(httpx.ConnectError, match="certificate"):
            await client.get(url)

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
