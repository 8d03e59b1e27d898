"""The report: the table of figures, and docs/performance.md that `--write` rewrites."""

import os
import platform
import re
from pathlib import Path

from bench.cold_start import COLD_START_RUNS_PER_RUN
from bench.figures import Figure
from bench.wrk import WRK_CONNECTIONS, WRK_SECONDS
from tests.support.rendering import TEMPLATE_ROOT


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()} "
        f"for Copier; the service on its own Python (backend/.python-version)"
    )


def table(figures: list[Figure]) -> str:
    rows = ["| Figure | Generated | Baseline | Ratio | Target |", "|---|---|---|---|---|"]
    rows += [
        f"| {f.name} | {f.measured} | {f.baseline} | {f.ratio} | {f.target} |" for f in figures
    ]
    return "\n".join(rows)


def write_report(report: str, runs: int) -> None:
    document = TEMPLATE_ROOT / "docs" / "performance.md"
    cold_starts = COLD_START_RUNS_PER_RUN * runs
    document.write_text(f"""# Performance

Measured by `uv run python -m bench --write`: {runs} alternating runs per figure ({cold_starts}
for cold starts, {max(1, runs // 2)} for the test suite), medians. Each figure stands beside a
baseline measured in the same run, because absolute times on a shared machine drift; compare
the ratios.

Machine: {machine()}.

{report}

How each is measured:
- **copier copy / update**: in-process `copier.run_copy` / `run_update` of this template with
  fly + gateway answers (update: v1.0.0 to v1.1.0 of a local release pair), against a template
  with one question and one file.
- **/healthz**: the generated service and two bare FastAPI apps with one route
  (`bench/bare_app.py`): one declares it on the app, the other in an included `APIRouter`, as
  the service declares its routes. Each runs on uvicorn with one worker (`--no-access-log
  --log-level warning`), all from an install like the image's (`uv sync --locked --no-dev`,
  bytecode compiled), loaded by
  `wrk -t1 -c{WRK_CONNECTIONS} -d{WRK_SECONDS}s` from a second process on 127.0.0.1. The 2 cores
  are shared by server and load generator. At the default `LOG_LEVEL=INFO` a healthy probe
  writes no log line; the DEBUG row runs the service at `DEBUG`, where the probe writes the
  JSON request line that every API request gets.
- **/api/v1/entities**: a signed-in user's first page (20 of 200 rows) through supabase-py,
  the test suite's Supabase-style gateway (a small Python proxy, the slowest hop here), a real
  PostgREST 12 and PostgreSQL 15; the baseline sends the same PostgREST query with the same
  token straight to that gateway, so the ratio is the service's own cost.
- **cold start**: from process launch (uvicorn, as above) to the first 200 on /healthz, polled
  every 5 ms by one client built before the clock starts.
- **test suite**: `make test` (every test, real PostgreSQL and PostgREST, coverage gate) against
  `make test-unit`.

Reading the figures against the targets:
- **/healthz throughput**: the target is the middleware stack's, so it is read against the
  bare app that routes like the service. Since FastAPI 0.137, `include_router` keeps each
  included router as a routing layer of its own, walked on every request, where earlier
  versions copied its routes into the app's router; that layer alone costs a bare app about a
  tenth of its throughput here (compare the two baselines), and every FastAPI app that uses
  routers pays it. The middleware stack runs on every probe: request and correlation ids,
  security headers, the body-size limit, crash answers. Passing straight through, the service
  answers faster than the routed bare app, because its probe answer is encoded once, not per
  request; the rest is the stack, about half of it the eight extra response headers (the
  security headers and the two ids), which uvicorn checks one by one and the load generator
  must parse. The middleware checks the log level before it builds a request's log fields.
  Healthy probes are logged at `debug`, because platforms send one every few seconds; the DEBUG
  row shows the cost of the JSON log line that every API request writes. The request id and
  the log line use the standard `uuid.uuid4()` and structlog's `JSONRenderer`: hand-made
  versions would save 1-4% of a logged request (`uv run python -m bench.speedups`).
  Throughput ratios move with the machine's state more than the other figures (by several
  points between runs of the same code), so the Target column says how this run fared.
- **Cold start**: most of it is importing FastAPI and uvicorn, which the bare app pays too, and
  the time scales with the machine's load: on a loaded machine of this kind the bare app alone
  has taken 0.8 s, and the service about 1.2x that. httpx, supabase-py and postgrest-py (with
  PyJWT, cryptography, realtime, storage), Clerk's SDK and stamina are imported by the first
  request that needs them, not at start; the shared connection pool is opened then too (loading
  the CA bundle is slow), and the Supabase client is created then, once. Sentry is imported only
  when a DSN is set. What the service still loads before it answers: structlog,
  pydantic-settings and its settings, its models and routes. The ratio to the bare app is the
  figure to watch.
- **/api/v1/entities** includes a token check with Clerk's SDK (RS256), supabase-py, and the
  gateway hop; the Python test gateway is the slowest part of both columns, so absolute numbers
  are far below a real Supabase deployment's.
""")
    print(f"bench: wrote {document.relative_to(TEMPLATE_ROOT)}")
