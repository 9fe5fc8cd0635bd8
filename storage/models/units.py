"""The tree of police units: province, (district,) commune."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

UNIT_KINDS = ("province", "district", "commune", "ward")


class Unit(Base):
    """A police unit; `path` lists the ids from the root down to this unit."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    # "/1/7/42/": a subtree is one indexed prefix match, at any depth, on both databases.
    path: Mapped[str] = mapped_column(String(400), index=True)
    active: Mapped[bool] = mapped_column(default=True)
