"""GET /api/v1/entities under wrk: a signed-in user's first page through the real stack
(bench/stack.py), against the same PostgREST query sent straight to the gateway."""

import json
import subprocess
from pathlib import Path

import httpx

from bench.figures import Figure
from bench.serving import BENCH, service_env, serving, uvicorn
from bench.wrk import Load, median_load, wrk
from tests.support.commands import free_port


def measure(project: Path, runs: int) -> list[Figure]:
    backend = project / "backend"
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
        info = json.loads(stack.stdout.readline())
        port = free_port()
        env = service_env(
            {
                "SUPABASE_URL": info["gateway"],
                "CLERK_JWT_KEY": info["public_pem"],
                "CLERK_AUTHORIZED_PARTIES": info["authorized_party"],
            }
        )
        bearer = {"Authorization": f"Bearer {info['token']}"}
        direct = (
            f"{info['gateway']}/rest/v1/entities?select=id,title,description,owner_id,"
            "created_at,updated_at&owner_id=eq.user_bench&order=created_at.desc,id.asc"
            "&limit=20&offset=0"
        )
        loads: list[Load] = []
        baseline: list[Load] = []
        with serving(
            uvicorn(backend, "app.main:create_app", port, factory=True), backend, env, port
        ):
            check = httpx.get(f"http://127.0.0.1:{port}/api/v1/entities", headers=bearer)
            assert check.status_code == 200 and check.json()["count"] == 200, check.text
            for _ in range(runs):
                baseline.append(wrk(direct, {**bearer, "apikey": info["anon_key"]}))
                loads.append(wrk(f"http://127.0.0.1:{port}/api/v1/entities?limit=20", bearer))
        ours, base = median_load(loads), median_load(baseline)
        return [
            Figure(
                "GET /api/v1/entities (auth, 20 of 200 rows), requests/s",
                f"{ours.requests_per_second:,.0f}",
                f"{base.requests_per_second:,.0f} (same query straight to the gateway)",
                f"{ours.requests_per_second / base.requests_per_second:.0%}",
            ),
            Figure(
                "GET /api/v1/entities, p99 (ms)",
                f"{ours.p99_ms:.1f}",
                f"{base.p99_ms:.1f} (same query straight to the gateway)",
                f"{ours.p99_ms / base.p99_ms:.1f}x",
            ),
        ]
    finally:
        if stack.stdin:
            stack.stdin.close()
        stack.wait(timeout=30)
