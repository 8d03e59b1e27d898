"""Every supported answer combination, rendered once per test session (the static tier)."""

from itertools import product
from pathlib import Path
from typing import Any

from tests.support.rendering import render

PLATFORMS = ["none", "railway", "cloud-run", "fly", "alibaba", "ssh"]


def combination_id(platform: str, gateway: bool, frontend: bool) -> str:
    return f"static-{platform}{'-gateway' if gateway else ''}{'-frontend' if frontend else ''}"


# 6 platforms x gateway x frontend; Python versions alternate so both are covered.
COMBINATIONS: dict[str, dict[str, Any]] = {
    combination_id(platform, gateway, frontend): {
        "deploy_platform": platform,
        "include_gateway": gateway,
        "include_frontend": frontend,
        "python_version": "3.12" if index % 2 else "3.13",
    }
    for index, (platform, gateway, frontend) in enumerate(
        product(PLATFORMS, [False, True], [False, True])
    )
}


class RenderedMatrix:
    """Renders a combination the first time a test asks for it, then reuses the tree."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._rendered: dict[str, Path] = {}

    def __getitem__(self, combination: str) -> Path:
        if combination not in self._rendered:
            self._rendered[combination] = render(
                self.root / combination, **COMBINATIONS[combination]
            )
        return self._rendered[combination]

    def all(self) -> dict[str, Path]:
        return {combination: self[combination] for combination in COMBINATIONS}
