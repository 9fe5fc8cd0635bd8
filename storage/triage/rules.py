"""The tip state machine of DESIGN §3, priorities, and the errors of triage."""

from __future__ import annotations

import datetime as dt

from storage.tips import MAX_TEXT

STATUSES = ("new", "triaged", "assigned", "investigating", "closed")
OPEN_STATUSES = ("new", "triaged", "assigned", "investigating")
OUTCOMES = ("actioned", "unfounded", "duplicate", "spam", "referred")
PRIORITIES = ("low", "normal", "high", "urgent")
# Forward moves, and reopening a closed tip (audited as `tip.reopen`).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("triaged", "assigned", "investigating", "closed"),
    "triaged": ("assigned", "investigating", "closed"),
    "assigned": ("investigating", "closed"),
    "investigating": ("closed",),
    "closed": ("triaged",),
}
# The commune police's hand-over rule: a tip nobody opened for 24 hours is flagged.
UNOPENED_LIMIT = dt.timedelta(hours=24)
MAX_NOTE = 4000
# What `storage.tip_replies.reply_to_tipster` accepts (room is left for the message around it).
MAX_REPLY = MAX_TEXT - 200


class TriageError(ValueError):
    """An action that cannot be done in the tip's current state; the message says why.

    `code` names the reason for the console's message catalogs (`tip.error.<code>`).
    """

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


class NotFound(LookupError):
    """No such tip, attachment, unit or officer within the officer's jurisdiction."""


def check_transition(current: str, target: str, outcome: str | None) -> None:
    """Refuse a move the state machine does not allow, or a close without a valid outcome."""
    if target not in STATUSES:
        raise TriageError(f"unknown status {target!r}", "status")
    if target not in TRANSITIONS.get(current, ()):
        raise TriageError(f"a {current} tip cannot become {target}", "transition")
    if target == "closed" and outcome not in OUTCOMES:
        raise TriageError(f"closing needs an outcome: {', '.join(OUTCOMES)}", "outcome")
    if target != "closed" and outcome is not None:
        raise TriageError("only closing takes an outcome", "outcome")


def is_overdue(
    status: str, first_opened_at: dt.datetime | None, created_at: dt.datetime, now: dt.datetime
) -> bool:
    """True for an open tip that no officer has opened within 24 hours of its arrival."""
    return status != "closed" and first_opened_at is None and now - created_at >= UNOPENED_LIMIT
