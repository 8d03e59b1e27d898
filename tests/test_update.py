"""`copier update`: real releases of the template, made here in a temporary repository.

Each test makes its own tags: the working tree (uncommitted changes included) becomes a
release, a real template change on top of it becomes the next one, and a service rendered from
the first, edited as its owner would, is updated to the second.
"""

import filecmp
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from tests.conftest import commit_all, run, user_environment
from tests.rendering import TEMPLATE_ROOT

CONFLICT_MARKER = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.MULTILINE)
IGNORED_IN_COMPARISON = {".git", ".venv", "__pycache__", ".copier-answers.yml"}


def git(*arguments: str, cwd: Path) -> str:
    return run(
        "git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *arguments, cwd=cwd
    )


class TemplateRepository:
    """A private copy of the template whose history and tags the test controls."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def from_working_tree(cls, path: Path) -> "TemplateRepository":
        path.mkdir(parents=True)
        git("init", "--quiet", "--initial-branch=main", cwd=path)
        repository = cls(path)
        repository.replace_with_working_tree()
        return repository

    def replace_with_working_tree(self) -> None:
        """Make the next commit the template as it is on disk, uncommitted changes included."""
        git("rm", "-r", "--quiet", "--ignore-unmatch", ".", cwd=self.path)
        listed = run(
            "git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=TEMPLATE_ROOT
        )
        for relative in filter(None, listed.split("\0")):
            source = TEMPLATE_ROOT / relative
            if source.is_file():
                (self.path / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, self.path / relative)
        self.commit("the template's working tree")

    def commit(self, message: str) -> None:
        git("add", "--all", cwd=self.path)
        git("commit", "--quiet", "--allow-empty", "-m", message, cwd=self.path)

    def release(self, version: str) -> None:
        git("tag", "-a", version, "-m", version, cwd=self.path)

    def edit(self, relative: str, change: Callable[[str], str]) -> None:
        target = self.path / relative
        target.write_text(change(target.read_text()))


def render(template: TemplateRepository, version: str, destination: Path, **answers: Any) -> Path:
    copier.run_copy(
        str(template.path),
        destination,
        data=answers,
        defaults=True,
        unsafe=True,
        vcs_ref=version,
        quiet=True,
    )
    return destination


def update(project: Path, version: str, **answers: Any) -> None:
    copier.run_update(
        project,
        data=answers,
        defaults=True,
        overwrite=True,
        unsafe=True,
        vcs_ref=version,
        conflict="inline",
        quiet=True,
    )


def generated(
    template: TemplateRepository, version: str, destination: Path, **answers: Any
) -> Path:
    """A service rendered from a release and committed, as its owner starts out."""
    project = render(template, version, destination, **answers)
    commit_all(project)
    return project


def commit_everything(project: Path, message: str) -> None:
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", message, cwd=project)


def answers_of(project: Path) -> dict[str, Any]:
    recorded: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return recorded


def assert_cleanly_merged(project: Path) -> None:
    """No unmerged path, no .rej file, no conflict marker: an edit cannot hide in a side file."""
    assert run("git", "ls-files", "--unmerged", cwd=project) == ""
    assert list(project.rglob("*.rej")) == []
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts and ".venv" not in path.parts:
            assert not CONFLICT_MARKER.search(path.read_text(errors="ignore")), path


CONFIG_DOCSTRING = (
    '"""Service configuration: one frozen settings object, read once from the environment."""'
)
# What the template's next release changes: other parts of files the user also edits, and a file.
TEMPLATE_CHANGES = {
    "template/backend/app/core/config.py.jinja": lambda text: text.replace(
        CONFIG_DOCSTRING,
        CONFIG_DOCSTRING[:-3]
        + "\n\nRelease notes: settings are documented in docs/configuration.md.\n"
        + '"""',
    ),
    "template/README.md.jinja": lambda text: text.replace(
        "## Make targets", "## Make targets\n\nThe template's new release added this sentence.", 1
    ),
}
NEW_TEMPLATE_FILE = ("template/docs/operations-checklist.md", "# Operations checklist\n")


def apply_template_change(template: TemplateRepository) -> None:
    for relative, change in TEMPLATE_CHANGES.items():
        before = (template.path / relative).read_text()
        template.edit(relative, change)
        assert (template.path / relative).read_text() != before, f"{relative} did not change"
    (template.path / NEW_TEMPLATE_FILE[0]).write_text(NEW_TEMPLATE_FILE[1])
    template.commit("feat: a release with changes to files users edit too")


# What the owner of a generated service changes, away from the lines the template touches.
USER_MODULE = "backend/app/services/billing.py"


def edit_as_a_user(project: Path) -> None:
    config = project / "backend/app/core/config.py"
    config.write_text(
        config.read_text().replace(
            "    log_level:",
            "    # Billing runs nightly; see app/services/billing.py.\n    log_level:",
        )
    )
    (project / USER_MODULE).write_text('"""Billing: our own code."""\n\nRATE = 3\n')
    pyproject = project / "backend/pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "dependencies = [\n", 'dependencies = [\n    "python-dateutil>=2.9",\n', 1
        )
    )
    env = project / ".env"
    env.write_text(env.read_text() + "LOG_LEVEL=DEBUG\n")
    readme = project / "README.md"
    readme.write_text(
        readme.read_text().replace("## Quick start", "## Quick start (read me first)")
    )


def user_edits_are_present(project: Path) -> None:
    assert "# Billing runs nightly" in (project / "backend/app/core/config.py").read_text()
    assert (project / USER_MODULE).read_text().endswith("RATE = 3\n")
    assert '"python-dateutil>=2.9"' in (project / "backend/pyproject.toml").read_text()
    assert "## Quick start (read me first)" in (project / "README.md").read_text()


@pytest.fixture
def releases(tmp_path: Path) -> TemplateRepository:
    """v1.0.0 is the working tree; v1.1.0 adds a real template change on top."""
    template = TemplateRepository.from_working_tree(tmp_path / "template")
    template.release("v1.0.0")
    apply_template_change(template)
    template.release("v1.1.0")
    return template


def test_an_update_keeps_every_user_edit_and_brings_the_release(
    releases: TemplateRepository, tmp_path: Path
) -> None:
    project = generated(releases, "v1.0.0", tmp_path / "service")
    edit_as_a_user(project)
    commit_everything(project, "feat: our own work")
    env_before = (project / ".env").read_bytes()
    answers_before = answers_of(project)

    update(project, "v1.1.0")

    assert_cleanly_merged(project)
    user_edits_are_present(project)
    config = (project / "backend/app/core/config.py").read_text()
    assert "Release notes: settings are documented" in config
    assert "The template's new release added this sentence." in (project / "README.md").read_text()
    assert (project / "docs/operations-checklist.md").is_file()
    assert (project / ".env").read_bytes() == env_before
    answers_after = answers_of(project)
    assert answers_after["_commit"] == "v1.1.0" != answers_before["_commit"]
    assert {k: v for k, v in answers_after.items() if k != "_commit"} == {
        k: v for k, v in answers_before.items() if k != "_commit"
    }


def test_the_update_equals_a_fresh_render_with_the_same_edits(
    releases: TemplateRepository, tmp_path: Path
) -> None:
    updated = generated(releases, "v1.0.0", tmp_path / "updated")
    edit_as_a_user(updated)
    commit_everything(updated, "feat: our own work")
    update(updated, "v1.1.0")

    fresh = render(releases, "v1.1.0", tmp_path / "fresh")
    edit_as_a_user(fresh)

    comparison = filecmp.dircmp(updated, fresh, ignore=list(IGNORED_IN_COMPARISON))
    assert differences(comparison) == []


def differences(comparison: filecmp.dircmp[str]) -> list[str]:
    found = [
        *(f"only in the update: {name}" for name in comparison.left_only),
        *(f"only in the fresh render: {name}" for name in comparison.right_only),
        *(f"differs: {name}" for name in comparison.diff_files),
    ]
    for name, sub in comparison.subdirs.items():
        found += [f"{name}/{entry}" for entry in differences(sub)]
    return found


def test_a_real_conflict_is_marked_and_reported_by_git(
    releases: TemplateRepository, tmp_path: Path
) -> None:
    project = generated(releases, "v1.0.0", tmp_path / "service")
    config = project / "backend/app/core/config.py"
    config.write_text(
        config.read_text().replace(
            CONFIG_DOCSTRING, '"""Our settings, as we like to describe them."""'
        )
    )
    git("commit", "--quiet", "--all", "-m", "docs: our wording", cwd=project)

    update(project, "v1.1.0")

    text = config.read_text()
    assert "<<<<<<< " in text and ">>>>>>> " in text
    assert "Our settings, as we like to describe them." in text
    assert "Release notes: settings are documented" in text
    status = run("git", "status", "--porcelain", cwd=project)
    assert "UU backend/app/core/config.py" in status.splitlines()


def test_turning_the_gateway_on_adds_its_files_and_off_removes_them(
    releases: TemplateRepository, tmp_path: Path
) -> None:
    project = generated(releases, "v1.0.0", tmp_path / "service")

    update(project, "v1.0.0", include_gateway=True, domain="shop.example.org")
    assert_cleanly_merged(project)
    gateway = project / "compose.gateway.yml"
    assert "Host(`api.shop.example.org`)" in gateway.read_text()
    assert (project / "docs/gateway.md").is_file()
    git("add", "--all", cwd=project)
    gateway.write_text(gateway.read_text() + "# our tuning\n")
    git("commit", "--quiet", "--all", "-m", "chore: gateway on, tuned", cwd=project)

    # Off again: the files go, even the edited one (docs/updating.md warns about this).
    update(project, "v1.0.0", include_gateway=False)
    assert not gateway.exists()
    assert not (project / "docs/gateway.md").exists()
    assert "domain" not in answers_of(project)


def test_tasks_run_on_copy_only() -> None:
    """A task without this guard would run again, three times, in every update."""
    config = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    assert config["_tasks"]
    for task in config["_tasks"]:
        assert task["when"] == "{{ _copier_operation == 'copy' }}", task


def historical_commit_with(text: str) -> str:
    """The newest commit of this repository whose copier.yml still contains the text."""
    for commit in run("git", "log", "--format=%H", "--", "copier.yml", cwd=TEMPLATE_ROOT).split():
        shown = run("git", "show", f"{commit}:copier.yml", cwd=TEMPLATE_ROOT)
        if text in shown:
            return commit
    pytest.fail(
        f"no commit has {text!r} in copier.yml: is this a shallow clone? (git fetch --unshallow)"
    )


def test_the_answer_migration_runs_once_at_its_version(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    template = TemplateRepository(tmp_path / "template")
    run("git", "clone", "--quiet", str(TEMPLATE_ROOT), str(template.path), cwd=tmp_path)
    git(
        "checkout",
        "--quiet",
        "-B",
        "main",
        historical_commit_with("\nacme_email:"),
        cwd=template.path,
    )
    tags = run("git", "tag", cwd=template.path).split()
    if tags:
        git("tag", "-d", *tags, cwd=template.path)
    template.release("v0.1.0")
    template.replace_with_working_tree()
    template.release("v0.2.0")
    apply_template_change(template)
    template.release("v0.3.0")

    project = generated(
        template,
        "v0.1.0",
        tmp_path / "service",
        include_gateway=True,
        domain="shop.example.org",
        acme_email="ops@example.org",
    )
    capfd.readouterr()

    update(project, "v0.2.0")
    assert capfd.readouterr().out.count("the answer acme_email is now letsencrypt_email") == 1
    answers = answers_of(project)
    assert answers["letsencrypt_email"] == "ops@example.org"
    assert "acme_email" not in answers
    assert "acme.email=ops@example.org" in (project / "compose.gateway.yml").read_text()
    commit_everything(project, "chore: update to v0.2.0")

    update(project, "v0.3.0")
    assert "acme_email is now" not in capfd.readouterr().out
    assert answers_of(project)["letsencrypt_email"] == "ops@example.org"


def test_make_update_then_make_check_pass_after_user_edits(
    releases: TemplateRepository, tmp_path: Path
) -> None:
    """The e2e path a team takes: commit, `make update`, review, `make check`."""
    project = generated(releases, "v1.0.0", tmp_path / "service")
    edit_as_a_user(project)
    commit_everything(project, "feat: our own work")

    run("make", "update", cwd=project)

    assert_cleanly_merged(project)
    user_edits_are_present(project)
    assert answers_of(project)["_commit"] == "v1.1.0"
    assert 'name = "python-dateutil"' in (project / "backend/uv.lock").read_text()
    run("make", "setup", cwd=project)
    output = run("make", "check", cwd=project, env=user_environment(UV_OFFLINE="1"))
    assert "Required test coverage of 90" in output
