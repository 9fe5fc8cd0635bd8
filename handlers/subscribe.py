"""/subscribe and /unsubscribe: communes, kinds of warning and quiet hours, in three steps.

One message is edited from step to step; the choices wait in `context.user_data` (memory
only) until the resident saves them. Only the chat id, sealed, is stored (storage.subscriptions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, Update
from telegram.ext import CommandHandler

from handlers.context import Context, TinbaoApp, core_of, is_private, language_of
from handlers.conversation import Needs, forget, kept, on_button
from handlers.i18n import Language, plain, t
from handlers.menu import (
    alert,
    answer,
    back_cancel_row,
    button,
    callback_arg,
    keyboard,
    paged,
    replace,
)
from storage import subscriptions, units
from storage.models import WARNING_CATEGORIES
from storage.subscriptions import MAX_UNITS

COMMANDS = ("subscribe", "unsubscribe")
DRAFT_KEY = "subscribe.draft"
QUIET_CHOICES = ((22, 6), (21, 6), (22, 5), (23, 7))


@dataclass
class Draft:
    """The resident's choices before they are saved."""

    units: set[int] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    quiet: tuple[int, int] | None = None
    browsing: int | None = None
    page: int = 0


def _draft(context: Context) -> Draft | None:
    return kept(context, DRAFT_KEY, Draft)


def _drop(context: Context) -> None:
    forget(context, DRAFT_KEY)


async def _expired(update: Update, context: Context) -> None:
    """A button of a flow that ended (saved, cancelled, or the bot restarted)."""
    await alert(update, plain(await language_of(update, context), "subscribe.expired"))


with_draft = Needs(_draft, _expired)


def _row(language: Language, back: str | None) -> list[InlineKeyboardButton]:
    return back_cancel_row(language, back, cancel_data="sub:cancel")


def _mark(chosen: bool) -> str:
    return "✅" if chosen else "⬜"


async def _areas_text(context: Context, language: Language, unit_ids: set[int]) -> str:
    async with core_of(context).db.read() as session:
        found = [await units.get_unit(session, i) for i in sorted(unit_ids)]
    names = [units.place_name(u, language) for u in found if u is not None]
    return ", ".join(names) or plain(language, "subscribe.nothing_chosen")


async def show_areas(update: Update, context: Context, draft: Draft) -> None:
    """Step 1: the unit tree, one level at a time, communes as toggles."""
    language = await language_of(update, context)
    async with core_of(context).db.read() as session:
        level = await units.children(session, draft.browsing)
        branches = await units.has_children(session, [u.id for u in level])
        parent = await units.get_unit(session, draft.browsing) if draft.browsing else None
    items = []
    for unit in level:
        name = units.place_name(unit, language)
        if unit.id in branches:
            items.append((plain(language, "subscribe.open", name=name), f"sub:nav:{unit.id}:0"))
        else:
            items.append((f"{_mark(unit.id in draft.units)} {name}", f"sub:tog:{unit.id}"))
    rows = []
    if parent is not None:
        label = plain(language, "subscribe.whole", place=units.place_name(parent, language))
        mark = _mark(parent.id in draft.units)
        rows.append([InlineKeyboardButton(f"{mark} {label}", callback_data=f"sub:tog:{parent.id}")])
    rows += paged(items, draft.page, page_data=f"sub:nav:{draft.browsing or 0}:{{page}}")
    if parent is not None:
        rows.append([button(language, "subscribe.up", f"sub:nav:{parent.parent_id or 0}:0")])
    rows.append([button(language, "subscribe.next", "sub:next")])
    rows.append(_row(language, None))
    chosen = await _areas_text(context, language, draft.units)
    await replace(update, t(language, "subscribe.areas", chosen=chosen), keyboard(*rows))


async def show_categories(update: Update, context: Context, draft: Draft) -> None:
    """Step 2: kinds of warning; none chosen means all."""
    language = await language_of(update, context)
    rows = []
    for key in WARNING_CATEGORIES:
        label = f"{_mark(key in draft.categories)} {plain(language, f'wcat.{key}')}"
        rows.append([InlineKeyboardButton(label, callback_data=f"sub:cat:{key}")])
    all_label = f"{_mark(not draft.categories)} {plain(language, 'subscribe.all_categories')}"
    rows.append([InlineKeyboardButton(all_label, callback_data="sub:cat:all")])
    rows.append([button(language, "subscribe.next", "sub:quiet")])
    rows.append(_row(language, "sub:areas"))
    await replace(update, t(language, "subscribe.categories"), keyboard(*rows))


async def show_quiet(update: Update, context: Context) -> None:
    """Step 3: quiet hours."""
    language = await language_of(update, context)
    rows = [[button(language, "subscribe.quiet_none", "sub:q:none")]]
    for start, end in QUIET_CHOICES:
        label = plain(language, "subscribe.quiet_option", start=f"{start:02d}", end=f"{end:02d}")
        rows.append([InlineKeyboardButton(label, callback_data=f"sub:q:{start}-{end}")])
    rows.append(_row(language, "sub:cats"))
    await replace(update, t(language, "subscribe.quiet"), keyboard(*rows))


async def show_confirm(update: Update, context: Context, draft: Draft) -> None:
    """The summary, with Save."""
    language = await language_of(update, context)
    categories = ", ".join(
        plain(language, f"wcat.{c}").split(" ", 1)[-1] for c in sorted(draft.categories)
    ) or plain(language, "subscribe.all")
    quiet = (
        f"{draft.quiet[0]:02d}:00 – {draft.quiet[1]:02d}:00"
        if draft.quiet
        else plain(language, "subscribe.no_quiet")
    )
    text = t(
        language,
        "subscribe.confirm",
        areas=await _areas_text(context, language, draft.units),
        categories=categories,
        quiet=quiet,
    )
    rows = [[button(language, "subscribe.save", "sub:save")], _row(language, "sub:quiet")]
    await replace(update, text, keyboard(*rows))


async def subscribe(update: Update, context: Context) -> None:
    """/subscribe, or the Subscribe button: start from what the resident chose before."""
    language = await language_of(update, context)
    await answer(update)
    if not is_private(update) or update.effective_user is None:
        if update.effective_message is not None:
            await update.effective_message.reply_html(t(language, "subscribe.private_only"))
        return
    before = await subscriptions.get(core_of(context), update.effective_user.id)
    draft = Draft()
    if before is not None:
        draft.units, draft.categories = set(before.unit_ids), set(before.categories)
        if before.quiet_start is not None and before.quiet_end is not None:
            draft.quiet = (before.quiet_start, before.quiet_end)
    async with core_of(context).db.read() as session:
        roots = await units.children(session, None)
    draft.browsing = roots[0].id if len(roots) == 1 else None
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft
    await show_areas(update, context, draft)


@with_draft
async def navigate(update: Update, context: Context, draft: Draft) -> None:
    """📂 a province or district, ◀ ▶, or ⬆️."""
    unit_id, page = int(callback_arg(update, 2)), int(callback_arg(update, 3))
    draft.browsing, draft.page = unit_id or None, page
    await show_areas(update, context, draft)


@with_draft(answer=False)
async def toggle_unit(update: Update, context: Context, draft: Draft) -> None:
    """Choose or drop a commune (or a whole district or province)."""
    unit_id = int(callback_arg(update, 2))
    if unit_id in draft.units:
        draft.units.discard(unit_id)
    elif len(draft.units) >= MAX_UNITS:
        await alert(update, plain(await language_of(update, context), "subscribe.too_many"))
        return
    else:
        draft.units.add(unit_id)
    await answer(update)
    await show_areas(update, context, draft)


@with_draft(answer=False)
async def step(update: Update, context: Context, draft: Draft) -> None:
    """Next and Back between the steps."""
    where = callback_arg(update, 1)
    if where == "next" and not draft.units:
        await alert(update, plain(await language_of(update, context), "subscribe.pick_first"))
        return
    await answer(update)
    if where == "areas":
        await show_areas(update, context, draft)
    elif where in ("next", "cats"):
        await show_categories(update, context, draft)
    else:
        await show_quiet(update, context)


@with_draft
async def toggle_category(update: Update, context: Context, draft: Draft) -> None:
    """Choose or drop a kind of warning; "all" clears the choice."""
    key = callback_arg(update, 2)
    if key == "all":
        draft.categories.clear()
    else:
        draft.categories.symmetric_difference_update({key})
    await show_categories(update, context, draft)


@with_draft
async def choose_quiet(update: Update, context: Context, draft: Draft) -> None:
    """No quiet hours, or one of the offered spans."""
    choice = callback_arg(update, 2)
    if choice == "none":
        draft.quiet = None
    else:
        start, end = choice.split("-")
        draft.quiet = (int(start), int(end))
    await show_confirm(update, context, draft)


@with_draft
async def save(update: Update, context: Context, draft: Draft) -> None:
    """Store the subscription: the chat id sealed, the choices in clear."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    language = await language_of(update, context)
    await subscriptions.subscribe(
        core_of(context),
        user.id,
        chat.id,
        unit_ids=sorted(draft.units),
        categories=sorted(draft.categories),
        quiet_start=draft.quiet[0] if draft.quiet else None,
        quiet_end=draft.quiet[1] if draft.quiet else None,
        language=language,
    )
    areas = await _areas_text(context, language, draft.units)
    _drop(context)
    await replace(update, t(language, "subscribe.saved", areas=areas))


async def cancel(update: Update, context: Context) -> None:
    """Cancel: nothing is saved."""
    language = await language_of(update, context)
    _drop(context)
    if update.callback_query is not None:
        await answer(update)
        await replace(update, t(language, "cancel.done"))


async def unsubscribe(update: Update, context: Context) -> None:
    """/unsubscribe or the Unsubscribe button: forget the subscription and the chat id."""
    language = await language_of(update, context)
    await answer(update)
    if update.effective_user is None or update.effective_message is None:
        return
    if not is_private(update):
        await update.effective_message.reply_html(t(language, "subscribe.private_only"))
        return
    removed = await subscriptions.unsubscribe(core_of(context), update.effective_user.id)
    key = "unsubscribe.done" if removed else "unsubscribe.none"
    await update.effective_message.reply_html(t(language, key))


def register(application: TinbaoApp) -> None:
    """The commands and the buttons of the flow."""
    categories = "|".join(WARNING_CATEGORIES)
    quiet = "|".join(f"{s}-{e}" for s, e in QUIET_CHOICES)
    application.add_handler(CommandHandler("subscribe", subscribe))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe))
    for pattern, callback in (
        (r"^sub:start$", subscribe),
        (r"^sub:stop$", unsubscribe),
        (r"^sub:nav:\d{1,9}:\d{1,4}$", navigate),
        (r"^sub:tog:\d{1,9}$", toggle_unit),
        (r"^sub:(next|areas|cats|quiet)$", step),
        (rf"^sub:cat:({categories}|all)$", toggle_category),
        (rf"^sub:q:(none|{quiet})$", choose_quiet),
        (r"^sub:save$", save),
        (r"^sub:cancel$", cancel),
    ):
        application.add_handler(on_button(pattern, callback))
