"""The report: the table of figures, and docs/performance.md that `--write` rewrites.

The bench owns the document's top (the table, how each figure is measured, how to read them)
and its own `##` sections (`BENCH_SECTIONS`); every other `##` section (the frontend's bundle,
say) is someone else's and is kept as it is, after the bench's.
"""

import os
import platform
import re
from pathlib import Path

from bench.cold_start import COLD_START_RUNS_PER_RUN
from bench.entities import LIST, PAGE, PROFILE_SECONDS, ROWS, WARM_UP_SECONDS, ApiResults
from bench.figures import Figure
from bench.profile import SAMPLES_PER_SECOND
from bench.wrk import WRK_CONNECTIONS, WRK_SECONDS
from tests.support.rendering import TEMPLATE_ROOT

DOCUMENT = TEMPLATE_ROOT / "docs" / "performance.md"
PROFILE_SECTION = "Where the service's time goes"
BENCH_SECTIONS = frozenset({PROFILE_SECTION})


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


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def table(figures: list[Figure]) -> str:
    rows = ["| Figure | Generated | Baseline | Ratio | Target |", "|---|---|---|---|---|"]
    rows += [
        f"| {f.name} | {f.measured} | {f.baseline} | {f.ratio} | {f.target} |" for f in figures
    ]
    return "\n".join(rows)


def verdicts(figures: list[Figure]) -> str:
    """Every target of the run, one line each: the figure, its ratio, met or missed."""
    return "\n".join(f"- {f.name}: {f.ratio}; {f.target}" for f in figures if f.target)


def profile_section(api: ApiResults) -> str:
    if api.profile is None:
        return f"## {PROFILE_SECTION}\n\npy-spy could not sample the service in this run.\n"
    profile = api.profile
    biggest = ", ".join(f"{part.name} {share:.0%}" for part, share in profile.parts[:3])
    ratio = api.list_cpu_ms / api.bare_cpu_ms
    return f"""## {PROFILE_SECTION}

On the authenticated list, in this run:
the service's CPU per request was **{api.list_cpu_ms:.2f} ms**,
{ratio:.0f}x a bare FastAPI app's per `/healthz` request ({api.bare_cpu_ms:.3f} ms);
its largest parts: {biggest}.

py-spy (`bench/profile.py`) sampled the service from outside, {SAMPLES_PER_SECOND} times a
second, during one more {PROFILE_SECONDS} s `{LIST}` run after the measured ones; its install is
left alone. Each sample of the service busy (here {profile.samples:,}) is charged to the
innermost frame that belongs to a part of the request: the standard library and helpers every
part uses (anyio, h11) are skipped, so `json.dumps` counts for whoever called it. The last
column is the share times the CPU per request: sampled time, not measured part by part. A run
leaves the stacks in `bench/results/entities-list.collapsed` (for a flame graph tool such as
speedscope) and this summary in `bench/results/entities-list.profile.txt`.

{profile.table(api.list_cpu_ms)}

```
{profile.details()}
```
"""


def kept_sections(document: str) -> str:
    """The document's `##` sections that the bench does not write, as they are."""
    sections = re.split(r"(?m)^(?=## )", document)[1:]
    return "".join(
        section
        for section in sections
        if section.splitlines()[0].removeprefix("## ").strip() not in BENCH_SECTIONS
    )


def write_report(
    figures: list[Figure], runs: int, api: ApiResults, document: Path = DOCUMENT
) -> None:
    cold_starts = COLD_START_RUNS_PER_RUN * runs
    others = kept_sections(document.read_text()) if document.exists() else ""
    document.write_text(
        f"""# Performance

Measured by `uv run python -m bench --write`: {runs} alternating runs per figure ({cold_starts}
for cold starts, {max(1, runs // 2)} for the test suite), medians. Each figure stands beside a
baseline measured in the same run, because absolute times on a shared machine drift; compare
the ratios. `uv run python -m bench --only api` measures the API path alone (a few minutes)
without writing this file.

Machine: {machine()}. Load average when the run ended: {load_average()}.

{table(figures)}

Targets in this run:
{verdicts(figures)}

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
- **/api/v1/entities**: the service (served as above, at `LOG_LEVEL=INFO`, so each request
  writes its log line) over a real PostgREST 12 and PostgreSQL 15, with Debian's nginx in
  front of PostgREST as Supabase's gateway: `/rest/v1` routed with the prefix stripped, the
  apikey required and not passed on, the `Authorization` header passed on, connections to
  PostgREST kept alive (`bench/gateway.py`). A signed-in user (a Clerk-shaped RS256 session
  token) lists their first page ({PAGE} of {ROWS} rows), gets one entity, renames one, and
  creates one. Each baseline is the request the service itself sent to PostgREST, captured by
  nginx (method, path and query, `Prefer` and the other headers PostgREST reads, the body) and
  sent by wrk with the same token through the same nginx; after a {WARM_UP_SECONDS} s warm-up of
  each, the two alternate, run by run. Table
  state: get and update take the user's {ROWS} entities in turn (an update renames one to the
  same title each time); creates are made by a second user, so the table grows by a few
  thousand rows a run and the first user's pages stay as they were.
- **CPU per request**: the kernel's counters of each process (`/proc/<pid>/stat`, user +
  system time of every thread and child), read before and after each measured run and divided
  by the requests wrk counted; medians over runs. The bare app's is its `/healthz` under the
  same load, in runs alternating with the list's. "The rest" is nginx, PostgREST and
  PostgreSQL (every backend) during the same run.
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
  The line costs about 20 µs inside the service, called from its middleware with no sockets
  (a probe takes about 70 µs without it, 90 with it): redaction a quarter of it, the JSON a
  fifth, the timestamp a tenth, structlog's chain of processors and the write the rest. Under
  load the service's CPU per probe rises by more than that from INFO to DEBUG (35 to 65 µs in
  separate runs here), while the middleware alone already spends most of what 80% of the
  routed bare app allows: at 80% the logged probe could cost about what the unlogged one costs
  now, so the line would have to be nearly free, which no JSON line from structlog's
  processors (the request ids, the level, the time, the service's fields, redaction, then
  rendering) is in Python. On an API request the line is a few percent of the service's CPU
  (the profile below).
  Throughput ratios move with the machine's state more than the other figures (by several
  points between runs of the same code), so the Target column says how this run fared.
- **Cold start**: most of it is importing FastAPI and uvicorn, which the bare app pays too, and
  the time scales with the machine's load: on a loaded machine of this kind the bare app alone
  has taken 0.8 s, and the service about 1.2x that. httpx, aiohttp, supabase-py and postgrest-py
  (with PyJWT, cryptography, realtime, storage), Clerk's SDK and stamina are imported by the first
  request that needs them, not at start; the shared connection pool is opened then too (loading
  the CA bundle is slow), and the Supabase client is created then, once. Sentry is imported only
  when a DSN is set. What the service still loads before it answers: structlog,
  pydantic-settings and its settings, its models and routes. The ratio to the bare app is the
  figure to watch.
- **The API path**: the service runs one worker, a Python process on one core, while nginx and
  PostgREST answer the baseline on both; so its throughput is bounded by its CPU per request,
  and the CPU target is the figure to cut. The CPU rows say where a request's CPU goes along the
  path; the profile below says where the service's own goes. Cut so far, each measured by this
  bench before and after: httpcore's pool, which checked every connection it held on each
  request (the shared client now sends through aiohttp's, under httpx's API:
  `app/core/aiohttp_transport.py`); httpx's client pipeline for a plain request, which is every
  PostgREST query (`AiohttpClient` builds the same `httpx.Request` once, without parsing the URL
  a second time to join the query, preparing cookies, or running the auth, redirect and hook
  steps, and hands it to the same transport); Clerk's SDK run on every request for the same
  token (a verified token is now remembered until it expires); the failed `import sniffio`
  httpcore repeated per request; and a dependency run in a worker thread.
- **The stack's floor** (`bench/floor_app.py`): the same page of the same user, served by
  FastAPI on uvicorn with one route that checks the token once, asks PostgREST through one
  aiohttp pool and answers its rows as they came; the bench checks that it answers the same
  rows and count as the service. It is what this stack costs before any of the service's parts,
  and it sets how far the 10x target can be reached by cutting the service: the difference
  between the two rows is the middleware (ids, security headers, the body-size limit, the rate
  limit), the log line, FastAPI's dependencies, the validation of parameters and rows, the
  error mapping, and postgrest-py, which builds each query on httpx's `Headers` and
  `QueryParams` and parses the answer. postgrest-py with httpx's request and response around
  aiohttp is the largest of these (the profile's "HTTP client" beyond aiohttp, and "PostgREST
  query"). Going under 10x would take more than sending PostgREST's queries without
  postgrest-py, the query builder every resource uses (docs/adding-a-resource.md): a variant of
  the service that did so, measured against it on one stack, spent 17% less CPU on the list,
  still above 10x in most runs; the rest would have to come out of the service's own parts
  above.

{profile_section(api)}
{others}""".rstrip()
        + "\n"
    )
    print(f"bench: wrote {document}")
