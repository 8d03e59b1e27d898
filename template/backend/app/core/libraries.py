"""The slow third-party libraries, each imported the first time the service uses it.

A starting service answers /healthz before it has loaded httpx, aiohttp, supabase-py,
postgrest-py, stamina or Clerk's SDK: together they would add about half of its cold start, and
a platform that waits for the first health check waits for them too (docs/performance.md). So
code does not import them at the top of a module; it reads them from here where it uses them:

    from app.core import libraries

    async def page(self) -> EntityPage:
        ...
        except libraries.postgrest.APIError as exc:

Type hints work as usual: mypy reads the imports below. The first read of an attribute imports
that library (a module `__getattr__`, PEP 562) and keeps it here, so later reads cost nothing.
`from app.core.libraries import postgrest` would import it at once: read it as an attribute.
tests/test_startup.py fails when a library listed here is loaded at startup.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp as aiohttp
    import clerk_backend_api.security as clerk
    import clerk_backend_api.security.types as clerk_types
    import httpx as httpx
    import postgrest as postgrest
    import stamina as stamina
    import supabase as supabase

    import app.core.aiohttp_transport as aiohttp_transport

# The name code reads here, and the module it stands for.
MODULES = {
    "aiohttp": "aiohttp",
    # The service's own module that builds on httpx and aiohttp, so it loads with them.
    "aiohttp_transport": "app.core.aiohttp_transport",
    "clerk": "clerk_backend_api.security",
    "clerk_types": "clerk_backend_api.security.types",
    "httpx": "httpx",
    "postgrest": "postgrest",
    "stamina": "stamina",
    "supabase": "supabase",
}

__all__ = [
    "aiohttp",
    "aiohttp_transport",
    "clerk",
    "clerk_types",
    "httpx",
    "postgrest",
    "stamina",
    "supabase",
]


def __getattr__(name: str) -> object:
    if name not in MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(MODULES[name])
    globals()[name] = module
    return module
