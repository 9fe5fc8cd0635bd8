"""The core as the faces see it: the database, the key material and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.crypto import InstallSecrets, KeyRing, PublicKey
from storage.db import Database
from storage.limits import ResidentLimits
from storage.settings import CoreSettings


class KeyUnavailable(RuntimeError):
    """This process was not given the private key an operation needs."""


@dataclass
class Vault:
    """Keys of this process: public keys always, private rings only where they belong."""

    console_public: PublicKey
    relay_public: PublicKey
    # Only the bot unlocks these (pseudonym key, receipt salt): the console never needs
    # them, so officers cannot turn a Telegram user id into a resident's pseudonym.
    secrets: InstallSecrets | None = None
    # Only the console unlocks this: it opens tips.
    console_ring: KeyRing | None = None
    # Only the bot unlocks this: it opens reply routes and outbox payloads.
    relay_ring: KeyRing | None = None

    def require_console(self) -> KeyRing:
        """The console ring, or a clear error in a process that must not read tips."""
        if self.console_ring is None:
            raise KeyUnavailable("the console key is not unlocked in this process")
        return self.console_ring

    def require_relay(self) -> KeyRing:
        """The relay ring, or a clear error in a process that does not talk to Telegram."""
        if self.relay_ring is None:
            raise KeyUnavailable("the relay key is not unlocked in this process")
        return self.relay_ring

    def require_secrets(self) -> InstallSecrets:
        """The install secrets, or a clear error in a process that does not serve residents."""
        if self.secrets is None:
            raise KeyUnavailable("the install secrets are not unlocked in this process")
        return self.secrets


@dataclass
class Core:
    """What every use case is given."""

    db: Database
    vault: Vault
    settings: CoreSettings
    # Per-resident abuse limits: in this process's memory only, never in the database.
    limits: ResidentLimits = field(default_factory=ResidentLimits)
