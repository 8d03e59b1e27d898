"""The checks around `make update`, so that an update never ends in a traceback or a silent gap.

    python -m scripts.template_update check-source [vX.Y.Z]   can the template be updated from?
    python -m scripts.template_update review                  .env gaps, and conflicts left
    python -m scripts.template_update conflicts               conflicts left

Only the standard library is used: `make update` runs this with `uv run --no-project`, because
after a conflicting update `pyproject.toml` may hold conflict markers and cannot be parsed.
"""

import re
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ANSWERS_FILE = ".copier-answers.yml"
# Copier's own spellings of GitHub and GitLab sources (copier/_vcs.py).
SOURCE_ALIASES = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
REMOTE_PREFIXES = ("git@", "git://", "git+", "http://", "https://", "ssh://", "file://")
# Copier releases are PEP 440 versions, with or without a leading "v".
RELEASE_TAG = re.compile(r"^refs/tags/(v?\d+(?:\.\d+)*\S*)$")
# The labels of the conflict markers `copier update --conflict inline` writes.
CONFLICT_MARKER = r"^(<<<<<<< before updating|>>>>>>> after updating)$"
ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
# The template's own guide: a generated service has no docs/updating.md of its own.
DOCS = "the template's docs/updating.md"


class UpdateBlockedError(Exception):
    """Why an update cannot go ahead, and what to do about it."""


def git(*arguments: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed git commands
        ["git", *arguments],  # noqa: S607 - git from PATH, as a user runs it
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def recorded_source(project: Path = PROJECT_ROOT) -> str:
    """The template's location as Copier recorded it (`_src_path` in the answers file)."""
    answers = project / ANSWERS_FILE
    if not answers.is_file():
        raise UpdateBlockedError(f"{ANSWERS_FILE} is missing: was this made with Copier?")
    match = re.search(r"^_src_path:[ \t]*(.+?)\s*$", answers.read_text(), re.MULTILINE)
    if match is None:
        raise UpdateBlockedError(f"{ANSWERS_FILE} has no _src_path: where is the template?")
    return match[1].strip("'\"")


def git_location(source: str) -> str | None:
    """What git can read the template from: a URL, or an existing local folder; None otherwise."""
    for alias, base in SOURCE_ALIASES.items():
        if source.startswith(alias):
            path = source.removeprefix(alias).lstrip("/")
            return base + (path if path.endswith(".git") else f"{path}.git")
    if source.startswith(REMOTE_PREFIXES):
        return source.removeprefix("git+")
    folder = Path(source).expanduser()
    return str(folder) if folder.is_dir() else None


def release_tags(location: str) -> list[str]:
    listed = git("ls-remote", "--tags", "--refs", location)
    if listed.returncode != 0:
        raise UpdateBlockedError(
            f"The template's releases cannot be read from {location}:\n  {listed.stderr.strip()}\n"
            "Check the address and your access to it, then run make update again."
        )
    return [
        match[1]
        for line in listed.stdout.splitlines()
        if (match := RELEASE_TAG.match(line.split("\t")[-1]))
    ]


def check_source(version: str | None = None, project: Path = PROJECT_ROOT) -> str:
    """The template's git location, if it can be updated from (to `version`, when given)."""
    source = recorded_source(project)
    location = git_location(source)
    if location is None:
        raise UpdateBlockedError(
            f"This project updates from the template at {source} ({ANSWERS_FILE}, _src_path), "
            "a folder this machine does not have: it was generated from a local copy.\n"
            "Point it at the template's repository instead, so that anyone can update:\n"
            f"  set `_src_path: <the template's git URL>` in {ANSWERS_FILE}, commit, and run\n"
            f"  make update again ({DOCS}, 'Where updates come from')."
        )
    tags = release_tags(location)
    if not tags:
        where_they_come_from = (
            "If it is a clone of the template, give it its tags, then run make update again:\n"
            f"  git -C {location} fetch --tags     (from the repository it was cloned from), or\n"
            f"  cd {location} && uv run python -m release tag     (derived from its CHANGELOG.md)"
            if Path(location).is_dir()
            else f"Point _src_path in {ANSWERS_FILE} at a repository that publishes the "
            f"template's releases ({DOCS}, 'Where updates come from')."
        )
        raise UpdateBlockedError(
            f"The template at {source} has no release tags, so there is no release to update "
            f"to (Copier would take its newest commit, released or not).\n{where_they_come_from}"
        )
    if version is not None and version not in tags:
        raise UpdateBlockedError(
            f"The template at {source} has no release {version}; its releases are: "
            f"{', '.join(sorted(tags))}."
        )
    return location


def conflicted_files(project: Path = PROJECT_ROOT) -> list[str]:
    """Files the update left unmerged, with conflict markers, or with a rejected part."""
    unmerged = git("diff", "--name-only", "--diff-filter=U", cwd=project).stdout.split()
    marked = git("grep", "--untracked", "-l", "-E", CONFLICT_MARKER, cwd=project).stdout.split()
    rejected = git(
        "ls-files", "--others", "--exclude-standard", "--", "*.rej", cwd=project
    ).stdout.split()
    return sorted(set(unmerged + marked + rejected))


def env_values(text: str) -> dict[str, str]:
    return {
        match[1]: match[2]
        for line in text.splitlines()
        if not line.lstrip().startswith("#") and (match := ENV_LINE.match(line))
    }


def env_report(env: str, example_before: str, example_after: str) -> list[str]:
    """What .env lacks from .env.example after an update; .env itself is never changed."""
    values = env_values(env)
    before = env_values(example_before)
    after = env_values(example_after)
    missing = [f"  {key}={value}" for key, value in after.items() if key not in values]
    changed = [
        f"  {key}: the example is now {value!r} (it was {before[key]!r}); your .env has "
        f"{values[key]!r}"
        for key, value in after.items()
        if key in values and key in before and before[key] != value and values[key] != value
    ]
    report: list[str] = []
    if missing:
        report += [".env lacks these settings of .env.example (add those you need):", *missing]
    if changed:
        report += [".env.example changed these examples in this update:", *changed]
    return report


def review(project: Path = PROJECT_ROOT) -> int:
    """After `copier update`: report .env gaps, and stop before re-locking on a conflict."""
    env = project / ".env"
    example = project / ".env.example"
    if env.is_file() and example.is_file():
        before = git("show", "HEAD:.env.example", cwd=project).stdout
        report = env_report(env.read_text(), before, example.read_text())
        if report:
            print("\n".join([*report, "Your .env was not changed.", ""]))
    return report_conflicts(project)


def report_conflicts(project: Path = PROJECT_ROOT) -> int:
    """Non-zero, with the files and what to do, while any conflict of an update is unresolved."""
    conflicts = conflicted_files(project)
    if not conflicts:
        return 0
    print(
        "The update conflicts with your changes in these files (you and the template changed "
        "the same lines):",
        *(f"  {name}" for name in conflicts),
        "In each, keep what you need, delete the <<<<<<< ======= >>>>>>> lines, and `git add` it.",
        "The lock files were not updated. When every conflict is resolved, run:",
        "  make relock",
        sep="\n",
        file=sys.stderr,
    )
    return 1


def main(arguments: list[str], project: Path = PROJECT_ROOT) -> int:
    try:
        match arguments:
            case ["check-source"]:
                check_source(project=project)
                return 0
            case ["check-source", version]:
                check_source(version, project=project)
                return 0
            case ["review"]:
                return review(project)
            case ["conflicts"]:
                return report_conflicts(project)
            case _:
                print(__doc__, file=sys.stderr)
                return 2
    except UpdateBlockedError as blocked:
        print(blocked, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
