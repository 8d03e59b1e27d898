import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.matrix import RenderedMatrix
from tests.rendering import render

Render = Callable[..., Path]


@pytest.fixture
def render_project(tmp_path: Path) -> Render:
    """Render the template into a fresh folder with the given answers."""
    counter = iter(range(1000))

    def render_with(**answers: Any) -> Path:
        return render(tmp_path / f"project-{next(counter)}", **answers)

    return render_with


def user_environment(**overrides: str) -> dict[str, str]:
    """The environment a user's shell would have: without this suite's own virtualenv."""
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    return env | overrides


@pytest.fixture(scope="session")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> RenderedMatrix:
    return RenderedMatrix(tmp_path_factory.mktemp("matrix"))


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command the way a user would; fail the test with its output if it fails."""
    result = subprocess.run(  # noqa: S603 - commands are fixed by the tests
        command,
        cwd=cwd,
        env=env or user_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` failed in {cwd} with exit code {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
        )
    return result.stdout


def commit_all(project: Path) -> None:
    run("git", "init", "--quiet", "--initial-branch=main", cwd=project)
    run("git", "add", "--all", cwd=project)
    run(
        "git",
        "-c",
        "user.name=Test",
        "-c",
        "user.email=test@example.com",
        "commit",
        "--quiet",
        "-m",
        "chore: generate",
        cwd=project,
    )


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not on PATH; run the suite with ./tests/run.sh, which installs it")
    return path
