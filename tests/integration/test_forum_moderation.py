"""Moderators at work: the queue, approve / merge / decline / hide, official answers to the
groups and the askers, the summary of a closed session, and jurisdiction."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import select

from storage import forum, forum_answers, forum_moderation, forum_queries, forum_residents, outbox
from storage.core import Core
from storage.forum import ForumError, ForumNotFound
from storage.forum_residents import ReplyRoute
from storage.models import (
    AuditEvent,
    Broadcast,
    Delivery,
    ForumQuestion,
    ForumVote,
    OutboxMessage,
    utcnow,
)
from tests.support.forum import moderator, open_session, render
from tests.support.officers import approved_group, unit_id

LAN, MINH, HUNG = 2001, 2002, 2003
ASKED = "Xin hỏi thủ tục đăng ký tạm trú cho người thuê trọ làm ở đâu ạ?"
SAME = "Người thuê trọ đăng ký tạm trú ở đâu, cần giấy tờ gì ạ?"
OTHER = "Đề nghị Công an xã tăng cường tuần tra đoạn đường qua chợ vào buổi tối."
ANSWER = "Người thuê trọ đăng ký tạm trú tại trụ sở Công an xã hoặc qua Cổng dịch vụ công."


async def _ask(
    core: Core, session_id: int, user: int, text: str, kind: str = "question"
) -> uuid.UUID:
    asked = await forum_residents.ask(
        core,
        session_id=session_id,
        user_id=user,
        kind=kind,
        text=text,
        route=ReplyRoute(chat_id=user, language="vi"),
    )
    return asked.question_id


async def _notices(core: Core) -> list[tuple[str, int, dict[str, str]]]:
    """(message id, chat, params) of every notice waiting in the outbox for an asker."""
    found = []
    for claimed in await outbox.claim_due(core, core.vault.require_relay(), limit=100):
        payload = claimed.payload
        if payload.route_kind != "forum_question":
            continue
        route = await forum_residents.resolve_route(core, uuid.UUID(str(payload.route_id)))
        assert route is not None
        found.append((payload.message, route.chat_id, payload.params))
    return found


async def test_answer_goes_to_the_groups_the_asker_and_the_forum(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    group = await approved_group(
        core, hoa, chat_id=-2001, title="Zalo an ninh thôn Nà Tàn", unit_code="LS-THANH-LONG"
    )
    session_id = await open_session(core, hoa, group_ids=[group])
    lan_q = await _ask(core, session_id, LAN, ASKED)
    minh_q = await _ask(core, session_id, MINH, OTHER)
    await forum_moderation.approve(core, hoa, lan_q, topic="residence")
    await forum_residents.vote(core, lan_q, MINH)
    queue = await forum_moderation.questions(core, hoa, session_id)
    assert [(q.id, q.votes, q.status) for q in queue] == [
        (lan_q, 2, "approved"),
        (minh_q, 1, "pending"),
    ]
    assert queue[0].text == ASKED
    await forum_answers.save_answer(core, hoa, lan_q, text=ANSWER)
    # Written but not yet published: residents see nothing yet.
    assert await forum_residents.public_questions(core, session_id, answered=True) == []
    queued = await forum_answers.publish_answer(core, hoa, lan_q, render=render)
    assert queued == 1
    async with core.db.read() as session:
        texts = [b.text_vi for b in (await session.scalars(select(Broadcast))).all()]
        to_group = (await session.scalars(select(Delivery).where(Delivery.group_id == group))).all()
    assert any(ANSWER in text and ASKED in text for text in texts)
    assert len(to_group) == 2  # the announcement of the session, then the answer
    (shown,) = await forum_residents.public_questions(core, session_id, answered=True)
    assert shown.text == ASKED and shown.answer is not None and shown.answer.text == ANSWER
    assert shown.votes == 2 and not shown.answer.edited
    ((message, chat, params),) = await _notices(core)
    assert message == "forum.notice.answered" and chat == LAN
    assert params["answer"] == ANSWER and params["signer"] == "Công an xã Thanh Long"
    (mine,) = await forum_residents.my_questions(core, session_id, LAN)
    assert mine.status == "answered"
    with pytest.raises(ForumError):
        await forum_answers.publish_answer(core, hoa, lan_q, render=render)


async def test_decline_tells_the_asker_why(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    session_id = await open_session(core, hoa)
    question = await _ask(core, session_id, LAN, OTHER)
    with pytest.raises(ForumError):
        await forum_moderation.decline(core, hoa, question, reason="")
    reason = "Nội dung này thuộc thẩm quyền của UBND xã, đã chuyển UBND xã giải đáp."
    assert await forum_moderation.decline(core, hoa, question, reason=reason) == 1
    ((message, chat, params),) = await _notices(core)
    assert (message, chat, params["reason"]) == ("forum.notice.declined", LAN, reason)
    assert params["question"] == OTHER
    (mine,) = await forum_residents.my_questions(core, session_id, LAN)
    assert mine.status == "declined" and mine.decline_reason == reason
    with pytest.raises(ForumError):
        await forum_moderation.approve(core, hoa, question)


async def test_merging_a_duplicate_moves_its_supporters_and_answers_both_askers(
    core: Core,
) -> None:
    hoa = await moderator(core, "hoa", "LS")
    session_id = await open_session(core, hoa)
    first = await _ask(core, session_id, LAN, ASKED)
    duplicate = await _ask(core, session_id, MINH, SAME)
    await forum_moderation.approve(core, hoa, duplicate)
    await forum_residents.vote(core, duplicate, HUNG)
    await forum_residents.vote(core, duplicate, LAN)
    await forum_moderation.merge(core, hoa, duplicate, into=first)
    async with core.db.read() as session:
        merged = await session.get(ForumQuestion, duplicate)
        target = await session.get(ForumQuestion, first)
    assert merged is not None and merged.status == "merged" and merged.public_text is None
    assert target is not None and target.vote_count == 3  # Lan, Minh, Hùng; Lan once
    ((message, chat, _params),) = await _notices(core)
    assert (message, chat) == ("forum.notice.merged", MINH)
    with pytest.raises(ForumError):
        await forum_moderation.merge(core, hoa, first, into=duplicate)
    await forum_answers.save_answer(core, hoa, first, text=ANSWER, signed_by="front")
    await forum_answers.publish_answer(core, hoa, first, render=render)
    notices = await _notices(core)
    assert sorted((m, c) for m, c, _p in notices) == [
        ("forum.notice.answered", LAN),
        ("forum.notice.answered", MINH),
    ]
    assert notices[0][2]["signer"] == "Ủy ban MTTQ Việt Nam xã Thanh Long"


async def test_editing_an_answer_keeps_the_earlier_text_in_the_audit_log(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    session_id = await open_session(core, hoa)
    question = await _ask(core, session_id, LAN, ASKED)
    await forum_answers.save_answer(core, hoa, question, text="Bản trả lời đầu tiên.")
    await forum_answers.publish_answer(core, hoa, question, render=render)
    assert not await forum_answers.save_answer(core, hoa, question, text="Bản trả lời đầu tiên.")
    assert await forum_answers.save_answer(core, hoa, question, text=ANSWER)
    shown = await forum_residents.public_question(core, question)
    assert shown is not None and shown.answer is not None
    assert shown.answer.text == ANSWER and shown.answer.edited
    async with core.db.read() as session:
        edits = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "forum.question.answer_edit")
            )
        ).all()
    (edit,) = edits
    assert json.loads(edit.details)["earlier_text"] == "Bản trả lời đầu tiên."
    assert edit.officer_id == hoa.officer_id


async def test_another_units_moderator_cannot_see_or_touch_the_queue(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    thanh_long = await moderator(core, "thanhlong", "LS-THANH-LONG")
    bao_lam = await moderator(core, "baolam", "LS-BAO-LAM")
    yen_bai = await moderator(core, "yenbai", "YB")
    session_id = await open_session(core, thanh_long)
    question = await _ask(core, session_id, LAN, ASKED)
    # The commune's moderator and the province's see it.
    assert [q.id for q in await forum_moderation.questions(core, hoa, session_id)] == [question]
    assert [r.info.id for r in await forum_queries.list_sessions(core, thanh_long)] == [session_id]
    for outsider in (bao_lam, yen_bai):
        assert await forum_queries.list_sessions(core, outsider) == []
        with pytest.raises(ForumNotFound):
            await forum_moderation.questions(core, outsider, session_id)
        with pytest.raises(ForumNotFound):
            await forum.get_session(core, outsider, session_id)
        with pytest.raises(ForumNotFound):
            await forum_moderation.approve(core, outsider, question)
        with pytest.raises(ForumNotFound):
            await forum_moderation.decline(core, outsider, question, reason="không phù hợp")
        with pytest.raises(ForumNotFound):
            await forum.close_session(core, outsider, session_id)
    with pytest.raises(ForumNotFound):
        await forum.create_session(
            core,
            bao_lam,
            unit_id=await unit_id(core, "LS-THANH-LONG"),
            title="Diễn đàn của xã khác",
            description="",
            opens_at=utcnow(),
            closes_at=utcnow() + dt.timedelta(days=1),
        )


async def test_closing_sums_up_and_forgets_who_asked(core: Core) -> None:
    hoa = await moderator(core, "hoa", "LS")
    session_id = await open_session(core, hoa)
    answered = await _ask(core, session_id, LAN, ASKED)
    declined = await _ask(core, session_id, MINH, OTHER)
    await _ask(core, session_id, LAN, "Xin hỏi cách phòng tránh lừa đảo qua mạng?")
    await _ask(core, session_id, HUNG, "Cán bộ trực ban thiếu tôn trọng người dân.", "complaint")
    await forum_moderation.approve(core, hoa, answered, topic="residence")
    await forum_residents.vote(core, answered, HUNG)
    await forum_answers.save_answer(core, hoa, answered, text=ANSWER)
    await forum_answers.publish_answer(core, hoa, answered, render=render)
    await forum_moderation.decline(core, hoa, declined, reason="Trùng với câu hỏi đã trả lời.")
    summary = await forum.close_session(core, hoa, session_id)
    # Lan, Minh and Hùng by pseudonym; the complaint (no pseudonym) counts as one more.
    assert summary == forum.Summary(
        received=4, answered=1, declined=1, participants=4, top_topics=(("residence", 1),)
    )
    assert await forum.get_summary(core, hoa, session_id) == summary
    async with core.db.read() as session:
        rows = (await session.scalars(select(ForumQuestion))).all()
        votes = (await session.scalars(select(ForumVote))).all()
        waiting = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.state == "pending"))
        ).all()
    assert votes == [] and all(row.asker_key is None for row in rows)
    # Routes go, except those whose notice has not reached the chat yet.
    assert {row.id for row in rows if row.route_sealed is not None} == {answered, declined}
    assert len(waiting) == 2
    for message in waiting:
        await outbox.mark_sent(core, message.id)
    async with core.db.write() as session:
        assert await forum.forget_routes(session) == 2
    with pytest.raises(ForumError):
        await forum.close_session(core, hoa, session_id)
    async with core.db.read() as session:
        actions = (await session.scalars(select(AuditEvent.action))).all()
    assert "forum.session.close" in actions
