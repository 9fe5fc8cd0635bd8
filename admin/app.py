"""The officer console: an aiohttp application over the storage use cases."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text

from admin.settings import ConsoleSettings
from storage.core import Core

CORE = web.AppKey("core", Core)
SETTINGS = web.AppKey("settings", ConsoleSettings)
REGISTRY = web.AppKey("registry", CollectorRegistry)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers; 503 otherwise."""
    try:
        async with request.app[CORE].db.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        return web.json_response({"status": "unavailable", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "up"})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition."""
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_app(core: Core, settings: ConsoleSettings) -> web.Application:
    """The console application."""
    app = web.Application(client_max_size=25 * 1024 * 1024)
    app[CORE] = core
    app[SETTINGS] = settings
    app[REGISTRY] = CollectorRegistry()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app
