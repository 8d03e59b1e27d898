"""Readiness: the dependency checks `/readyz` runs before it says the service can take traffic."""

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from app.models.health import CheckResult

logger = structlog.get_logger(__name__)

Check = Callable[[], Awaitable[None]]


class ReadinessChecks:
    """Named async checks; each one passes by returning and fails by raising."""

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        self._checks: dict[str, Check] = {}

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    def register(self, name: str, check: Check) -> None:
        self._checks[name] = check

    async def run(self) -> dict[str, CheckResult]:
        """Run every check at once, each bounded by the timeout."""
        names = self.names
        results = await asyncio.gather(*(self._run_one(name) for name in names))
        return dict(zip(names, results, strict=True))

    async def _run_one(self, name: str) -> CheckResult:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await self._checks[name]()
        except TimeoutError:
            logger.warning("readiness_check_timeout", check=name, timeout=self.timeout_seconds)
            return "timeout"
        except Exception as exc:
            logger.warning("readiness_check_failed", check=name, error=type(exc).__name__)
            return "failed"
        return "ok"
