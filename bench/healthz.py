"""GET /healthz under wrk: the service against two bare FastAPI apps (bench/bare_app.py)."""

from pathlib import Path

from bench.figures import Figure, verdict
from bench.serving import (
    BARE_APP,
    IMAGE_VENV,
    ROUTED_BARE_APP,
    install_like_the_image,
    service_env,
    serving,
    uvicorn,
)
from bench.wrk import Load, median_load, wrk
from tests.support.commands import free_port

# Of the routed bare app's throughput: the middleware stack alone, and with the log line.
MIDDLEWARE_TARGET = 0.85
LOGGED_TARGET = 0.8


def measure(project: Path, runs: int) -> list[Figure]:
    backend = project / "backend"
    install_like_the_image(backend)
    bare_port, routed_port, service_port = free_port(), free_port(), free_port()
    bare = uvicorn(backend, "bare_app:app", bare_port, factory=False, venv=IMAGE_VENV)
    routed = uvicorn(backend, "bare_app:routed_app", routed_port, factory=False, venv=IMAGE_VENV)
    service = uvicorn(backend, "app.main:create_app", service_port, factory=True, venv=IMAGE_VENV)
    # A healthy probe is logged at debug; at DEBUG it pays for the log line every API request has.
    logged_port = free_port()
    logged = uvicorn(backend, "app.main:create_app", logged_port, factory=True, venv=IMAGE_VENV)
    loads_bare: list[Load] = []
    loads_routed: list[Load] = []
    loads_service: list[Load] = []
    loads_logged: list[Load] = []
    with (
        serving(bare, backend, service_env(), bare_port),
        serving(routed, backend, service_env(), routed_port),
        serving(service, backend, service_env(), service_port),
        serving(logged, backend, service_env({"LOG_LEVEL": "DEBUG"}), logged_port),
    ):
        for _ in range(runs):
            loads_bare.append(wrk(f"http://127.0.0.1:{bare_port}/healthz"))
            loads_routed.append(wrk(f"http://127.0.0.1:{routed_port}/healthz"))
            loads_service.append(wrk(f"http://127.0.0.1:{service_port}/healthz"))
            loads_logged.append(wrk(f"http://127.0.0.1:{logged_port}/healthz"))
    ours, with_log_line = median_load(loads_service), median_load(loads_logged)
    base, same_routing = median_load(loads_bare), median_load(loads_routed)
    middleware_share = ours.requests_per_second / same_routing.requests_per_second
    logged_share = with_log_line.requests_per_second / same_routing.requests_per_second
    return [
        Figure(
            "GET /healthz, requests/s",
            f"{ours.requests_per_second:,.0f}",
            f"{base.requests_per_second:,.0f} ({BARE_APP})",
            f"{ours.requests_per_second / base.requests_per_second:.0%}",
        ),
        Figure(
            "GET /healthz, requests/s, against the same routing",
            f"{ours.requests_per_second:,.0f}",
            f"{same_routing.requests_per_second:,.0f} ({ROUTED_BARE_APP})",
            f"{middleware_share:.0%}",
            verdict(
                f"middleware >= {MIDDLEWARE_TARGET:.0%}", middleware_share >= MIDDLEWARE_TARGET
            ),
        ),
        Figure(
            "GET /healthz with its log line (LOG_LEVEL=DEBUG), requests/s",
            f"{with_log_line.requests_per_second:,.0f}",
            f"{same_routing.requests_per_second:,.0f} ({ROUTED_BARE_APP})",
            f"{logged_share:.0%}",
            verdict(f"with the log line >= {LOGGED_TARGET:.0%}", logged_share >= LOGGED_TARGET),
        ),
        Figure(
            "GET /healthz, p50 / p99 (ms)",
            f"{ours.p50_ms:.2f} / {ours.p99_ms:.2f}",
            f"{same_routing.p50_ms:.2f} / {same_routing.p99_ms:.2f} ({ROUTED_BARE_APP})",
            f"{ours.p99_ms / same_routing.p99_ms:.1f}x p99",
        ),
    ]
