"""What the resident's multi-step flows are built from: the filters their steps use, their
state in `user_data`, the guard that hands each step that state, and a ConversationHandler
that keeps its updates to itself."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Generic, TypeVar, overload

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers.context import Context, Handler
from handlers.flow import Trail
from handlers.menu import answer as answer_press

S = TypeVar("S")
T = TypeVar("T")
Step = Callable[[Update, Context, S], Coroutine[Any, Any, Any]]
Handlers = list[BaseHandler[Update, Context, Any]]

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
# A command other than /help and /lang (which answer in the middle of a flow too).
OTHER_COMMAND = MESSAGE & filters.COMMAND & ~filters.Regex(r"^/(help|lang)(@\w+)?(\s|$)")


def kept(context: Context, key: str, kind: type[T]) -> T | None:
    """What a flow keeps under `key` in the resident's `user_data` (memory only), if any."""
    found = context.user_data.get(key) if context.user_data is not None else None
    return found if isinstance(found, kind) else None


def forget(context: Context, key: str) -> None:
    """Drop what a flow keeps under `key`."""
    if context.user_data is not None:
        context.user_data.pop(key, None)


class Needs(Generic[S]):
    """Turns the steps that need a flow's state (a draft, an unlocked tip) into handlers.

    With `with_draft = Needs(draft_of, lost)`, `@with_draft` on `async def step(update,
    context, draft)` answers the press and runs the step with the draft; without a draft,
    `lost` answers instead and the step does not run. `@with_draft(answer=False)` leaves
    the answer to a step that may refuse a stale button with a pop-up of its own (a press
    is answered only once). Given `trail`, the guard first remembers the resident's
    message that brought the update in the flow's trail, for the clean-up.
    """

    def __init__(
        self,
        find: Callable[[Context], S | None],
        missing: Handler,
        *,
        trail: Callable[[S], Trail] | None = None,
    ) -> None:
        self.find = find
        self.missing = missing
        self.trail = trail

    @overload
    def __call__(self, step: Step[S]) -> Handler: ...

    @overload
    def __call__(self, *, answer: bool) -> Callable[[Step[S]], Handler]: ...

    def __call__(
        self, step: Step[S] | None = None, *, answer: bool = True
    ) -> Handler | Callable[[Step[S]], Handler]:
        """Guard `step`, or (with `answer` only) return the decorator that does."""
        if step is None:
            return functools.partial(self._guard, answer=answer)
        return self._guard(step, answer=answer)

    def _guard(self, step: Step[S], *, answer: bool) -> Handler:
        """The handler that runs `step` with the state."""

        @functools.wraps(step)
        async def guarded(update: Update, context: Context) -> Any:
            state = self.find(context)
            if state is None:
                return await self.missing(update, context)
            if self.trail is not None:
                self.trail(state).note(update)
            if answer:
                await answer_press(update)
            return await step(update, context, state)

        return guarded


def on_button(pattern: str, callback: Handler) -> CallbackQueryHandler[Context, Any]:
    """A handler for the buttons whose data matches `pattern`."""
    return CallbackQueryHandler(callback, pattern=pattern)


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


def exclusive_conversation(
    name: str,
    *,
    entry_points: Sequence[BaseHandler[Update, Context, Any]],
    states: dict[object, Handlers],
    fallbacks: Sequence[BaseHandler[Update, Context, Any]],
    timeout_minutes: float,
) -> ConversationHandler[Context]:
    """A resident's conversation: per chat and user, in memory only, re-entered by its start."""
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, not per message, on purpose: every step
        # checks its draft (and Send its token), and stale buttons get their own answer.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ExclusiveConversation(
            entry_points=list(entry_points),
            states=states,
            fallbacks=list(fallbacks),
            allow_reentry=True,
            per_chat=True,
            per_user=True,
            conversation_timeout=timeout_minutes * 60,
            name=name,
            persistent=False,
        )
