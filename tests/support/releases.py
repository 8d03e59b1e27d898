"""Private copies of the template whose history and tags a test (or the bench) controls, and a
real template change to release on top of the working tree."""

import shutil
from collections.abc import Callable
from pathlib import Path

from tests.support.commands import git, run
from tests.support.rendering import TEMPLATE_ROOT


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
