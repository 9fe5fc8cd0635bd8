"""Steps 5 and 6 of /tip: how to hear back, the summary, and Send — the draft is sealed
and stored in one transaction, and the reference and the receipt are shown once."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from handlers.context import Context, core_of, language_of
from handlers.flow import DRAFT_KEY, Trail, category_label, excerpt, show
from handlers.i18n import Language, plain, t
from handlers.menu import alert, back_cancel_row, button, callback_arg, keyboard
from handlers.tip.draft import (
    CONFIRM,
    CONTACT,
    END,
    Draft,
    draft_of,
    files_named,
    user_data,
    with_draft,
)
from storage import tip_limits, tips, units
from storage.core import Core
from storage.tips import ReplyRoute, TipContent

log = logging.getLogger(__name__)

SUMMARY_EXCERPT = 700
# Storing faster than this shows no "sending…" edit, only the notice on the button.
SENDING_STATE_AFTER = 1.0
# Remembered per resident after sending, for repeated presses and the clean-up button.
SENT_KEY = "tip.sent"
WIPE_KEY = "tip.wipe"
KEEP_SENT = 20
KEEP_WIPES = 5


async def ask_contact(update: Update, context: Context, draft: Draft) -> str:
    """Step 5: no link at all, or a sealed link so replies come into this chat."""
    language = await language_of(update, context)
    markup = keyboard(
        [button(language, "tip.contact.none", "tip:contact:none")],
        [button(language, "tip.contact.chat", "tip:contact:chat")],
        back_cancel_row(language, "tip:back"),
    )
    await show(update, context, draft.trail, t(language, "tip.contact.ask"), markup)
    return CONTACT


@with_draft
async def choose_contact(update: Update, context: Context, draft: Draft) -> str:
    """One of the two contact options."""
    draft.reply_route = callback_arg(update, 2) == "chat"
    return await ask_confirm(update, context, draft)


async def _place_lines(core: Core, language: Language, draft: Draft) -> tuple[str, str]:
    """Where it happened, as the resident said it, and which police it goes to."""
    async with core.db.read() as session:
        chosen = await units.get_unit(session, draft.unit_id) if draft.unit_id else None
        police = await tips.route_unit(session, draft.unit_id)
        chain = await units.ancestors(session, chosen) if chosen is not None else []
    if chosen is not None:
        place = ", ".join(units.place_name(u, language) for u in reversed(chain))
    elif draft.latitude is not None:
        place = plain(language, "tip.summary.location")
    elif draft.address:
        place = draft.address
    else:
        place = plain(language, "tip.summary.no_place")
    return place, units.police_name(police, language)


async def summary_text(core: Core, language: Language, draft: Draft) -> str:
    """The draft as the resident will check it; their words are escaped."""
    place, police = await _place_lines(core, language, draft)
    if draft.attachments:
        files = files_named(language, draft)
        if draft.keep_originals:
            files += " " + plain(language, "tip.summary.with_originals")
        as_is = sum(1 for a in draft.attachments if a.as_is)
        if as_is:
            files += " " + plain(language, "tip.summary.as_is", count=as_is)
    else:
        files = plain(language, "tip.summary.no_files")
    contact = "tip.summary.contact_chat" if draft.reply_route else "tip.summary.contact_none"
    return t(
        language,
        "tip.summary",
        category=category_label(language, draft.category or "other"),
        text=excerpt(draft.text or "", SUMMARY_EXCERPT),
        place=place,
        police=police,
        files=files,
        contact=plain(language, contact),
    )


def _confirm_keyboard(language: Language, draft: Draft) -> InlineKeyboardMarkup:
    return keyboard(
        [button(language, "tip.confirm.send", f"tip:send:{draft.token}")],
        back_cancel_row(language, "tip:back"),
    )


async def ask_confirm(update: Update, context: Context, draft: Draft) -> str:
    """Step 6: the summary and the Send button."""
    language = await language_of(update, context)
    text = await summary_text(core_of(context), language, draft)
    await show(update, context, draft.trail, text, _confirm_keyboard(language, draft))
    return CONFIRM


async def confirm(update: Update, context: Context) -> str | int:
    """Send: consume the draft first (a second press finds none), seal, store, show receipt."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    language = await language_of(update, context)
    data = user_data(context)
    # Consumed before any await: a second press finds no draft and sends nothing.
    draft = data.pop(DRAFT_KEY, None)
    if not isinstance(draft, Draft) or draft.token != callback_arg(update, 2):
        if draft is not None:
            data[DRAFT_KEY] = draft
        await pressed_send_outside(update, context)
        return CONFIRM if draft is not None else END
    sent: list[str] = data.setdefault(SENT_KEY, [])
    sent.append(draft.token)
    del sent[:-KEEP_SENT]
    # The sending state at once as a notice on the button (it costs no message), and on
    # the summary itself only if storing takes long: under load every edit waits its turn
    # in the bot's flood budget, and a resident's receipt should not wait behind them.
    with contextlib.suppress(TelegramError):
        await query.answer(plain(language, "tip.confirm.sending"))
    core = core_of(context)
    storing = asyncio.ensure_future(_store(core, user.id, draft, language))
    done, _ = await asyncio.wait({storing}, timeout=SENDING_STATE_AFTER)
    if not done:
        await show(update, context, draft.trail, t(language, "tip.confirm.sending"))
    outcome = await storing
    if not isinstance(outcome, tips.Submitted):
        _unsend(context, draft)
        if isinstance(outcome, tip_limits.Refusal):
            text = limit_text(language, outcome) + "\n\n" + t(language, "tip.confirm.kept")
        else:
            text = t(language, "tip.confirm.failed")
        text += "\n\n" + await summary_text(core, language, draft)
        await show(update, context, draft.trail, text, _confirm_keyboard(language, draft))
        return CONFIRM
    _remember_sent(context, draft)
    text = t(language, "tip.receipt", ref=outcome.ref, receipt=outcome.receipt)
    text += "\n\n" + t(
        language, "tip.receipt.route" if draft.reply_route else "tip.receipt.no_route"
    )
    text += "\n\n" + t(language, "tip.receipt.hygiene")
    markup = keyboard(
        [button(language, "tip.wipe.yes", f"tip:wipe:{draft.token}")],
        [button(language, "tip.wipe.no", f"tip:keepmsgs:{draft.token}")],
    )
    await show(update, context, draft.trail, text, markup)
    return END


def limit_text(language: Language, refusal: tip_limits.Refusal) -> str:
    """'You have sent 3 tips this hour; try again in about 20 minutes; 113 if urgent.'"""
    key = "tip.limit_hour" if refusal.window_seconds <= 3600 else "tip.limit_day"
    minutes = max(1, round(refusal.retry_after_seconds / 60))
    return t(language, key, limit=refusal.limit, minutes=minutes)


async def _store(
    core: Core, user_id: int, draft: Draft, language: Language
) -> tips.Submitted | tip_limits.Refusal | None:
    """Seal and store the tip, counted against the resident's limits; None on failure."""
    try:
        return await tips.submit_tip(core, resident=user_id, **_submission(draft, language))
    except tip_limits.OverLimit as over:
        return over.refusal
    except Exception:
        log.exception("storing a tip failed; the draft is kept for another try")
        return None


def _submission(draft: Draft, language: Language) -> dict[str, Any]:
    attachments = [
        a if draft.keep_originals else dataclasses.replace(a, original=None)
        for a in draft.attachments
    ]
    route = (
        ReplyRoute(chat_id=draft.trail.chat_id, language=language) if draft.reply_route else None
    )
    return {
        "category": draft.category or "other",
        "content": TipContent(
            text=draft.text or "",
            place_unit_id=draft.unit_id,
            address=draft.address,
            latitude=draft.latitude,
            longitude=draft.longitude,
            language=language,
        ),
        "attachments": attachments,
        "reply_route": route,
    }


def _unsend(context: Context, draft: Draft) -> None:
    """Not sent after all: the draft is back, its Send button works again."""
    data = user_data(context)
    data[DRAFT_KEY] = draft
    sent: list[str] = data.get(SENT_KEY, [])
    if draft.token in sent:
        sent.remove(draft.token)


def _remember_sent(context: Context, draft: Draft) -> None:
    """Keep the sent tip's messages for the clean-up button (the last few tips only)."""
    data = user_data(context)
    wipes: dict[str, Trail] = data.setdefault(WIPE_KEY, {})
    wipes[draft.token] = draft.trail
    for token in list(wipes)[:-KEEP_WIPES]:
        del wipes[token]


async def pressed_send_outside(update: Update, context: Context) -> str | None:
    """Send pressed again, or with a token of no open draft: never a second tip."""
    language = await language_of(update, context)
    token = callback_arg(update, 2)
    if token in user_data(context).get(SENT_KEY, []):
        await alert(update, plain(language, "tip.confirm.already_sent"))
    elif draft_of(context) is not None:
        await alert(update, plain(language, "flow.stale_button"))
    else:
        await alert(update, plain(language, "tip.draft_lost"))
    return None
