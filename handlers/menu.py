"""The main menu and the small pieces every feature's buttons share: keyboards, answering
a pressed button, and showing a screen in the pressed button's message."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from handlers.i18n import Language, plain, t

MENU_ITEMS = ("tip", "status", "forum", "warnings", "language", "help")


def main_menu(language: Language) -> InlineKeyboardMarkup:
    """The menu under the welcome message: two buttons a row."""
    buttons = [
        InlineKeyboardButton(plain(language, f"menu.{item}"), callback_data=f"menu:{item}")
        for item in MENU_ITEMS
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def menu_again(
    bot: Bot, chat_id: int, language: Language, key: str = "start.menu_again"
) -> None:
    """The main menu in a new message, under the text `key` (a flow has ended)."""
    await bot.send_message(
        chat_id, t(language, key), parse_mode=ParseMode.HTML, reply_markup=main_menu(language)
    )


def button(language: Language, key: str, data: str, **params: object) -> InlineKeyboardButton:
    """One inline button labelled from the catalog."""
    return InlineKeyboardButton(plain(language, key, **params), callback_data=data)


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows (empty rows are left out)."""
    return InlineKeyboardMarkup([row for row in rows if row])


def back_cancel_row(
    language: Language, back_data: str | None, cancel_data: str = "cancel"
) -> list[InlineKeyboardButton]:
    """The Back / Cancel row at the bottom of every step."""
    row = []
    if back_data is not None:
        row.append(button(language, "button.back", back_data))
    row.append(button(language, "button.cancel", cancel_data))
    return row


def back_cancel(language: Language, back_data: str) -> InlineKeyboardMarkup:
    """Only Back and Cancel: the keyboard of a step that waits for typed text."""
    return keyboard(back_cancel_row(language, back_data))


def paged(
    items: Sequence[tuple[str, str]],
    page: int,
    *,
    page_data: str,
    per_page: int = 8,
    columns: int = 2,
) -> list[list[InlineKeyboardButton]]:
    """Rows of (label, callback_data) buttons for one page, with ◀ ▶ to move between pages.

    `page_data` is a format string with `{page}`, used for the arrows.
    """
    pages = max(1, (len(items) + per_page - 1) // per_page)
    page = min(max(page, 0), pages - 1)
    chunk = items[page * per_page : (page + 1) * per_page]
    buttons = [InlineKeyboardButton(label, callback_data=data) for label, data in chunk]
    rows = [buttons[i : i + columns] for i in range(0, len(buttons), columns)]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(InlineKeyboardButton("◀", callback_data=page_data.format(page=page - 1)))
        nav.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data="noop"))
        if page < pages - 1:
            nav.append(InlineKeyboardButton("▶", callback_data=page_data.format(page=page + 1)))
        rows.append(nav)
    return rows


def callback_arg(update: Update, index: int) -> str:
    """Part `index` of the pressed button's data ('tip:cat:drugs' → 2: 'drugs')."""
    assert update.callback_query is not None and update.callback_query.data is not None
    return update.callback_query.data.split(":")[index]


async def answer(update: Update, text: str | None = None) -> None:
    """Acknowledge a button press (the spinner stops), with a short notice if given."""
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # too old to answer; the step still runs
            await update.callback_query.answer(text)


async def alert(update: Update, text: str) -> None:
    """A pop-up answer to a button press."""
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(text, show_alert=True)


async def tell(update: Update, language: Language, key: str) -> None:
    """The catalog text `key`: a pop-up for a pressed button, a reply to a message."""
    if update.callback_query is not None:
        await alert(update, plain(language, key))
    elif update.effective_message is not None:
        await update.effective_message.reply_html(t(language, key))


async def replace(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Show a screen in the pressed button's message, or in a new one (after a command, or
    when that message can no longer be edited)."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
            return
        except BadRequest as exc:  # pressing the same toggle twice changes nothing
            if "not modified" in exc.message.lower():
                return
    if update.effective_chat is not None:
        await update.get_bot().send_message(
            update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
