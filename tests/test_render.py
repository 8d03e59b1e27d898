"""Static tier: every answer combination renders a complete, clean tree (fast, no installs)."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.matrix import COMBINATIONS, RenderedMatrix
from tests.relock import BUN_LOCK, missing_platform_builds
from tests.support.rendering import Render

# GitHub Actions expressions (`${{ ... }}`) and JSX objects (`={{ ... }}`) are meant to be
# there; Jinja's are not.
LEFTOVER_TEMPLATE_SYNTAX = re.compile(r"(?<![$=])\{\{|\{%|\{#|\.jinja\b")
# Clerk's own product names, which mention a frontend that is not ours.
CLERK_TERMS = re.compile(r"Frontend API|frontend SDK|dashboard\.clerk\.com", re.IGNORECASE)
ALWAYS_PRESENT = [
    ".copier-answers.yml",
    ".env",
    ".env.example",
    ".gitignore",
    "Makefile",
    ".pre-commit-config.yaml",
    ".editorconfig",
    "README.md",
    "backend/.python-version",
    "backend/pyproject.toml",
    "backend/uv.lock",
    "backend/app/main.py",
    "backend/app/core/config.py",
    "backend/tests/conftest.py",
    "docs/architecture.md",
    "docs/api-conventions.md",
    "docs/configuration.md",
    "docs/service-calls.md",
    ".github/workflows/ci.yml",
    ".github/workflows/deploy-staging.yml",
    ".github/workflows/deploy-production.yml",
    ".github/workflows/template-update.yml",
    ".github/dependabot.yml",
    "backend/Dockerfile",
    "compose.yml",
    "docs/auth.md",
    "docs/entities-api.md",
    "docs/adding-a-resource.md",
    "backend/scripts/local_auth.py",
    "backend/scripts/local_stack/supabase_stand_ins.sql",
    "docs/local-development.md",
    "supabase/config.toml",
    "supabase/migrations/20250101000000_create_entities.sql",
]


def rendered_files(project: Path) -> list[Path]:
    return [path for path in project.rglob("*") if path.is_file()]


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_every_combination_renders_completely(matrix: RenderedMatrix, combination: str) -> None:
    project = matrix[combination]
    answers = COMBINATIONS[combination]

    for relative in ALWAYS_PRESENT:
        assert (project / relative).is_file(), f"{relative} is missing"
    leftovers = [
        f"{path.relative_to(project)}: {match.group()!r}"
        for path in rendered_files(project)
        for match in [LEFTOVER_TEMPLATE_SYNTAX.search(path.read_text() + path.name)]
        if match
    ]
    assert leftovers == []
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert {key: recorded[key] for key in answers} == answers
    version = answers["python_version"]
    assert (project / "backend" / ".python-version").read_text().strip() == version
    pyproject = (project / "backend" / "pyproject.toml").read_text()
    assert f'requires-python = ">={version}"' in pyproject
    assert f'target-version = "py{version.replace(".", "")}"' in pyproject
    lock = (project / "backend" / "uv.lock").read_text()
    assert f'requires-python = ">={version}"' in lock
    assert (project / "frontend" / "package.json").is_file() == answers["include_frontend"]


@pytest.mark.parametrize(
    "combination",
    [name for name, answers in COMBINATIONS.items() if not answers["include_frontend"]],
)
def test_without_the_frontend_no_file_mentions_one(
    matrix: RenderedMatrix, combination: str
) -> None:
    project = matrix[combination]
    traces = [
        f"{path.relative_to(project)}: {line.strip()}"
        for path in rendered_files(project)
        if path.name != ".copier-answers.yml"
        for line in path.read_text().splitlines()
        if re.search(
            r"frontend|\bbun\b|vite|playwright|dashboard\.\w|--profile ui",
            CLERK_TERMS.sub("", line),
            re.IGNORECASE,
        )
    ]
    assert traces == []


def test_the_supabase_project_is_named_after_the_slug(render_project: Render) -> None:
    project = render_project(project_slug="billing-api")

    config = tomllib.loads((project / "supabase" / "config.toml").read_text())
    assert config["project_id"] == "billing-api"
    assert config["auth"]["third_party"]["clerk"]["enabled"] is False
    assert config["auth"]["signing_keys_path"] == "./signing_keys.json"


def test_local_secrets_tools_and_data_are_git_ignored(render_project: Render) -> None:
    ignored = (render_project() / ".gitignore").read_text().splitlines()

    for entry in [".env", ".local-auth/", "supabase/signing_keys.json", ".tools/", ".local-stack/"]:
        assert entry in ignored


def test_the_env_file_is_not_committed_but_its_example_is(render_project: Render) -> None:
    project = render_project()

    ignored = (project / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
    assert ".env.example" not in ignored
    assert (project / ".env").read_text() == (project / ".env.example").read_text()


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_the_env_example_holds_one_setting_per_line(
    matrix: RenderedMatrix, combination: str
) -> None:
    lines = (matrix[combination] / ".env.example").read_text().splitlines()
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in settings)
    # A conditional value must not swallow the line break, and the comment below with it.
    assert not [name for name, value in settings.items() if "#" in value]
    expected = "http://localhost:5173" if COMBINATIONS[combination]["include_frontend"] else ""
    assert settings["CORS_ORIGINS"] == expected


def test_the_frontend_lock_has_a_build_for_every_platform() -> None:
    """A lock resolved from a registry mirror that lacks some platforms' builds fails elsewhere."""
    assert missing_platform_builds(BUN_LOCK.read_text()) == []
    assert missing_platform_builds(
        '{"packages": {"tool": ["tool@1", "", {"optionalDependencies": {"tool-linux": "1"}}]}}'
    ) == ["tool -> tool-linux"]
