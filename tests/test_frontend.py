"""Dynamic tier, frontend: a rendered service with the frontend passes its gates and its
browser tests, refuses a production build with local sign-in, and its nginx serves the build."""

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.support.commands import (
    FRONTEND_CI_COMMANDS,
    GENERATED_CI_COMMANDS,
    commit_all,
    free_port,
    require,
    run,
    user_environment,
)
from tests.support.rendering import Render

REPORTS = Path(__file__).resolve().parent.parent / "reports"
ANSI_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize(
    "gateway",
    [pytest.param(False, id="e2e-frontend"), pytest.param(True, id="e2e-frontend-gateway")],
)
def test_the_frontend_passes_its_gates_and_browser_tests(
    render_project: Render, gateway: bool, request: pytest.FixtureRequest
) -> None:
    for tool in ["uv", "make", "bun", "git"]:
        require(tool)
    project = render_project(include_frontend=True, include_gateway=gateway)
    commit_all(project)

    # Everything after the installs works with no network: no hosted service, no index.
    offline = user_environment(UV_OFFLINE="1")
    outputs = {
        command: ANSI_COLOURS.sub(
            "", run(*command.split(), cwd=project, env=None if "setup" in command else offline)
        )
        for command in GENERATED_CI_COMMANDS + FRONTEND_CI_COMMANDS
    }
    assert "Required test coverage of 90" in outputs["make check"]
    assert re.search(r"Tests\s+\d+ passed", outputs["make check"])  # Vitest
    # Every route's page is split out of the start-up code.
    assert "will not be code-split" not in outputs["make check"]
    # The bundle budget ran, and held.
    budget = r"JavaScript of a first visit: [\d.]+ kB gzipped, budget \d+ kB\."
    assert re.search(budget, outputs["make check"])
    # Playwright: every test on a desktop and on a 390 px phone in the dark scheme.
    e2e = outputs["make e2e"]
    assert re.search(r"\b48 passed\b", e2e), e2e[-3000:]
    assert not re.search(r"\b(failed|flaky)\b", e2e)
    # The API server stops quietly when Playwright is done with it.
    assert "Traceback" not in e2e
    assert "KeyboardInterrupt" not in e2e

    frontend = project / "frontend"
    kept = REPORTS / "screenshots" / request.node.callspec.id
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(frontend / "test-results" / "screenshots", kept)
    for viewport in ["desktop", "phone-dark"]:
        for name in ["entities", "entities-390", "user-menu", "axe-entities-dark"]:
            assert (kept / viewport / f"{name}.png").read_bytes().startswith(b"\x89PNG")

    # The production build (make check made it) carries no local sign-in, and the browser
    # tests' local build no Clerk.
    bundle = "".join(path.read_text() for path in (frontend / "dist" / "assets").glob("*.js"))
    assert "ClerkProvider" in bundle
    assert "make token" not in bundle
    local = "".join(path.read_text() for path in (frontend / "dist-e2e" / "assets").glob("*.js"))
    assert "make token" in local
    assert "ClerkProvider" not in local
    assert "@clerk/" not in local

    run("make", "format", cwd=project, env=offline)
    assert run("git", "status", "--porcelain", cwd=project) == ""


def test_a_production_build_with_local_sign_in_fails(render_project: Render) -> None:
    require("bun")
    project = render_project(include_frontend=True)
    run("bun", "install", "--frozen-lockfile", cwd=project / "frontend")

    build = subprocess.run(
        ["bun", "run", "build"],  # noqa: S607 - bun is this suite's own tool
        cwd=project / "frontend",
        env=user_environment(VITE_AUTH_MODE="local"),
        capture_output=True,
        text=True,
        check=False,
    )

    assert build.returncode != 0
    assert "VITE_AUTH_MODE=local cannot be built for production" in build.stdout + build.stderr
    assert not (project / "frontend" / "dist").exists()


def test_nginx_serves_the_app_with_fallback_caching_headers_and_runtime_config(
    render_project: Render,
) -> None:
    """The image's nginx configuration, run by a real nginx (no container engine here)."""
    nginx = require("nginx")
    project = render_project(include_frontend=True, domain="shop.example.org")
    frontend = project / "frontend"
    site = Path(tempfile.mkdtemp())
    site.chmod(0o755)  # nginx started as root serves as an unprivileged user
    (site / "assets").mkdir()
    (site / "index.html").write_text("<!doctype html><title>app</title>")
    (site / "assets" / "index-abc123.js").write_text("console.log(1)")
    port = free_port()
    # What the image's entrypoint does: fill the template from the environment.
    server = (
        (frontend / "nginx" / "default.conf.template")
        .read_text()
        .replace("${API_URL}", "http://localhost:8000")
        .replace("${CLERK_PUBLISHABLE_KEY}", "pk_test_runtime")
        .replace("listen 8080;", f"listen 127.0.0.1:{port};")
        .replace("/usr/share/nginx/html", str(site))
        .replace("/etc/nginx/snippets/", f"{frontend / 'nginx'}/")
    )
    (site / "server.conf").write_text(server)
    (site / "nginx.conf").write_text(
        f"pid {site}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n"
        f"  client_body_temp_path {site}/body;\n  proxy_temp_path {site}/proxy;\n"
        f"  fastcgi_temp_path {site}/fastcgi;\n  uwsgi_temp_path {site}/uwsgi;\n"
        f"  scgi_temp_path {site}/scgi;\n  include {site}/server.conf;\n}}\n"
    )
    process = subprocess.Popen(  # noqa: S603 - the suite's own nginx and config
        [nginx, "-p", str(site), "-c", str(site / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)

        deep_link = httpx.get(f"{base}/entities?page=2")
        assert deep_link.status_code == 200
        assert deep_link.text.startswith("<!doctype html>")
        assert deep_link.headers["cache-control"] == "no-cache"
        for response in [deep_link, httpx.get(f"{base}/assets/index-abc123.js")]:
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            policy = response.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in policy
            assert "https://clerk.shop.example.org" in policy
            # The API's origin, even over plain http as in local compose, may be called.
            assert "connect-src 'self' http://localhost:8000 https:;" in policy
            assert "server" not in response.headers or "/" not in response.headers["server"]

        asset = httpx.get(f"{base}/assets/index-abc123.js")
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert httpx.get(f"{base}/assets/missing.js").status_code == 404

        config = httpx.get(f"{base}/config.js")
        assert config.headers["content-type"] == "application/javascript"
        assert config.headers["cache-control"] == "no-store"
        assert 'apiUrl: "http://localhost:8000"' in config.text
        assert 'clerkPublishableKey: "pk_test_runtime"' in config.text
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(site, ignore_errors=True)
