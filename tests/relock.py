"""Regenerate the backend's lock file template: `uv run python -m tests.relock [--upgrade]`.

The rendered pyproject.toml differs between answers only in the project name and
`requires-python`, so one lock serves every answer: it is resolved once for the lowest
supported Python, those two values are turned back into Jinja, and the result is checked
with `uv lock --check` in a render for each supported Python.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.rendering import TEMPLATE_ROOT, render

LOCK_TEMPLATE = TEMPLATE_ROOT / "template" / "backend" / "uv.lock.jinja"
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
    print(f"relock: wrote {LOCK_TEMPLATE.relative_to(TEMPLATE_ROOT)}")


if __name__ == "__main__":
    main()
