"""Bodies of the public operational endpoints."""

from typing import Literal

from pydantic import BaseModel

# One check's outcome, as /readyz reports it.
CheckResult = Literal["ok", "failed", "timeout"]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, CheckResult]


class VersionInfo(BaseModel):
    service_name: str
    version: str
    commit: str
    build_time: str
    environment: str
