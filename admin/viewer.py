"""Who is asking: the officer behind a browser session or an API token."""

from __future__ import annotations

from dataclasses import dataclass

from storage.auth import Identity


@dataclass(frozen=True)
class Viewer:
    """The signed-in officer of one request.

    `complete` is False between the password and the second factor: such a viewer may
    only reach the sign-in pages. `via_token` marks API requests (no cookie, no CSRF).
    `password_change_due`: signed in with a password someone else chose; only the
    account page is open until they choose their own.
    """

    identity: Identity
    csrf_token: str = ""
    complete: bool = True
    via_token: bool = False
    password_change_due: bool = False

    @property
    def officer_id(self) -> int:
        """The officer's id."""
        return self.identity.officer_id

    @property
    def roles(self) -> frozenset[str]:
        """The officer's roles."""
        return self.identity.roles

    @property
    def unit_path(self) -> str:
        """The materialised path of the officer's unit: their jurisdiction is its prefix."""
        return self.identity.unit_path

    def has(self, *roles: str) -> bool:
        """True when the officer holds any of `roles` (or `roles` is empty)."""
        return not roles or bool(self.identity.roles & set(roles))
