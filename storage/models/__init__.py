"""All tables of tinbao; importing this module registers them on `Base.metadata`."""

from storage.models.audience import (
    GROUP_STATUSES,
    ChatGroup,
    GroupCode,
    Subscriber,
    SubscriptionUnit,
)
from storage.models.audit import AuditEvent, AuditHead
from storage.models.base import Base, utcnow
from storage.models.delivery import DELIVERY_STATES, Broadcast, Delivery
from storage.models.forum import (
    QUESTION_KINDS,
    QUESTION_STATES,
    SESSION_STATES,
    SIGNERS,
    TOPICS,
    ForumAnswer,
    ForumQuestion,
    ForumReport,
    ForumSession,
    ForumVote,
)
from storage.models.officers import ROLES, ApiToken, ConsoleSession, Officer
from storage.models.outbox import OutboxMessage
from storage.models.residents import ResidentPreference
from storage.models.tips import Attachment, RefCounter, Tip, TipMessage
from storage.models.units import UNIT_KINDS, Unit
from storage.models.warnings import (
    CERTAINTIES,
    MSG_TYPES,
    SEVERITIES,
    URGENCIES,
    WARNING_CATEGORIES,
    WARNING_STATUSES,
    CrimeWarning,
    WarningUnit,
)

__all__ = [
    "CERTAINTIES",
    "DELIVERY_STATES",
    "GROUP_STATUSES",
    "MSG_TYPES",
    "QUESTION_KINDS",
    "QUESTION_STATES",
    "ROLES",
    "SESSION_STATES",
    "SEVERITIES",
    "SIGNERS",
    "TOPICS",
    "UNIT_KINDS",
    "URGENCIES",
    "WARNING_CATEGORIES",
    "WARNING_STATUSES",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Broadcast",
    "ChatGroup",
    "ConsoleSession",
    "CrimeWarning",
    "Delivery",
    "ForumAnswer",
    "ForumQuestion",
    "ForumReport",
    "ForumSession",
    "ForumVote",
    "GroupCode",
    "Officer",
    "OutboxMessage",
    "RefCounter",
    "ResidentPreference",
    "Subscriber",
    "SubscriptionUnit",
    "Tip",
    "TipMessage",
    "Unit",
    "WarningUnit",
    "utcnow",
]
