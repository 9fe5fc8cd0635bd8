"""One /status visit: the session kept in memory while the receipt's tip is open, the
steps' names, and the guards that hand each step its session."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from handlers.context import Context
from handlers.conversation import Needs, kept
from handlers.flow import SESSION_KEY, Trail
from handlers.i18n import Language
from handlers.media import Pending
from handlers.menu import back_cancel
from storage import tip_limits
from storage.tips import TipsterAccess

RECEIPT = "status.receipt"
VIEW = "status.view"
ADD_TEXT = "status.add_text"
ADD_FILES = "status.add_files"

END = ConversationHandler.END


@dataclass
class Session:
    """One /status visit: the receipt's access lives here, in memory, until it ends."""

    trail: Trail
    access: TipsterAccess | None = None
    ref: str = ""
    files_status_id: int | None = None
    files_added: int = 0
    # Files the tip carries already (one tip carries at most `attachments_per_tip`).
    attachments: int = 0
    # Files that cannot be cleaned, waiting for "send as it is" or "drop", oldest first.
    pending: list[Pending] = field(default_factory=list, repr=False)
    pending_seq: int = 0

    @property
    def unlocked(self) -> TipsterAccess:
        """The tip the receipt opened (every step after the receipt has it)."""
        assert self.access is not None
        return self.access


def session_of(context: Context) -> Session | None:
    """The resident's open status session, if any."""
    return kept(context, SESSION_KEY, Session)


def unlocked_session(context: Context) -> Session | None:
    """The open status session, once a receipt has opened its tip."""
    session = session_of(context)
    return session if session is not None and session.access is not None else None


async def _ended(_update: Update, _context: Context) -> int:
    """No session any more: the conversation ends without a word."""
    return END


def _trail(session: Session) -> Trail:
    return session.trail


# The receipt step notes its message itself: only when the receipt could not be deleted.
with_session = Needs(session_of, _ended)
# Each later step gets the session; what the resident sends is remembered for the clean-up.
with_tip = Needs(unlocked_session, _ended, trail=_trail)


def back_keyboard(language: Language) -> InlineKeyboardMarkup:
    """Only Back and Cancel, for a step that waits for typed text."""
    return back_cancel(language, "status:back")


def retry_minutes(refusal: tip_limits.Refusal) -> int:
    """In how many minutes a refused resident may try again (at least 1)."""
    return max(1, round(refusal.retry_after_seconds / 60))
