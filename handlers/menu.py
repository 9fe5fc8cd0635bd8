"""The main menu and the small keyboard pieces every feature shares."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.i18n import Language, plain

MENU_ITEMS = ("tip", "status", "forum", "warnings", "language", "help")


def main_menu(language: Language) -> InlineKeyboardMarkup:
    """The menu under the welcome message: two buttons a row."""
    buttons = [
        InlineKeyboardButton(plain(language, f"menu.{item}"), callback_data=f"menu:{item}")
        for item in MENU_ITEMS
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def back_cancel_row(language: Language, back_data: str | None) -> list[InlineKeyboardButton]:
    """The Back / Cancel row at the bottom of every step."""
    row = []
    if back_data is not None:
        row.append(InlineKeyboardButton(plain(language, "button.back"), callback_data=back_data))
    row.append(InlineKeyboardButton(plain(language, "button.cancel"), callback_data="cancel"))
    return row


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
