"""Who is calling: Clerk session tokens from `Authorization: Bearer`, verified by Clerk's SDK."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NoReturn

import structlog

from app.core import libraries
from app.core.config import Settings
from app.core.errors import ErrorCode, ServiceError

logger = structlog.get_logger(__name__)

# The claim Clerk's Supabase integration adds; PostgREST runs the request as this role, so any
# other role (service_role skips row-level security) must never be forwarded.
DATABASE_ROLE = "authenticated"
TIME_CLAIMS = ("exp", "iat", "nbf")
# A browser sends the same session token with every request of its minute of life, and checking
# one costs more than the rest of the request's own work (docs/performance.md): each verified
# token is remembered until it expires. Bounded: past this many, the oldest is forgotten.
VERIFIED_TOKENS_KEPT = 1024


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


@dataclass(frozen=True, slots=True)
class _Verified:
    principal: Principal
    not_before: float
    expires: float


class ClerkAuthenticator:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._issuer = settings.clerk_issuer
        self._clock = clock
        self._verified: dict[str, _Verified] = {}

    @cached_property
    def options(self) -> libraries.clerk_types.AuthenticateRequestOptions:
        settings = self._settings
        return libraries.clerk_types.AuthenticateRequestOptions(
            jwt_key=_secret(settings.clerk_jwt_key),
            secret_key=_secret(settings.clerk_secret_key),
            authorized_parties=settings.clerk_authorized_parties or None,
            # Other token types (API keys, M2M, OAuth) would be sent to Clerk's API even
            # when a jwt_key is set; this service accepts session tokens only.
            accepts_token=["session_token"],
        )

    async def authenticate(self, authorization: str | None) -> Principal:
        # Parsed once: the token checked is the token forwarded to the database.
        token = _bearer_token(authorization)
        verified = self._verified.get(token)
        if verified is not None:
            if verified.not_before <= self._clock() < verified.expires:
                return verified.principal
            # Outside its time: Clerk's SDK decides again, with its allowance for clock skew.
            self._verified.pop(token, None)
        principal, payload = await self._verify(token)
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = _Verified(principal, payload["nbf"], payload["exp"])
        return principal

    async def _verify(self, token: str) -> tuple[Principal, dict[str, Any]]:
        try:
            state = await libraries.clerk.authenticate_request_async(
                _BearerOnly({"Authorization": f"Bearer {token}"}), self.options
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            # A correctly signed token whose claims the SDK cannot read (an `o` that is no
            # object, say): still a bad token, never a crash.
            logger.info("auth_rejected", reason="token-unreadable-claims", error=type(exc).__name__)
            raise AuthenticationError("The token is not valid.") from exc
        if not state.is_signed_in or state.payload is None:
            raise _error_for(state.reason)
        payload = state.payload
        if self._issuer is not None and payload.get("iss") != self._issuer:
            _reject("token-invalid-issuer", "The token was not issued by the expected issuer.")
        self._check_claims(payload)
        return _principal(payload, token), payload

    def _check_claims(self, payload: dict[str, Any]) -> None:
        user_id = payload.get("sub")
        if not isinstance(user_id, str) or not user_id:
            _reject("token-no-subject", "The token names no user.")
        for claim in TIME_CLAIMS:
            value = payload.get(claim)
            if not isinstance(value, int | float) or isinstance(value, bool):
                _reject("token-missing-time-claim", f"The token has no valid `{claim}` claim.")
        if payload.get("role") != DATABASE_ROLE:
            _reject(
                "token-invalid-role",
                f"The token's `role` claim must be \"{DATABASE_ROLE}\": turn on Clerk's Supabase "
                "integration (see docs/auth.md).",
            )
        if payload.get("sts") == "pending" and not self._settings.clerk_accept_pending_sessions:
            # Clerk's own default: a session with unfinished tasks (choosing an organisation,
            # say) is not signed in yet.
            _reject("session-pending", "The session has pending tasks; finish them first.")


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
    token = token.strip()
    if not token:
        raise AuthenticationError("The bearer token is empty.", code=ErrorCode.AUTH_MISSING_TOKEN)
    if len(token.split()) != 1:
        # "Bearer Bearer <token>": a session token is one word; anything else is malformed.
        raise AuthenticationError("The bearer token is malformed.")
    return token


def _error_for(
    reason: libraries.clerk_types.AuthErrorReason
    | libraries.clerk_types.TokenVerificationErrorReason
    | None,
) -> ServiceError:
    reasons = libraries.clerk_types
    reason_code = reason.value[0] if reason is not None else "unknown"
    logger.info("auth_rejected", reason=reason_code)
    if reason == reasons.TokenVerificationErrorReason.TOKEN_EXPIRED:
        return AuthenticationError("The token has expired.", code=ErrorCode.AUTH_EXPIRED_TOKEN)
    if reason == reasons.AuthErrorReason.SECRET_KEY_MISSING:
        return ServiceError(
            "Authentication is not configured (set CLERK_JWT_KEY or CLERK_SECRET_KEY).",
            code=ErrorCode.AUTH_NOT_CONFIGURED,
            status_code=503,
        )
    # Reasons that say Clerk could not be asked, not that the token is bad.
    if reason in (
        reasons.TokenVerificationErrorReason.JWK_FAILED_TO_LOAD,
        reasons.TokenVerificationErrorReason.JWK_REMOTE_INVALID,
        reasons.TokenVerificationErrorReason.SERVER_ERROR,
    ):
        return ServiceError(
            "The token could not be checked right now; try again later.",
            code=ErrorCode.AUTH_UNAVAILABLE,
            status_code=503,
        )
    return AuthenticationError("The token is not valid.")


def _reject(reason: str, message: str) -> NoReturn:
    logger.info("auth_rejected", reason=reason)
    raise AuthenticationError(message)


def _optional_text(payload: dict[str, Any], claim: str) -> str | None:
    value = payload.get(claim)
    if value is None or isinstance(value, str):
        return value
    _reject("token-invalid-claim", f"The token's `{claim}` claim is not text.")


def _principal(payload: dict[str, Any], token: str) -> Principal:
    permissions = payload.get("org_permissions") or []
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        _reject("token-invalid-claim", "The token's `org_permissions` claim is not a list of text.")
    return Principal(
        user_id=payload["sub"],
        session_id=_optional_text(payload, "sid"),
        org_id=_optional_text(payload, "org_id"),
        org_role=_optional_text(payload, "org_role"),
        org_slug=_optional_text(payload, "org_slug"),
        org_permissions=tuple(permissions),
        access_token=token,
    )
