"""The template itself: `copier copy` and `copier update` of it, against a one-file template."""

import subprocess
from collections.abc import Callable
from pathlib import Path

import copier

from bench.figures import Figure, alternate, timed
from tests.support.commands import commit_all
from tests.support.releases import TemplateRepository, apply_template_change
from tests.support.rendering import copy as copy_template

# The answers of every benchmark: the most files a service can have.
FULL_OPTIONS = {"deploy_platform": "fly", "include_gateway": True, "domain": "example.org"}


def minimal_template(root: Path) -> TemplateRepository:
    """The baseline template: one question, one file."""
    root.mkdir(parents=True)
    (root / "copier.yml").write_text("name:\n  type: str\n  default: x\n")
    (root / "README.md.jinja").write_text("# {{ name }}\n")
    (root / "{{_copier_conf.answers_file}}.jinja").write_text("{{ _copier_answers|to_nice_yaml }}")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    repository = TemplateRepository(root)
    repository.commit("minimal")
    return repository


def measure(work: Path, runs: int) -> list[Figure]:
    counter = iter(range(1000))
    ours = TemplateRepository.from_working_tree(work / "ours")
    ours.release("v1.0.0")
    apply_template_change(ours)
    ours.release("v1.1.0")
    minimal = minimal_template(work / "minimal")
    minimal.release("v1.0.0")
    (minimal.path / "NOTES.md").write_text("notes\n")
    minimal.commit("a change")
    minimal.release("v1.1.0")

    def copy(template: TemplateRepository, answers: dict[str, object]) -> Callable[[], float]:
        def run() -> float:
            destination = work / f"copy-{next(counter)}"
            return timed(lambda: copy_template(template.path, "v1.0.0", destination, **answers))

        return run

    def update(template: TemplateRepository, answers: dict[str, object]) -> Callable[[], float]:
        def run() -> float:
            destination = copy_template(
                template.path, "v1.0.0", work / f"update-{next(counter)}", **answers
            )
            commit_all(destination)
            return timed(
                lambda: copier.run_update(
                    destination,
                    defaults=True,
                    overwrite=True,
                    unsafe=True,
                    vcs_ref="v1.1.0",
                    quiet=True,
                )
            )

        return run

    copy_ours, copy_minimal = alternate(runs, copy(ours, FULL_OPTIONS), copy(minimal, {}))
    update_ours, update_minimal = alternate(runs, update(ours, FULL_OPTIONS), update(minimal, {}))
    return [
        Figure(
            "copier copy, full options (s)",
            f"{copy_ours:.2f}",
            f"{copy_minimal:.2f} (one-file template)",
            f"{copy_ours / copy_minimal:.1f}x",
        ),
        Figure(
            "copier update across one release (s)",
            f"{update_ours:.2f}",
            f"{update_minimal:.2f} (one-file template)",
            f"{update_ours / update_minimal:.1f}x",
        ),
    ]
