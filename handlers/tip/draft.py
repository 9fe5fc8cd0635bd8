"""The tip being written: the draft, the names of its steps, and `with_draft`, which hands
each step the resident's draft or says it is lost."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from handlers.context import Context, language_of
from handlers.conversation import Needs, kept
from handlers.flow import DRAFT_KEY, Trail, end_flows
from handlers.i18n import Language, plain
from handlers.media import Pending
from handlers.menu import tell
from storage.tips import NewAttachment

# Conversation states of the tip flow.
CATEGORY = "tip.category"
DESCRIPTION = "tip.description"
PLACE = "tip.place"
PICK_UNIT = "tip.pick_unit"
LOCATION = "tip.location"
ADDRESS = "tip.address"
FILES = "tip.files"
ORIGINALS = "tip.originals"
CONTACT = "tip.contact"
CONFIRM = "tip.confirm"
END = ConversationHandler.END


@dataclass
class Draft:
    """A tip being written: memory only, gone on restart, cancel, timeout or send.

    What the resident wrote stays out of `repr`, so no stray log line can print it.
    """

    token: str
    trail: Trail
    category: str | None = None
    text: str | None = field(default=None, repr=False)
    unit_id: int | None = field(default=None, repr=False)
    address: str | None = field(default=None, repr=False)
    latitude: float | None = field(default=None, repr=False)
    longitude: float | None = field(default=None, repr=False)
    attachments: list[NewAttachment] = field(default_factory=list, repr=False)
    # Files that cannot be cleaned, waiting for "send as it is" or "drop", oldest first.
    pending: list[Pending] = field(default_factory=list, repr=False)
    pending_seq: int = 0
    files_status_id: int | None = None
    keep_originals: bool = False
    reply_route: bool | None = None
    # The unit whose children the picker shows (None: the provinces).
    browsing: int | None = None

    @property
    def held_bytes(self) -> int:
        """Memory the draft's files take."""
        held = sum(len(a.data) + len(a.original or b"") for a in self.attachments)
        return held + sum(len(p.data) for p in self.pending)

    @property
    def has_originals(self) -> bool:
        """Whether any file was rewritten, so an untouched original could be kept."""
        return any(a.original is not None for a in self.attachments)


def user_data(context: Context) -> dict[Any, Any]:
    """The resident's in-memory store."""
    assert context.user_data is not None
    return context.user_data


def draft_of(context: Context) -> Draft | None:
    """The resident's draft, if one is open."""
    return kept(context, DRAFT_KEY, Draft)


async def lost(update: Update, context: Context) -> int:
    """The draft is gone (restart, timeout): say so and end."""
    language = await language_of(update, context)
    await tell(update, language, "tip.draft_lost")
    end_flows(context)
    return END


def _trail(draft: Draft) -> Trail:
    return draft.trail


# Each step gets the draft; what the resident sends into it is remembered for the clean-up.
with_draft = Needs(draft_of, lost, trail=_trail)


def files_named(language: Language, draft: Draft) -> str:
    """The draft's files in words: '2 × photo, video'."""
    names = [plain(language, f"tip.file.{a.kind}") for a in draft.attachments]
    counted = Counter(names)
    return ", ".join(f"{n} × {name}" if n > 1 else name for name, n in counted.items())
