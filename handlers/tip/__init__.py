"""/tip: an anonymous tip-off, step by step, in a private chat (DESIGN §4).

Category → description → where → files (one that cannot be cleaned is sent only when the
resident chooses "as it is") → (keep originals?) → contact choice → summary → confirm.
The draft lives in `context.user_data` only; confirming seals and stores it in one
transaction and shows the reference and the receipt once. The tip flow and the /status
flow (handlers.status) share one conversation: a resident does one at a time.

The steps live in `describe` (category, description), `place`, `files` (and originals),
`submit` (contact, summary, send) and `cleanup` (after sending); `draft` holds the draft
and `fallbacks` what the conversation answers besides its steps. This module wires them.
"""

from __future__ import annotations

from typing import Any, cast

from telegram import Message, Update
from telegram.ext import CommandHandler, ConversationHandler, MessageHandler, TypeHandler, filters

from handlers import common, status
from handlers.context import CORE_KEY, Context, TinbaoApp
from handlers.conversation import (
    FILE_MESSAGES,
    MESSAGE,
    OTHER_COMMAND,
    PRIVATE,
    TYPED,
    Handlers,
    exclusive_conversation,
    on_button,
)
from handlers.flow import stale_button
from handlers.tip import cleanup, describe, fallbacks, files, place, submit
from handlers.tip.draft import (
    ADDRESS,
    CATEGORY,
    CONFIRM,
    CONTACT,
    DESCRIPTION,
    FILES,
    LOCATION,
    ORIGINALS,
    PICK_UNIT,
    PLACE,
    with_draft,
)
from storage.core import Core
from storage.crypto import normalize_receipt
from storage.tips import CATEGORIES

COMMANDS = ("tip",)

# Runs before the common handlers (group 0) so /start and /cancel reach an open flow.
GROUP = -1
BACK = r"^tip:back$"
SEND = r"^tip:send:[0-9a-f]{12}$"
NOT_TEXT = MESSAGE & ~filters.COMMAND & ~filters.TEXT
# Every button the tip flow makes; anything else under "tip:" is forged or foreign.
TIP_BUTTONS = (
    r"^tip:(cat:[a-z_]{1,20}|back|keep|place:(units|location|address|skip)|unit:\d{1,9}:\d{1,4}"
    r"|pick:\d{1,9}|files:done|asis:\d{1,4}:(send|drop)|orig:(yes|no)|contact:(none|chat))$"
)
# The shape of a receipt (five groups of four, however separated): only such a message is
# taken from whatever else the resident may be doing and deleted.
RECEIPT_LIKE = filters.Regex(r"^\s*[0-9A-Za-z]{4}(?:[\s\-_.]?[0-9A-Za-z]{4}){4}\s*$")


class _ReceiptFilter(filters.MessageFilter):
    """Text that reads as a receipt (20 Crockford characters, however typed)."""

    def filter(self, message: Message) -> bool:
        return message.text is not None and normalize_receipt(message.text) is not None


def tip_states() -> dict[object, Handlers]:
    """The steps of the tip flow and what each accepts.

    Back shows the step before again: `with_draft(ask_…)` is its handler.
    """
    return {
        CATEGORY: [
            on_button(rf"^tip:cat:({'|'.join(CATEGORIES)})$", describe.choose_category),
            on_button(BACK, describe.leave_to_menu),
        ],
        DESCRIPTION: [
            MessageHandler(TYPED, describe.take_description),
            on_button(r"^tip:keep$", describe.keep_description),
            on_button(BACK, with_draft(describe.ask_category)),
            MessageHandler(NOT_TEXT, describe.description_not_text),
        ],
        PLACE: [
            on_button(r"^tip:place:(units|location|address|skip)$", place.place_choice),
            on_button(BACK, with_draft(describe.ask_description)),
            MessageHandler(MESSAGE & filters.LOCATION, place.take_location),
        ],
        PICK_UNIT: [
            on_button(r"^tip:unit:\d{1,9}:\d{1,4}$", place.browse_units),
            on_button(r"^tip:pick:\d{1,9}$", place.pick_unit),
            on_button(BACK, place.units_back),
        ],
        LOCATION: [
            MessageHandler(MESSAGE & filters.LOCATION, place.take_location),
            MessageHandler(TYPED, place.location_keyboard_text),
        ],
        ADDRESS: [
            MessageHandler(TYPED, place.take_address),
            MessageHandler(MESSAGE & filters.LOCATION, place.take_location),
            on_button(BACK, with_draft(place.ask_place)),
        ],
        FILES: [
            MessageHandler(FILE_MESSAGES, files.receive_file),
            on_button(r"^tip:files:done$", files.files_done),
            on_button(r"^tip:asis:\d{1,4}:(send|drop)$", files.choose_as_is),
            on_button(BACK, with_draft(place.ask_place)),
            MessageHandler(MESSAGE & ~filters.COMMAND, files.files_other),
        ],
        ORIGINALS: [
            on_button(r"^tip:orig:(yes|no)$", files.choose_originals),
            on_button(BACK, with_draft(files.ask_files)),
        ],
        CONTACT: [
            on_button(r"^tip:contact:(none|chat)$", submit.choose_contact),
            on_button(BACK, with_draft(files.ask_last_files_step)),
        ],
        CONFIRM: [
            on_button(SEND, submit.confirm),
            on_button(BACK, with_draft(submit.ask_contact)),
        ],
    }


def after_sending() -> Handlers:
    """The buttons under a sent tip, and Send pressed again: the same in a flow or not."""
    return [
        on_button(r"^tip:wipe:[0-9a-f]{12}$", cleanup.wipe),
        on_button(r"^tip:keepmsgs:[0-9a-f]{12}$", cleanup.keep_messages),
        on_button(SEND, submit.pressed_send_outside),
    ]


def build_conversation(core: Core) -> ConversationHandler[Context]:
    """The resident's conversation: the tip flow and the status flow, one at a time."""
    return exclusive_conversation(
        "resident",
        entry_points=[
            CommandHandler("tip", describe.start_tip, filters=PRIVATE),
            on_button(r"^menu:tip$", describe.start_tip),
            *status.entry_points(),
        ],
        states={
            **tip_states(),
            **status.states(),
            ConversationHandler.TIMEOUT: [TypeHandler(Update, fallbacks.timed_out)],
        },
        fallbacks=[
            CommandHandler("cancel", fallbacks.cancel),
            on_button(r"^cancel$", fallbacks.cancel),
            CommandHandler("start", fallbacks.restart),
            *after_sending(),
            on_button(r"^(tip|status):", stale_button),
            on_button(r"^menu:(forum|warnings)$", fallbacks.busy),
            MessageHandler(OTHER_COMMAND, fallbacks.busy),
            MessageHandler(MESSAGE & ~filters.COMMAND, fallbacks.use_buttons),
        ],
        timeout_minutes=core.settings.limits.draft_minutes,
    )


def register(application: TinbaoApp) -> None:
    """The conversation (before the common handlers) and the answers outside it."""
    core = application.bot_data[CORE_KEY]
    assert isinstance(core, Core)
    application.add_handler(cast(Any, build_conversation(core)), group=GROUP)
    application.add_handler(CommandHandler("tip", common.use_private, filters=~PRIVATE))
    for handler in after_sending():
        application.add_handler(handler)
    application.add_handler(on_button(TIP_BUTTONS, fallbacks.button_outside))
    application.add_handler(
        MessageHandler(MESSAGE & TYPED & RECEIPT_LIKE & _ReceiptFilter(), fallbacks.receipt_outside)
    )
