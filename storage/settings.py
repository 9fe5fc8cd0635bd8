"""Settings the core needs, handed in by whoever composes the application."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from storage.crypto.receipt import KdfParams


@dataclass(frozen=True)
class TipLimits:
    """How many tips one resident may send, how often a receipt may be tried, draft limits.

    The per-resident counts are kept in the bot's memory only (storage.limits).
    """

    tips_per_hour: int = 3
    tips_per_day: int = 10
    receipt_attempts_per_hour: int = 10
    # Texts and files one resident may add to their tips through /status in an hour.
    follow_ups_per_hour: int = 10
    # Files one tip may carry, and how long an untouched draft lives in memory.
    attachments_per_tip: int = 10
    draft_minutes: float = 30


@dataclass(frozen=True)
class ForumLimits:
    """How many forum questions one resident may send, and when reports hide a question."""

    questions_per_hour: int = 5
    reports_to_hide: int = 3


@dataclass(frozen=True)
class CoreSettings:
    """What `storage` needs to know about its surroundings."""

    database_url: str
    data_dir: Path
    retention_days: int = 365
    kdf: KdfParams = field(default_factory=KdfParams)
    limits: TipLimits = field(default_factory=TipLimits)
    forum: ForumLimits = field(default_factory=ForumLimits)
