"""Use cases on the unit tree: import from CSV, browse, and test jurisdiction."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import UNIT_KINDS, Unit

DEMO_UNITS_CSV = Path(__file__).parent / "data" / "units_demo.csv"
CSV_COLUMNS = ("code", "name", "kind", "parent_code")

# How a unit and its police are named in Vietnamese and English.
_KIND_VI = {"province": "tỉnh", "district": "huyện", "commune": "xã", "ward": "phường"}
_KIND_EN = {"province": "province", "district": "district", "commune": "commune", "ward": "ward"}


class UnitImportError(ValueError):
    """A CSV row that cannot be imported; the message names the line."""


@dataclass(frozen=True)
class ImportReport:
    """What an import changed."""

    created: int
    updated: int


def place_name(unit: Unit, language: str = "vi") -> str:
    """'xã Thanh Long' or 'Thanh Long commune'."""
    if language == "vi":
        return f"{_KIND_VI.get(unit.kind, '')} {unit.name}".strip()
    return f"{unit.name} {_KIND_EN.get(unit.kind, '')}".strip()


def police_name(unit: Unit, language: str = "vi") -> str:
    """'Công an xã Thanh Long' or 'Thanh Long commune police'."""
    if language == "vi":
        return f"Công an {place_name(unit, 'vi')}"
    return f"{place_name(unit, 'en')} police"


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise UnitImportError(f"line 1: missing column(s) {', '.join(missing)}")
    rows = []
    for row in reader:
        clean = {k: (row.get(k) or "").strip() for k in CSV_COLUMNS}
        if any(clean.values()):
            rows.append((reader.line_num, clean))
    return rows


def _validate(line: int, row: dict[str, str]) -> None:
    if not row["code"] or not row["name"]:
        raise UnitImportError(f"line {line}: code and name are required")
    if row["kind"] not in UNIT_KINDS:
        raise UnitImportError(
            f"line {line}: kind {row['kind']!r} is not one of {', '.join(UNIT_KINDS)}"
        )
    if len(row["code"]) > 40 or len(row["name"]) > 200:
        raise UnitImportError(f"line {line}: code or name too long")


async def import_units(db: Database, text: str) -> ImportReport:
    """Create or update units from CSV text (code,name,kind,parent_code); all or nothing."""
    rows = _rows(text)
    created = updated = 0
    async with db.write() as session:
        known = {u.code: u for u in (await session.scalars(select(Unit))).all()}
        for line, row in rows:
            _validate(line, row)
            parent = known.get(row["parent_code"]) if row["parent_code"] else None
            if row["parent_code"] and parent is None:
                raise UnitImportError(
                    f"line {line}: parent {row['parent_code']!r} is not defined above"
                )
            unit = known.get(row["code"])
            if unit is None:
                unit = Unit(code=row["code"], name=row["name"], kind=row["kind"], path="")
                session.add(unit)
                created += 1
            else:
                updated += 1
            unit.name, unit.kind = row["name"], row["kind"]
            unit.parent_id = parent.id if parent else None
            await session.flush()
            known[unit.code] = unit
        _repath(list(known.values()))
    return ImportReport(created=created, updated=updated)


def _repath(units: list[Unit]) -> None:
    """Recompute every path after moves; a unit that is its own ancestor is refused."""
    by_id = {u.id: u for u in units}
    for unit in units:
        chain = [unit.id]
        parent_id = unit.parent_id
        while parent_id is not None:
            if parent_id in chain:
                raise UnitImportError(f"unit {unit.code} would be its own ancestor")
            chain.append(parent_id)
            parent_id = by_id[parent_id].parent_id
        unit.path = "/" + "".join(f"{i}/" for i in reversed(chain))


async def import_units_file(db: Database, path: Path) -> ImportReport:
    """Import a CSV file of units (UTF-8, with or without BOM)."""
    text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
    return await import_units(db, text)


async def get_unit(session: AsyncSession, unit_id: int) -> Unit | None:
    """One unit by id."""
    return await session.get(Unit, unit_id)


async def get_unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    """One unit by its code."""
    return await session.scalar(select(Unit).where(Unit.code == code))


async def children(session: AsyncSession, parent_id: int | None) -> list[Unit]:
    """The active units directly under `parent_id` (the roots when None), by name."""
    query = select(Unit).where(Unit.active.is_(True)).order_by(Unit.name)
    query = query.where(
        Unit.parent_id.is_(None) if parent_id is None else Unit.parent_id == parent_id
    )
    return list((await session.scalars(query)).all())


async def has_children(session: AsyncSession, unit_ids: list[int]) -> set[int]:
    """Which of `unit_ids` have active children."""
    if not unit_ids:
        return set()
    query = (
        select(Unit.parent_id)
        .where(Unit.parent_id.in_(unit_ids), Unit.active.is_(True))
        .group_by(Unit.parent_id)
    )
    return {pid for pid in (await session.scalars(query)).all() if pid is not None}


async def subtree_ids(session: AsyncSession, unit_id: int) -> list[int]:
    """The ids of a unit and all its descendants."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return []
    query = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    return list((await session.scalars(query)).all())


async def ancestors(session: AsyncSession, unit: Unit) -> list[Unit]:
    """From the root down to the unit itself."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    found = {u.id: u for u in (await session.scalars(select(Unit).where(Unit.id.in_(ids)))).all()}
    return [found[i] for i in ids if i in found]


def is_within(unit: Unit, ancestor: Unit) -> bool:
    """True when `unit` is `ancestor` or below it."""
    return unit.path.startswith(ancestor.path)


async def province_of(session: AsyncSession, unit: Unit) -> Unit:
    """The root of the unit's tree: where tips go when no commune was chosen."""
    chain = await ancestors(session, unit)
    return chain[0] if chain else unit


async def search_units(session: AsyncSession, text: str, limit: int = 20) -> list[Unit]:
    """Units whose name or code contains `text`, case-insensitively."""
    pattern = f"%{text.strip().lower()}%"
    query = (
        select(Unit)
        .where(or_(func.lower(Unit.name).like(pattern), func.lower(Unit.code).like(pattern)))
        .order_by(Unit.path)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def count_units(session: AsyncSession) -> int:
    """How many units exist."""
    return int(await session.scalar(select(func.count()).select_from(Unit)) or 0)
