"""/status: come back with the receipt — status in plain words, officer replies, add more.

The receipt the resident types is deleted from the chat at once; attempts are counted
per resident in the bot's memory only (storage.limits). The unlocked tip stays in memory
for the session only. Additions keep to the tip's file cap and an hourly limit per
resident; a file that cannot be cleaned is added only once the resident chooses to send
it as it is. The flow runs inside the resident conversation built by handlers.tip.

The steps live in `view` (the receipt, the tip, Refresh, Close) and `additions` (text and
files); `session` holds what a visit keeps in memory. This module wires them.
"""

from __future__ import annotations

from telegram.ext import CommandHandler, MessageHandler, filters

from handlers import common
from handlers.context import TinbaoApp
from handlers.conversation import FILE_MESSAGES, MESSAGE, PRIVATE, TYPED, Handlers, on_button
from handlers.status import additions, view
from handlers.status.session import ADD_FILES, ADD_TEXT, RECEIPT, VIEW

COMMANDS = ("status",)


def entry_points() -> Handlers:
    """How the status flow starts."""
    return [
        CommandHandler("status", view.start_status, filters=PRIVATE),
        on_button(r"^menu:status$", view.start_status),
    ]


def states() -> dict[object, Handlers]:
    """The steps of the status flow."""
    return {
        RECEIPT: [
            MessageHandler(TYPED, view.take_receipt),
            on_button(r"^status:back$", view.back_to_menu),
            MessageHandler(MESSAGE & ~filters.COMMAND, view.receipt_not_text),
        ],
        VIEW: [
            on_button(r"^status:add$", additions.ask_text),
            on_button(r"^status:file$", additions.ask_files),
            on_button(r"^status:refresh$", view.refresh),
            on_button(r"^status:close$", view.close),
        ],
        ADD_TEXT: [
            MessageHandler(TYPED, additions.take_text),
            on_button(r"^status:back$", additions.back_to_view),
        ],
        ADD_FILES: [
            MessageHandler(FILE_MESSAGES, additions.take_file),
            on_button(r"^status:asis:\d{1,4}:(send|drop)$", additions.choose_as_is),
            on_button(r"^status:(back|done)$", additions.back_to_view),
            MessageHandler(MESSAGE & ~filters.COMMAND, additions.files_other),
        ],
    }


def register(application: TinbaoApp) -> None:
    """What answers outside the conversation (the flow itself is wired by handlers.tip)."""
    application.add_handler(CommandHandler("status", common.use_private, filters=~PRIVATE))
    application.add_handler(
        on_button(
            r"^status:(add|file|refresh|close|back|done|asis:\d{1,4}:(send|drop))$",
            view.button_outside,
        )
    )
