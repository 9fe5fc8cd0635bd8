"""What the console needs to know, handed in by whoever starts it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ConsoleSettings:
    """Settings of the officer console."""

    public_url: str = "http://127.0.0.1:8080"
    # Absolute lifetime of a signed-in session, and how long it survives without use.
    session_minutes: int = 480
    idle_minutes: int = 30
    # Cookies are marked Secure whenever the console is served over https.
    secure_cookies: bool = False
    default_language: str = "vi"
    # Bearer token Prometheus must send to /metrics; without one, only a scraper on this
    # host (loopback, not through a proxy) is answered.
    metrics_token: str = field(default="", repr=False)
    # The retention job (purge of closed tips past retention) runs in the console process.
    purge_every_hours: float = 24.0
    purge_first_after_seconds: float = 300.0
    run_jobs: bool = True
    # Freeze the objects start-up made (gc.freeze) so full collections stay short; off in
    # test processes, which build many applications.
    freeze_gc_at_start: bool = True
