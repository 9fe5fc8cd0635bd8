"""The officer console: an aiohttp application over the storage use cases.

Features live in `admin/views/<feature>.py`, each with `register(app)`; they are listed
in `FEATURES` below. See `admin/EXTENDING.md`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from admin.access import access_of
from admin.api import API_PREFIX, openapi_json
from admin.errors import error_middleware
from admin.flash import flash_middleware
from admin.jobs import freeze_startup_objects, retention_job
from admin.render import setup_templates
from admin.security import csrf_middleware, security_headers
from admin.sessions import session_middleware
from admin.settings import ConsoleSettings
from admin.state import CORE, NAV, OPENAPI_PATHS, OPENAPI_SCHEMAS, REGISTRY, SETTINGS
from storage.core import Core

__all__ = ["CORE", "FEATURES", "REGISTRY", "SETTINGS", "create_app"]

STATIC_DIR = Path(__file__).parent / "static"

# One module per feature; each has `register(app: web.Application) -> None`.
FEATURES: tuple[str, ...] = (
    "admin.views.health",
    "admin.views.auth",
    "admin.views.home",
    "admin.views.triage",
    "admin.views.tip",
    "admin.views.tip_actions",
    "admin.views.forum",
    "admin.views.warnings",
    "admin.views.groups",
    "admin.cap",
    "admin.views.audit",
    "admin.views.users",
    "admin.views.account",
    "admin.views.api_tips",
    "admin.views.api_users",
)


def _check_every_route_is_guarded(app: web.Application) -> None:
    """Refuse to start when a handler carries neither `requires`, `api_requires` nor `public`."""
    for route in app.router.routes():
        if isinstance(route.resource, web.StaticResource):
            continue
        access = access_of(route.handler)
        if access is None:
            name = getattr(route.handler, "__qualname__", repr(route.handler))
            raise RuntimeError(f"route {route.method} {route.resource} ({name}) has no access rule")
        kind, _roles = access
        path = route.resource.canonical if route.resource is not None else ""
        if kind == "api" and not path.startswith(API_PREFIX):
            raise RuntimeError(f"API handler mounted outside {API_PREFIX}: {path}")
        if kind == "page" and path.startswith("/api/"):
            raise RuntimeError(f"page handler mounted under /api/: {path}")


def create_app(core: Core, settings: ConsoleSettings) -> web.Application:
    """The console application."""
    app = web.Application(
        client_max_size=25 * 1024 * 1024,
        middlewares=[error_middleware, flash_middleware, session_middleware, csrf_middleware],
    )
    app[CORE] = core
    app[SETTINGS] = settings
    app[REGISTRY] = CollectorRegistry()
    app[NAV] = []
    app[OPENAPI_PATHS] = {}
    app[OPENAPI_SCHEMAS] = {}
    app.on_response_prepare.append(security_headers)
    app.cleanup_ctx.append(retention_job)
    app.on_startup.append(freeze_startup_objects)
    setup_templates(app)
    app.router.add_static("/static", STATIC_DIR, name="static", append_version=True)
    app.router.add_get(f"{API_PREFIX}/openapi.json", openapi_json)
    for name in FEATURES:
        importlib.import_module(name).register(app)
    _check_every_route_is_guarded(app)
    return app
