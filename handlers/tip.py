"""/tip: an anonymous tip-off, step by step, in a private chat (DESIGN §4).

Category → description → where → files (one that cannot be cleaned is sent only when the
resident chooses "as it is") → (keep originals?) → contact choice → summary → confirm.
The draft lives in `context.user_data` only; confirming seals and stores it in one
transaction and shows the reference and the receipt once. The tip flow and the /status
flow (handlers.status) share one conversation: a resident does one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import common, status
from handlers.context import CORE_KEY, Context, TinbaoApp, core_of, language_of, private_only
from handlers.flow import (
    DRAFT_KEY,
    SESSION_KEY,
    Trail,
    category_label,
    delete_quietly,
    delete_trail,
    edit,
    end_flows,
    send,
    show,
)
from handlers.i18n import Language, plain, t
from handlers.media import (
    Pending,
    consent_buttons,
    consent_text,
    download,
    incoming_file,
    prepare,
)
from handlers.menu import back_cancel_row, main_menu, paged
from storage import tip_limits, tips, units
from storage.core import Core
from storage.crypto import normalize_receipt
from storage.media import MediaRefused, NotCleanable
from storage.models import Unit
from storage.tips import CATEGORIES, MAX_TEXT, NewAttachment, ReplyRoute, TipContent

log = logging.getLogger(__name__)

COMMANDS = ("tip",)

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
# Runs before the common handlers (group 0) so /start and /cancel reach an open flow.
GROUP = -1
MIN_TEXT = 10
MAX_ADDRESS = 300
# All files of one draft together, held in memory until the tip is sent.
MAX_DRAFT_BYTES = 60 * 1024 * 1024
SUMMARY_EXCERPT = 700
# Storing faster than this shows no "sending…" edit, only the notice on the button.
SENDING_STATE_AFTER = 1.0
# Remembered per resident after sending, for repeated presses and the clean-up button.
SENT_KEY = "tip.sent"
WIPE_KEY = "tip.wipe"
KEEP_SENT = 20
KEEP_WIPES = 5


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


# ---- small helpers ----------------------------------------------------------------------


def user_data(context: Context) -> dict[Any, Any]:
    """The resident's in-memory store."""
    assert context.user_data is not None
    return context.user_data


def draft_of(context: Context) -> Draft | None:
    """The resident's draft, if one is open."""
    draft = user_data(context).get(DRAFT_KEY)
    return draft if isinstance(draft, Draft) else None


def count_text(language: Language, number: int) -> str:
    """1.234.567 in Vietnamese, 1,234,567 in English."""
    text = f"{number:,}"
    return text.replace(",", ".") if language == "vi" else text


def excerpt(text: str, limit: int = SUMMARY_EXCERPT) -> str:
    """The start of a long text, marked as cut."""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


async def answer(update: Update) -> None:
    """Acknowledge a button press (the spinner stops)."""
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # too old to answer; the step still runs
            await update.callback_query.answer()


async def alert(update: Update, text: str) -> None:
    """A pop-up answer to a button press."""
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(text, show_alert=True)


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows."""
    return InlineKeyboardMarkup([row for row in rows if row])


def button(language: Language, key: str, data: str, **params: object) -> InlineKeyboardButton:
    """One inline button labelled from the catalog."""
    return InlineKeyboardButton(plain(language, key, **params), callback_data=data)


def callback_arg(update: Update, index: int) -> str:
    """Part `index` of the pressed button's data ('tip:cat:drugs' → 2: 'drugs')."""
    assert update.callback_query is not None and update.callback_query.data is not None
    return update.callback_query.data.split(":")[index]


# ---- entry ------------------------------------------------------------------------------


@private_only
async def start_tip(update: Update, context: Context) -> str | int:
    """/tip or the menu button: say what stays anonymous, then ask the category."""
    language = await language_of(update, context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    await answer(update)
    ended = end_flows(context)
    # Over a limit already: say so now, not after the resident wrote the whole tip.
    refusal = tip_limits.submission_refusal(core_of(context), user.id)
    if refusal is not None:
        markup = ReplyKeyboardRemove() if ended.trail and ended.trail.reply_keyboard else None
        await context.bot.send_message(
            chat.id, _limit_text(language, refusal), parse_mode="HTML", reply_markup=markup
        )
        return END
    draft = Draft(token=secrets.token_hex(6), trail=Trail(chat.id))
    draft.trail.note(update)
    user_data(context)[DRAFT_KEY] = draft
    intro = t(language, "tip.intro")
    if ended.draft:
        intro = t(language, "flow.draft_discarded") + "\n\n" + intro
    markup = ReplyKeyboardRemove() if ended.trail and ended.trail.reply_keyboard else None
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


# ---- step 1: category -------------------------------------------------------------------


async def choose_category(update: Update, context: Context) -> str | int:
    """A category button."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    draft.category = callback_arg(update, 2)
    return await ask_description(update, context, draft)


# ---- step 2: description ----------------------------------------------------------------


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


async def take_description(update: Update, context: Context) -> str | int:
    """The description typed by the resident: 10 to 4096 characters."""
    draft = draft_of(context)
    message = update.effective_message
    if draft is None or message is None or message.text is None:
        return await lost(update, context)
    language = await language_of(update, context)
    draft.trail.note(update)
    again = keyboard(back_cancel_row(language, "tip:back"))
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


async def keep_description(update: Update, context: Context) -> str | int:
    """'Keep it' after coming back to the description."""
    draft = draft_of(context)
    if draft is None or not draft.text:
        return await lost(update, context)
    await answer(update)
    return await ask_place(update, context, draft)


async def description_not_text(update: Update, context: Context) -> str | int:
    """A file or sticker where the description is expected."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    language = await language_of(update, context)
    draft.trail.note(update)
    again = keyboard(back_cancel_row(language, "tip:back"))
    await send(context, draft.trail, t(language, "tip.description.text_only"), again)
    return DESCRIPTION


# ---- step 3: where ----------------------------------------------------------------------


def _place_menu(language: Language) -> InlineKeyboardMarkup:
    return keyboard(
        [button(language, "tip.place.units", "tip:place:units")],
        [button(language, "tip.place.location", "tip:place:location")],
        [button(language, "tip.place.address", "tip:place:address")],
        [button(language, "tip.place.skip", "tip:place:skip")],
        back_cancel_row(language, "tip:back"),
    )


async def ask_place(update: Update, context: Context, draft: Draft) -> str:
    """Step 3: the commune from the unit tree, a location, an address, or nothing."""
    language = await language_of(update, context)
    await show(update, context, draft.trail, t(language, "tip.place.ask"), _place_menu(language))
    return PLACE


async def place_choice(update: Update, context: Context) -> str | int:
    """One of the four ways to say where."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    language = await language_of(update, context)
    await answer(update)
    choice = callback_arg(update, 2)
    if choice == "units":
        roots = await _children(core_of(context), None)
        # One province only: start at its communes.
        return await show_units(update, context, draft, roots[0].id if len(roots) == 1 else None)
    if choice == "location":
        await show(update, context, draft.trail, t(language, "tip.place.location_ask"))
        markup = ReplyKeyboardMarkup(
            [
                [KeyboardButton(plain(language, "tip.place.location_send"), request_location=True)],
                [KeyboardButton(plain(language, "button.back"))],
                [KeyboardButton(plain(language, "button.cancel"))],
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await send(context, draft.trail, t(language, "tip.place.location_hint"), markup)
        return LOCATION
    if choice == "address":
        text = t(language, "tip.place.address_ask", maximum=MAX_ADDRESS)
        await show(
            update, context, draft.trail, text, keyboard(back_cancel_row(language, "tip:back"))
        )
        return ADDRESS
    draft.unit_id = draft.address = draft.latitude = draft.longitude = None
    return await ask_files(update, context, draft)


async def _children(core: Core, parent_id: int | None) -> list[Unit]:
    async with core.db.read() as session:
        return await units.children(session, parent_id)


async def _unit(core: Core, unit_id: int) -> Unit | None:
    async with core.db.read() as session:
        unit = await units.get_unit(session, unit_id)
    return unit if unit is not None and unit.active else None


async def show_units(
    update: Update, context: Context, draft: Draft, parent_id: int | None, page: int = 0
) -> str:
    """One page of the units under `parent_id` (the provinces when None)."""
    language = await language_of(update, context)
    core = core_of(context)
    async with core.db.read() as session:
        found = await units.children(session, parent_id)
        branches = await units.has_children(session, [u.id for u in found])
        parent = await units.get_unit(session, parent_id) if parent_id is not None else None
    draft.browsing = parent_id
    items = [
        (
            units.place_name(u, language) + (" ›" if u.id in branches else ""),
            f"tip:unit:{u.id}:0" if u.id in branches else f"tip:pick:{u.id}",
        )
        for u in found
    ]
    rows = paged(items, page, page_data=f"tip:unit:{parent_id or 0}:{{page}}", columns=1)
    if parent is not None:
        place = units.place_name(parent, language)
        rows.append(
            [button(language, "tip.place.whole_unit", f"tip:pick:{parent.id}", place=place)]
        )
        text = t(language, "tip.place.units_in", place=place)
    else:
        text = t(language, "tip.place.units_root")
    rows.append(back_cancel_row(language, "tip:back"))
    await show(update, context, draft.trail, text, InlineKeyboardMarkup(rows))
    return PICK_UNIT


async def browse_units(update: Update, context: Context) -> str | int:
    """A unit with units under it, or ◀ ▶: show that level."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    unit_id, page = int(callback_arg(update, 2)), int(callback_arg(update, 3))
    if unit_id != 0 and await _unit(core_of(context), unit_id) is None:
        await stale_button(update, context)
        return PICK_UNIT
    await answer(update)
    return await show_units(update, context, draft, unit_id or None, page)


async def pick_unit(update: Update, context: Context) -> str | int:
    """The commune (or the whole district or province) where it happened."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    unit = await _unit(core_of(context), int(callback_arg(update, 2)))
    if unit is None:
        await stale_button(update, context)
        return PICK_UNIT
    await answer(update)
    draft.unit_id = unit.id
    draft.address = draft.latitude = draft.longitude = None
    return await ask_files(update, context, draft)


async def units_back(update: Update, context: Context) -> str | int:
    """Back in the picker: one level up, or the place menu from the top."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    core = core_of(context)
    roots = await _children(core, None)
    top = roots[0].id if len(roots) == 1 else None
    if draft.browsing is None or draft.browsing == top:
        return await ask_place(update, context, draft)
    current = await _unit(core, draft.browsing)
    return await show_units(update, context, draft, current.parent_id if current else None)


async def take_location(update: Update, context: Context) -> str | int:
    """A shared location (the button, or 📎 → Location)."""
    draft = draft_of(context)
    message = update.effective_message
    if draft is None or message is None or message.location is None:
        return await lost(update, context)
    language = await language_of(update, context)
    draft.trail.note(update)
    draft.latitude, draft.longitude = message.location.latitude, message.location.longitude
    draft.unit_id = draft.address = None
    await send(context, draft.trail, t(language, "tip.place.location_saved"), ReplyKeyboardRemove())
    return await ask_files(update, context, draft)


async def location_keyboard_text(update: Update, context: Context) -> str | int:
    """Text under the location keyboard: its Back or Cancel button, or a reminder."""
    draft = draft_of(context)
    message = update.effective_message
    if draft is None or message is None or message.text is None:
        return await lost(update, context)
    language = await language_of(update, context)
    draft.trail.note(update)
    if message.text == plain(language, "button.cancel"):
        return await cancel(update, context)
    if message.text == plain(language, "button.back"):
        await send(
            context, draft.trail, t(language, "tip.place.location_closed"), ReplyKeyboardRemove()
        )
        return await ask_place(update, context, draft)
    await send(context, draft.trail, t(language, "tip.place.location_hint"))
    return LOCATION


async def take_address(update: Update, context: Context) -> str | int:
    """A typed address or description of the place."""
    draft = draft_of(context)
    message = update.effective_message
    if draft is None or message is None or message.text is None:
        return await lost(update, context)
    language = await language_of(update, context)
    draft.trail.note(update)
    text = message.text.strip()
    if not 3 <= len(text) <= MAX_ADDRESS:
        reply = t(language, "tip.place.address_length", maximum=MAX_ADDRESS)
        await send(context, draft.trail, reply, keyboard(back_cancel_row(language, "tip:back")))
        return ADDRESS
    draft.address = text
    draft.unit_id = draft.latitude = draft.longitude = None
    return await ask_files(update, context, draft)


# ---- step 4: files ----------------------------------------------------------------------


def _files_keyboard(language: Language, draft: Draft) -> InlineKeyboardMarkup:
    back = back_cancel_row(language, "tip:back")
    if draft.pending:
        return keyboard(*consent_buttons(language, "tip:asis", draft.pending[0].number), back)
    key = "tip.files.continue" if draft.attachments else "tip.files.none"
    return keyboard([button(language, key, "tip:files:done")], back)


def _files_list(language: Language, draft: Draft) -> str:
    names = [plain(language, f"tip.file.{a.kind}") for a in draft.attachments]
    counted = Counter(names)
    return ", ".join(f"{n} × {name}" if n > 1 else name for name, n in counted.items())


def _files_status(language: Language, draft: Draft, limit: int) -> str:
    """What was received, or the question about a file that cannot be cleaned."""
    if draft.pending:
        return consent_text(language, draft.pending[0])
    return t(
        language,
        "tip.files.received",
        count=len(draft.attachments),
        maximum=limit,
        files=_files_list(language, draft),
    )


async def ask_files(update: Update, context: Context, draft: Draft) -> str:
    """Step 4: photos, videos, voice notes, PDFs; several, or none."""
    language = await language_of(update, context)
    limit = core_of(context).settings.limits.attachments_per_tip
    text = t(language, "tip.files.ask", maximum=limit)
    if draft.attachments or draft.pending:
        text += "\n\n" + _files_status(language, draft, limit)
    await show(update, context, draft.trail, text, _files_keyboard(language, draft))
    draft.files_status_id = draft.trail.prompt_id if draft.attachments or draft.pending else None
    return FILES


async def receive_file(update: Update, context: Context) -> str | int:
    """A photo, video, voice note, audio or document: check, download, strip, keep."""
    draft = draft_of(context)
    message = update.effective_message
    if draft is None or message is None:
        return await lost(update, context)
    language = await language_of(update, context)
    draft.trail.note(update)
    limit = core_of(context).settings.limits.attachments_per_tip
    incoming = incoming_file(message)
    if incoming is None:
        await send(
            context, draft.trail, t(language, "tip.files.refused_type"), reply_to=message.message_id
        )
        return FILES
    if len(draft.attachments) + len(draft.pending) >= limit:
        reply = t(language, "tip.files.too_many", maximum=limit)
        await send(context, draft.trail, reply, reply_to=message.message_id)
        return FILES
    try:
        data = await download(context.bot, incoming)
        prepared: NewAttachment | Pending = await prepare(
            incoming, data, len(draft.attachments) + 1
        )
    except NotCleanable as unclean:
        # Held until the resident says: send it as it is, or drop it.
        prepared = Pending(incoming, data, unclean.kind, draft.pending_seq + 1)
    except MediaRefused as refused:
        reply = t(language, f"tip.files.refused_{refused.reason}")
        await send(context, draft.trail, reply, reply_to=message.message_id)
        return FILES
    if isinstance(prepared, Pending):
        size = len(prepared.data)
    else:
        size = len(prepared.data) + len(prepared.original or b"")
    if draft.held_bytes + size > MAX_DRAFT_BYTES:
        reply = t(language, "tip.files.too_much", maximum=MAX_DRAFT_BYTES // (1024 * 1024))
        await send(context, draft.trail, reply, reply_to=message.message_id)
        return FILES
    if isinstance(prepared, Pending):
        draft.pending_seq = prepared.number
        draft.pending.append(prepared)
        if len(draft.pending) == 1:  # asked right under the file, in a new files message
            draft.files_status_id = None
        await _files_status_message(context, draft, language, reply_to=message.message_id)
        return FILES
    draft.attachments.append(prepared)
    await _files_status_message(context, draft, language)
    return FILES


async def _files_status_message(
    context: Context, draft: Draft, language: Language, *, reply_to: int | None = None
) -> None:
    """Update the files message in place, or send a new one (under `reply_to`)."""
    limit = core_of(context).settings.limits.attachments_per_tip
    text = _files_status(language, draft, limit)
    markup = _files_keyboard(language, draft)
    if draft.files_status_id is None or not await edit(
        context, draft.trail, draft.files_status_id, text, markup
    ):
        sent = await send(context, draft.trail, text, markup, reply_to=reply_to)
        draft.files_status_id = sent.message_id


async def choose_as_is(update: Update, context: Context) -> str | int:
    """The answer about a file that cannot be cleaned: send it as it is, or drop it."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    number, choice = int(callback_arg(update, 2)), callback_arg(update, 3)
    if not draft.pending or draft.pending[0].number != number:
        await stale_button(update, context)
        return FILES
    await answer(update)
    language = await language_of(update, context)
    pending = draft.pending.pop(0)
    what = plain(language, f"tip.file.{pending.kind}")
    note = t(language, "tip.as_is.dropped", file=what)
    if choice == "send":
        position = len(draft.attachments) + 1
        draft.attachments.append(
            await prepare(pending.incoming, pending.data, position, send_as_is=True)
        )
        note = t(language, "tip.as_is.kept", file=what)
    limit = core_of(context).settings.limits.attachments_per_tip
    text = note + "\n\n" + _files_status(language, draft, limit)
    await show(update, context, draft.trail, text, _files_keyboard(language, draft))
    draft.files_status_id = draft.trail.prompt_id
    return FILES


async def files_other(update: Update, context: Context) -> str | int:
    """Text or a sticker while files are expected."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    language = await language_of(update, context)
    draft.trail.note(update)
    await send(
        context, draft.trail, t(language, "tip.files.hint"), _files_keyboard(language, draft)
    )
    draft.files_status_id = draft.trail.prompt_id if draft.attachments else None
    return FILES


async def files_done(update: Update, context: Context) -> str | int:
    """Continue after the files: originals question if a photo was cleaned, else contact."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    if draft.pending:  # an old Continue button: the question about a file comes first
        await stale_button(update, context)
        return FILES
    await answer(update)
    if draft.has_originals:
        return await ask_originals(update, context, draft)
    draft.keep_originals = False
    return await ask_contact(update, context, draft)


async def files_back(update: Update, context: Context) -> str | int:
    """Back from the files: the place menu."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    return await ask_place(update, context, draft)


# ---- step 4b: keep originals? -----------------------------------------------------------


async def ask_originals(update: Update, context: Context, draft: Draft) -> str:
    """Only when a photo was cleaned: keep the untouched original as sealed evidence?"""
    language = await language_of(update, context)
    markup = keyboard(
        [button(language, "tip.originals.no", "tip:orig:no")],
        [button(language, "tip.originals.yes", "tip:orig:yes")],
        back_cancel_row(language, "tip:back"),
    )
    await show(update, context, draft.trail, t(language, "tip.originals.ask"), markup)
    return ORIGINALS


async def choose_originals(update: Update, context: Context) -> str | int:
    """Yes or no to keeping the originals."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    draft.keep_originals = callback_arg(update, 2) == "yes"
    return await ask_contact(update, context, draft)


async def originals_back(update: Update, context: Context) -> str | int:
    """Back to the files."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    return await ask_files(update, context, draft)


# ---- step 5: contact --------------------------------------------------------------------


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


async def choose_contact(update: Update, context: Context) -> str | int:
    """One of the two contact options."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    draft.reply_route = callback_arg(update, 2) == "chat"
    return await ask_confirm(update, context, draft)


async def contact_back(update: Update, context: Context) -> str | int:
    """Back from the contact choice."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    if draft.has_originals:
        return await ask_originals(update, context, draft)
    return await ask_files(update, context, draft)


# ---- step 6: summary and confirm --------------------------------------------------------


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
        files = _files_list(language, draft)
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
        text=excerpt(draft.text or ""),
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


async def confirm_back(update: Update, context: Context) -> str | int:
    """Back from the summary."""
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    return await ask_contact(update, context, draft)


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
            text = _limit_text(language, outcome) + "\n\n" + t(language, "tip.confirm.kept")
        else:
            text = t(language, "tip.confirm.failed")
        text += "\n\n" + await summary_text(core, language, draft)
        await show(update, context, draft.trail, text, _confirm_keyboard(language, draft))
        return CONFIRM
    submitted = outcome
    _remember_sent(context, draft)
    text = t(language, "tip.receipt", ref=submitted.ref, receipt=submitted.receipt)
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


def _limit_text(language: Language, refusal: tip_limits.Refusal) -> str:
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


# ---- after sending: clean the chat --------------------------------------------------------


async def wipe(update: Update, context: Context) -> None:
    """Delete this tip's messages (the bot's and the resident's) from the chat."""
    language = await language_of(update, context)
    trail = user_data(context).get(WIPE_KEY, {}).pop(callback_arg(update, 2), None)
    if not isinstance(trail, Trail):
        await alert(update, plain(language, "tip.wipe.gone"))
        return
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        trail.add(query.message.message_id)
    count = await delete_trail(context, trail)
    try:
        if query is not None:
            await query.answer(plain(language, "tip.wipe.done", count=count))
    except TelegramError:
        pass
    if draft_of(context) is None and user_data(context).get(SESSION_KEY) is None:
        await context.bot.send_message(
            trail.chat_id,
            t(language, "start.menu_again"),
            parse_mode="HTML",
            reply_markup=main_menu(language),
        )


async def keep_messages(update: Update, context: Context) -> None:
    """Keep the messages: take the buttons off, show the menu."""
    language = await language_of(update, context)
    trail = user_data(context).get(WIPE_KEY, {}).pop(callback_arg(update, 2), None)
    await answer(update)
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        with contextlib.suppress(TelegramError):
            await query.message.edit_reply_markup(reply_markup=None)
        if isinstance(trail, Trail) and draft_of(context) is None:
            await context.bot.send_message(
                trail.chat_id,
                t(language, "start.menu_again"),
                parse_mode="HTML",
                reply_markup=main_menu(language),
            )


# ---- leaving, and what does not fit -------------------------------------------------------


async def lost(update: Update, context: Context) -> int:
    """The draft is gone (restart, timeout): say so and end."""
    language = await language_of(update, context)
    if update.callback_query is not None:
        await alert(update, plain(language, "tip.draft_lost"))
    elif update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "tip.draft_lost"))
    end_flows(context)
    return END


async def cancel(update: Update, context: Context) -> int:
    """/cancel, the Cancel button or its reply-keyboard twin: drop the flow, keep nothing."""
    language = await language_of(update, context)
    await answer(update)
    ended = end_flows(context)
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_text(
                t(language, "cancel.done"), parse_mode="HTML", reply_markup=main_menu(language)
            )
            return END
        except TelegramError:
            pass
    chat = update.effective_chat
    if chat is None:
        return END
    if ended.trail is not None and ended.trail.reply_keyboard:
        await context.bot.send_message(
            chat.id,
            t(language, "cancel.done"),
            parse_mode="HTML",
            reply_markup=ReplyKeyboardRemove(),
        )
        await context.bot.send_message(
            chat.id,
            t(language, "start.menu_again"),
            parse_mode="HTML",
            reply_markup=main_menu(language),
        )
    else:
        await context.bot.send_message(
            chat.id, t(language, "cancel.done"), parse_mode="HTML", reply_markup=main_menu(language)
        )
    return END


async def restart(update: Update, context: Context) -> int:
    """/start during a flow: drop it and greet as usual."""
    ended = end_flows(context)
    chat = update.effective_chat
    if ended.trail is not None and ended.trail.reply_keyboard and chat is not None:
        language = await language_of(update, context)
        await context.bot.send_message(
            chat.id,
            t(language, "cancel.done"),
            parse_mode="HTML",
            reply_markup=ReplyKeyboardRemove(),
        )
    await common.start(update, context)
    return END


async def timed_out(update: object, context: Context) -> None:
    """No step for `draft_minutes`: the draft (or status session) is dropped, and said so."""
    if context.user_data is None:
        return
    had_draft = draft_of(context) is not None
    ended = end_flows(context)
    if ended.trail is None or not isinstance(update, Update):
        return
    language = await language_of(update, context)
    minutes = f"{core_of(context).settings.limits.draft_minutes:g}"
    key = "tip.timeout" if had_draft else "status.timeout"
    markup = ReplyKeyboardRemove() if ended.trail.reply_keyboard else None
    try:
        if ended.trail.prompt_id is not None:
            await context.bot.edit_message_reply_markup(
                ended.trail.chat_id, ended.trail.prompt_id, reply_markup=None
            )
        await context.bot.send_message(
            ended.trail.chat_id,
            t(language, key, minutes=minutes),
            parse_mode="HTML",
            reply_markup=markup,
        )
    except TelegramError as exc:
        log.warning("could not tell a resident their draft expired: %s", type(exc).__name__)


async def busy(update: Update, context: Context) -> None:
    """Another command or menu item while a flow is open: finish or cancel first."""
    language = await language_of(update, context)
    if update.callback_query is not None:
        await alert(update, plain(language, "flow.busy"))
    elif update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "flow.busy"))


async def stale_button(update: Update, context: Context) -> None:
    """A button of an earlier step, or forged data: nothing changes."""
    language = await language_of(update, context)
    await alert(update, plain(language, "flow.stale_button"))


async def use_buttons(update: Update, context: Context) -> None:
    """Typed text or a file where a button is expected."""
    language = await language_of(update, context)
    draft = draft_of(context)
    if draft is not None:
        draft.trail.note(update)
    if update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "flow.use_buttons"))


async def in_group(update: Update, context: Context) -> None:
    """/tip or /status in a group: never there — write to the bot privately."""
    language = await language_of(update, context)
    if update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "group.use_private"))


async def button_outside(update: Update, context: Context) -> None:
    """A tip button with no open draft: it was sent, cancelled, timed out, or the bot restarted."""
    language = await language_of(update, context)
    await alert(update, plain(language, "tip.draft_lost"))


async def receipt_outside(update: Update, context: Context) -> None:
    """A receipt pasted outside /status: delete it at once and point to /status."""
    language = await language_of(update, context)
    await delete_quietly(update.effective_message)
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(
            chat.id, t(language, "status.receipt_outside"), parse_mode="HTML"
        )


# ---- wiring -----------------------------------------------------------------------------


class ExclusiveConversation(ConversationHandler[Context]):
    """A conversation whose updates go nowhere else once it has handled them."""

    async def handle_update(
        self,
        update: Update,
        application: Application[Any, Context, Any, Any, Any, Any],
        check_result: Any,
        context: Context,
    ) -> object | None:
        """Handle, then stop the later handler groups (the common fallbacks)."""
        await super().handle_update(update, application, check_result, context)
        raise ApplicationHandlerStop


def _cb(pattern: str, callback: Any) -> CallbackQueryHandler[Context, Any]:
    return CallbackQueryHandler(callback, pattern=pattern)


PRIVATE = filters.ChatType.PRIVATE
MESSAGE = filters.UpdateType.MESSAGE & PRIVATE
TYPED = MESSAGE & filters.TEXT & ~filters.COMMAND
FILE_MESSAGES = MESSAGE & (
    filters.PHOTO
    | filters.Document.ALL
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.VOICE
    | filters.AUDIO
)
# Every button the tip flow makes; anything else under "tip:" is forged or foreign.
TIP_BUTTONS = (
    r"^tip:(cat:[a-z_]{1,20}|back|keep|place:(units|location|address|skip)|unit:\d{1,9}:\d{1,4}"
    r"|pick:\d{1,9}|files:done|asis:\d{1,4}:(send|drop)|orig:(yes|no)|contact:(none|chat))$"
)
# The shape of a receipt (five groups of four, however separated): only such a message is
# taken from whatever else the resident may be doing and deleted.
RECEIPT_LIKE = filters.Regex(r"^\s*[0-9A-Za-z]{4}(?:[\s\-_.]?[0-9A-Za-z]{4}){4}\s*$")


def tip_states() -> dict[object, list[BaseHandler[Update, Context, Any]]]:
    """The steps of the tip flow and what each accepts."""
    return {
        CATEGORY: [
            _cb(rf"^tip:cat:({'|'.join(CATEGORIES)})$", choose_category),
            _cb(r"^tip:back$", leave_to_menu),
        ],
        DESCRIPTION: [
            MessageHandler(TYPED, take_description),
            _cb(r"^tip:keep$", keep_description),
            _cb(r"^tip:back$", _back_to_category),
            MessageHandler(MESSAGE & ~filters.COMMAND & ~filters.TEXT, description_not_text),
        ],
        PLACE: [
            _cb(r"^tip:place:(units|location|address|skip)$", place_choice),
            _cb(r"^tip:back$", _back_to_description),
            MessageHandler(MESSAGE & filters.LOCATION, take_location),
        ],
        PICK_UNIT: [
            _cb(r"^tip:unit:\d{1,9}:\d{1,4}$", browse_units),
            _cb(r"^tip:pick:\d{1,9}$", pick_unit),
            _cb(r"^tip:back$", units_back),
        ],
        LOCATION: [
            MessageHandler(MESSAGE & filters.LOCATION, take_location),
            MessageHandler(TYPED, location_keyboard_text),
        ],
        ADDRESS: [
            MessageHandler(TYPED, take_address),
            MessageHandler(MESSAGE & filters.LOCATION, take_location),
            _cb(r"^tip:back$", _back_to_place),
        ],
        FILES: [
            MessageHandler(FILE_MESSAGES, receive_file),
            _cb(r"^tip:files:done$", files_done),
            _cb(r"^tip:asis:\d{1,4}:(send|drop)$", choose_as_is),
            _cb(r"^tip:back$", files_back),
            MessageHandler(MESSAGE & ~filters.COMMAND, files_other),
        ],
        ORIGINALS: [
            _cb(r"^tip:orig:(yes|no)$", choose_originals),
            _cb(r"^tip:back$", originals_back),
        ],
        CONTACT: [
            _cb(r"^tip:contact:(none|chat)$", choose_contact),
            _cb(r"^tip:back$", contact_back),
        ],
        CONFIRM: [
            _cb(r"^tip:send:[0-9a-f]{12}$", confirm),
            _cb(r"^tip:back$", confirm_back),
        ],
    }


async def _back_to_category(update: Update, context: Context) -> str | int:
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    return await ask_category(update, context, draft)


async def _back_to_description(update: Update, context: Context) -> str | int:
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    return await ask_description(update, context, draft)


async def _back_to_place(update: Update, context: Context) -> str | int:
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    await answer(update)
    return await ask_place(update, context, draft)


def build_conversation(core: Core) -> ConversationHandler[Context]:
    """The resident's conversation: the tip flow and the status flow, one at a time."""
    entry_points: list[BaseHandler[Update, Context, Any]] = [
        CommandHandler("tip", start_tip, filters=PRIVATE),
        _cb(r"^menu:tip$", start_tip),
        *status.entry_points(),
    ]
    fallbacks: list[BaseHandler[Update, Context, Any]] = [
        CommandHandler("cancel", cancel),
        _cb(r"^cancel$", cancel),
        CommandHandler("start", restart),
        _cb(r"^tip:wipe:[0-9a-f]{12}$", wipe),
        _cb(r"^tip:keepmsgs:[0-9a-f]{12}$", keep_messages),
        _cb(r"^tip:send:[0-9a-f]{12}$", pressed_send_outside),
        _cb(r"^(tip|status):", stale_button),
        _cb(r"^menu:(forum|warnings)$", busy),
        MessageHandler(
            MESSAGE & filters.COMMAND & ~filters.Regex(r"^/(help|lang)(@\w+)?(\s|$)"), busy
        ),
        MessageHandler(MESSAGE & ~filters.COMMAND, use_buttons),
    ]
    states: dict[object, list[BaseHandler[Update, Context, Any]]] = {
        **tip_states(),
        **status.states(),
        ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
    }
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, not per message, on purpose: every step
        # checks its draft and token, and stale buttons get their own answer.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ExclusiveConversation(
            entry_points=entry_points,
            states=states,
            fallbacks=fallbacks,
            allow_reentry=True,
            per_chat=True,
            per_user=True,
            conversation_timeout=core.settings.limits.draft_minutes * 60,
            name="resident",
            persistent=False,
        )


class _ReceiptFilter(filters.MessageFilter):
    """Text that reads as a receipt (20 Crockford characters, however typed)."""

    def filter(self, message: Message) -> bool:
        return message.text is not None and normalize_receipt(message.text) is not None


def register(application: TinbaoApp) -> None:
    """The conversation (before the common handlers) and the answers outside it."""
    core = application.bot_data[CORE_KEY]
    assert isinstance(core, Core)
    application.add_handler(cast(Any, build_conversation(core)), group=GROUP)
    application.add_handler(CommandHandler("tip", in_group, filters=~PRIVATE))
    application.add_handler(_cb(r"^tip:wipe:[0-9a-f]{12}$", wipe))
    application.add_handler(_cb(r"^tip:keepmsgs:[0-9a-f]{12}$", keep_messages))
    application.add_handler(_cb(r"^tip:send:[0-9a-f]{12}$", pressed_send_outside))
    application.add_handler(_cb(TIP_BUTTONS, button_outside))
    application.add_handler(
        MessageHandler(MESSAGE & TYPED & RECEIPT_LIKE & _ReceiptFilter(), receipt_outside)
    )
