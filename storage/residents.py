"""What the bot remembers of a resident: a language choice, by pseudonym.

Rate limits are not kept here, nor anywhere in the database: see storage.limits.
"""

from __future__ import annotations

from storage.core import Core
from storage.crypto import pseudonym
from storage.models import ResidentPreference, utcnow


def resident_key(core: Core, purpose: str, telegram_user_id: int) -> bytes:
    """A stable pseudonym of a Telegram user for one purpose; the id itself is never stored."""
    return pseudonym(core.vault.require_secrets().pseudonym_key, purpose, telegram_user_id)


async def get_language(core: Core, telegram_user_id: int) -> str | None:
    """The language the resident chose with /lang, if any."""
    key = resident_key(core, "language", telegram_user_id)
    async with core.db.read() as session:
        pref = await session.get(ResidentPreference, key)
        return pref.language if pref else None


async def set_language(core: Core, telegram_user_id: int, language: str) -> None:
    """Remember the resident's language choice."""
    key = resident_key(core, "language", telegram_user_id)
    async with core.db.write() as session:
        pref = await session.get(ResidentPreference, key)
        if pref is None:
            session.add(ResidentPreference(pseudonym=key, language=language))
        else:
            pref.language, pref.updated_at = language, utcnow()
