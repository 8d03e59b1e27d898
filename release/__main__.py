"""Release tags derived from CHANGELOG.md, so that every clone of the template can have them.

    uv run python -m release tag             create the missing release tags (idempotent)
    uv run python -m release notes v0.3.0    print a release's section of the changelog

Every `## vX.Y.Z` heading of CHANGELOG.md, as committed at HEAD, is a release. Its tag goes on
the commit that introduced the heading, or on the commit the heading names, as in
`## v0.1.0 (commit 79c1cf6)`, for a release made before its heading was written. A tag that
exists is never moved or deleted. Only the standard library is used: a bare `python3 -m
release tag` works too.
"""

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from itertools import pairwise

CHANGELOG = "CHANGELOG.md"
HEADING = re.compile(r"^## (?P<title>.+?)\s*$", re.MULTILINE)
RELEASE_TITLE = re.compile(
    r"^(?P<version>v\d+\.\d+\.\d+)(?: \(commit (?P<commit>[0-9a-f]{7,40})\))?$"
)


class ReleaseError(Exception):
    """A release that cannot be tagged as the changelog says; nothing was created."""


@dataclass(frozen=True)
class Release:
    version: str
    named_commit: str | None
    notes: str


def git_result(
    *arguments: str, env: dict[str, str] | None = None
) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(  # noqa: S603 - fixed git commands
        ["git", *arguments],  # noqa: S607 - git from PATH, as a user runs it
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def git(*arguments: str, env: dict[str, str] | None = None) -> str:
    result = git_result(*arguments, env=env)
    if result.returncode != 0:
        raise ReleaseError(f"git {' '.join(arguments)} failed: {result.stderr.strip()}")
    return result.stdout


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version[1:].split("."))


def releases_in(changelog: str) -> list[Release]:
    """The releases of a changelog, newest first, as its `## vX.Y.Z` headings list them."""
    headings = list(HEADING.finditer(changelog))
    releases: list[Release] = []
    for index, heading in enumerate(headings):
        title = heading["title"]
        if not title.startswith("v"):
            continue  # "Unreleased"
        match = RELEASE_TITLE.match(title)
        if match is None:
            raise ReleaseError(
                f"{CHANGELOG}: the heading '## {title}' is not a release: write '## vX.Y.Z', "
                "or '## vX.Y.Z (commit <sha>)' to name the release's commit"
            )
        end = headings[index + 1].start() if index + 1 < len(headings) else len(changelog)
        notes = changelog[heading.end() : end].strip() + "\n"
        releases.append(Release(match["version"], match["commit"], notes))
    versions = [release.version for release in releases]
    if len(set(versions)) != len(versions):
        raise ReleaseError(f"{CHANGELOG} has a release heading twice: {', '.join(versions)}")
    if versions != sorted(versions, key=version_key, reverse=True):
        raise ReleaseError(f"{CHANGELOG} must list releases newest first: {', '.join(versions)}")
    return releases


def introducing_commits() -> dict[str, str]:
    """For each release heading in the history of HEAD, the first commit whose changelog has it."""
    history = git("log", "--first-parent", "--reverse", "--format=%H", "HEAD", "--", CHANGELOG)
    introduced: dict[str, str] = {}
    for commit in history.split():
        for heading in HEADING.finditer(git("show", f"{commit}:{CHANGELOG}")):
            match = RELEASE_TITLE.match(heading["title"])
            if match is not None:
                introduced.setdefault(match["version"], commit)
    return introduced


def commit_of(reference: str) -> str | None:
    return (
        git_result("rev-parse", "--quiet", "--verify", f"{reference}^{{commit}}").stdout.strip()
        or None
    )


def is_ancestor(older: str, newer: str) -> bool:
    return git_result("merge-base", "--is-ancestor", older, newer).returncode == 0


def release_commits(releases: list[Release]) -> dict[str, str]:
    """The commit each release is tagged at; refuses history that disagrees with the changelog."""
    introduced = introducing_commits()
    commits: dict[str, str] = {}
    for release in releases:
        if release.named_commit is None:
            commits[release.version] = introduced[release.version]
            continue
        named = commit_of(release.named_commit)
        if named is None or not is_ancestor(named, "HEAD"):
            raise ReleaseError(
                f"{release.version}: {CHANGELOG} names commit {release.named_commit}, which is not "
                "in the history of HEAD here"
            )
        commits[release.version] = named
    ordered = [(release.version, commits[release.version]) for release in releases]
    for (_, newer), (older_version, older) in pairwise(ordered):
        if not is_ancestor(older, newer):
            raise ReleaseError(
                f"{older_version} would be tagged at {older[:7]}, which does not come before the "
                f"newer release's commit {newer[:7]}: fix the heading's commit in {CHANGELOG}"
            )
    return commits


def tag(release: Release, commit: str) -> None:
    """An annotated tag that is the same object in every clone: the commit's identity and date."""
    shown = git("show", "-s", "--date=raw", "--format=%cn%x00%ce%x00%cd", commit)
    name, email, date = shown.split("\0")
    identity = {
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": date.strip(),
    }
    git(
        "tag",
        "--annotate",
        "--message",
        release.version,
        release.version,
        commit,
        env=os.environ | identity,
    )


def describe(commit: str) -> str:
    return git("show", "-s", "--format=%h (%s)", commit).strip()


def tag_releases() -> int:
    if git("rev-parse", "--is-shallow-repository").strip() == "true":
        raise ReleaseError(
            "this clone is shallow, so the commits that introduced the releases may be missing: "
            "run `git fetch --unshallow` first"
        )
    releases = releases_in(git("show", f"HEAD:{CHANGELOG}"))
    commits = release_commits(releases)
    missing: list[Release] = []
    tagged: list[Release] = []
    conflicts: list[str] = []
    for release in reversed(releases):
        existing = commit_of(f"refs/tags/{release.version}")
        wanted = commits[release.version]
        if existing is None:
            missing.append(release)
        elif existing == wanted:
            tagged.append(release)
        else:
            conflicts.append(
                f"{release.version}: the tag is at {existing[:7]}, but {CHANGELOG} puts the "
                f"release at {wanted[:7]}"
            )
    if conflicts:
        raise ReleaseError(
            "\n".join(conflicts)
            + "\nTags are never moved. If a tag is right, name its commit in the heading, as in "
            "'## vX.Y.Z (commit <sha>)'. Nothing was created."
        )
    for release in tagged:
        print(f"{release.version}: already tagged at {describe(commits[release.version])}")
    for release in missing:
        tag(release, commits[release.version])
        print(f"{release.version}: created at {describe(commits[release.version])}")
    if not missing:
        print(f"Nothing to create: every release in {CHANGELOG} is tagged.")
    return 0


def print_notes(version: str) -> int:
    for release in releases_in(git("show", f"HEAD:{CHANGELOG}")):
        if release.version == version:
            sys.stdout.write(release.notes)
            return 0
    raise ReleaseError(f"{CHANGELOG} has no release {version}")


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("tag", help="create the missing release tags")
    notes = commands.add_parser("notes", help="print a release's section of the changelog")
    notes.add_argument("version", help="e.g. v0.3.0")
    options = parser.parse_args(arguments)
    try:
        if options.command == "tag":
            return tag_releases()
        return print_notes(options.version)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
