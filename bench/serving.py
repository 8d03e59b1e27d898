"""Serving a rendered service (and the bare baselines) as its image does, for the load and
cold-start benchmarks."""

import functools
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
# The image's install: no development dependencies (rich, click, the test tools), bytecode
# compiled once.
IMAGE_VENV = ".venv-image"
# The two baselines of bench/bare_app.py.
BARE_APP = "bare FastAPI, route on the app"
ROUTED_BARE_APP = "bare FastAPI, route in an included router"


def service_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    # One address and one token send every request: the service's rate limits are off.
    limits_off = {"RATE_LIMIT_CLIENT_PER_MINUTE": "0", "RATE_LIMIT_USER_PER_MINUTE": "0"}
    return {**env, "ENVIRONMENT": "local", "LOG_FORMAT": "json", **limits_off, **(extra or {})}


@functools.cache
def install_like_the_image(backend: Path) -> None:
    """The image's install in `IMAGE_VENV`, beside the service's own, with the baselines
    (bench/bare_app.py, bench/floor_app.py)."""
    for baseline in ("bare_app.py", "floor_app.py"):
        shutil.copy(BENCH / baseline, backend / baseline)
    subprocess.run(
        ["uv", "sync", "--locked", "--no-dev", "--quiet"],
        cwd=backend,
        env=service_env(
            {"UV_PROJECT_ENVIRONMENT": str(backend / IMAGE_VENV), "UV_COMPILE_BYTECODE": "1"}
        ),
        check=True,
    )


def uvicorn(backend: Path, target: str, port: int, factory: bool, venv: str = ".venv") -> list[str]:
    command = [
        str(backend / venv / "bin/uvicorn"),
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return [*command, "--factory"] if factory else command


@dataclass(frozen=True)
class Served:
    # From launch to the first 200 on /healthz.
    seconds: float
    pid: int


@contextmanager
def serving(command: list[str], cwd: Path, env: dict[str, str], port: int) -> Iterator[Served]:
    """Start a server, yield how long it took to answer /healthz, then stop it."""
    # One probing client, built before the clock starts: building one loads the CA bundle, and
    # doing that per poll would keep a core busy while the server starts.
    probe = httpx.Client(timeout=1)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with probe:
            while True:
                try:
                    if probe.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.perf_counter() - started > 30:
                    raise RuntimeError(f"the server did not start: {' '.join(command)}")
                time.sleep(0.005)
        yield Served(time.perf_counter() - started, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)
