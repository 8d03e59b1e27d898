"""The hand-made speed-ups the service does without: `uv run python -m bench.speedups`.

Prints, side by side in one run, the standard request id and JSON log renderer the service
uses and the hand-made versions they replaced (bench/speedups_probe.py), per call and inside a
logged GET /healthz. A hand-made version is worth its code only if it saves more than the
bench's throughput figures move between runs (several points); the service's comments quote
these figures. Renders a default service unless `--project` names one.
"""

import argparse
import subprocess
import tempfile
from pathlib import Path

from bench.serving import BENCH, service_env
from tests.support.rendering import render


def probe(project: Path) -> None:
    backend = project / "backend"
    subprocess.run(
        ["uv", "sync", "--locked", "--quiet"], cwd=backend, env=service_env(), check=True
    )
    subprocess.run(
        [str(backend / ".venv/bin/python"), str(BENCH / "speedups_probe.py")],
        cwd=backend,
        env={**service_env(), "PYTHONPATH": str(backend)},
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Hand-made speed-ups against the standard.")
    parser.add_argument("--project", type=Path, help="a rendered service (default: render one)")
    arguments = parser.parse_args()
    if arguments.project:
        probe(arguments.project.resolve())
        return
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        probe(render(Path(scratch) / "service"))


if __name__ == "__main__":
    main()
