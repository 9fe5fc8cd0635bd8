"""Sections of the navigation bar; each feature adds its own when it registers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """A link in the top bar, shown to officers holding any of `roles` (everyone when empty)."""

    path: str
    label: str  # a catalog id, e.g. "nav.tips"
    roles: frozenset[str] = frozenset()
    order: int = 50

    def visible_to(self, roles: frozenset[str]) -> bool:
        """True when an officer with `roles` may see this section."""
        return not self.roles or bool(self.roles & roles)
