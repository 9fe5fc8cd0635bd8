"""After a resident sends tips, checks a receipt and complains in the forum, the database
holds nothing that leads back to their Telegram account: no value derived from the user
id under any purpose the code uses, and no timestamp that dates their first action.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import struct
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage import (
    forum,
    forum_answers,
    forum_residents,
    officers,
    subscriptions,
    tip_limits,
    tip_replies,
    tips,
)
from storage.core import Core
from storage.crypto import pseudonym, rotating_pseudonym
from storage.models import AuditEvent, Base, ForumQuestion, ForumSession, Tip
from tests.support.forum import moderator, open_session, render

USER = 6_120_345_678
NEIGHBOUR = 6_120_999_001
ROOT = Path(__file__).resolve().parents[2]
# Every action ever counted per resident (rate limits used to be stored under these).
ACTIONS = ("tip.day", "tip.hour", "receipt", "follow_up", "forum_question", "group_code")
TOLERANCE = dt.timedelta(milliseconds=50)


def _purposes_in_code() -> set[str]:
    """The purposes of every stable pseudonym the code makes (forum ones are per session)."""
    found: set[str] = set()
    call = re.compile(r"(?:resident_key|[^_]pseudonym)\(\s*[\w.]+,\s*([^,\n]+),")
    for path in [*ROOT.glob("storage/**/*.py"), *ROOT.glob("handlers/**/*.py")]:
        for argument in call.findall(path.read_text(encoding="utf-8")):
            found.add(argument.strip())
    return found


def _purposes(session_ids: list[int]) -> list[str]:
    known = {
        '"language"': ["language"],
        "PURPOSE": [subscriptions.PURPOSE],
        '"subscription"': [subscriptions.PURPOSE],
        'f"forum:{session_id}"': [f"forum:{sid}" for sid in session_ids],
        "purpose": [],  # the helpers' own parameter
    }
    unknown = _purposes_in_code() - known.keys()
    assert not unknown, f"list these pseudonym purposes in this test: {unknown}"
    return [purpose for values in known.values() for purpose in values]


def _forbidden(core: Core, user: int, session_ids: list[int]) -> set[bytes]:
    """Every value derived from the user id that a copy of the database must not hold."""
    key = core.vault.require_secrets().pseudonym_key
    values = {pseudonym(key, purpose, user) for purpose in _purposes(session_ids)}
    now = time.time()
    for action in ACTIONS:
        for seconds in (3600, 86400):
            for window in (int(now // seconds) - 1, int(now // seconds)):
                values.add(rotating_pseudonym(key, action, user, window))
    for window in core.limits._windows.values():
        values.update(window.key(action, user) for action in ACTIONS)
    values.update({str(user).encode(), struct.pack(">q", user), struct.pack("<q", user)})
    return values


async def _rows(core: Core) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table, as a copy of the database would show it."""
    found: list[tuple[str, dict[str, Any]]] = []
    async with core.db.read() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings().all():
                found.append((table.name, dict(row)))
    return found


def _holds(value: Any, forbidden: set[bytes], user: int) -> bool:
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return any(mark in data for mark in forbidden)
    if isinstance(value, str):
        return str(user) in value or any(mark.hex() in value.lower() for mark in forbidden)
    return isinstance(value, int) and not isinstance(value, bool) and value == user


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _dates(moment: dt.datetime, created: dt.datetime) -> bool:
    """Whether `moment` is the tip's time, give or take whole minutes (an hour, a day…)."""
    seconds = (_aware(moment) - _aware(created)).total_seconds() % 60
    return min(seconds, 60 - seconds) < TOLERANCE.total_seconds()


def _own(table: str, row: dict[str, Any], tip: Tip) -> bool:
    """The tip's own row, its files, and the audit event of its submission."""
    if table == "tip":
        return bool(row["id"] == tip.id)
    if table == "attachment":
        return bool(row["tip_id"] == tip.id and row["message_id"] is None)
    return table == "audit_event" and row["action"] == "tip.submit" and row["subject_id"] == tip.ref


async def _act_as_resident(core: Core) -> list[uuid.UUID]:
    """What one resident does: two tips, a receipt check with a reply read, a complaint."""
    triage = await officers.add_officer(
        core.db, username="tra", password="mật khẩu đủ dài 42", roles=["triage"], unit_code="LS"
    )
    mod = await moderator(core, "mod", "LS-THANH-LONG")
    session_id = await open_session(core, mod)
    photo = tips.NewAttachment("photo", "image/jpeg", "photo-1.jpg", b"\xff\xd8 jpeg")
    await asyncio.sleep(0.3)  # the officers' set-up apart from the resident's first act
    first = await tips.submit_tip(
        core,
        category="drugs",
        content=tips.TipContent(text="Điểm bán ma tuý sau chợ."),
        attachments=[photo],
        resident=USER,
    )
    await asyncio.sleep(0.3)
    second = await tips.submit_tip(
        core, category="theft", content=tips.TipContent(text="Trộm xe máy ở ngõ 5."), resident=USER
    )
    await asyncio.sleep(0.3)
    await tip_replies.reply_to_tipster(
        core, first.tip_id, officer_id=triage.id, text="Xin thêm chi tiết?"
    )
    await asyncio.sleep(0.3)
    assert tip_limits.claim_receipt_attempt(core, USER) is None
    access = await tips.unlock_with_receipt(core, first.receipt)
    assert access is not None and await tips.tipster_view(core, access) is not None
    await tips.add_follow_up(core, access, "Thường lúc 22 giờ.", resident=USER)
    await asyncio.sleep(0.3)
    await forum_residents.ask(
        core,
        session_id=session_id,
        user_id=USER,
        kind="complaint",
        text="Cán bộ X đòi tiền khi làm thủ tục tạm trú.",
    )
    return [first.tip_id, second.tip_id]


async def test_nothing_in_the_database_leads_back_to_the_resident(core: Core) -> None:
    started = dt.datetime.now(dt.UTC)
    tip_ids = await _act_as_resident(core)
    async with core.db.read() as session:
        session_ids = list((await session.scalars(select(ForumSession.id))).all())
        tip_rows = [await session.get(Tip, tip_id) for tip_id in tip_ids]
    forbidden = _forbidden(core, USER, session_ids)
    rows = await _rows(core)
    assert any(table == "forum_question" for table, _row in rows)  # the complaint is there
    leaks = [
        (table, column)
        for table, row in rows
        for column, value in row.items()
        if _holds(value, forbidden, USER)
    ]
    assert leaks == []
    for tip in tip_rows:
        assert tip is not None
        dating = [
            (table, column, value)
            for table, row in rows
            if not _own(table, row, tip)
            for column, value in row.items()
            if isinstance(value, dt.datetime)
            and _aware(value) >= started
            and _dates(value, tip.created_at)
        ]
        assert dating == [], f"rows that date tip {tip.ref}"
    assert any(table == "audit_event" for table, _row in rows)


async def test_a_closed_session_keeps_no_pseudonym_of_askers_voters_or_reporters(
    core: Core,
) -> None:
    mod = await moderator(core, "mod", "LS-THANH-LONG")
    session_id = await open_session(core, mod)
    asked = await forum_residents.ask(
        core, session_id=session_id, user_id=NEIGHBOUR, kind="question", text="Khi nào sửa đèn?"
    )
    await forum_answers.save_answer(core, mod, asked.question_id, text="Tuần sau.")
    await forum_answers.publish_answer(core, mod, asked.question_id, render=render)
    assert (await forum_residents.vote(core, asked.question_id, USER)).outcome == "added"
    assert (await forum_residents.report(core, asked.question_id, USER)).outcome == "added"
    summary = await forum.close_session(core, mod, session_id)
    assert summary.participants == 2
    key = core.vault.require_secrets().pseudonym_key
    forbidden = {pseudonym(key, f"forum:{session_id}", user) for user in (USER, NEIGHBOUR)}
    leaks = [
        (table, column)
        for table, row in await _rows(core)
        for column, value in row.items()
        if isinstance(value, bytes) and any(mark in value for mark in forbidden)
    ]
    assert leaks == []
    async with core.db.read() as session:
        question = await session.get(ForumQuestion, asked.question_id)
        audit = (await session.scalars(select(AuditEvent.action))).all()
    assert question is not None and question.report_count == 1  # the total stays
    assert "forum.session.close" in audit
