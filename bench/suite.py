"""The generated test suite's wall time: `make test` against `make test-unit` (no servers)."""

import subprocess
from collections.abc import Callable
from pathlib import Path

from bench.figures import Figure, alternate, timed, verdict
from bench.serving import service_env

# `make test` against `make test-unit`.
SUITE_TARGET = 1.5


def measure(project: Path, runs: int) -> list[Figure]:
    env = service_env()

    def make(target: str) -> Callable[[], float]:
        return lambda: timed(
            lambda: subprocess.run(
                ["make", target], cwd=project, env=env, check=True, capture_output=True
            )
        )

    whole, unit = alternate(runs, make("test"), make("test-unit"))
    return [
        Figure(
            "generated test suite, wall time (s)",
            f"{whole:.1f}",
            f"{unit:.1f} (make test-unit: no servers)",
            f"{whole / unit:.1f}x",
            verdict(f"<= {SUITE_TARGET:g}x", whole <= SUITE_TARGET * unit),
        )
    ]
