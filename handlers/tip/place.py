"""Step 3 of /tip: where it happened — a commune from the unit tree, a shared location, a
typed address, or nothing."""

from __future__ import annotations

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from handlers.context import Context, core_of, language_of
from handlers.flow import send, show, stale_button
from handlers.i18n import Language, plain, t
from handlers.menu import (
    answer,
    back_cancel,
    back_cancel_row,
    button,
    callback_arg,
    keyboard,
    paged,
)
from handlers.tip.draft import ADDRESS, LOCATION, PICK_UNIT, PLACE, Draft, with_draft
from handlers.tip.fallbacks import cancel
from handlers.tip.files import ask_files
from storage import units
from storage.core import Core
from storage.models import Unit

MAX_ADDRESS = 300


def _place_menu(language: Language) -> InlineKeyboardMarkup:
    return keyboard(
        [button(language, "tip.place.units", "tip:place:units")],
        [button(language, "tip.place.location", "tip:place:location")],
        [button(language, "tip.place.address", "tip:place:address")],
        [button(language, "tip.place.skip", "tip:place:skip")],
        back_cancel_row(language, "tip:back"),
    )


def _location_keyboard(language: Language) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(plain(language, "tip.place.location_send"), request_location=True)],
            [KeyboardButton(plain(language, "button.back"))],
            [KeyboardButton(plain(language, "button.cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def ask_place(update: Update, context: Context, draft: Draft) -> str:
    """Step 3: the commune from the unit tree, a location, an address, or nothing."""
    language = await language_of(update, context)
    await show(update, context, draft.trail, t(language, "tip.place.ask"), _place_menu(language))
    return PLACE


@with_draft
async def place_choice(update: Update, context: Context, draft: Draft) -> str:
    """One of the four ways to say where."""
    language = await language_of(update, context)
    choice = callback_arg(update, 2)
    if choice == "units":
        return await show_units(update, context, draft, await _top(core_of(context)))
    if choice == "location":
        await show(update, context, draft.trail, t(language, "tip.place.location_ask"))
        hint = t(language, "tip.place.location_hint")
        await send(context, draft.trail, hint, _location_keyboard(language))
        return LOCATION
    if choice == "address":
        text = t(language, "tip.place.address_ask", maximum=MAX_ADDRESS)
        await show(update, context, draft.trail, text, back_cancel(language, "tip:back"))
        return ADDRESS
    draft.unit_id = draft.address = draft.latitude = draft.longitude = None
    return await ask_files(update, context, draft)


async def _top(core: Core) -> int | None:
    """Where the picker starts: the provinces, or the communes when there is one province."""
    async with core.db.read() as session:
        roots = await units.children(session, None)
    return roots[0].id if len(roots) == 1 else None


async def _unit(core: Core, unit_id: int) -> Unit | None:
    async with core.db.read() as session:
        unit = await units.get_unit(session, unit_id)
    return unit if unit is not None and unit.active else None


async def show_units(
    update: Update, context: Context, draft: Draft, parent_id: int | None, page: int = 0
) -> str:
    """One page of the units under `parent_id` (the provinces when None)."""
    language = await language_of(update, context)
    async with core_of(context).db.read() as session:
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


@with_draft(answer=False)
async def browse_units(update: Update, context: Context, draft: Draft) -> str:
    """A unit with units under it, or ◀ ▶: show that level."""
    unit_id, page = int(callback_arg(update, 2)), int(callback_arg(update, 3))
    if unit_id != 0 and await _unit(core_of(context), unit_id) is None:
        await stale_button(update, context)
        return PICK_UNIT
    await answer(update)
    return await show_units(update, context, draft, unit_id or None, page)


@with_draft(answer=False)
async def pick_unit(update: Update, context: Context, draft: Draft) -> str:
    """The commune (or the whole district or province) where it happened."""
    unit = await _unit(core_of(context), int(callback_arg(update, 2)))
    if unit is None:
        await stale_button(update, context)
        return PICK_UNIT
    await answer(update)
    draft.unit_id = unit.id
    draft.address = draft.latitude = draft.longitude = None
    return await ask_files(update, context, draft)


@with_draft
async def units_back(update: Update, context: Context, draft: Draft) -> str:
    """Back in the picker: one level up, or the place menu from the top."""
    core = core_of(context)
    if draft.browsing is None or draft.browsing == await _top(core):
        return await ask_place(update, context, draft)
    current = await _unit(core, draft.browsing)
    return await show_units(update, context, draft, current.parent_id if current else None)


@with_draft
async def take_location(update: Update, context: Context, draft: Draft) -> str:
    """A shared location (the button, or 📎 → Location)."""
    message = update.effective_message
    assert message is not None and message.location is not None
    language = await language_of(update, context)
    draft.latitude, draft.longitude = message.location.latitude, message.location.longitude
    draft.unit_id = draft.address = None
    await send(context, draft.trail, t(language, "tip.place.location_saved"), ReplyKeyboardRemove())
    return await ask_files(update, context, draft)


@with_draft
async def location_keyboard_text(update: Update, context: Context, draft: Draft) -> str | int:
    """Text under the location keyboard: its Back or Cancel button, or a reminder."""
    message = update.effective_message
    assert message is not None and message.text is not None
    language = await language_of(update, context)
    if message.text == plain(language, "button.cancel"):
        return await cancel(update, context)
    if message.text == plain(language, "button.back"):
        closed = t(language, "tip.place.location_closed")
        await send(context, draft.trail, closed, ReplyKeyboardRemove())
        return await ask_place(update, context, draft)
    await send(context, draft.trail, t(language, "tip.place.location_hint"))
    return LOCATION


@with_draft
async def take_address(update: Update, context: Context, draft: Draft) -> str:
    """A typed address or description of the place."""
    message = update.effective_message
    assert message is not None and message.text is not None
    language = await language_of(update, context)
    text = message.text.strip()
    if not 3 <= len(text) <= MAX_ADDRESS:
        reply = t(language, "tip.place.address_length", maximum=MAX_ADDRESS)
        await send(context, draft.trail, reply, back_cancel(language, "tip:back"))
        return ADDRESS
    draft.address = text
    draft.unit_id = draft.latitude = draft.longitude = None
    return await ask_files(update, context, draft)
