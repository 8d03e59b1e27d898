"""Structured logs: one JSON object per line, with the request's ids and no secrets."""

import functools
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from app.core.config import Settings
from app.core.request_context import current_request

REDACTED = "[REDACTED]"
SENSITIVE_KEY = re.compile(
    r"authorization|cookie|token|secret|password|passwd|api[-_]?key|dsn|jwt|credential",
    re.IGNORECASE,
)

# What a credential looks like inside any text. The tests' secret scan (tests/secret_scan.py) flags
# the same shapes in whatever a test prints. No shape matches its own replacement: none takes "[".
CREDENTIAL = re.compile(
    r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+"  # a JWT: header.payload.signature
    # A PEM private key, to its end line or, if cut short, to the end of the text.
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)"
    r"|\bsk_(?:test|live)_\w+"  # a Clerk secret key
    r"|(?<=\bBearer )[\w.~+/-]{8,}=*"  # the token after "Bearer "
    r"|(?<=://)[^\s/?#@\[\]]+(?=@)"  # a URL's userinfo: "user:password", or a DSN's key alone
)


def add_request_ids(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    ids = current_request.get()
    if ids is not None:
        event_dict.setdefault("request_id", ids.request_id)
        event_dict.setdefault("correlation_id", ids.correlation_id)
    return event_dict


@functools.lru_cache(maxsize=4096)
def _is_sensitive(key: str) -> bool:
    # Logs reuse a small set of field names: each is matched once, then remembered.
    return SENSITIVE_KEY.search(key) is not None


def scrub_credentials(text: str) -> str:
    """Replace each credential-shaped part of the text with [REDACTED]."""
    # Every shape holds one of these substrings and few log values do: testing for them costs a
    # tenth of a search. A loop over them would cost twice this chain.
    if (
        "eyJ" in text
        or "-----BEGIN " in text
        or "sk_" in text
        or "Bearer " in text
        or "://" in text
    ):
        return CREDENTIAL.sub(REDACTED, text)
    return text


# Most values are these; checking the exact type first skips the slower isinstance checks.
PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
COLLECTION_TYPES = (list, tuple, set, frozenset)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_credentials(value)
    if type(value) in PLAIN_TYPES:
        return value
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _is_sensitive(str(key)) else _redact(item)
            for key, item in value.items()
        }
    for collection_type in COLLECTION_TYPES:
        if isinstance(value, collection_type):
            # Rebuilt as the built-in type: a subclass's constructor (a namedtuple's) may not
            # take one iterable.
            return collection_type(_redact(item) for item in value)
    return value


def redact_secrets(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Hide the fields whose name says they hold a secret, and credential-shaped text anywhere."""
    return {
        key: REDACTED if _is_sensitive(key) else _redact(value) for key, value in event_dict.items()
    }


def _scrubbed_repr(value: Any) -> str:
    # An exception logged as a field (`error=exc`) is written as its repr, which may quote a URL.
    return scrub_credentials(repr(value))


# One JSON object; values JSON cannot hold are written as their repr(), scrubbed too.
# A prebuilt encoder would save 0.8 µs, 2% of a logged request (the template's bench/speedups.py).
render_json = structlog.processors.JSONRenderer(default=_scrubbed_repr)


# The request middleware's logger. structlog's uncached loggers bind anew on every call, which
# costs more than the line itself; this one is bound once per configuration instead.
_request_logger: FilteringBoundLogger = structlog.get_logger("app.request")


def request_logger() -> FilteringBoundLogger:
    return _request_logger


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Render structlog's events and the standard library's (uvicorn's) the same way.

    The service's own events take structlog's direct path to the stream: a log line per request
    is on the hot path, and skipping the standard library's machinery makes it several times
    cheaper. Libraries' records go through a standard handler with the same processors.
    """
    output = stream or sys.stdout
    service_fields = {
        "service": settings.service_name,
        "version": settings.service_version,
        "environment": str(settings.environment),
    }

    def add_service_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict.update(service_fields)
        return event_dict

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        add_request_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    renderer: Processor
    if settings.log_format == "json":
        renderer = render_json
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer()

    structlog.configure(
        processors=[*shared, add_service_fields, redact_secrets, renderer],
        logger_factory=structlog.WriteLoggerFactory(file=output),
        wrapper_class=structlog.make_filtering_bound_logger(settings.log_level),
        # Loggers are module globals; not caching them lets a reconfiguration (a test's own
        # stream, say) reach them too.
        cache_logger_on_first_use=False,
    )
    global _request_logger
    _request_logger = structlog.get_logger("app.request").bind()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            add_service_fields,
            redact_secrets,
            renderer,
        ],
    )
    handler = logging.StreamHandler(output)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # The request middleware writes one line per request; uvicorn's access log would repeat it,
    # and httpx's would log every outgoing call at info.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("httpx", "httpx2", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
