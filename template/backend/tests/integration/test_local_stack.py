"""make dev's embedded stack: its data outlives restarts and kills, migrations are recorded as
the Supabase CLI records them, one instance at a time, and a reset only when confirmed."""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.core.config import Environment, Settings
from app.core.local_auth import LocalKeyPair
from app.main import create_app
from scripts.local_stack.__main__ import StackPlace, dev, main, psql_command, reset
from scripts.local_stack.gateway import SERVED_FOR_HEADER
from scripts.local_stack.migrations import (
    Migration,
    MigrationError,
    split_statements,
)
from scripts.local_stack.postgres import PostgresCluster, PostgresError, free_port
from scripts.local_stack.stack import (
    MIGRATIONS,
    AlreadyRunningError,
    only_instance,
    prepare_database,
)
from tests.integration.conftest import copy_cluster, scratch
from tests.upstream import Upstream

APP_ORIGIN = "http://localhost:5173"
# Linux's list of System V shared memory segments: PostgreSQL's own interlock is one of them.
SHARED_MEMORY = Path("/proc/sysvipc/shm")


@pytest.fixture
def place() -> Iterator[StackPlace]:
    """A project folder of its own, with a copy of the migrations, and free ports."""
    # Not pytest's temporary folder: as root, PostgreSQL runs as postgres, which cannot open it.
    root = Path(tempfile.mkdtemp(prefix="local-stack-", dir=scratch()))
    root.chmod(0o755)
    migrations = root / "supabase" / "migrations"
    shutil.copytree(MIGRATIONS, migrations)
    yield StackPlace(
        folder=root / ".local-stack",
        database_port=free_port(),
        migrations=migrations,
        project=root,
    )
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def made_place(place: StackPlace, cluster_files: Path) -> StackPlace:
    """A place whose cluster exists but was never started, as after make dev's first initdb."""
    place.folder.mkdir()
    copy_cluster(cluster_files, place.folder / "data")
    return place


@pytest.fixture(scope="module")
def keys() -> LocalKeyPair:
    return LocalKeyPair.generate()


def local_settings(keys: LocalKeyPair, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": Environment.LOCAL,
        "supabase_url": f"http://127.0.0.1:{free_port()}",
        "clerk_jwt_key": keys.public_pem(),
        "clerk_authorized_parties": [APP_ORIGIN],
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[arg-type]


def rows(cluster: PostgresCluster, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(cluster.dsn(), autocommit=True) as connection:
        return connection.execute(query.encode()).fetchall()


def execute(cluster: PostgresCluster, statements: str) -> None:
    with psycopg.connect(cluster.dsn(), autocommit=True) as connection:
        connection.execute(statements.encode())


def kill_the_server(cluster: PostgresCluster) -> None:
    """kill -9 of the server's main process; then wait until its other processes have seen it
    die and exited, as they do: until then they hold its shared memory, and PostgreSQL refuses
    to start on it (kill -9 of make dev's process group ends them all at once)."""
    assert cluster.process is not None
    shared_memory_id = int((cluster.data / "postmaster.pid").read_text().splitlines()[6].split()[1])
    cluster.process.kill()
    cluster.process.wait()
    deadline = time.monotonic() + 30
    while is_attached(shared_memory_id):
        assert time.monotonic() < deadline, "the killed server's processes did not exit"
        time.sleep(0.01)


def is_attached(shared_memory_id: int) -> bool:
    if not SHARED_MEMORY.is_file():
        return False
    for line in SHARED_MEMORY.read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1]) == shared_memory_id:
            return int(fields[6]) > 0
    return False


def test_the_api_serves_data_from_the_embedded_stack_across_restarts(
    place: StackPlace, keys: LocalKeyPair, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = local_settings(keys)
    headers = {
        "Authorization": f"Bearer {keys.session_token('user_a', authorized_party=APP_ORIGIN)}"
    }
    created: list[str] = []

    def create(port: int) -> None:
        with TestClient(create_app(settings)) as api:
            response = api.post("/api/v1/entities", json={"title": "kept"}, headers=headers)
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])

    def read(port: int) -> None:
        with TestClient(create_app(settings)) as api:
            response = api.get(f"/api/v1/entities/{created[0]}", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["title"] == "kept"

    dev(settings, free_port(), place, serve=create)
    first_start = capsys.readouterr().err
    dev(settings, free_port(), place, serve=read)
    second_start = capsys.readouterr().err

    assert "starting the embedded stack" in first_start
    assert f"data in {place.folder / 'data'}" in first_start
    assert "migrations applied now: 20250101000000_create_entities.sql" in first_start
    assert "migrations: all applied already" in second_start
    assert f"its data stays in {place.folder}" in second_start


def test_a_killed_server_leaves_nothing_that_stops_the_next_start(made_place: StackPlace) -> None:
    cluster = made_place.cluster()
    cluster.start()
    execute(cluster, "create table kept (value text); insert into kept values ('before the kill')")
    kill_the_server(cluster)
    assert (cluster.data / "postmaster.pid").exists()

    cluster.start()
    # A server whose parent alone was killed still runs: the next start stops it first.
    orphan, cluster.process = cluster.process, None
    again = made_place.cluster()
    again.start()
    try:
        assert orphan is not None
        assert orphan.wait(timeout=30) is not None
        assert rows(again, "select value from kept") == [("before the kill",)]
    finally:
        again.stop()


def test_without_proc_the_stale_pid_file_is_left_to_postgresql(
    made_place: StackPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no /proc tells a dead server from a live one (macOS), PostgreSQL's own check
    decides, and a pid file is never removed under a running server."""
    cluster = made_place.cluster()
    cluster.start()
    kill_the_server(cluster)
    monkeypatch.setattr("scripts.local_stack.postgres.PROCESSES", made_place.folder / "no-proc")

    cluster.start()
    cluster.stop()

    assert "database system was interrupted" in cluster.log.read_text()


def test_a_port_taken_by_another_program_is_named(made_place: StackPlace) -> None:
    with Upstream.serve() as other:
        cluster = PostgresCluster(made_place.folder, other.port)
        with pytest.raises(PostgresError, match=f"Port {other.port}, PostgreSQL's, is taken"):
            cluster.start()


def test_migrations_are_recorded_as_the_supabase_cli_records_them(made_place: StackPlace) -> None:
    cluster = made_place.cluster()
    cluster.start()
    try:
        migrations = Migration.found_in(made_place.migrations)
        assert prepare_database(cluster, made_place.migrations) == migrations
        assert prepare_database(cluster, made_place.migrations) == []
        history = rows(
            cluster,
            "select version, name, statements from supabase_migrations.schema_migrations "
            "order by version",
        )
    finally:
        cluster.stop()

    assert history == [(m.version, m.name, m.statements()) for m in migrations]
    assert (migrations[0].version, migrations[0].name) == ("20250101000000", "create_entities")


def test_a_failing_migration_is_named_and_changes_nothing(made_place: StackPlace) -> None:
    cluster = made_place.cluster()
    cluster.start()
    try:
        prepare_database(cluster, made_place.migrations)
        execute(cluster, "insert into entities (title, owner_id) values ('earlier', 'user_a')")
        broken = made_place.migrations / "20990101000000_broken.sql"
        broken.write_text("create table before_the_error (id int);\nselect 1/0;\n")
        (made_place.migrations / "notes.sql").write_text("not a migration: the CLI skips it too")

        with pytest.raises(MigrationError) as failure:
            prepare_database(cluster, made_place.migrations)

        assert str(failure.value).startswith("20990101000000_broken.sql failed at statement 2")
        assert "division by zero" in str(failure.value)
        assert rows(cluster, "select to_regclass('public.before_the_error')") == [(None,)]
        assert rows(cluster, "select title from entities") == [("earlier",)]
        history = rows(cluster, "select version from supabase_migrations.schema_migrations")
        assert ("20990101000000",) not in history
    finally:
        cluster.stop()


@pytest.mark.parametrize(
    ("sql", "statements"),
    [
        ("select 1; select 2;", ["select 1", "select 2"]),
        ("select ';' ;\n\n", ["select ';'"]),
        ("select 'it''s; fine';", ["select 'it''s; fine'"]),
        ("-- a comment; still one\nselect 1;", ["-- a comment; still one\nselect 1"]),
        ("/* a; /* nested; */ block */ select 1", ["/* a; /* nested; */ block */ select 1"]),
        (
            "create function f() returns int language sql as $body$ select 1; $body$; select 2",
            ["create function f() returns int language sql as $body$ select 1; $body$", "select 2"],
        ),
        ('select $$a;b$$ as "c;d"; select 2', ['select $$a;b$$ as "c;d"', "select 2"]),
        ("do (select 1; select 2);", ["do (select 1; select 2)"]),
        (
            "create function f() returns int begin atomic select 1; end; select 2",
            ["create function f() returns int begin atomic select 1; end", "select 2"],
        ),
        (";;  ;", []),
    ],
)
def test_statements_are_split_as_the_supabase_cli_splits_them(
    sql: str, statements: list[str]
) -> None:
    assert split_statements(sql) == statements


def test_one_instance_at_a_time(place: StackPlace) -> None:
    with only_instance(place.folder):
        with (
            pytest.raises(AlreadyRunningError, match=rf"\(process {os.getpid()}\)"),
            only_instance(place.folder),
        ):
            pass
        with pytest.raises(AlreadyRunningError, match="make dev is already running"):
            reset(confirmed=True, place=place)
    with only_instance(place.folder):
        pass


def test_a_running_supabase_stack_is_used_as_it_is(
    place: StackPlace, keys: LocalKeyPair, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[int] = []
    with Upstream.serve() as supabase:
        dev(local_settings(keys, supabase_url=supabase.url), 8123, place, serve=served.append)

    assert served == [8123]
    assert f"using the Supabase stack that answers at {supabase.url}" in capsys.readouterr().err
    assert supabase.requests[0].path == "/rest/v1/"
    assert not (place.folder / "data").exists()


def test_a_hosted_project_is_used_as_it_is(
    place: StackPlace, keys: LocalKeyPair, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[int] = []
    settings = local_settings(keys, supabase_url="https://abcd.supabase.co")
    dev(settings, 8123, place, serve=served.append)

    assert served == [8123]
    assert "using the Supabase project at https://abcd.supabase.co" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="SUPABASE_URL is a hosted project"):
        psql_command(settings, None, place)


def test_what_dev_cannot_start_is_said(place: StackPlace, keys: LocalKeyPair) -> None:
    def never(port: int) -> None:
        raise AssertionError("the API must not start")

    with (
        Upstream.serve() as busy,
        pytest.raises(RuntimeError, match=f"Port {busy.port} is in use"),
    ):
        dev(local_settings(keys), busy.port, place, serve=never)
    with pytest.raises(RuntimeError, match="CLERK_JWT_KEY is not set"):
        dev(local_settings(keys, clerk_jwt_key=None), free_port(), place, serve=never)
    with pytest.raises(RuntimeError, match="CLERK_JWT_KEY is not an RSA public key in PEM"):
        dev(local_settings(keys, clerk_jwt_key="-----BEGIN nonsense"), free_port(), place, never)

    another = "/home/someone/other-service"

    class OtherProjectsGateway(Upstream):
        async def _answer(self, request):  # type: ignore[no-untyped-def]
            response = await super()._answer(request)
            response.headers[SERVED_FOR_HEADER] = another
            return response

    with (
        OtherProjectsGateway.serve() as other,
        pytest.raises(RuntimeError, match=f"the embedded stack of make dev in {another}"),
    ):
        dev(local_settings(keys, supabase_url=other.url), free_port(), place, serve=never)


def test_a_reset_needs_confirmation_then_starts_again_empty(made_place: StackPlace) -> None:
    cluster = made_place.cluster()
    cluster.start()
    try:
        prepare_database(cluster, made_place.migrations)
        execute(cluster, "insert into entities (title, owner_id) values ('precious', 'user_a')")
    finally:
        cluster.stop()

    with pytest.raises(RuntimeError, match="Confirm with make db-reset CONFIRM=yes"):
        reset(confirmed=False, place=made_place)
    cluster.start()
    try:
        assert rows(cluster, "select title from entities") == [("precious",)]
    finally:
        cluster.stop()

    assert reset(confirmed=True, place=made_place) == Migration.found_in(made_place.migrations)
    cluster.start()
    try:
        assert rows(cluster, "select count(*) from entities") == [(0,)]
    finally:
        cluster.stop()


def test_psql_opens_the_local_database(made_place: StackPlace, keys: LocalKeyPair) -> None:
    settings = local_settings(keys)
    with pytest.raises(
        RuntimeError, match=f"No database answers on 127.0.0.1:{made_place.database_port}"
    ):
        psql_command(settings, None, made_place)
    cluster = made_place.cluster()
    cluster.start()
    try:
        command = psql_command(settings, "select 40 + 2", made_place)
        output = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=True
        ).stdout
    finally:
        cluster.stop()
    assert "42" in output


def test_a_wrong_value_in_env_is_named_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    assert main(["psql"]) == 2
    error = capsys.readouterr().err
    assert "make psql: a setting in .env is not valid" in error
    assert "log_level" in error
    assert "Traceback" not in error


def test_a_command_that_fails_says_why_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPABASE_URL", "https://abcd.supabase.co")
    assert main(["psql"]) == 1
    assert capsys.readouterr().err.startswith("make psql: SUPABASE_URL is a hosted project")


def test_ctrl_c_before_the_api_starts_ends_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted() -> Settings:
        raise KeyboardInterrupt

    monkeypatch.setattr("scripts.local_stack.__main__.Settings", interrupted)
    assert main(["dev", "--port", "8123"]) == 130
    assert capsys.readouterr().err == ""
