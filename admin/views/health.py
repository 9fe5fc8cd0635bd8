"""`/healthz` for load balancers and `/metrics` for Prometheus."""

from __future__ import annotations

import hmac
import ipaddress

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from admin.access import public
from admin.metrics import METRICS, ConsoleMetrics
from admin.state import CORE, REGISTRY, SETTINGS


@public
async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers; 503 otherwise."""
    try:
        async with request.app[CORE].db.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        return web.json_response({"status": "unavailable", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "up"})


def _may_scrape(request: web.Request) -> bool:
    """The metrics token, or a scraper on this very host when no token is set.

    Tip counts moving live could tell an onlooker when a tip came in: /metrics is not public.
    """
    token = request.app[SETTINGS].metrics_token
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


@public
async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition; gauges are read from the database at scrape time."""
    if not _may_scrape(request):
        return web.json_response({"error": "metrics need the metrics token"}, status=403)
    await request.app[METRICS].refresh(request.app)
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def register(app: web.Application) -> None:
    """Routes and collectors."""
    app[METRICS] = ConsoleMetrics.create(app[REGISTRY])
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
