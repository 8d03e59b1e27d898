"""httpx's API over aiohttp's connection pool: what the shared HTTP client sends requests with.

Every caller keeps httpx's interface (supabase-py, postgrest-py, ServiceClient); aiohttp does
the sending, because its C parser and its pool cost a fraction of httpcore's on each request:
httpcore checks every connection of its pool per request (docs/performance.md). Each aiohttp
failure is raised as the httpx error that means the same, so callers can still tell a request
that never left (ConnectError, ConnectTimeout) from one whose outcome is unknown (any other
TransportError).

`AiohttpClient` is the httpx client itself. A plain request, the kind postgrest-py sends for
every query, skips the steps of httpx's client that do nothing for it (see its docstring).

Read through app.core.libraries, like httpx and aiohttp themselves: a starting service answers
/healthz without loading them.
"""

from __future__ import annotations

import asyncio
import datetime
import ssl
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
import yarl


class AiohttpTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over one aiohttp pool, opened by the first request (it needs the event loop)."""

    def __init__(
        self, *, max_connections: int, keepalive_seconds: float, ssl_context: ssl.SSLContext
    ) -> None:
        self._max_connections = max_connections
        self._keepalive_seconds = keepalive_seconds
        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Read once, as httpx reads them; aiohttp's own `trust_env` would read them again, and
        # ~/.netrc too, in a thread on every request.
        self._proxies = environment_proxies()

    def _open(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop:
            raise RuntimeError(
                "The shared HTTP client was opened on another event loop. A test client used "
                "without `with` runs each request on a loop of its own: use "
                "`with TestClient(app) as client:`, so that the app's lifespan opens the pool "
                "and closes it."
            )
        if self._session is None:
            self._loop = loop
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections,
                    keepalive_timeout=self._keepalive_seconds,
                    ssl=self._ssl_context,
                ),
                # httpx sets these headers (a body's type only if it knows it), decodes the body
                # and keeps the cookies itself.
                skip_auto_headers=("Accept", "Accept-Encoding", "Content-Type", "User-Agent"),
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        encoding = request.headers.encoding
        body = await request.aread()
        with httpx_errors(request):
            response = await self._open().request(
                request.method,
                # Sent as httpx encoded it: aiohttp would otherwise normalise the query again.
                yarl.URL(str(request.url), encoded=True),
                # Names as the caller wrote them, values in the encoding httpx chose.
                headers=[
                    (name.decode(encoding), value.decode(encoding))
                    for name, value in request.headers.raw
                ],
                data=body or None,
                allow_redirects=False,
                proxy=self._proxy_for(request.url),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    # aiohttp's `connect` is the wait for a pooled connection plus a new one's.
                    connect=_both(timeout.get("pool"), timeout.get("connect")),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
            )
        return httpx.Response(
            response.status,
            headers=list(response.raw_headers),
            stream=ResponseBody(response, request),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode(),
            },
        )

    def _proxy_for(self, url: httpx.URL) -> yarl.URL | None:
        """The environment's proxy for the URL: none for a NO_PROXY host."""
        proxy = self._proxies.get(url.scheme)
        if proxy is None or urllib.request.proxy_bypass(url.host):
            return None
        return proxy

    async def aclose(self) -> None:
        session, self._session, self._loop = self._session, None, None
        if session is not None:
            await session.close()


def environment_proxies() -> dict[str, yarl.URL]:
    """The proxy for each scheme: HTTP_PROXY and HTTPS_PROXY, else ALL_PROXY (NO_PROXY is read
    per request); credentials in a proxy's URL are sent to it. httpx leaves these to a client's
    transport when it is given one."""
    found = urllib.request.getproxies()
    proxies = {scheme: found.get(scheme) or found.get("all") for scheme in ("http", "https")}
    return {scheme: yarl.URL(address) for scheme, address in proxies.items() if address}


# What a plain request may pass; postgrest-py passes `auth=None` as well.
PLAIN_OPTIONS = frozenset({"params", "headers", "content", "auth"})


class AiohttpClient(httpx.AsyncClient):
    """httpx's client over an `AiohttpTransport`, sending plain requests the short way.

    For each request httpx's client parses the URL twice (once to join the query), prepares
    cookies, runs auth, redirect and event-hook steps, and wraps the response's stream: about
    a fifth of the service's CPU on an API request, none of it needed by a plain request. A
    plain request (an absolute URL without a query of its own, and at most `params`, `headers`
    and a `bytes` body, which is all that postgrest-py passes, while the client holds no
    cookie and no hook) is built once as the same `httpx.Request` and given to the same
    transport, so it goes out byte for byte as httpx sends it. Anything else (`json=`,
    `timeout=`, `stream()`) takes httpx's own path.
    """

    def __init__(self, *, transport: AiohttpTransport, **options: Any) -> None:
        super().__init__(transport=transport, **options)
        self._pool = transport

    async def request(self, method: str, url: httpx.URL | str, **options: Any) -> httpx.Response:
        if not self._is_plain(url, options):
            return await super().request(method, url, **options)
        params = options.get("params")
        request = httpx.Request(
            method,
            f"{url}?{httpx.QueryParams(params)}" if params else url,
            headers=self._with_defaults(httpx.Headers(options.get("headers"))),
            content=options.get("content"),
            extensions={"timeout": self.timeout.as_dict()},
        )
        started = time.perf_counter()
        response = await self._pool.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        except BaseException:
            await response.aclose()
            raise
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        return response

    def _with_defaults(self, headers: httpx.Headers) -> list[tuple[bytes, bytes]]:
        """The client's headers that the request does not set, then the request's: what httpx's
        `Headers.update` makes, at a tenth of its cost (it compares every name, decoded, with
        every other)."""
        given = {name.lower() for name, _ in headers.raw}
        defaults = [(name, value) for name, value in self.headers.raw if name.lower() not in given]
        return [*defaults, *headers.raw]

    def _is_plain(self, url: httpx.URL | str, options: dict[str, Any]) -> bool:
        return (
            # Hooks and cookies may be added to the client at any time: checked per request.
            not any(self.event_hooks.values())
            and not self.cookies
            and isinstance(url, str)
            and url.startswith(("http://", "https://"))
            and "?" not in url
            and options.keys() <= PLAIN_OPTIONS
            and options.get("auth") is None
            and isinstance(options.get("content"), bytes | None)
        )


class ResponseBody(httpx.AsyncByteStream):
    """The body as aiohttp receives it; closing it early closes its connection too."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with httpx_errors(self._request):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # Back to the pool when the body was read to its end; closed otherwise.
        self._response.release()


@contextmanager
def httpx_errors(request: httpx.Request) -> Iterator[None]:
    """Raise aiohttp's failures as httpx's, the most specific first."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(_text(exc), request=request) from exc
    except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
        raise httpx.ReadTimeout(_text(exc), request=request) from exc
    except aiohttp.ClientConnectorError as exc:
        # Refused, unresolvable, or a certificate that is not trusted: nothing was sent.
        raise httpx.ConnectError(_text(exc), request=request) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
        raise httpx.RemoteProtocolError(_text(exc), request=request) from exc
    except aiohttp.ClientOSError as exc:
        raise httpx.ReadError(_text(exc), request=request) from exc
    except aiohttp.ClientError as exc:
        raise httpx.TransportError(_text(exc), request=request) from exc


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _both(first: float | None, second: float | None) -> float | None:
    """The two waits together; no limit if either has none."""
    return None if first is None or second is None else first + second
