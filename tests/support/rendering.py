"""Rendering the template: its working tree, or a tagged release of a copy of it."""

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import yaml

TEMPLATE_ROOT = Path(__file__).resolve().parents[2]

Render = Callable[..., Path]


def copy(template: Path, version: str, destination: Path, **answers: Any) -> Path:
    """`copier copy` of `template` at `version`, with defaults for the unanswered questions."""
    copier.run_copy(
        str(template),
        destination,
        data=answers,
        defaults=True,
        unsafe=True,
        vcs_ref=version,
        quiet=True,
    )
    return destination


def render(destination: Path, **answers: Any) -> Path:
    """Render the working tree (uncommitted changes included) with defaults for the rest."""
    with warnings.catch_warnings():
        # Copier warns that uncommitted template changes are included: that is the point here.
        warnings.simplefilter("ignore", copier.errors.DirtyLocalWarning)
        return copy(TEMPLATE_ROOT, "HEAD", destination, **answers)


def answers_of(project: Path) -> dict[str, Any]:
    """The answers a generated service recorded in .copier-answers.yml."""
    answers: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return answers
