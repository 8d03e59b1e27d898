"""SIGTERM under load, to the command the image runs: requests in flight finish, none is reset.

The service runs as the image starts it: `sh -c` with the Dockerfile's CMD, on 127.0.0.1.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from scripts.local_stack.gateway import serve_asgi
from scripts.local_stack.postgres import free_port

BACKEND = Path(__file__).resolve().parents[1]
IN_FLIGHT = 50
# What a client sees of a service that closed its socket: nothing listens on the port.
REFUSED_PROBES = 20
# Logged once the socket is closed, while requests in flight are still running.
DRAINING = "Waiting for connections to close. (CTRL+C to force quit)"


def image_command() -> list[str]:
    """The Dockerfile's CMD, bound to loopback rather than to every interface."""
    (cmd,) = [
        line for line in (BACKEND / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    ]
    shell, flag, script = json.loads(cmd.removeprefix("CMD"))
    assert script.startswith("exec uvicorn "), "uvicorn must replace the shell to get the signal"
    assert "--host 0.0.0.0 " in script
    return [shell, flag, script.replace("--host 0.0.0.0 ", "--host 127.0.0.1 ")]


def graceful_timeout(command: list[str]) -> float:
    words = command[-1].split()
    return float(words[words.index("--timeout-graceful-shutdown") + 1])


class HeldSupabase:
    """Plays Supabase for /readyz, answering only once released: its requests stay in flight."""

    def __init__(self) -> None:
        self.received = 0
        self.released = threading.Event()
        self.released.set()
        self.asgi = Starlette(routes=[Route("/{path:path}", self._answer)])

    async def _answer(self, _: Request) -> JSONResponse:
        self.received += 1
        while not self.released.is_set():  # noqa: ASYNC110 - set from the test's own thread
            await anyio.sleep(0.01)
        return JSONResponse({})


@dataclass
class Service:
    process: subprocess.Popen[str]
    url: str
    supabase: HeldSupabase
    timeout: float
    lines: list[str]
    readers: list[threading.Thread]

    def events(self) -> list[str]:
        """The event of each line the process printed, on stdout or stderr: each is JSON."""
        events = []
        for line in list(self.lines):
            try:
                events.append(json.loads(line)["event"])
            except json.JSONDecodeError:
                raise AssertionError(f"not a JSON line: {line}") from None
        return events

    def last_events(self) -> list[str]:
        """Every event, once the process has exited and its last lines have been read."""
        for reader in self.readers:
            reader.join(timeout=10)
        return self.events()


def read_lines(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line.rstrip("\n"))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    supabase = HeldSupabase()
    command = image_command()
    port = free_port()
    with serve_asgi(supabase.asgi) as supabase_port:
        # Only what the image sets, and what a local service needs: nothing from the developer's
        # shell, and no ../.env from the working directory.
        environment = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(BACKEND),
            "PYTHONUNBUFFERED": "1",
            "PORT": str(port),
            "ENVIRONMENT": "local",
            "LOG_FORMAT": "json",
            "SUPABASE_URL": f"http://127.0.0.1:{supabase_port}",
            "READINESS_TIMEOUT_SECONDS": "30",
        }
        with subprocess.Popen(  # noqa: S603 - the image's own command
            command,
            env=environment,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Its own process group, so that whatever it started is stopped with it.
            start_new_session=True,
        ) as process:
            lines: list[str] = []
            readers = [
                threading.Thread(target=read_lines, args=(stream, lines), daemon=True)
                for stream in (process.stdout, process.stderr)
            ]
            for reader in readers:
                reader.start()
            url = f"http://127.0.0.1:{port}"
            try:
                wait_until_ready(process, url, lines)
                yield Service(process, url, supabase, graceful_timeout(command), lines, readers)
            finally:
                supabase.released.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                for reader in readers:
                    reader.join()


def wait_until_ready(process: subprocess.Popen[str], url: str, lines: list[str]) -> None:
    deadline = time.monotonic() + 30
    with httpx.Client() as client:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                # /readyz, not /healthz: the first call to Supabase loads its client libraries.
                if client.get(f"{url}/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
    output = "\n".join(lines[-20:])
    raise AssertionError(f"the service did not start (exit status {process.poll()}):\n{output}")


async def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"no sign of {what} within 10 s"
        await anyio.sleep(0.01)


@pytest.mark.anyio
async def test_sigterm_under_load_finishes_every_accepted_request_and_refuses_the_rest(
    service: Service,
) -> None:
    # No connection is reused: each request is accepted, or refused, on a connection of its own.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        service.supabase.released.clear()
        service.supabase.received = 0
        in_flight: list[httpx.Response] = []

        async def readyz() -> None:
            in_flight.append(await client.get(f"{service.url}/readyz"))

        async with anyio.create_task_group() as requests:
            for _ in range(IN_FLIGHT):
                requests.start_soon(readyz)
            await wait_for(lambda: service.supabase.received == IN_FLIGHT, "requests in flight")
            # Served alongside them, each on its own connection.
            for _ in range(100):
                assert (await client.get(f"{service.url}/healthz")).status_code == 200

            signalled = time.monotonic()
            service.process.send_signal(signal.SIGTERM)
            await wait_for(lambda: DRAINING in service.events(), "the socket closed")

            async def probe() -> BaseException | None:
                try:
                    await client.get(f"{service.url}/healthz", timeout=2)
                except httpx.HTTPError as error:
                    return error
                return None

            probes = [await probe() for _ in range(REFUSED_PROBES)]
            # Refused, not accepted and reset: the client knows its request never ran.
            assert all(isinstance(error, httpx.ConnectError) for error in probes), probes
            service.supabase.released.set()

        await wait_for(lambda: service.process.poll() is not None, "the process exited")
        exited = time.monotonic() - signalled

    assert [response.status_code for response in in_flight] == [200] * IN_FLIGHT
    assert all(response.json()["status"] == "ready" for response in in_flight)
    assert exited < service.timeout
    # uvicorn raises the signal again once it has shut down. In the container it is PID 1, and
    # the kernel drops a signal to PID 1 that has no handler: there the image exits 0.
    assert service.process.returncode == -signal.SIGTERM
    events = service.last_events()  # and so checks that every line printed is JSON
    assert "shutdown" in events
    assert any(event.startswith("Finished server process") for event in events)
