"""The forum as residents use it: asking, "I have this question too", reports, and what
the database keeps of them (sealed words, pseudonyms bound to one session)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from storage import (
    forum,
    forum_answers,
    forum_moderation,
    forum_residents,
    rotation,
    subscriptions,
)
from storage.core import Core
from storage.crypto import KeyPair, KeyRing
from storage.forum_residents import ForumClosed, RateLimited, ReplyRoute
from storage.models import (
    AuditEvent,
    Broadcast,
    Delivery,
    ForumQuestion,
    ForumSession,
    ForumVote,
)
from storage.settings import ForumLimits
from tests.support.forum import moderator, open_session, render
from tests.support.officers import approved_group, unit_id

LAN, MINH, HUNG, TUAN = 1001, 1002, 1003, 1004
QUESTION = "Thủ tục đăng ký tạm trú cho người thuê trọ ở xã mình làm ở đâu ạ?"
COMPLAINT = "Cán bộ trực ban hôm 12/3 nói năng thiếu tôn trọng với bà con thôn Nà Tàn."


async def _ask(
    core: Core, session_id: int, user: int, text: str = QUESTION, name: str | None = None
) -> uuid.UUID:
    asked = await forum_residents.ask(
        core, session_id=session_id, user_id=user, kind="question", text=text, display_name=name
    )
    return asked.question_id


async def test_a_question_is_sealed_until_published_and_the_asker_sees_its_state(
    core: Core,
) -> None:
    hoa = await moderator(core, "hoa", "LS")
    session_id = await open_session(core, hoa)
    question_id = await _ask(core, session_id, LAN, name="Chị Lan")
    async with core.db.read() as session:
        row = await session.get(ForumQuestion, question_id)
    assert row is not None and row.status == "pending"
    assert QUESTION.encode() not in row.sealed and b"Lan" not in row.sealed
    assert row.public_text is None and row.public_name is None
    assert str(LAN).encode() not in (row.asker_key or b"")
    # Nobody else sees a pending question.
    assert await forum_residents.public_questions(core, session_id, answered=False) == []
    assert await forum_residents.public_question(core, question_id) is None
    (mine,) = await forum_residents.my_questions(core, session_id, LAN)
    assert mine.status == "pending" and mine.public_text is None
    assert await forum_residents.my_questions(core, session_id, MINH) == []

    await forum_moderation.approve(core, hoa, question_id, topic="residence")
    (waiting,) = await forum_residents.public_questions(core, session_id, answered=False)
    assert waiting.text == QUESTION and waiting.name == "Chị Lan" and waiting.votes == 1


async def test_one_vote_per_resident_and_the_asker_already_counts(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    session_id = await open_session(core, hoa)
    question_id = await _ask(core, session_id, LAN)
    # A pending question cannot be voted for: residents do not see it yet.
    assert (await forum_residents.vote(core, question_id, MINH)).outcome == "gone"
    await forum_moderation.approve(core, hoa, question_id)
    assert await forum_residents.vote(core, question_id, MINH) == forum_residents.Counted(
        "added", 2
    )
    assert (await forum_residents.vote(core, question_id, MINH)).outcome == "already"
    assert (await forum_residents.vote(core, question_id, LAN)).outcome == "already"
    assert (await forum_residents.vote(core, question_id, HUNG)).count == 3
    async with core.db.read() as session:
        votes = (await session.scalars(select(ForumVote))).all()
    assert len(votes) == 3 and len({v.pseudonym for v in votes}) == 3


async def test_pseudonyms_differ_between_sessions(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    first = await open_session(core, hoa)
    second = await open_session(core, hoa, unit_code="LS-BAO-LAM", title="Diễn đàn xã Bảo Lâm")
    await _ask(core, first, LAN)
    await _ask(core, second, LAN)
    async with core.db.read() as session:
        keys = (await session.scalars(select(ForumQuestion.asker_key))).all()
    assert len(set(keys)) == 2


async def test_limits_on_length_rate_and_closed_sessions(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    session_id = await open_session(core, hoa)
    with pytest.raises(forum.ForumError):
        await _ask(core, session_id, LAN, text="Hỏi?")
    with pytest.raises(forum.ForumError):
        await _ask(core, session_id, LAN, text="x" * (forum_residents.TEXT_MAX + 1))
    with pytest.raises(forum.ForumError):
        await _ask(core, session_id, LAN, name="N" * (forum_residents.NAME_MAX + 1))
    core.settings = dataclasses.replace(core.settings, forum=ForumLimits(questions_per_hour=2))
    await _ask(core, session_id, LAN)
    await _ask(core, session_id, LAN)
    with pytest.raises(RateLimited):
        await _ask(core, session_id, LAN)
    await _ask(core, session_id, MINH)
    await forum.close_session(core, hoa, session_id)
    with pytest.raises(ForumClosed):
        await _ask(core, session_id, HUNG)


async def test_a_complaint_about_an_officer_is_never_linked_nor_published_by_default(
    core: Core,
) -> None:
    hoa = await moderator(core, "hoa", "LS")
    group = await approved_group(
        core, hoa, chat_id=-100500, title="Zalo an ninh", unit_code="LS-THANH-LONG"
    )
    session_id = await open_session(core, hoa, group_ids=[group])
    await forum_residents.ask(
        core,
        session_id=session_id,
        user_id=LAN,
        kind="complaint",
        text=COMPLAINT,
        route=ReplyRoute(chat_id=LAN, language="vi"),
    )
    async with core.db.read() as session:
        row = (await session.scalars(select(ForumQuestion))).one()
    assert row.asker_key is None and row.vote_count == 0
    assert await forum_residents.my_questions(core, session_id, LAN) == []
    await forum_moderation.approve(core, hoa, row.id)
    assert await forum_residents.public_questions(core, session_id, answered=False) == []
    await forum_answers.save_answer(core, hoa, row.id, text="Công an xã đã làm việc với cán bộ.")
    queued = await forum_answers.publish_answer(core, hoa, row.id, render=render)
    assert queued == 0  # the groups hear nothing of it; the complainant is told privately
    route = await forum_residents.resolve_route(core, row.id)
    assert route == ReplyRoute(chat_id=LAN, language="vi")
    assert await forum_residents.public_questions(core, session_id, answered=True) == []
    (item,) = await forum_moderation.questions(core, hoa, session_id)
    assert item.topic == "officer_conduct" and item.text == COMPLAINT


async def test_reports_hide_an_answer_until_a_moderator_looks(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    session_id = await open_session(core, hoa)
    question_id = await _ask(core, session_id, LAN)
    await forum_answers.save_answer(core, hoa, question_id, text="Đến Công an xã để đăng ký.")
    # Only answered questions can be reported.
    assert (await forum_residents.report(core, question_id, MINH)).outcome == "gone"
    await forum_answers.publish_answer(core, hoa, question_id, render=render)
    assert (await forum_residents.report(core, question_id, MINH)).outcome == "added"
    assert (await forum_residents.report(core, question_id, MINH)).outcome == "already"
    assert (await forum_residents.report(core, question_id, HUNG)).outcome == "added"
    assert await forum_moderation.flagged_count(core, hoa) == 1
    assert (await forum_residents.report(core, question_id, TUAN)).outcome == "hidden"
    assert await forum_residents.public_question(core, question_id) is None
    assert await forum_residents.public_questions(core, session_id, answered=True) == []
    (item,) = await forum_moderation.questions(core, hoa, session_id)
    assert item.flagged and item.hidden_by == "reports" and item.reports == 3

    await forum_moderation.restore(core, hoa, question_id)
    assert await forum_residents.public_question(core, question_id) is not None
    assert await forum_moderation.flagged_count(core, hoa) == 0
    # Reports looked at no longer count: a new one alone does not hide it again.
    assert (await forum_residents.report(core, question_id, LAN)).outcome == "added"
    assert await forum_residents.public_question(core, question_id) is not None
    async with core.db.read() as session:
        actions = (await session.scalars(select(AuditEvent.action))).all()
    assert "forum.question.hide" in actions and "forum.question.restore" in actions


async def test_opening_announces_to_groups_and_subscribers_of_the_area(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    here = await approved_group(
        core, hoa, chat_id=-1001, title="Thôn Nà Tàn", unit_code="LS-THANH-LONG"
    )
    await approved_group(core, hoa, chat_id=-1002, title="Xã Bảo Lâm", unit_code="LS-BAO-LAM")
    await subscriptions.subscribe(core, LAN, LAN, unit_ids=[await unit_id(core, "LS-THANH-LONG")])
    await subscriptions.subscribe(core, MINH, MINH, unit_ids=[await unit_id(core, "YB-BAN-MU")])
    session_id = await open_session(core, hoa, group_ids=[here])
    async with core.db.read() as session:
        broadcast = (await session.scalars(select(Broadcast))).one()
        deliveries = (await session.scalars(select(Delivery))).all()
        row = await session.get(ForumSession, session_id)
    assert broadcast.kind == "forum" and "Diễn đàn" in broadcast.text_vi
    assert row is not None and row.status == "open"
    # The commune's group and its subscriber; not the other commune, not Yên Bái.
    assert sorted((d.group_id is not None, d.subscriber_id is not None) for d in deliveries) == [
        (False, True),
        (True, False),
    ]


async def test_sessions_shown_to_a_resident_of_a_commune(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    commune = await open_session(core, hoa)
    province = await open_session(core, hoa, unit_code="LS", title="Diễn đàn Công an tỉnh")
    other = await open_session(core, hoa, unit_code="LS-BAO-LAM", title="Diễn đàn xã Bảo Lâm")
    await forum.close_session(core, hoa, other)
    opened, closed = await forum_residents.sessions_for(
        core, [await unit_id(core, "LS-THANH-LONG")]
    )
    assert {s.id for s in opened} == {commune, province} and closed == []
    opened, closed = await forum_residents.sessions_for(core, [await unit_id(core, "LS-BAO-LAM")])
    assert [s.id for s in opened] == [province] and [s.id for s in closed] == [other]
    # A session closed long ago is no longer listed.
    async with core.db.write() as session:
        row = await session.get(ForumSession, other)
        assert row is not None
        row.closed_at = row.closed_at - dt.timedelta(days=200)  # type: ignore[operator]
    _opened, closed = await forum_residents.sessions_for(core, [await unit_id(core, "LS-BAO-LAM")])
    assert closed == []
    assert await forum_residents.sessions_for(core, []) == ([], [])
    # A resident subscribed to warnings sees the forums of the communes they follow.
    assert await forum_residents.resident_areas(core, LAN) == []
    await subscriptions.subscribe(core, LAN, LAN, unit_ids=[await unit_id(core, "LS-BAO-LAM")])
    assert await forum_residents.resident_areas(core, LAN) == [await unit_id(core, "LS-BAO-LAM")]


async def test_key_rotation_reseals_questions_and_reply_routes(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    session_id = await open_session(core, hoa)
    asked = await forum_residents.ask(
        core,
        session_id=session_id,
        user_id=LAN,
        kind="question",
        text=QUESTION,
        route=ReplyRoute(chat_id=LAN, language="en"),
    )
    fresh = {"console": KeyPair.generate(), "relay": KeyPair.generate()}
    assert await rotation.reseal_all(
        core.db, "console", core.vault.require_console(), fresh["console"].public
    )
    assert await rotation.reseal_all(
        core.db, "relay", core.vault.require_relay(), fresh["relay"].public
    )
    new_vault = dataclasses.replace(
        core.vault,
        console_ring=KeyRing([fresh["console"]], fresh["console"].key_id),
        relay_ring=KeyRing([fresh["relay"]], fresh["relay"].key_id),
    )
    rotated = dataclasses.replace(core, vault=new_vault)
    (item,) = await forum_moderation.questions(rotated, hoa, session_id)
    assert item.text == QUESTION
    route = await forum_residents.resolve_route(rotated, asked.question_id)
    assert route == ReplyRoute(chat_id=LAN, language="en")
