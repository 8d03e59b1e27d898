"""Regenerate the lock files: `uv run python -m tests.relock [--upgrade]`.

Backend: the rendered pyproject.toml differs between answers only in the project name and
`requires-python`, so one lock serves every answer: it is resolved once for the lowest
supported Python, those two values are turned back into Jinja, and the result is checked
with `uv lock --check` in a render for each supported Python.

Frontend: package.json pins exact versions (change a pin there, then relock). bun resolves
it in a render, the lock is copied back, and it must name a build of every native package for
every platform: a registry mirror can lack some, and a lock made from it fails elsewhere.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.rendering import TEMPLATE_ROOT, render

LOCK_TEMPLATE = TEMPLATE_ROOT / "template" / "backend" / "uv.lock.jinja"
BUN_LOCK = TEMPLATE_ROOT / "template" / "{% if include_frontend %}frontend{% endif %}" / "bun.lock"
PYTHON_VERSIONS = ("3.12", "3.13")
PROBE_SLUG = "relock-probe"


def uv(*args: str, cwd: Path) -> None:
    subprocess.run(["uv", *args], cwd=cwd, check=True)  # noqa: S603, S607


def templated(lock: str) -> str:
    project_line = f'name = "{PROBE_SLUG}"'
    python_line = f'requires-python = ">={PYTHON_VERSIONS[0]}"'
    if lock.count(project_line) != 1 or python_line not in lock:
        sys.exit("relock: the lock does not have the expected project entry")
    if any(marker in lock for marker in ("{{", "{%", "{#")):
        sys.exit("relock: the lock contains Jinja syntax and cannot be templated safely")
    return lock.replace(project_line, 'name = "{{ project_slug }}"').replace(
        python_line, 'requires-python = ">={{ python_version }}"'
    )


def missing_platform_builds(bun_lock: str) -> list[str]:
    """Optional (per-platform) dependencies that bun.lock names but holds no entry for."""
    # bun.lock is JSON with trailing commas.
    packages = json.loads(re.sub(r",(\s*[}\]])", r"\1", bun_lock))["packages"]
    missing = []
    for name, entry in packages.items():
        metadata = next((part for part in entry if isinstance(part, dict)), {})
        for dependency in metadata.get("optionalDependencies", {}):
            if dependency not in packages and f"{name}/{dependency}" not in packages:
                missing.append(f"{name} -> {dependency}")
    return missing


def relock_frontend(workdir: Path) -> None:
    """package.json pins exact versions: change a pin there, then relock."""
    frontend = render(workdir / "frontend-lock", include_frontend=True) / "frontend"
    subprocess.run(["bun", "install"], cwd=frontend, check=True)  # noqa: S607
    lock = (frontend / "bun.lock").read_text()
    if missing := missing_platform_builds(lock):
        sys.exit(
            "relock: bun.lock lacks platform builds; pin older versions:\n" + "\n".join(missing)
        )
    BUN_LOCK.write_text(lock)
    check = render(workdir / "frontend-check", include_frontend=True) / "frontend"
    subprocess.run(["bun", "install", "--frozen-lockfile"], cwd=check, check=True)  # noqa: S607


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="move every pin to its newest")
    upgrade = parser.parse_args().upgrade
    with tempfile.TemporaryDirectory() as workdir:
        backend = (
            render(
                Path(workdir) / "lock", project_slug=PROBE_SLUG, python_version=PYTHON_VERSIONS[0]
            )
            / "backend"
        )
        uv("lock", *(["--upgrade"] if upgrade else []), cwd=backend)
        LOCK_TEMPLATE.write_text(templated((backend / "uv.lock").read_text()))
        for index, python_version in enumerate(PYTHON_VERSIONS):
            check = render(
                Path(workdir) / f"check-{index}",
                project_slug=f"lock-check-{index}",
                python_version=python_version,
            )
            uv("lock", "--check", cwd=check / "backend")
        relock_frontend(Path(workdir))
    for written in (LOCK_TEMPLATE, BUN_LOCK):
        print(f"relock: wrote {written.relative_to(TEMPLATE_ROOT)}")


if __name__ == "__main__":
    main()
