"""Commands as a user runs them, git with a fixed identity, free ports, and what the generated
CI runs."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

# What the generated ci.yml runs in its backend job: test_ship.py checks that it does, and
# test_frontend.py runs them.
GENERATED_CI_COMMANDS = ["make setup", "make check"]
# What it runs after those when the service has a frontend (test_frontend.py proves them).
FRONTEND_CI_COMMANDS = ["make client-check", "make e2e"]
GIT_IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]


def user_environment(**overrides: str) -> dict[str, str]:
    """The environment a user's shell would have: without this suite's own virtualenv."""
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    return env | overrides


def completed(
    *command: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A command run the way a user would, in their environment, with its output captured."""
    return subprocess.run(  # noqa: S603 - commands are fixed by the tests
        command,
        cwd=cwd,
        env=env or user_environment(),
        capture_output=True,
        text=True,
        check=False,
    )


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command the way a user would; fail the test with its output if it fails."""
    result = completed(*command, cwd=cwd, env=env)
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` failed in {cwd} with exit code {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
        )
    return result.stdout


def failing(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command that must fail; its output, standard error included."""
    result = completed(*command, cwd=cwd, env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"`{' '.join(command)}` succeeded:\n{output}"
    return output


def git(*arguments: str, cwd: Path) -> str:
    return run("git", *GIT_IDENTITY, *arguments, cwd=cwd)


def commit_all(project: Path) -> None:
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", "chore: generate", cwd=project)


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not on PATH; run the suite with ./tests/run.sh, which installs it")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As servers bind: connections of a stopped server waiting to close do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
