"""Rendering the template from the working tree, shared by the tests and tests.relock."""

import warnings
from pathlib import Path
from typing import Any

import copier

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent


def render(destination: Path, **answers: Any) -> Path:
    """Render the working tree (uncommitted changes included) with defaults for the rest."""
    with warnings.catch_warnings():
        # Copier warns that uncommitted template changes are included: that is the point here.
        warnings.simplefilter("ignore", copier.errors.DirtyLocalWarning)
        copier.run_copy(
            str(TEMPLATE_ROOT),
            destination,
            data=answers,
            defaults=True,
            unsafe=True,
            vcs_ref="HEAD",
            quiet=True,
        )
    return destination
