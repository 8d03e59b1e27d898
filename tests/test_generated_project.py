"""Dynamic tier: a rendered service installs, and its own gates pass without edits."""

import os
import signal
import socket
import subprocess
import time

import httpx
import pytest

from tests.conftest import Render, commit_all, require, run, user_environment

# What the generated ci.yml runs in its backend job; test_ship.py checks that they match.
GENERATED_CI_COMMANDS = ["make test-servers", "make setup", "make check"]
# What it runs after those when the service has a frontend (test_frontend.py proves them).
FRONTEND_CI_COMMANDS = ["make client-check", "make e2e"]


@pytest.mark.parametrize(
    "python_version",
    [pytest.param("3.13", id="e2e-defaults"), pytest.param("3.12", id="e2e-py312")],
)
def test_make_check_passes_offline_and_the_code_is_already_formatted(
    render_project: Render, python_version: str
) -> None:
    require("uv")
    require("make")
    project = render_project(python_version=python_version)
    commit_all(project)

    # Everything after the installs works with no network: no hosted service, no index.
    offline = user_environment(UV_OFFLINE="1")
    outputs = [
        run(*command.split(), cwd=project, env=offline if command == "make check" else None)
        for command in GENERATED_CI_COMMANDS
    ]
    assert "Required test coverage of 90" in outputs[-1]

    run("make", "format", cwd=project, env=offline)
    assert run("git", "status", "--porcelain", cwd=project) == ""


def test_a_missing_postgrest_fails_with_the_command_that_installs_it(
    render_project: Render,
) -> None:
    """Never a silent skip; then the documented command installs a PostgREST that works."""
    require("npm")
    project = render_project()
    run("make", "setup", cwd=project)
    without_postgrest = user_environment()
    without_postgrest.pop("POSTGREST_BIN", None)
    readiness_tests = ["uv", "run", "--locked", "pytest", "tests/integration/test_readiness.py"]

    failed = subprocess.run(  # noqa: S603
        readiness_tests,
        cwd=project / "backend",
        env=without_postgrest,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode != 0
    assert "PostgREST was not found. Run `make test-servers`" in failed.stdout

    run("make", "test-servers", cwd=project, env=without_postgrest)
    output = run(*readiness_tests, cwd=project / "backend", env=without_postgrest)
    assert "2 passed" in output


def test_make_dev_serves_the_api(render_project: Render) -> None:
    require("uv")
    project = render_project()
    run("make", "setup", cwd=project)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        ["make", "dev", f"PORT={port}"],  # noqa: S607
        cwd=project,
        env=user_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        response = wait_for(f"http://127.0.0.1:{port}/healthz", seconds=30)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()

    assert response.status_code == 200, output
    assert response.json() == {"status": "ok"}
    assert response.headers["X-Request-ID"]
    assert "startup" in output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wait_for(url: str, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
