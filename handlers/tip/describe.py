"""/tip and its first two steps: what kind of crime (step 1) and what happened (step 2)."""

from __future__ import annotations

import secrets

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
    Update,
)

from handlers.context import Context, core_of, language_of, private_only
from handlers.flow import (
    DRAFT_KEY,
    Trail,
    category_label,
    delete_quietly,
    end_flows,
    excerpt,
    send,
    show,
)
from handlers.i18n import Language, t
from handlers.menu import (
    answer,
    back_cancel,
    back_cancel_row,
    button,
    callback_arg,
    keyboard,
    main_menu,
)
from handlers.tip.draft import (
    CATEGORY,
    DESCRIPTION,
    END,
    Draft,
    lost,
    user_data,
    with_draft,
)
from handlers.tip.place import ask_place
from handlers.tip.submit import limit_text
from storage import tip_limits
from storage.crypto import normalize_receipt
from storage.tips import CATEGORIES, MAX_TEXT

MIN_TEXT = 10


def count_text(language: Language, number: int) -> str:
    """1.234.567 in Vietnamese, 1,234,567 in English."""
    text = f"{number:,}"
    return text.replace(",", ".") if language == "vi" else text


@private_only
async def start_tip(update: Update, context: Context) -> str | int:
    """/tip or the menu button: say what stays anonymous, then ask the category."""
    language = await language_of(update, context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    await answer(update)
    ended = end_flows(context)
    markup = ReplyKeyboardRemove() if ended.trail and ended.trail.reply_keyboard else None
    # Over a limit already: say so now, not after the resident wrote the whole tip.
    refusal = tip_limits.submission_refusal(core_of(context), user.id)
    if refusal is not None:
        await context.bot.send_message(
            chat.id, limit_text(language, refusal), parse_mode="HTML", reply_markup=markup
        )
        return END
    draft = Draft(token=secrets.token_hex(6), trail=Trail(chat.id))
    draft.trail.note(update)
    user_data(context)[DRAFT_KEY] = draft
    intro = t(language, "tip.intro")
    if ended.draft:
        intro = t(language, "flow.draft_discarded") + "\n\n" + intro
    if markup is not None:
        await send(context, draft.trail, intro, markup)
        await send(context, draft.trail, t(language, "tip.category.ask"), _categories(language))
    else:
        text = intro + "\n\n" + t(language, "tip.category.ask")
        await send(context, draft.trail, text, _categories(language))
    return CATEGORY


def _categories(language: Language) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(category_label(language, c), callback_data=f"tip:cat:{c}")]
        for c in CATEGORIES
    ]
    return keyboard(*rows, back_cancel_row(language, "tip:back"))


async def ask_category(update: Update, context: Context, draft: Draft) -> str:
    """Step 1 again (Back from the description)."""
    language = await language_of(update, context)
    await show(update, context, draft.trail, t(language, "tip.category.ask"), _categories(language))
    return CATEGORY


async def leave_to_menu(update: Update, context: Context) -> int:
    """Back from the first step: nothing was written yet, show the main menu."""
    language = await language_of(update, context)
    await answer(update)
    ended = end_flows(context)
    if update.callback_query is not None and isinstance(update.callback_query.message, Message):
        await update.callback_query.message.edit_text(
            t(language, "start.menu_again"), parse_mode="HTML", reply_markup=main_menu(language)
        )
    elif ended.trail is not None:
        await send(context, ended.trail, t(language, "start.menu_again"), main_menu(language))
    return END


@with_draft
async def choose_category(update: Update, context: Context, draft: Draft) -> str:
    """A category button."""
    draft.category = callback_arg(update, 2)
    return await ask_description(update, context, draft)


async def ask_description(update: Update, context: Context, draft: Draft) -> str:
    """Step 2: what happened (keeps the earlier text when coming back)."""
    language = await language_of(update, context)
    text = t(language, "tip.description.ask")
    rows: list[list[InlineKeyboardButton]] = []
    if draft.text:
        text += "\n\n" + t(language, "tip.description.current", text=excerpt(draft.text, 300))
        rows.append([button(language, "tip.description.keep", "tip:keep")])
    await show(
        update, context, draft.trail, text, keyboard(*rows, back_cancel_row(language, "tip:back"))
    )
    return DESCRIPTION


@with_draft
async def take_description(update: Update, context: Context, draft: Draft) -> str:
    """The description typed by the resident: 10 to 4096 characters."""
    message = update.effective_message
    assert message is not None and message.text is not None
    language = await language_of(update, context)
    again = back_cancel(language, "tip:back")
    text = message.text.strip()
    if normalize_receipt(text) is not None:
        await delete_quietly(message)
        await send(context, draft.trail, t(language, "tip.description.looks_like_receipt"), again)
        return DESCRIPTION
    if len(text) < MIN_TEXT:
        reply = t(language, "tip.description.too_short", count=len(text), minimum=MIN_TEXT)
        await send(context, draft.trail, reply, again)
        return DESCRIPTION
    if len(text) > MAX_TEXT:
        reply = t(
            language,
            "tip.description.too_long",
            count=count_text(language, len(text)),
            maximum=count_text(language, MAX_TEXT),
        )
        await send(context, draft.trail, reply, again)
        return DESCRIPTION
    draft.text = text
    return await ask_place(update, context, draft)


@with_draft(answer=False)
async def keep_description(update: Update, context: Context, draft: Draft) -> str | int:
    """'Keep it' after coming back to the description."""
    if not draft.text:
        return await lost(update, context)
    await answer(update)
    return await ask_place(update, context, draft)


@with_draft
async def description_not_text(update: Update, context: Context, draft: Draft) -> str:
    """A file or sticker where the description is expected."""
    language = await language_of(update, context)
    again = back_cancel(language, "tip:back")
    await send(context, draft.trail, t(language, "tip.description.text_only"), again)
    return DESCRIPTION
