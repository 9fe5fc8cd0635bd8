"""Background work of the console process: the daily retention purge and session clean-up."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from admin.state import CORE, SETTINGS
from storage import retention, sessions

log = logging.getLogger(__name__)


async def run_once(app: web.Application) -> retention.PurgeReport:
    """Purge closed tips past retention and forget dead sessions."""
    core, settings = app[CORE], app[SETTINGS]
    report = await retention.purge_due(core.db)
    await sessions.delete_expired_sessions(core, idle=dt.timedelta(minutes=settings.idle_minutes))
    if report.purged or report.held:
        log.info("retention: %d tips purged, %d kept on legal hold", report.purged, report.held)
    return report


async def _loop(app: web.Application) -> None:
    settings = app[SETTINGS]
    await asyncio.sleep(settings.purge_first_after_seconds)
    while True:
        try:
            await run_once(app)
        except Exception:
            log.exception("retention job failed; it runs again at the next interval")
        await asyncio.sleep(settings.purge_every_hours * 3600)


async def freeze_startup_objects(app: web.Application) -> None:
    """`on_startup`: move what start-up created (modules, keys, templates) out of the GC's way.

    The collector then no longer walks those objects on every full collection, which
    otherwise shows up as latency spikes on unlucky requests.
    """
    if app[SETTINGS].freeze_gc_at_start:
        gc.collect()
        gc.freeze()


async def retention_job(app: web.Application) -> AsyncIterator[None]:
    """`cleanup_ctx`: the job runs while the console runs (unless `run_jobs` is off)."""
    task = asyncio.create_task(_loop(app)) if app[SETTINGS].run_jobs else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
