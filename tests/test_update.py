"""`copier update`: real releases of the template, in temporary repositories.

Most tests make their own tags: the working tree (uncommitted changes included) becomes a
release, a real template change on top of it becomes the next one, and a service rendered from
the first, edited as its owner would, is updated to the second. The history tests clone this
repository, derive its release tags from CHANGELOG.md with `python -m release tag`, and walk a
service from the first release to the working tree.
"""

import filecmp
import importlib.metadata
import re
import shutil
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from tests.support.commands import commit_all, failing, git, run, user_environment
from tests.support.releases import CONFIG_DOCSTRING, TemplateRepository, apply_template_change
from tests.support.rendering import TEMPLATE_ROOT, answers_of, copy

CONFLICT_MARKER = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.MULTILINE)
IGNORED_IN_COMPARISON = {".git", ".venv", "__pycache__", ".copier-answers.yml"}


def render(template: TemplateRepository, version: str, destination: Path, **answers: Any) -> Path:
    return copy(template.path, version, destination, **answers)


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


def assert_cleanly_merged(project: Path) -> None:
    """No unmerged path, no .rej file, no conflict marker: an edit cannot hide in a side file."""
    assert run("git", "ls-files", "--unmerged", cwd=project) == ""
    assert list(project.rglob("*.rej")) == []
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts and ".venv" not in path.parts:
            assert not CONFLICT_MARKER.search(path.read_text(errors="ignore")), path


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


def attempt(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command that must fail as a user would meet it: non-zero, with no traceback."""
    output = failing(*command, cwd=cwd, env=env)
    assert "Traceback" not in output, output
    return output


# --- Releases derived from CHANGELOG.md ----------------------------------------------------

RELEASE_HEADING = re.compile(r"^## (v\d+\.\d+\.\d+)(?: \(commit ([0-9a-f]+)\))?$", re.MULTILINE)


def tag_releases(template: Path) -> str:
    """`uv run python -m release tag`, run in that clone with this suite's Python."""
    return run(sys.executable, "-m", "release", "tag", cwd=template)


def version_key(tag: str) -> tuple[int, ...]:
    return tuple(int(part) for part in tag[1:].split("."))


def release_tags(template: Path) -> list[str]:
    """The template's release tags, oldest first, as Copier orders them."""
    return sorted(run("git", "tag", "--list", "v*", cwd=template).split(), key=version_key)


def tagged_commit(template: Path, tag: str) -> str:
    return run("git", "rev-parse", f"{tag}^{{commit}}", cwd=template).strip()


def changelog_at(template: Path, commit: str) -> str:
    """CHANGELOG.md at a commit; empty before the changelog existed."""
    shown = subprocess.run(  # noqa: S603 - a fixed git command
        ["git", "show", f"{commit}:CHANGELOG.md"],  # noqa: S607
        cwd=template,
        capture_output=True,
        text=True,
        check=False,
    )
    return shown.stdout if shown.returncode == 0 else ""


@pytest.fixture
def history(tmp_path: Path) -> TemplateRepository:
    """A clone of this repository without its tags, as mirrors and some checkouts are."""
    if run("git", "rev-parse", "--is-shallow-repository", cwd=TEMPLATE_ROOT).strip() == "true":
        pytest.fail("this clone of the template is shallow: run `git fetch --unshallow`")
    template = TemplateRepository(tmp_path / "template")
    run(
        "git", "clone", "--quiet", "--no-tags", str(TEMPLATE_ROOT), str(template.path), cwd=tmp_path
    )
    assert run("git", "tag", cwd=template.path) == ""
    return template


def test_every_changelog_release_is_tagged_where_its_heading_came_in(
    history: TemplateRepository,
) -> None:
    headings = RELEASE_HEADING.findall(changelog_at(history.path, "HEAD"))
    assert {"v0.1.0", "v0.2.0", "v0.3.0"} <= {version for version, _ in headings}

    output = tag_releases(history.path)

    assert release_tags(history.path) == sorted(
        (version for version, _ in headings), key=version_key
    )
    for version, named_commit in headings:
        commit = tagged_commit(history.path, version)
        assert f"{version}: created at {commit[:7]}" in output
        assert run("git", "cat-file", "-t", version, cwd=history.path).strip() == "tag"
        if named_commit:
            assert commit.startswith(named_commit)
            continue
        # The commit that introduced the heading: it has it, and its parent does not.
        assert f"## {version}" in changelog_at(history.path, commit)
        assert f"## {version}" not in changelog_at(history.path, f"{commit}^")
    # v0.1.0 is the commit before the changelog was written, which still asked acme_email.
    first = tagged_commit(history.path, "v0.1.0")
    assert "\nacme_email:" in run("git", "show", f"{first}:copier.yml", cwd=history.path)

    again = tag_releases(history.path)
    assert "Nothing to create" in again
    assert "created" not in again


def test_the_tag_command_never_moves_a_tag(history: TemplateRepository) -> None:
    tag_releases(history.path)
    git("tag", "-d", "v0.1.0", "v0.2.0", cwd=history.path)
    git("tag", "-a", "v0.2.0", "-m", "v0.2.0", "HEAD", cwd=history.path)
    head = tagged_commit(history.path, "HEAD")

    output = attempt(sys.executable, "-m", "release", "tag", cwd=history.path)

    assert f"v0.2.0: the tag is at {head[:7]}" in output
    assert "Nothing was created" in output
    assert tagged_commit(history.path, "v0.2.0") == head
    assert "v0.1.0" not in run("git", "tag", cwd=history.path).split()


def changelog_repository(path: Path, *changelogs: str) -> Path:
    """A repository with one commit per changelog text, and this suite's release command."""
    path.mkdir()
    git("init", "--quiet", "--initial-branch=main", cwd=path)
    shutil.copytree(TEMPLATE_ROOT / "release", path / "release")
    for number, changelog in enumerate(changelogs):
        (path / "CHANGELOG.md").write_text(changelog)
        git("add", "--all", cwd=path)
        git("commit", "--quiet", "-m", f"commit {number}", cwd=path)
    return path


@pytest.mark.parametrize(
    ("changelogs", "message"),
    [
        pytest.param(
            ["## v1.0\n"], "'## v1.0' is not a release: write '## vX.Y.Z'", id="not-a-version"
        ),
        pytest.param(["## v1.0.0\n\n## v1.0.0\n"], "has a release heading twice", id="twice"),
        pytest.param(
            ["## v1.0.0\n", "## v1.0.0\n\n## v1.1.0\n"],
            "must list releases newest first: v1.0.0, v1.1.0",
            id="oldest-first",
        ),
        pytest.param(
            ["## v1.0.0 (commit 1234567)\n"],
            "v1.0.0: CHANGELOG.md names commit 1234567, which is not in the history of HEAD",
            id="unknown-commit",
        ),
    ],
)
def test_the_tag_command_refuses_a_changelog_it_cannot_follow(
    tmp_path: Path, changelogs: list[str], message: str
) -> None:
    repository = changelog_repository(tmp_path / "repository", *changelogs)

    output = attempt(sys.executable, "-m", "release", "tag", cwd=repository)

    assert message in output
    assert run("git", "tag", cwd=repository) == ""


def test_the_tag_command_refuses_a_shallow_clone(tmp_path: Path) -> None:
    origin = changelog_repository(tmp_path / "origin", "## v1.0.0\n", "## v1.1.0\n\n## v1.0.0\n")
    run("git", "clone", "--quiet", "--depth=1", f"file://{origin}", "shallow", cwd=tmp_path)

    output = attempt(sys.executable, "-m", "release", "tag", cwd=tmp_path / "shallow")

    assert "this clone is shallow" in output
    assert "git fetch --unshallow" in output


def test_release_notes_are_the_section_of_the_changelog(tmp_path: Path) -> None:
    changelog = "# Changelog\n\n## Unreleased\n\n## v1.1.0\n\n- Two.\n\n## v1.0.0\n\n- One.\n"
    repository = changelog_repository(tmp_path / "repository", changelog)

    assert run(sys.executable, "-m", "release", "notes", "v1.1.0", cwd=repository) == "- Two.\n"
    assert "has no release v2.0.0" in attempt(
        sys.executable, "-m", "release", "notes", "v2.0.0", cwd=repository
    )


def questions_at(template: Path, reference: str) -> tuple[set[str], set[str]]:
    """The answers copier.yml asks at a commit, and the versions its migrations are for."""
    config = yaml.safe_load(run("git", "show", f"{reference}:copier.yml", cwd=template))
    questions = {name for name in config if not name.startswith("_")}
    return questions, {str(migration["version"]) for migration in config.get("_migrations", [])}


def answers_dropped_without_migration(
    older: tuple[set[str], set[str]], newer: tuple[set[str], set[str]], newer_version: str
) -> set[str]:
    """Answers a user had that the newer release no longer asks, with no migration to carry them."""
    dropped = older[0] - newer[0]
    return set() if not dropped or newer_version in newer[1] else dropped


def test_no_answer_disappears_between_releases_without_a_migration(
    history: TemplateRepository,
) -> None:
    tag_releases(history.path)
    history.replace_with_working_tree()
    releases = [*release_tags(history.path), "HEAD"]
    questions = {release: questions_at(history.path, release) for release in releases}
    next_version = next_release_after(releases[-2])

    for older, newer in pairwise(releases):
        version = newer if newer != "HEAD" else next_version
        assert (
            answers_dropped_without_migration(questions[older], questions[newer], version) == set()
        ), f"{newer} no longer asks an answer of {older}: add a _migrations entry for {version}"
    # The check itself: acme_email went at v0.2.0, whose migration carries it.
    assert "acme_email" in questions["v0.1.0"][0] - questions["v0.2.0"][0]
    without_migration = (questions["v0.2.0"][0], set())
    assert answers_dropped_without_migration(questions["v0.1.0"], without_migration, "v0.2.0") == {
        "acme_email"
    }


def next_release_after(version: str) -> str:
    major, minor, _ = version_key(version)
    return f"v{major}.{minor + 1}.0"


def test_a_service_from_the_first_release_updates_to_the_working_tree(
    history: TemplateRepository, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The path every user takes: release by release, then `make update`, then `make check`."""
    tag_releases(history.path)
    releases = release_tags(history.path)
    history.replace_with_working_tree()
    newest = next_release_after(releases[-1])
    history.release(newest)

    project = generated(
        history,
        releases[0],
        tmp_path / "service",
        include_gateway=True,
        domain="shop.example.org",
        acme_email="ops@example.org",
    )
    edit_as_a_user(project)
    commit_everything(project, "feat: our own work")
    capfd.readouterr()

    for release in releases[1:]:
        update(project, release)
        assert_cleanly_merged(project)
        user_edits_are_present(project)
        assert answers_of(project)["_commit"] == release
        commit_everything(project, f"chore: update to {release}")
    make_update_output = run("make", "update", cwd=project)

    printed = capfd.readouterr().out + make_update_output
    assert printed.count("the answer acme_email is now letsencrypt_email") == 1
    assert_cleanly_merged(project)
    user_edits_are_present(project)
    answers = answers_of(project)
    assert answers["_commit"] == newest
    assert answers["letsencrypt_email"] == "ops@example.org"
    assert "acme_email" not in answers
    assert "acme.email=ops@example.org" in (project / "compose.gateway.yml").read_text()
    assert 'name = "python-dateutil"' in (project / "backend/uv.lock").read_text()
    run("make", "setup", cwd=project)
    output = run("make", "check", cwd=project, env=user_environment(UV_OFFLINE="1"))
    assert "Required test coverage of 90" in output


# --- make update: conflicts, .env, and sources it cannot update from ------------------------

DEV_DEPENDENCIES_END = '    "ruff>=0.17.6",\n]'


def test_make_update_stops_on_a_conflict_and_relock_finishes_after_it(tmp_path: Path) -> None:
    template = TemplateRepository.from_working_tree(tmp_path / "template")
    template.release("v1.0.0")
    pyproject = "template/backend/pyproject.toml.jinja"
    assert DEV_DEPENDENCIES_END in (template.path / pyproject).read_text()
    template.edit(
        pyproject,
        lambda text: text.replace(
            DEV_DEPENDENCIES_END, '    "ruff>=0.17.6",\n    "pytest-randomly>=3.16",\n]'
        ),
    )
    template.commit("build: the template adds a dev dependency")
    template.release("v1.1.0")
    project = generated(template, "v1.0.0", tmp_path / "service")
    # The owner adds one at the same place, the end of the dev group.
    run("uv", "add", "--quiet", "--dev", "--no-sync", "pytest-timeout>=2", cwd=project / "backend")
    commit_everything(project, "build: pytest-timeout")

    output = attempt("make", "update", cwd=project)

    assert "  backend/pyproject.toml\n" in output
    assert "make relock" in output
    assert "TOML parse error" not in output
    assert "UU backend/pyproject.toml" in run("git", "status", "--porcelain", cwd=project)
    lock = (project / "backend/uv.lock").read_text()
    assert 'name = "pytest-randomly"' not in lock

    # Still unresolved: relock says so instead of failing in uv.
    assert "backend/pyproject.toml" in attempt("make", "relock", cwd=project)

    # Resolved by keeping both lines.
    conflicted = project / "backend/pyproject.toml"
    conflicted.write_text(
        re.sub(r"^(<<<<<<<|=======|>>>>>>>).*\n", "", conflicted.read_text(), flags=re.M)
    )
    git("add", "backend/pyproject.toml", cwd=project)
    run("make", "relock", cwd=project)
    lock = (project / "backend/uv.lock").read_text()
    assert 'name = "pytest-randomly"' in lock
    assert 'name = "pytest-timeout"' in lock


def test_make_update_lists_what_env_lacks_after_turning_the_frontend_on(
    releases: TemplateRepository, tmp_path: Path
) -> None:
    project = generated(releases, "v1.0.0", tmp_path / "service")
    env_before = (project / ".env").read_bytes()

    output = run("make", "update", "DATA=include_frontend=true", cwd=project)

    assert (project / "frontend/package.json").is_file()
    assert (project / ".env").read_bytes() == env_before
    assert ".env lacks these settings of .env.example" in output
    assert "\n  FRONTEND_IMAGE=ghcr.io/" in output
    assert (
        "\n  CORS_ORIGINS: the example is now 'http://localhost:5173' (it was ''); "
        "your .env has ''\n"
    ) in output
    assert "Your .env was not changed." in output


def test_make_update_explains_a_template_without_release_tags(tmp_path: Path) -> None:
    template = TemplateRepository.from_working_tree(tmp_path / "template")
    project = generated(template, "HEAD", tmp_path / "service")

    output = attempt("make", "update", cwd=project)

    assert f"The template at {template.path} has no release tags" in output
    assert f"cd {template.path} && uv run python -m release tag" in output
    assert run("git", "status", "--porcelain", cwd=project) == ""


def test_make_update_explains_a_release_that_does_not_exist(
    releases: TemplateRepository, tmp_path: Path
) -> None:
    project = generated(releases, "v1.0.0", tmp_path / "service")

    output = attempt("make", "update", "VERSION=v0.2.0", cwd=project)

    assert "has no release v0.2.0; its releases are: v1.0.0, v1.1.0." in output


def run_weekly_check(project: Path, summary: Path) -> str:
    """The weekly workflow's check step, run by bash as GitHub runs it, in the project."""
    workflow = yaml.safe_load((project / ".github/workflows/template-update.yml").read_text())
    (step,) = [
        step
        for step in workflow["jobs"]["check"]["steps"]
        if step.get("name") == "Compare with the template's releases"
    ]
    env = user_environment(GITHUB_STEP_SUMMARY=str(summary))
    return run("bash", "-eo", "pipefail", "-c", step["run"], cwd=project, env=env)


def test_a_source_this_machine_lacks_is_explained_by_make_update_and_the_weekly_check(
    releases: TemplateRepository, tmp_path: Path
) -> None:
    """A service generated from a local clone ("$PWD"), checked out elsewhere: CI, a teammate."""
    project = generated(releases, "v1.0.0", tmp_path / "service")
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(str(releases.path), "/home/someone/template"))
    commit_everything(project, "chore: as recorded on another machine")

    output = attempt("make", "update", cwd=project)
    assert "/home/someone/template" in output
    assert "a folder this machine does not have" in output
    assert "_src_path: <the template's git URL>" in output

    summary = tmp_path / "summary.md"
    weekly = run_weekly_check(project, summary)
    assert "::warning title=Template updates cannot be checked::" in weekly
    assert "a folder this machine does not have" in summary.read_text()

    # Repointed at the template's repository, as docs/updating.md shows, it updates again.
    answers.write_text(answers.read_text().replace("/home/someone/template", str(releases.path)))
    commit_everything(project, "chore: update from the template's repository")
    run("make", "update", cwd=project)
    assert answers_of(project)["_commit"] == "v1.1.0"


def test_the_weekly_check_warns_about_a_newer_release(
    releases: TemplateRepository, tmp_path: Path
) -> None:
    project = generated(releases, "v1.0.0", tmp_path / "service")
    summary = tmp_path / "summary.md"

    weekly = run_weekly_check(project, summary)

    assert "::warning::A newer template release is available" in weekly
    assert '"latest_version": "1.1.0"' in summary.read_text()


def test_the_copier_floor_is_the_copier_the_tests_run() -> None:
    """`_min_copier_version` promises what was tested, and every pinned command runs that one."""
    tested = importlib.metadata.version("copier")
    config = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    assert config["_min_copier_version"] == tested
    pinned_in = [
        "README.md",
        "docs/updating.md",
        "template/Makefile.jinja",
        "template/.github/workflows/template-update.yml",
    ]
    for relative in pinned_in:
        pins = re.findall(r"copier@([\d.]+)", (TEMPLATE_ROOT / relative).read_text())
        assert pins, relative
        assert set(pins) == {tested}, relative
