"""Benchmarks of the template and the service it generates: `uv run python -m bench`.

Every figure is measured beside its baseline in the same run, alternating the two and taking
medians, because absolute times on shared machines drift. `--write` also records the table in
docs/performance.md; `--only api` (repeatable, with the other parts' names) measures one part.
Not part of the test gate.

    template.py    copier copy and copier update
    healthz.py     GET /healthz under wrk, against bare FastAPI apps (bare_app.py)
    cold_start.py  from launch to the first 200
    entities.py    the authenticated API path through nginx (gateway.py), real PostgREST and
                   PostgreSQL (stack.py), with CPU per request (cpu.py), a profile (profile.py)
                   and the floor of the service's stack (floor_app.py)
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
from bench.figures import Figure
from bench.report import load_average, table, verdicts, write_report
from bench.serving import service_env
from bench.wrk import ensure_wrk
from tests.support.rendering import render

PARTS = ["template", "healthz", "cold-start", "api", "suite"]


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the template and its service.")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs per figure")
    parser.add_argument(
        "--write", action="store_true", help="record results in docs/performance.md"
    )
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="measure only this part (repeatable)"
    )
    arguments = parser.parse_args()
    if arguments.write and arguments.only:
        parser.error("--write records every part: leave out --only")
    runs, parts = arguments.runs, set(arguments.only or PARTS)
    ensure_wrk()
    figures: list[Figure] = []
    api = None
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        if "template" in parts:
            figures += template.measure(work / "copier", runs)
        if parts - {"template"}:
            project = render(work / "service", **template.FULL_OPTIONS)
            # Installed as the image installs it: bytecode compiled once, not at every start.
            env = service_env({"UV_COMPILE_BYTECODE": "1"})
            subprocess.run(["make", "setup"], cwd=project, env=env, check=True, capture_output=True)
            # Cold starts are taken before the load, as they always have been; reported after it.
            cold = cold_start.measure(project, runs) if "cold-start" in parts else []
            if "healthz" in parts:
                figures += healthz.measure(project, runs)
            figures += cold
            if "api" in parts:
                api = entities.measure(project, runs)
                figures += api.figures
            if "suite" in parts:
                figures += suite.measure(project, max(1, runs // 2))
    print(table(figures))
    print(f"\nTargets in this run (load average {load_average()}):\n{verdicts(figures)}")
    if api is not None and api.profile is not None:
        print(f"\n{api.profile.table(api.list_cpu_ms)}\n\n{api.profile.details()}")
    if arguments.write:
        assert api is not None
        write_report(figures, runs, api)


if __name__ == "__main__":
    main()
