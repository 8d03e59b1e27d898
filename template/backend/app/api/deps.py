"""Typed dependencies for route handlers; override any of them in tests."""

from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings
from app.core.http_client import ServiceClients
from app.services.readiness import ReadinessChecks


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_readiness_checks(request: Request) -> ReadinessChecks:
    checks: ReadinessChecks = request.app.state.readiness
    return checks


def get_service_clients(request: Request) -> ServiceClients:
    clients: ServiceClients = request.app.state.service_clients
    return clients


SettingsDep = Annotated[Settings, Depends(get_settings)]
ReadinessDep = Annotated[ReadinessChecks, Depends(get_readiness_checks)]
ServiceClientsDep = Annotated[ServiceClients, Depends(get_service_clients)]
