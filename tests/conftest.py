from pathlib import Path
from typing import Any

import pytest

from tests.matrix import RenderedMatrix
from tests.support.rendering import Render, render


@pytest.fixture
def render_project(tmp_path: Path) -> Render:
    """Render the template into a fresh folder with the given answers."""
    counter = iter(range(1000))

    def render_with(**answers: Any) -> Path:
        return render(tmp_path / f"project-{next(counter)}", **answers)

    return render_with


@pytest.fixture(scope="session")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> RenderedMatrix:
    return RenderedMatrix(tmp_path_factory.mktemp("matrix"))
