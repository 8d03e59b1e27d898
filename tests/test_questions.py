"""The questions: defaults, derived values, and answers that must be refused."""

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.support.rendering import TEMPLATE_ROOT, Render, answers_of


def test_defaults_render_a_service_named_from_the_project_name(render_project: Render) -> None:
    project = render_project(project_name="Billing API (v2)")

    answers = answers_of(project)
    assert answers["project_slug"] == "billing-api-v2"
    assert answers["python_version"] == "3.13"
    assert answers["deploy_platform"] == "none"
    assert answers["include_frontend"] is False
    assert answers["include_gateway"] is False
    assert "domain" not in answers  # only asked with the gateway
    pyproject = (project / "backend" / "pyproject.toml").read_text()
    assert 'name = "billing-api-v2"' in pyproject


def test_derived_values_are_computed_from_the_answers(render_project: Render) -> None:
    project = render_project(project_slug="orders", github_owner="Acme-Corp")

    assert answers_of(project)["github_owner"] == "Acme-Corp"
    config = (project / "backend" / "app" / "core" / "config.py").read_text()
    assert 'service_name: str = "orders"' in config


def test_author_defaults_come_from_git_config_or_a_placeholder(tmp_path: Path) -> None:
    """Run in a child process whose git has no identity: the render still succeeds."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    destination = tmp_path / "no-identity"
    script = (
        "import sys; from pathlib import Path; from tests.support.rendering import render; "
        "render(Path(sys.argv[1]))"
    )
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, str(destination)],
        cwd=TEMPLATE_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )

    answers = answers_of(destination)
    assert answers["author_name"] == "Your Name"
    assert answers["author_email"] == "you@example.com"
    assert answers["github_owner"] == "your-github-org"


def test_gateway_answers_are_asked_only_with_the_gateway(render_project: Render) -> None:
    project = render_project(
        include_gateway=True, domain="shop.example.org", letsencrypt_email="ops@example.org"
    )

    answers = answers_of(project)
    assert answers["domain"] == "shop.example.org"
    assert answers["letsencrypt_email"] == "ops@example.org"


REJECTED = [
    pytest.param({"project_name": "   "}, "The project name cannot be empty", id="blank-name"),
    pytest.param(
        {"project_slug": "My_Service"},
        'project_slug "My_Service" is not allowed',
        id="slug-uppercase",
    ),
    pytest.param({"project_slug": "9lives"}, "starting with a letter", id="slug-digit-first"),
    pytest.param({"project_slug": "trailing-"}, "not ending with a hyphen", id="slug-trailing"),
    pytest.param({"project_slug": "a" * 41}, "2 to 40", id="slug-too-long"),
    pytest.param({"author_email": "not-an-email"}, "is not an e-mail address", id="bad-email"),
    pytest.param(
        {"github_owner": "-acme"}, "is not a GitHub user or organisation name", id="bad-owner"
    ),
    pytest.param(
        {"python_version": "3.11"}, "'3.11' is not in ['3.13', '3.12']", id="unsupported-python"
    ),
    pytest.param(
        {"deploy_platform": "heroku"},
        "'heroku' is not in ['none', 'railway', 'cloud-run', 'fly', 'alibaba', 'ssh']",
        id="unknown-platform",
    ),
    pytest.param(
        {"include_gateway": True, "domain": "https://example.com/"},
        "is not a domain name",
        id="domain-with-scheme",
    ),
    pytest.param(
        {"include_gateway": True, "letsencrypt_email": "ops"},
        'letsencrypt_email "ops" is not an e-mail address',
        id="bad-acme-email",
    ),
]


@pytest.mark.parametrize(("answers", "message"), REJECTED)
def test_a_bad_answer_is_refused_with_what_is_allowed(
    render_project: Render, tmp_path: Path, answers: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as error:
        render_project(**answers)

    assert message in str(error.value)
    assert not any(tmp_path.iterdir()), "a refused answer must leave nothing behind"


def test_the_command_line_refuses_a_bad_answer_and_writes_nothing(tmp_path: Path) -> None:
    destination = tmp_path / "service"
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            "--vcs-ref",
            "HEAD",
            "--data",
            "project_slug=Bad Slug",
            str(TEMPLATE_ROOT),
            str(destination),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert 'project_slug "Bad Slug" is not allowed' in result.stderr
    assert not destination.exists()


def test_free_text_answers_cannot_break_the_files_they_land_in(render_project: Render) -> None:
    tricky = 'Says "hi" \\ to Zoë\'s <team> & {friends}'
    project = render_project(project_name=tricky, description=tricky, author_name=tricky)

    pyproject = tomllib.loads((project / "backend" / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == tricky
    assert pyproject["project"]["authors"][0]["name"] == tricky
    config = (project / "backend" / "app" / "core" / "config.py").read_text()
    project_name_line = next(line for line in config.splitlines() if "project_name:" in line)
    assert ast.literal_eval(project_name_line.split("=", 1)[1].strip()) == tricky
