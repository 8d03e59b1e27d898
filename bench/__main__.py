"""Benchmarks of the template and the service it generates: `uv run python -m bench`.

Every figure is measured beside its baseline in the same run, alternating the two and taking
medians, because absolute times on shared machines drift. `--write` also records the table in
docs/performance.md. Not part of the test gate.

    template.py    copier copy and copier update
    healthz.py     GET /healthz under wrk, against bare FastAPI apps (bare_app.py)
    cold_start.py  from launch to the first 200
    entities.py    an authenticated list through real PostgREST and PostgreSQL (stack.py)
    suite.py       the generated test suite's wall time
    wrk.py, serving.py, figures.py, report.py: the load generator, serving like the image,
    a figure and its runs, the table and docs/performance.md

`python -m bench.speedups` (speedups.py) is run on its own: the hand-made speed-ups the
service does without.
"""

import argparse
import subprocess
import tempfile
from pathlib import Path

from bench import cold_start, entities, healthz, suite, template
from bench.report import table, write_report
from bench.serving import service_env
from bench.wrk import ensure_wrk
from tests.support.rendering import render


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the template and its service.")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs per figure")
    parser.add_argument(
        "--write", action="store_true", help="record results in docs/performance.md"
    )
    arguments = parser.parse_args()
    runs = arguments.runs
    ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        figures = template.measure(work / "copier", runs)
        project = render(work / "service", **template.FULL_OPTIONS)
        # Installed as the image installs it: bytecode compiled once, not at every start.
        env = service_env({"UV_COMPILE_BYTECODE": "1"})
        subprocess.run(["make", "setup"], cwd=project, env=env, check=True, capture_output=True)
        # Cold starts are taken before the load, as they always have been; reported after it.
        cold = cold_start.measure(project, runs)
        figures += healthz.measure(project, runs) + cold
        figures += entities.measure(project, runs)
        figures += suite.measure(project, max(1, runs // 2))
    report = table(figures)
    print(report)
    if arguments.write:
        write_report(report, runs)


if __name__ == "__main__":
    main()
