"""The authenticated API path under wrk: list, get, update and create through the service,
each beside the same PostgREST request (same token, same body) through the same nginx playing
Supabase's gateway (bench/gateway.py), over a real PostgREST and PostgreSQL (bench/stack.py).

The baseline is what the service itself sent to PostgREST, as nginx logged it while capturing,
so it follows the service when the service changes its queries. The list is also measured on
the floor of the service's stack (bench/floor_app.py): the same page, answered by FastAPI,
uvicorn and aiohttp with nothing of the service's in between. Around every run the kernel's
CPU counters of each process are read (bench/cpu.py), and one more list run is sampled by
py-spy (bench/profile.py).

Table state: updates rename the reader's 200 entities in turn to the same title, so the table
does not change shape; creates go to a writer of their own and the table grows by their
number (a few thousand rows a run), which leaves the reader's pages as they were.
"""

import json
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from bench.cpu import cpu_of
from bench.figures import Figure, verdict
from bench.gateway import Captured, Nginx, nginx_gateway
from bench.profile import RESULTS, Profile, record, summarize
from bench.serving import (
    BENCH,
    IMAGE_VENV,
    ROUTED_BARE_APP,
    install_like_the_image,
    service_env,
    serving,
    uvicorn,
)
from bench.wrk import Load, Request, median_load, send
from tests.support.commands import free_port

ROWS = 200
PAGE = 20
LIST = "GET /api/v1/entities"
GET = "GET /api/v1/entities/{id}"
UPDATE = "PATCH /api/v1/entities/{id}"
CREATE = "POST /api/v1/entities"
# What the table calls each process whose CPU is counted.
PROCESSES = ["service", "nginx", "PostgREST", "PostgreSQL"]
PROFILE_SECONDS = 8
WARM_UP_SECONDS = 2
# The targets of the authenticated list, as ratios to the baselines of the same run.
CPU_TARGET = 10.0
THROUGHPUT_TARGET = 0.5
P99_TARGET = 2.0


@dataclass
class Operation:
    name: str
    # What wrk sends to the service, and the status every answer must have.
    service: Request
    status: int
    # The same request sent straight to PostgREST through nginx: what the service sent.
    direct: Request | None = None


@dataclass
class Runs:
    loads: list[Load] = field(default_factory=list)
    # CPU seconds per process, one dict per run.
    cpu: list[dict[str, float]] = field(default_factory=list)

    def cpu_ms_per_request(self, process: str) -> float:
        """The median over runs of the process's CPU per request, in milliseconds."""
        return statistics.median(
            1000 * cpu[process] / load.requests
            for cpu, load in zip(self.cpu, self.loads, strict=True)
        )


@dataclass
class ApiResults:
    figures: list[Figure]
    profile: Profile | None
    # The service's CPU per list request, which the profile's shares divide, and the bare
    # app's per /healthz request.
    list_cpu_ms: float
    bare_cpu_ms: float


@contextmanager
def local_stack(backend: Path) -> Iterator[dict[str, Any]]:
    """PostgreSQL and PostgREST with the reader's entities (bench/stack.py), until closed."""
    stack = subprocess.Popen(
        [str(backend / ".venv/bin/python"), str(BENCH / "stack.py")],
        cwd=backend,
        env={**service_env(), "PYTHONPATH": str(backend)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert stack.stdout is not None
        yield json.loads(stack.stdout.readline())
    finally:
        if stack.stdin:
            stack.stdin.close()
        stack.wait(timeout=30)


def operations(info: dict[str, Any]) -> list[Operation]:
    reader = {"Authorization": f"Bearer {info['token']}"}
    writer = {"Authorization": f"Bearer {info['writer_token']}"}
    body = {**reader, "Content-Type": "application/json"}
    ids = tuple(info["ids"])
    return [
        Operation(LIST, Request("GET", f"/api/v1/entities?limit={PAGE}", reader), 200),
        Operation(GET, Request("GET", "/api/v1/entities/{id}", reader, ids=ids), 200),
        Operation(
            UPDATE,
            Request("PATCH", "/api/v1/entities/{id}", body, json.dumps({"title": "Renamed"}), ids),
            200,
        ),
        Operation(
            CREATE,
            Request(
                "POST",
                "/api/v1/entities",
                {**writer, "Content-Type": "application/json"},
                json.dumps({"title": "Created by the bench"}),
            ),
            201,
        ),
    ]


def send_once(base: str, request: Request) -> httpx.Response:
    path = request.path.replace("{id}", request.ids[0]) if request.ids else request.path
    return httpx.request(
        request.method, base + path, headers=request.headers, content=request.body, timeout=30
    )


def direct_request(operation: Operation, sent: Captured) -> Request:
    """The request the service sent, for wrk; the entity's id becomes `{id}` again."""
    path = sent.uri
    if operation.service.ids:
        if operation.service.ids[0] not in path:
            raise RuntimeError(f"{operation.name}: the id is not in what was sent: {path}")
        path = path.replace(operation.service.ids[0], "{id}")
    return Request(sent.method, path, sent.headers, sent.body or None, operation.service.ids)


def capture(operation: Operation, service_url: str, gateway: Nginx) -> Operation:
    """Send the operation once; what reached PostgREST becomes its baseline."""
    before = len(gateway.settled_capture())
    answer = send_once(service_url, operation.service)
    if answer.status_code != operation.status:
        raise RuntimeError(f"{operation.name} answered {answer.status_code}: {answer.text}")
    if operation.name == LIST and answer.json()["count"] != ROWS:
        raise RuntimeError(f"{operation.name} did not count {ROWS} rows: {answer.text}")
    sent = gateway.settled_capture()[before:]
    if not sent:
        raise RuntimeError(f"{operation.name} sent nothing to PostgREST")
    if len(sent) > 1:
        print(f"bench: {operation.name} sent {len(sent)} requests to PostgREST; the last is timed")
    direct = direct_request(operation, sent[-1])
    check = send_once(gateway.url, direct)
    if check.status_code >= 300:
        raise RuntimeError(f"{operation.name}, sent straight: {check.status_code} {check.text}")
    return replace(operation, direct=direct)


def same_page(listing: Request, service_url: str, floor_url: str) -> None:
    """The floor must do the list's work: the same rows and count as the service answers."""
    ours, floor = send_once(service_url, listing).json(), send_once(floor_url, listing).json()
    if [row["id"] for row in ours["data"]] != [row["id"] for row in floor["data"]] or (
        ours["count"] != floor["count"]
    ):
        raise RuntimeError(f"the floor app answered another page: {floor}")


def timed_run(base: str, request: Request, processes: dict[str, int], runs: Runs) -> None:
    before = cpu_of(processes)
    load = send(base, request)
    after = cpu_of(processes)
    runs.loads.append(load)
    runs.cpu.append({name: after[name] - before[name] for name in processes})


def profiled_list(service_url: str, service_pid: int, request: Request) -> Profile | None:
    """One more list run, sampled; None (and why, printed) if py-spy cannot attach here."""
    # The last run's requests still in flight end first.
    time.sleep(1)
    collapsed = RESULTS / "entities-list.collapsed"
    collapsed.unlink(missing_ok=True)
    sampler = record(service_pid, PROFILE_SECONDS + 1, collapsed)
    send(service_url, request, seconds=PROFILE_SECONDS)
    output, _ = sampler.communicate(timeout=60)
    if sampler.returncode != 0 or not collapsed.is_file():
        print(f"bench: py-spy could not profile the service:\n{output}")
        return None
    return summarize(collapsed.read_text())


def measure(project: Path, runs: int) -> ApiResults:
    backend = project / "backend"
    install_like_the_image(backend)
    service_port, bare_port, floor_port = free_port(), free_port(), free_port()
    service_command = uvicorn(
        backend, "app.main:create_app", service_port, factory=True, venv=IMAGE_VENV
    )
    bare_command = uvicorn(
        backend, "bare_app:routed_app", bare_port, factory=False, venv=IMAGE_VENV
    )
    floor_command = uvicorn(backend, "floor_app:app", floor_port, factory=False, venv=IMAGE_VENV)
    with local_stack(backend) as info, nginx_gateway(info["postgrest"], info["anon_key"]) as nginx:
        env = service_env(
            {
                "SUPABASE_URL": nginx.url,
                "CLERK_JWT_KEY": info["public_pem"],
                "CLERK_AUTHORIZED_PARTIES": info["authorized_party"],
            }
        )
        floor_env = {**env, "SUPABASE_ANON_KEY": info["anon_key"]}
        with (
            serving(service_command, backend, env, service_port) as service,
            serving(bare_command, backend, service_env(), bare_port) as bare,
            serving(floor_command, backend, floor_env, floor_port) as floor,
        ):
            service_url = f"http://127.0.0.1:{service_port}"
            bare_url = f"http://127.0.0.1:{bare_port}"
            floor_url = f"http://127.0.0.1:{floor_port}"
            measured = [capture(o, service_url, nginx) for o in operations(info)]
            nginx.stop_capturing()
            listing = next(o for o in measured if o.name == LIST)
            same_page(listing.service, service_url, floor_url)
            processes = {
                "service": service.pid,
                "nginx": nginx.pid,
                "PostgREST": info["postgrest_pid"],
                "PostgreSQL": info["postgres_pid"],
            }
            through: dict[str, Runs] = {o.name: Runs() for o in measured}
            direct: dict[str, Runs] = {o.name: Runs() for o in measured}
            bare_runs, healthz = Runs(), Request("GET", "/healthz")
            floor_runs = Runs()
            send(bare_url, healthz, seconds=WARM_UP_SECONDS)
            for operation in measured:
                assert operation.direct is not None
                # Pools filled, caches warm, on both sides, before anything is counted.
                send(nginx.url, operation.direct, seconds=WARM_UP_SECONDS)
                send(service_url, operation.service, seconds=WARM_UP_SECONDS)
                for _ in range(runs):
                    timed_run(nginx.url, operation.direct, processes, direct[operation.name])
                    timed_run(service_url, operation.service, processes, through[operation.name])
                    if operation.name == LIST:
                        timed_run(bare_url, healthz, {"bare": bare.pid}, bare_runs)
                        timed_run(floor_url, operation.service, {"floor": floor.pid}, floor_runs)
            profile = profiled_list(service_url, service.pid, listing.service)
    list_cpu = through[LIST].cpu_ms_per_request("service")
    figures = list_figures(through[LIST], direct[LIST], bare_runs, floor_runs)
    figures += [operation_figure(o.name, through[o.name], direct[o.name]) for o in measured[1:]]
    figures += cpu_figures(measured, through, direct)
    if profile is not None:
        (RESULTS / "entities-list.profile.txt").write_text(
            profile.table(list_cpu) + "\n\n" + profile.details() + "\n"
        )
    return ApiResults(figures, profile, list_cpu, bare_runs.cpu_ms_per_request("bare"))


def list_figures(through: Runs, direct: Runs, bare: Runs, floor: Runs) -> list[Figure]:
    ours, base = median_load(through.loads), median_load(direct.loads)
    share = ours.requests_per_second / base.requests_per_second
    p99 = ours.p99_ms / base.p99_ms
    service_cpu = through.cpu_ms_per_request("service")
    bare_cpu = bare.cpu_ms_per_request("bare")
    floor_cpu = floor.cpu_ms_per_request("floor")
    same = "same PostgREST request through nginx"
    return [
        Figure(
            f"{LIST} (auth, {PAGE} of {ROWS} rows), requests/s",
            f"{ours.requests_per_second:,.0f}",
            f"{base.requests_per_second:,.0f} ({same})",
            f"{share:.0%}",
            verdict(f">= {THROUGHPUT_TARGET:.0%}", share >= THROUGHPUT_TARGET),
        ),
        Figure(
            f"{LIST}, p50 / p99 (ms)",
            f"{ours.p50_ms:.1f} / {ours.p99_ms:.1f}",
            f"{base.p50_ms:.1f} / {base.p99_ms:.1f} ({same})",
            f"{p99:.1f}x p99",
            verdict(f"p99 <= {P99_TARGET:g}x", p99 <= P99_TARGET),
        ),
        Figure(
            f"{LIST}, the service's CPU per request (ms)",
            f"{service_cpu:.2f}",
            f"{bare_cpu:.3f} (GET /healthz of the {ROUTED_BARE_APP})",
            f"{service_cpu / bare_cpu:.0f}x",
            verdict(f"<= {CPU_TARGET:g}x", service_cpu <= CPU_TARGET * bare_cpu),
        ),
        Figure(
            f"{LIST}, CPU per request (ms), against the stack's floor",
            f"{service_cpu:.2f}",
            f"{floor_cpu:.2f} (FastAPI, uvicorn and aiohttp alone: bench/floor_app.py, "
            f"{floor_cpu / bare_cpu:.0f}x the bare app's)",
            f"{service_cpu / floor_cpu:.1f}x",
        ),
    ]


def operation_figure(name: str, through: Runs, direct: Runs) -> Figure:
    ours, base = median_load(through.loads), median_load(direct.loads)
    return Figure(
        f"{name}, requests/s (p99 ms)",
        f"{ours.requests_per_second:,.0f} ({ours.p99_ms:.1f})",
        f"{base.requests_per_second:,.0f} ({base.p99_ms:.1f}) (same PostgREST request)",
        f"{ours.requests_per_second / base.requests_per_second:.0%} "
        f"({ours.p99_ms / base.p99_ms:.1f}x p99)",
    )


def cpu_figures(
    measured: list[Operation], through: dict[str, Runs], direct: dict[str, Runs]
) -> list[Figure]:
    """Per operation: the CPU per request of the service and of the rest of the path."""
    figures = []
    for operation in measured:
        ours, base = through[operation.name], direct[operation.name]
        rest = PROCESSES[1:]
        service = ours.cpu_ms_per_request("service")
        path = sum(ours.cpu_ms_per_request(p) for p in rest)
        figures.append(
            Figure(
                f"{operation.name}, CPU per request (ms): service + {' + '.join(rest)}",
                f"{service:.2f} + " + " + ".join(f"{ours.cpu_ms_per_request(p):.2f}" for p in rest),
                " + ".join(f"{base.cpu_ms_per_request(p):.2f}" for p in rest)
                + f" ({' + '.join(rest)}, sent straight)",
                f"service {service / path:.1f}x the rest",
            )
        )
    return figures
