"""Prometheus metrics of the console: tips by status, logins, failed logins, outbox states."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge

from admin.state import CORE
from storage import outbox, triage
from storage.models.outbox import OUTBOX_STATES


@dataclass
class ConsoleMetrics:
    """The collectors, registered on the application's own registry."""

    logins: Counter
    failed_logins: Counter
    lockouts: Counter
    tips: Gauge
    outbox: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ConsoleMetrics:
        """Register every collector on `registry`."""
        return cls(
            logins=Counter(
                "tinbao_console_logins", "Completed console sign-ins", registry=registry
            ),
            failed_logins=Counter(
                "tinbao_console_failed_logins",
                "Failed console sign-in steps (password or code)",
                ["step"],
                registry=registry,
            ),
            lockouts=Counter(
                "tinbao_console_lockouts", "Sign-ins refused during a lockout", registry=registry
            ),
            tips=Gauge("tinbao_tips", "Tips by status", ["status"], registry=registry),
            outbox=Gauge(
                "tinbao_outbox_messages", "Outbox messages by state", ["state"], registry=registry
            ),
        )

    async def refresh(self, app: web.Application) -> None:
        """Read the gauges from the database, just before a scrape."""
        core = app[CORE]
        by_status = await triage.status_totals(core)
        for status in triage.STATUSES:
            self.tips.labels(status).set(by_status.get(status, 0))
        states = await outbox.counts(core)
        for state in OUTBOX_STATES:
            self.outbox.labels(state).set(states.get(state, 0))


METRICS = web.AppKey("metrics", ConsoleMetrics)
