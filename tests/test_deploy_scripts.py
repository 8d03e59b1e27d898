"""Static tier: the scripts the deploy workflows run, against stand-in servers on this machine.

No platform can be reached from here, so each script talks to a local HTTP server that plays
the part: the deployed service for verify-deployment.sh (answering as the service's /healthz,
/readyz and /version do), Railway's GraphQL API for railway_deploy.py, which records every
request so the test can assert exactly what the script sends.
"""

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from tests.matrix import RenderedMatrix

COMMIT = "0123456789abcdef0123456789abcdef01234567"
PREVIOUS = "sha256:" + "e" * 64
Answer = tuple[int, dict[str, Any]]


@contextmanager
def serving(
    answer: Callable[[str, dict[str, Any] | None, dict[str, str]], Answer],
) -> Iterator[str]:
    """A local server whose every answer comes from `answer(path, json body, headers)`."""

    class Handler(BaseHTTPRequestHandler):
        def respond(self, body: dict[str, Any] | None) -> None:
            status, payload = answer(self.path, body, dict(self.headers))
            encoded = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def do_GET(self) -> None:
            self.respond(None)

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            self.respond(json.loads(self.rfile.read(length)))

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- verify-deployment.sh -----------------------------------------------------------------------


def service(readyz: Callable[[], int], commit: Callable[[], str]) -> Callable[..., Answer]:
    def answer(path: str, _body: object, _headers: object) -> Answer:
        if path == "/healthz":
            return 200, {"status": "ok"}
        if path == "/readyz":
            status = readyz()
            return status, {"status": "ready" if status == 200 else "not_ready", "checks": {}}
        if path == "/version":
            return 200, {"service_name": "my-service", "version": "0.1.0", "commit": commit()}
        return 404, {}

    return answer


def run_script(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """A rendered script with the test's own arguments, and only the environment it is given."""
    return subprocess.run(  # noqa: S603
        command,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def verify(project: Path, url: str, previous: str = PREVIOUS) -> subprocess.CompletedProcess[str]:
    return run_script(
        ["/bin/bash", str(project / ".github/scripts/verify-deployment.sh"), url, COMMIT],
        VERIFY_TIMEOUT="2",
        VERIFY_INTERVAL="0.2",
        PREVIOUS=previous,
        ROLLBACK="deploy the previous digest",
    )


def test_a_ready_service_running_the_commit_passes(matrix: RenderedMatrix) -> None:
    with serving(service(lambda: 200, lambda: COMMIT)) as url:
        result = verify(matrix["static-fly"], url + "/")
    assert result.returncode == 0, result.stdout
    assert f"is live and ready, running {COMMIT}" in result.stdout


def test_the_check_waits_for_the_new_commit_to_take_over(matrix: RenderedMatrix) -> None:
    polls = iter(range(1000))

    def commit() -> str:
        return COMMIT if next(polls) >= 3 else "the-previous-commit"

    with serving(service(lambda: 200, commit)) as url:
        result = verify(matrix["static-fly"], url)
    assert result.returncode == 0, result.stdout
    assert "waiting for" in result.stdout and "the-previous-commit" in result.stdout


def test_a_service_that_is_not_ready_fails_with_the_rollback(matrix: RenderedMatrix) -> None:
    with serving(service(lambda: 503, lambda: COMMIT)) as url:
        result = verify(matrix["static-fly"], url)
    assert result.returncode == 1
    assert "/readyz 503" in result.stdout
    assert f"::error::{url} did not become healthy with commit {COMMIT}" in result.stdout
    assert f"To roll back to {PREVIOUS}, which ran here before: deploy the previous digest" in (
        result.stdout
    )


def test_an_old_commit_fails_and_a_first_deploy_has_nothing_to_roll_back_to(
    matrix: RenderedMatrix,
) -> None:
    with serving(service(lambda: 200, lambda: "the-previous-commit")) as url:
        result = verify(matrix["static-fly"], url, previous="none")
    assert result.returncode == 1
    assert "reporting commit 'the-previous-commit'" in result.stdout
    assert "fix forward" in result.stdout and "To roll back" not in result.stdout


def test_a_service_that_does_not_answer_fails(matrix: RenderedMatrix) -> None:
    with serving(service(lambda: 200, lambda: COMMIT)) as url:
        pass  # closed again: nothing listens there any more
    result = verify(matrix["static-fly"], url)
    assert result.returncode == 1
    assert "/healthz 000" in result.stdout


def test_a_missing_service_url_is_refused_at_once(matrix: RenderedMatrix) -> None:
    result = verify(matrix["static-fly"], "")
    assert result.returncode == 2
    assert "SERVICE_URL variable must be the service's URL" in result.stdout


# --- railway_deploy.py --------------------------------------------------------------------------

IMAGE = "ghcr.io/your-github-org/my-service/backend@sha256:" + "a" * 64


class Railway:
    """Railway's API as the script meets it: a project token for one environment of a project
    with two services, and a deployment that goes through the given statuses."""

    def __init__(self, statuses: list[str], errors: dict[str, str] | None = None) -> None:
        self.statuses = iter(statuses)
        self.errors = errors or {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.tokens: set[str] = set()

    def answer(self, _path: str, body: dict[str, Any] | None, headers: dict[str, str]) -> Answer:
        assert body is not None
        self.tokens.add(headers.get("Project-Access-Token", ""))
        query, variables = body["query"], body["variables"]
        operation = next(
            name
            for name in [
                "projectToken",
                "deployments",
                "serviceInstanceUpdate",
                "serviceInstanceDeployV2",
                "deployment",
            ]
            if f"{name}(" in query or f"{name} {{" in query
        )
        self.requests.append((operation, variables))
        if operation in self.errors:
            return 200, {"errors": [{"message": self.errors[operation]}]}
        data: dict[str, Any] = {
            "projectToken": {
                "projectToken": {
                    "projectId": "project-1",
                    "environmentId": "environment-1",
                    "project": {
                        "services": {
                            "edges": [
                                {"node": {"id": "service-1", "name": "backend"}},
                                {"node": {"id": "service-2", "name": "frontend"}},
                            ]
                        }
                    },
                }
            },
            "deployments": {
                "deployments": {"edges": [{"node": {"id": "deployment-0", "status": "SUCCESS"}}]}
            },
            "serviceInstanceUpdate": {"serviceInstanceUpdate": True},
            "serviceInstanceDeployV2": {"serviceInstanceDeployV2": "deployment-1"},
        }.get(operation) or {"deployment": {"status": next(self.statuses, "DEPLOYING")}}
        return 200, {"data": data}


def railway_deploy(
    matrix: RenderedMatrix, railway: Railway, *arguments: str
) -> subprocess.CompletedProcess[str]:
    script = matrix["static-railway"] / ".github/scripts/railway_deploy.py"
    with serving(railway.answer) as url:
        return run_script(
            [sys.executable, str(script), *arguments],
            RAILWAY_API=url,
            RAILWAY_TOKEN="project-token",  # noqa: S106 - what the stand-in expects
            RAILWAY_POLL_INTERVAL="0.05",
            RAILWAY_DEPLOY_TIMEOUT="5",
        )


def test_railway_runs_the_digest_and_waits_for_success(matrix: RenderedMatrix) -> None:
    railway = Railway(["INITIALIZING", "DEPLOYING", "SUCCESS"])
    result = railway_deploy(matrix, railway, "backend", IMAGE)
    assert result.returncode == 0, result.stderr
    where = {"serviceId": "service-1", "environmentId": "environment-1"}
    assert railway.requests == [
        ("projectToken", {}),
        ("deployments", {"input": where}),
        (
            "serviceInstanceUpdate",
            {**where, "input": {"source": {"image": IMAGE}, "healthcheckPath": "/readyz"}},
        ),
        ("serviceInstanceDeployV2", where),
        ("deployment", {"id": "deployment-1"}),
        ("deployment", {"id": "deployment-1"}),
        ("deployment", {"id": "deployment-1"}),
    ]
    assert railway.tokens == {"project-token"}
    assert "deployment deployment-1 succeeded" in result.stdout


def test_railway_takes_a_service_id_and_a_health_path(matrix: RenderedMatrix) -> None:
    railway = Railway(["SUCCESS"])
    frontend = IMAGE.replace("/backend@", "/frontend@")
    result = railway_deploy(matrix, railway, "service-2", frontend, "/")
    assert result.returncode == 0, result.stderr
    update = dict(railway.requests)["serviceInstanceUpdate"]
    assert update["serviceId"] == "service-2"
    assert update["input"] == {"source": {"image": frontend}, "healthcheckPath": "/"}


def test_a_failed_railway_deployment_fails_naming_the_one_to_roll_back_to(
    matrix: RenderedMatrix,
) -> None:
    result = railway_deploy(matrix, Railway(["DEPLOYING", "CRASHED"]), "backend", IMAGE)
    assert result.returncode == 1
    assert "::error::Deployment deployment-1 ended CRASHED; roll back to deployment-0" in (
        result.stderr
    )


def test_an_unknown_railway_service_changes_nothing(matrix: RenderedMatrix) -> None:
    railway = Railway([])
    result = railway_deploy(matrix, railway, "api", IMAGE)
    assert result.returncode == 1
    assert "No service 'api' in this project; it has: backend, frontend" in result.stderr
    assert [operation for operation, _ in railway.requests] == ["projectToken"]


def test_a_railway_refusal_is_reported(matrix: RenderedMatrix) -> None:
    railway = Railway([], errors={"serviceInstanceUpdate": "Not Authorized"})
    result = railway_deploy(matrix, railway, "backend", IMAGE)
    assert result.returncode == 1
    assert "Railway refused the request: Not Authorized" in result.stderr
    assert "serviceInstanceDeployV2" not in [operation for operation, _ in railway.requests]


def test_railway_is_never_sent_a_tag(matrix: RenderedMatrix) -> None:
    railway = Railway([])
    for image in [IMAGE.split("@")[0] + ":latest", IMAGE + "; reboot", ""]:
        result = railway_deploy(matrix, railway, "backend", image)
        assert result.returncode == 2, image
        assert "usage: railway_deploy.py" in result.stderr
    assert railway.requests == []


# --- migrate.yml's step -------------------------------------------------------------------------


def run_migrations(
    matrix: RenderedMatrix, tmp_path: Path, push_error: str | None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The workflow's step as GitHub runs it (bash -e -o pipefail), with a `supabase` that
    records its arguments and fails `db push` with the CLI's message when given one."""
    migrate = yaml.safe_load((matrix["static-none"] / ".github/workflows/migrate.yml").read_text())
    (job,) = migrate["jobs"].values()
    script = job["steps"][-1]["run"]
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "supabase"
    fake.parent.mkdir()
    failure = f'echo "{push_error}" >&2; exit 1' if push_error else "exit 0"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {calls}\n'
        '[ "$1" = db ] || exit 0\n'
        'echo "Applying migration x.sql..." >&2\n'
        f"{failure}\n"
    )
    fake.chmod(0o755)
    result = subprocess.run(  # noqa: S603 - the rendered step, run as GitHub runs it
        ["/bin/bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
        env={
            "PATH": f"{fake.parent}:/usr/bin:/bin",
            "RUNNER_TEMP": str(tmp_path),
            "SUPABASE_PROJECT_ID": "abcdefghijklmnopqrst",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    return result, calls.read_text().splitlines()


def test_the_migrations_are_pushed_to_the_linked_project(
    matrix: RenderedMatrix, tmp_path: Path
) -> None:
    result, calls = run_migrations(matrix, tmp_path, push_error=None)
    assert result.returncode == 0, result.stderr
    assert calls == ["link --project-ref abcdefghijklmnopqrst", "db push --yes"]
    assert "Applying migration x.sql" in result.stderr


def test_a_database_ahead_of_the_commit_fails_saying_how_to_roll_back(
    matrix: RenderedMatrix, tmp_path: Path
) -> None:
    message = "Remote migration versions not found in local migrations directory."
    result, _ = run_migrations(matrix, tmp_path, push_error=message)
    assert result.returncode == 1
    assert message in result.stderr
    assert "::error title=The database is ahead of this commit::" in result.stdout


def test_any_other_migration_failure_fails_with_the_cli_s_words(
    matrix: RenderedMatrix, tmp_path: Path
) -> None:
    result, _ = run_migrations(matrix, tmp_path, push_error="ERROR: relation x already exists")
    assert result.returncode == 1
    assert "relation x already exists" in result.stderr
    assert "ahead of this commit" not in result.stdout
