"""Cold start: from launching uvicorn to the first 200 on /healthz, against the bare app."""

import statistics
from pathlib import Path

from bench.figures import Figure, verdict
from bench.serving import (
    BARE_APP,
    IMAGE_VENV,
    install_like_the_image,
    service_env,
    serving,
    uvicorn,
)
from tests.support.commands import free_port

# Starts take a second each and vary more than the other figures: take more of them.
COLD_START_RUNS_PER_RUN = 3


def measure(project: Path, runs: int) -> list[Figure]:
    backend = project / "backend"
    install_like_the_image(backend)
    bare_port, service_port = free_port(), free_port()
    bare = uvicorn(backend, "bare_app:app", bare_port, factory=False, venv=IMAGE_VENV)
    service = uvicorn(backend, "app.main:create_app", service_port, factory=True, venv=IMAGE_VENV)
    cold_service, cold_bare = [], []
    for _ in range(COLD_START_RUNS_PER_RUN * runs):
        with serving(bare, backend, service_env(), bare_port) as served:
            cold_bare.append(served.seconds)
        with serving(service, backend, service_env(), service_port) as served:
            cold_service.append(served.seconds)
    cold, cold_base = statistics.median(cold_service), statistics.median(cold_bare)
    return [
        Figure(
            "cold start to first 200 (s)",
            f"{cold:.2f}",
            f"{cold_base:.2f} ({BARE_APP})",
            f"{cold / cold_base:.1f}x",
            verdict("< 1 s", cold < 1),
        )
    ]
