"""`make update`'s checks: a template it cannot update from, conflicts left, and .env gaps."""

import subprocess
from pathlib import Path

import pytest

from scripts.template_update import (
    UpdateBlockedError,
    check_source,
    conflicted_files,
    env_report,
    git_location,
    main,
    review,
)


def git(*arguments: str, cwd: Path) -> None:
    subprocess.run(  # noqa: S603 - fixed git commands
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *arguments],  # noqa: S607
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def repository(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    git("init", "--quiet", "--initial-branch=main", cwd=path)
    for name, text in files.items():
        (path / name).write_text(text)
    git("add", "--all", cwd=path)
    git("commit", "--quiet", "--allow-empty", "-m", "start", cwd=path)
    return path


def project_from(tmp_path: Path, source: str | Path) -> Path:
    return repository(tmp_path / "project", {".copier-answers.yml": f"_src_path: {source}\n"})


def test_a_local_source_this_machine_lacks_says_how_to_repoint_it(tmp_path: Path) -> None:
    project = project_from(tmp_path, "/home/someone/aygentic-starter-template")

    with pytest.raises(UpdateBlockedError, match="a folder this machine does not have") as blocked:
        check_source(project=project)

    assert "_src_path: <the template's git URL>" in str(blocked.value)


def test_a_template_without_release_tags_says_how_to_get_them(tmp_path: Path) -> None:
    template = repository(tmp_path / "template", {"copier.yml": "project_name: {type: str}\n"})
    git("tag", "not-a-release", cwd=template)
    project = project_from(tmp_path, template)

    with pytest.raises(UpdateBlockedError, match="has no release tags") as blocked:
        check_source(project=project)

    assert f"git -C {template} fetch --tags" in str(blocked.value)
    assert f"cd {template} && uv run python -m release tag" in str(blocked.value)


def test_a_tagged_template_is_a_source_and_an_unknown_release_is_named(tmp_path: Path) -> None:
    template = repository(tmp_path / "template", {"copier.yml": "project_name: {type: str}\n"})
    git("tag", "v1.0.0", cwd=template)
    git("tag", "v1.1.0", cwd=template)
    project = project_from(tmp_path, template)

    assert check_source(project=project) == str(template)
    assert check_source("v1.0.0", project=project) == str(template)
    with pytest.raises(UpdateBlockedError, match=r"no release v0\.9\.0; .*: v1\.0\.0, v1\.1\.0\."):
        check_source("v0.9.0", project=project)


def test_an_unreadable_source_shows_git_s_own_reason(tmp_path: Path) -> None:
    project = project_from(tmp_path, "file:///nowhere/template.git")

    with pytest.raises(UpdateBlockedError, match="cannot be read from file:///nowhere") as blocked:
        check_source(project=project)

    assert "/nowhere/template.git" in str(blocked.value).splitlines()[1]


def test_a_project_without_answers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UpdateBlockedError, match=r"\.copier-answers\.yml is missing"):
        check_source(project=tmp_path)
    (tmp_path / ".copier-answers.yml").write_text("_commit: v1.0.0\n")
    with pytest.raises(UpdateBlockedError, match="has no _src_path"):
        check_source(project=tmp_path)


@pytest.mark.parametrize(
    ("source", "location"),
    [
        ("gh:acme/template", "https://github.com/acme/template.git"),
        ("gh:/acme/template.git", "https://github.com/acme/template.git"),
        ("gl:acme/template", "https://gitlab.com/acme/template.git"),
        ("git+https://example.com/template.git", "https://example.com/template.git"),
        ("git@github.com:acme/template.git", "git@github.com:acme/template.git"),
        ("/nowhere/on/this/machine", None),
    ],
)
def test_sources_are_read_as_copier_reads_them(source: str, location: str | None) -> None:
    assert git_location(source) == location


def test_env_report_lists_missing_keys_and_changed_examples_without_judging_own_values() -> None:
    before = "A=1\nCORS_ORIGINS=\nOWN=x\n"
    after = "A=1\nCORS_ORIGINS=http://localhost:5173\nOWN=y\n# NOT_A_KEY=1\nNEW=2\n"
    env = "A=9\nCORS_ORIGINS=\nOWN=mine\n"

    report = env_report(env, before, after)

    assert report == [
        ".env lacks these settings of .env.example (add those you need):",
        "  NEW=2",
        ".env.example changed these examples in this update:",
        "  CORS_ORIGINS: the example is now 'http://localhost:5173' (it was ''); your .env has ''",
        "  OWN: the example is now 'y' (it was 'x'); your .env has 'mine'",
    ]
    assert env_report(after, before, after) == []


def test_review_reports_env_gaps_and_fails_on_each_kind_of_conflict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = repository(
        tmp_path / "project",
        {".env.example": "A=1\n", ".env": "A=1\n", "Makefile": "all:\n", "notes.md": "a\n"},
    )
    (project / ".env.example").write_text("A=1\nB=2\n")

    assert review(project) == 0
    assert "  B=2\n" in capsys.readouterr().out

    (project / "notes.md").write_text(
        "<<<<<<< before updating\na\n=======\nb\n>>>>>>> after updating\n"
    )
    (project / "Makefile.rej").write_text("@@ -1 +1 @@\n")
    assert conflicted_files(project) == ["Makefile.rej", "notes.md"]
    assert review(project) == 1
    error = capsys.readouterr().err
    assert "  Makefile.rej\n  notes.md\n" in error
    assert error.endswith("  make relock\n")


def test_main_runs_each_command_and_explains_its_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = repository(tmp_path / "template", {"copier.yml": "project_name: {type: str}\n"})
    git("tag", "v1.0.0", cwd=template)
    project = project_from(tmp_path, template)

    assert main(["check-source"], project) == 0
    assert main(["check-source", "v1.0.0"], project) == 0
    assert main(["check-source", "v2.0.0"], project) == 1
    assert "has no release v2.0.0" in capsys.readouterr().err
    assert main(["review"], project) == 0
    (project / "Makefile.rej").write_text("@@ -1 +1 @@\n")
    assert main(["conflicts"], project) == 1
    assert main(["check-source", "v1.0.0", "extra"], project) == 2
    assert "python -m scripts.template_update check-source" in capsys.readouterr().err
