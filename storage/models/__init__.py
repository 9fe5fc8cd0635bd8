"""All tables of tinbao; importing this module registers them on `Base.metadata`."""

from storage.models.audit import AuditEvent, AuditHead
from storage.models.base import Base, utcnow
from storage.models.officers import ROLES, ApiToken, ConsoleSession, Officer
from storage.models.outbox import OutboxMessage
from storage.models.residents import RateCounter, ResidentPreference
from storage.models.tips import Attachment, RefCounter, Tip, TipMessage
from storage.models.units import UNIT_KINDS, Unit

__all__ = [
    "ROLES",
    "UNIT_KINDS",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "Base",
    "ConsoleSession",
    "Officer",
    "OutboxMessage",
    "RateCounter",
    "RefCounter",
    "ResidentPreference",
    "Tip",
    "TipMessage",
    "Unit",
    "utcnow",
]
