"""Typed keys of what the console keeps on the application and on each request."""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web
from prometheus_client import CollectorRegistry

from admin.nav import NavItem
from admin.settings import ConsoleSettings
from admin.viewer import Viewer
from storage.core import Core

CORE = web.AppKey("core", Core)
SETTINGS = web.AppKey("settings", ConsoleSettings)
REGISTRY = web.AppKey("registry", CollectorRegistry)
NAV = web.AppKey("nav", list[NavItem])
OPENAPI_PATHS = web.AppKey("openapi_paths", dict[str, dict[str, Any]])
OPENAPI_SCHEMAS = web.AppKey("openapi_schemas", dict[str, dict[str, Any]])

# Set by the session middleware: the signed-in officer (browser session or API token).
VIEWER = web.RequestKey("viewer", Viewer)


def viewer_of(request: web.Request) -> Viewer | None:
    """The signed-in officer of this request, if any (possibly half signed in)."""
    return cast("Viewer | None", request.get(VIEWER))
