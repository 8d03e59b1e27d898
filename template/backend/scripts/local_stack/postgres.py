"""A PostgreSQL server in a folder of its own: persistent for make dev, throwaway for the tests.

The server is a child process in the caller's process group, so Ctrl-C (or a kill of the whole
group) reaches it too; the next start clears what a killed server leaves behind.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from scripts.local_stack.tools import find_postgres_bin

# PostgreSQL refuses to run as root; as root, its programs run as this user.
SERVER_USER = "postgres"
# Linux's view of running processes: what tells a stale postmaster.pid from a live one.
PROCESSES = Path("/proc")


class PostgresError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the servers bind: connections of a stopped server waiting to close do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _server_user() -> str | None:
    return SERVER_USER if os.geteuid() == 0 else None


def _run(command: list[str]) -> None:
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=False, user=_server_user()
    )
    if result.returncode != 0:
        raise PostgresError(f"{Path(command[0]).name} failed: {result.stderr or result.stdout}")


@dataclass
class PostgresCluster:
    """A cluster in `root` (data/ and its log) on 127.0.0.1:`port`, no Unix socket.

    `durable=False` turns fsync off: faster, and safe for anything but a power cut.
    """

    root: Path
    port: int
    durable: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def dsn(self, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/postgres"

    def exists(self) -> bool:
        return (self.data / "PG_VERSION").is_file()

    def start(self) -> None:
        """Create the cluster if it does not exist yet, then start it and wait until it answers."""
        self.create()
        self._clear_what_a_killed_server_left()
        if not port_is_free(self.port):
            raise PostgresError(
                f"Port {self.port}, PostgreSQL's, is taken by another program; stop it first."
            )
        options = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="]
        if not self.durable:
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
            options += ["-c", "full_page_writes=off"]
        command = [find_postgres_bin("postgres"), "-D", str(self.data), "-p", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [*command, *options],
                stdout=log,
                stderr=subprocess.STDOUT,
                user=_server_user(),
            )
        self._wait_until_ready()

    def stop(self) -> None:
        """A fast shutdown: open transactions roll back, everything committed stays."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _prepare_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if _server_user() is None:
            return
        shutil.chown(self.root, SERVER_USER, SERVER_USER)
        reachable = subprocess.run(  # noqa: S603
            ["test", "-w", str(self.root)],  # noqa: S607
            check=False,
            user=SERVER_USER,
        )
        if reachable.returncode != 0:
            raise PostgresError(
                f"As root, PostgreSQL runs as the {SERVER_USER} user, which cannot reach "
                f"{self.root}. Run this as a regular user, or keep the project in a folder "
                f"that {SERVER_USER} can open (every parent folder readable by others)."
            )

    def create(self) -> None:
        """The cluster's files, unless they exist: into a side folder first, so that an
        interrupted initdb never leaves a half-made cluster."""
        self._prepare_root()
        if self.exists():
            return
        partial = self.root / "data.partial"
        shutil.rmtree(partial, ignore_errors=True)
        _run(
            [
                find_postgres_bin("initdb"),
                "-D",
                str(partial),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        partial.rename(self.data)

    def _clear_what_a_killed_server_left(self) -> None:
        """After a kill -9, postmaster.pid names a dead process (or, later, someone else's)."""
        pid_file = self.data / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return
        if _is_postgres_serving(pid, self.data):
            # Left running by a parent that was killed alone: stop it the way it expects.
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + 60
            while _is_postgres_serving(pid, self.data) and time.monotonic() < deadline:
                time.sleep(0.1)
        if PROCESSES.is_dir():
            pid_file.unlink(missing_ok=True)
        # Elsewhere nothing here can tell a dead server from a live one: PostgreSQL checks.

    def _wait_until_ready(self) -> None:
        process = self.process
        if process is None:
            return
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(self.dsn(), connect_timeout=1).close()
            except psycopg.OperationalError:
                pass
            else:
                return
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                lines = self.log.read_text(errors="replace").splitlines()
                raise PostgresError(
                    f"PostgreSQL did not start; the end of {self.log}:\n" + "\n".join(lines[-15:])
                )
            time.sleep(0.05)


def _is_postgres_serving(pid: int, data: Path) -> bool:
    try:
        command_line = (PROCESSES / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return (
        bool(command_line)
        and Path(command_line[0].decode(errors="replace")).name == "postgres"
        and str(data).encode() in command_line
    )


@contextmanager
def throwaway_cluster(parent: Path | None = None) -> Iterator[PostgresCluster]:
    """A fast cluster on a free port, in `parent` (the system's temporary folder by default),
    deleted afterwards."""
    # Not under pytest's temporary folder: as root, that is closed to the postgres user.
    cluster = PostgresCluster(
        Path(tempfile.mkdtemp(prefix="pg-local-", dir=parent)), free_port(), durable=False
    )
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
