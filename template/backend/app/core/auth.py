"""Who is calling: Clerk session tokens from `Authorization: Bearer`, verified by Clerk's SDK."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import structlog

from app.core.config import Settings
from app.core.errors import ErrorCode, ServiceError

# Clerk's SDK is imported by the first request with a token to check, not at startup, for the
# same reason as supabase-py (app/core/supabase.py).
if TYPE_CHECKING:
    from clerk_backend_api.security.types import (
        AuthenticateRequestOptions,
        AuthErrorReason,
        TokenVerificationErrorReason,
    )

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user (and organisation, if one is active) a request acts for."""

    user_id: str
    session_id: str | None = None
    org_id: str | None = None
    org_role: str | None = None
    org_slug: str | None = None
    org_permissions: tuple[str, ...] = ()
    # Forwarded to Supabase so row-level security sees the same user; never logged.
    access_token: str = field(default="", repr=False)


class AuthenticationError(ServiceError):
    status_code = 401
    code = ErrorCode.AUTH_INVALID_TOKEN

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True, slots=True)
class _BearerOnly:
    """The one header Clerk's SDK may read: never the cookie, so no cross-site requests."""

    headers: dict[str, str]


class ClerkAuthenticator:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._issuer = settings.clerk_issuer

    @cached_property
    def options(self) -> AuthenticateRequestOptions:
        from clerk_backend_api.security.types import AuthenticateRequestOptions

        settings = self._settings
        return AuthenticateRequestOptions(
            jwt_key=_secret(settings.clerk_jwt_key),
            secret_key=_secret(settings.clerk_secret_key),
            authorized_parties=settings.clerk_authorized_parties or None,
            # Other token types (API keys, M2M, OAuth) would be sent to Clerk's API even
            # when a jwt_key is set; this service accepts session tokens only.
            accepts_token=["session_token"],
        )

    async def authenticate(self, authorization: str | None) -> Principal:
        from clerk_backend_api.security import authenticate_request_async

        token = _bearer_token(authorization)
        state = await authenticate_request_async(
            _BearerOnly({"Authorization": f"Bearer {token}"}), self.options
        )
        if not state.is_signed_in or state.payload is None:
            raise _error_for(state.reason)
        payload = state.payload
        if self._issuer is not None and payload.get("iss") != self._issuer:
            logger.info("auth_rejected", reason="token-invalid-issuer")
            raise AuthenticationError("The token was not issued by the expected issuer.")
        user_id = payload.get("sub")
        if not isinstance(user_id, str) or not user_id:
            raise AuthenticationError("The token names no user.")
        return _principal(user_id, payload, token)


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def _bearer_token(authorization: str | None) -> str:
    if authorization is None or not authorization.strip():
        raise AuthenticationError(
            "Send a session token: Authorization: Bearer <token>.",
            code=ErrorCode.AUTH_MISSING_TOKEN,
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise AuthenticationError("Only Bearer tokens are accepted.")
    if not token.strip():
        raise AuthenticationError("The bearer token is empty.", code=ErrorCode.AUTH_MISSING_TOKEN)
    return token.strip()


def _error_for(reason: AuthErrorReason | TokenVerificationErrorReason | None) -> ServiceError:
    from clerk_backend_api.security.types import AuthErrorReason, TokenVerificationErrorReason

    reason_code = reason.value[0] if reason is not None else "unknown"
    logger.info("auth_rejected", reason=reason_code)
    if reason == TokenVerificationErrorReason.TOKEN_EXPIRED:
        return AuthenticationError("The token has expired.", code=ErrorCode.AUTH_EXPIRED_TOKEN)
    if reason == AuthErrorReason.SECRET_KEY_MISSING:
        return ServiceError(
            "Authentication is not configured (set CLERK_JWT_KEY or CLERK_SECRET_KEY).",
            code=ErrorCode.AUTH_NOT_CONFIGURED,
            status_code=503,
        )
    # Reasons that say Clerk could not be asked, not that the token is bad.
    if reason in (
        TokenVerificationErrorReason.JWK_FAILED_TO_LOAD,
        TokenVerificationErrorReason.JWK_REMOTE_INVALID,
        TokenVerificationErrorReason.SERVER_ERROR,
    ):
        return ServiceError(
            "The token could not be checked right now; try again later.",
            code=ErrorCode.AUTH_UNAVAILABLE,
            status_code=503,
        )
    return AuthenticationError("The token is not valid.")


def _principal(user_id: str, payload: dict[str, Any], token: str) -> Principal:
    permissions = payload.get("org_permissions") or []
    return Principal(
        user_id=user_id,
        session_id=payload.get("sid"),
        org_id=payload.get("org_id"),
        org_role=payload.get("org_role"),
        org_slug=payload.get("org_slug"),
        org_permissions=tuple(str(permission) for permission in permissions),
        access_token=token,
    )
