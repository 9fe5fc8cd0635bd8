"""Settings the core needs, handed in by whoever composes the application."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from storage.crypto.receipt import KdfParams


@dataclass(frozen=True)
class TipLimits:
    """How many tips one resident may send, and how often a receipt may be tried."""

    tips_per_hour: int = 3
    tips_per_day: int = 10
    receipt_attempts_per_hour: int = 10


@dataclass(frozen=True)
class CoreSettings:
    """What `storage` needs to know about its surroundings."""

    database_url: str
    data_dir: Path
    retention_days: int = 365
    kdf: KdfParams = field(default_factory=KdfParams)
    limits: TipLimits = field(default_factory=TipLimits)
