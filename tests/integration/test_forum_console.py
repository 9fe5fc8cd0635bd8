"""The forum in the console: a moderator creates and opens a session, works the queue
(approve, merge, decline, answer, edit, restore), closes it and reads the summary; a
moderator of another unit gets 404 for all of it; the JSON API does the same."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from storage import forum_residents, officers, outbox
from storage.core import Core
from storage.forum_residents import ReplyRoute
from storage.models import AuditEvent, Broadcast, ForumSession
from storage.quiet import VIETNAM
from tests.support.console import add_officer, console_client, csrf_of, sign_in
from tests.support.forum import moderator, open_session
from tests.support.officers import approved_group, unit_id

LAN, MINH, HUNG = 3001, 3002, 3003
ASKED = "Xin hỏi thủ tục đăng ký tạm trú cho người thuê trọ làm ở đâu ạ?"
SAME = "Người thuê trọ đăng ký tạm trú ở đâu, cần những giấy tờ gì ạ?"
OPINION = "Đề nghị lắp thêm đèn chiếu sáng ở đoạn đường vào chợ <b>Thanh Long</b>."
ANSWER = "Người thuê trọ đăng ký tạm trú tại trụ sở Công an xã Thanh Long."


def _local(delta: dt.timedelta) -> str:
    return (dt.datetime.now(VIETNAM) + delta).strftime("%Y-%m-%dT%H:%M")


async def _post(client: TestClient, path: str, data: dict[str, str], page: str) -> str:  # type: ignore[type-arg]
    """POST a form from `page` and follow the 303; returns the page it lands on."""
    token = csrf_of(await (await client.get(page)).text())
    response = await client.post(path, data={**data, "csrf_token": token}, allow_redirects=False)
    assert response.status == 303, await response.text()
    return await (await client.get(response.headers["Location"])).text()


async def _create_and_open(core: Core, client: TestClient, group_id: int) -> int:  # type: ignore[type-arg]
    form = {
        "unit_id": str(await unit_id(core, "LS-THANH-LONG")),
        "title": "Diễn đàn “Công an lắng nghe ý kiến Nhân dân” xã Thanh Long",
        "description": "Nhân dân nêu ý kiến, kiến nghị về an ninh trật tự.",
        "opens_at": _local(dt.timedelta(minutes=-5)),
        "closes_at": _local(dt.timedelta(days=3)),
        "group": str(group_id),
    }
    page = await _post(client, "/forum", form, "/forum/new")
    assert "Bản nháp" in page
    async with core.db.read() as session:
        (row,) = (await session.scalars(select(ForumSession))).all()
    assert json.loads(row.publish_group_ids) == [group_id]
    page = await _post(client, f"/forum/{row.id}/open", {}, f"/forum/{row.id}")
    assert "Diễn đàn đã mở" in page and "Đang mở" in page
    return row.id


async def test_a_moderator_runs_a_session_from_the_console(core: Core) -> None:
    province = await moderator(core, "hoa", "LS")
    group = await approved_group(
        core, province, chat_id=-4001, title="Zalo an ninh Nà Tàn", unit_code="LS-THANH-LONG"
    )
    officer = await add_officer(core, "minhtuan", "LS-THANH-LONG", "moderator")
    async with console_client(core) as client:
        await sign_in(client, officer)
        session_id = await _create_and_open(core, client, group)
        async with core.db.read() as session:
            announcement = (await session.scalars(select(Broadcast))).one()
        assert "Công an xã Thanh Long" in announcement.text_vi and "/forum" in announcement.text_vi
        assert announcement.text_en and "Thanh Long commune police" in announcement.text_en

        route = ReplyRoute(chat_id=LAN, language="vi")
        asked = await forum_residents.ask(
            core, session_id=session_id, user_id=LAN, kind="question", text=ASKED, route=route
        )
        same = await forum_residents.ask(
            core, session_id=session_id, user_id=MINH, kind="question", text=SAME
        )
        opinion = await forum_residents.ask(
            core, session_id=session_id, user_id=HUNG, kind="opinion", text=OPINION
        )
        page_path = f"/forum/{session_id}"
        page = await (await client.get(page_path)).text()
        # The queue shows the residents' words, escaped, with their supporters.
        assert ASKED in page and "&lt;b&gt;Thanh Long&lt;/b&gt;" in page
        assert "Chờ duyệt (3)" in page

        async def act(name: str, question: uuid.UUID, **data: str) -> str:
            path = f"/forum/questions/{question}/{name}"
            return await _post(client, path, {"session": str(session_id), **data}, page_path)

        qid = asked.question_id
        await act("approve", qid, topic="residence")
        page = await act("merge", same.question_id, into=str(qid))
        assert "Đã gộp câu hỏi" in page and "2 người cùng quan tâm" in page
        page = await act("decline", opinion.question_id, reason="Đã chuyển UBND xã.")
        assert "Không đăng. Lý do: Đã chuyển UBND xã." in page
        page = await act("answer", qid, text=ANSWER, signed_by="police", publish="1")
        assert "Đã đăng câu trả lời" in page and "Đã giải đáp (1)" in page
        async with core.db.read() as session:
            texts = [b.text_vi for b in (await session.scalars(select(Broadcast))).all()]
        assert any(ANSWER in text and ASKED in text for text in texts)
        notices = [
            c.payload.message for c in await outbox.claim_due(core, core.vault.require_relay())
        ]
        assert notices.count("forum.notice.answered") == 1  # Lan; Minh chose no route
        assert "forum.notice.declined" not in notices  # Hùng chose no route either
        edited = ANSWER + " Mang theo căn cước."
        page = await act("answer", qid, text=edited, signed_by="front")
        assert "Đã lưu câu trả lời" in page and "Ủy ban MTTQ Việt Nam xã Thanh Long" in page
        async with core.db.read() as session:
            edit = await session.scalar(
                select(AuditEvent).where(AuditEvent.action == "forum.question.answer_edit")
            )
        assert edit is not None and json.loads(edit.details)["earlier_text"] == ANSWER

        for resident in (LAN, MINH, HUNG):
            await forum_residents.report(core, qid, resident)
        page = await (await client.get("/forum")).text()
        assert "Có 1 nội dung bị Nhân dân báo cáo vi phạm" in page
        page = await act("restore", qid)
        assert "Đã hiển thị lại" in page
        assert await forum_residents.public_question(core, qid) is not None

        page = await _post(client, f"/forum/{session_id}/close", {}, page_path)
        figures = dict(re.findall(r'data-figure="(\w+)">(\d+)<', page))
        assert figures == {"received": "3", "answered": "1", "declined": "1", "participants": "3"}
        assert "Cư trú, căn cước — 1" in page
        closed = await (await client.get(page_path)).text()
        assert "Đã kết thúc" in closed and "Báo cáo tổng hợp" in closed


async def test_another_units_moderator_gets_404(core: Core) -> None:
    thanh_long = await moderator(core, "thanhlong", "LS-THANH-LONG")
    session_id = await open_session(core, thanh_long)
    asked = await forum_residents.ask(
        core, session_id=session_id, user_id=LAN, kind="question", text=ASKED
    )
    outsider = await add_officer(core, "baolam", "LS-BAO-LAM", "moderator")
    async with console_client(core) as client:
        await sign_in(client, outsider)
        listing = await (await client.get("/forum")).text()
        assert "Thanh Long" not in listing
        for path in (f"/forum/{session_id}", f"/forum/{session_id}/summary"):
            assert (await client.get(path)).status == 404
        token = csrf_of(listing)
        for path, data in (
            (f"/forum/questions/{asked.question_id}/approve", {}),
            (f"/forum/questions/{asked.question_id}/decline", {"reason": "không phù hợp"}),
            (f"/forum/{session_id}/close", {}),
        ):
            response = await client.post(
                path, data={**data, "csrf_token": token}, allow_redirects=False
            )
            assert response.status == 404, path
        # A triage officer of the same commune is not a moderator: 403.
    triage = await add_officer(core, "trucban", "LS-THANH-LONG", "triage")
    async with console_client(core) as client:
        await sign_in(client, triage)
        assert (await client.get("/forum")).status == 403


async def test_the_api_lists_and_decides(core: Core) -> None:
    thanh_long = await moderator(core, "thanhlong", "LS-THANH-LONG")
    session_id = await open_session(core, thanh_long)
    asked = await forum_residents.ask(
        core, session_id=session_id, user_id=LAN, kind="question", text=ASKED
    )
    token = await officers.issue_token(core.db, "thanhlong")
    await add_officer(core, "yenbai", "YB", "moderator")
    outsider = await officers.issue_token(core.db, "yenbai")
    async with console_client(core) as client:
        mine = {"Authorization": f"Bearer {token}"}
        sessions = await (await client.get("/api/v1/forum/sessions", headers=mine)).json()
        assert [s["id"] for s in sessions["items"]] == [session_id]
        assert sessions["items"][0]["pending"] == 1
        path = f"/api/v1/forum/questions/{asked.question_id}"
        bad = {"action": "approve", "topic": "nope"}
        response = await client.post(f"{path}/decision", json=bad, headers=mine)
        assert response.status == 400
        body = {"text": ANSWER, "publish": True}
        response = await client.post(f"{path}/answer", json=body, headers=mine)
        assert response.status == 200 and (await response.json())["published"] is True
        questions = await (
            await client.get(f"/api/v1/forum/sessions/{session_id}/questions", headers=mine)
        ).json()
        (item,) = questions["items"]
        assert item["status"] == "answered" and item["answer"]["text"] == ANSWER
        other = {"Authorization": f"Bearer {outsider}"}
        assert (await client.get("/api/v1/forum/sessions", headers=other)).status == 200
        response = await client.get(f"/api/v1/forum/sessions/{session_id}/questions", headers=other)
        assert response.status == 404
        response = await client.post(f"{path}/decision", json={"action": "hide"}, headers=other)
        assert response.status == 404
        document = await (await client.get("/api/v1/openapi.json")).json()
        assert "/api/v1/forum/questions/{question_id}/answer" in document["paths"]
