"""The console's start page: what waits for the officer, counted within their jurisdiction."""

from __future__ import annotations

import re

from storage import forum_residents, groups
from storage.core import Core
from tests.support.console import add_officer, add_tip, backdate_tip, console_client, sign_in
from tests.support.forum import moderator, open_session
from tests.support.officers import unit_id

FIGURE = re.compile(
    r'<a class="card figure( is-urgent)?" href="([^"]+)">\s*'
    r'<span class="count">(\d+)</span> <span class="label">([^<]+)</span>'
)


def figures(html: str) -> dict[str, tuple[int, str, bool]]:
    """Label → (count, link, urgent) of every figure on the page."""
    return {
        label: (int(count), link, bool(urgent))
        for urgent, link, count, label in FIGURE.findall(html)
    }


async def test_a_triage_officer_sees_the_tips_waiting_in_their_own_unit(core: Core) -> None:
    thanh_long = await unit_id(core, "LS-THANH-LONG")
    await add_tip(core, thanh_long, "Có người bán ma túy ở chợ")
    old = await add_tip(core, thanh_long, "Tin báo từ hôm kia")
    await add_tip(core, await unit_id(core, "LS-BAO-LAM"), "Tin của xã khác")
    await backdate_tip(core, old.ref, hours=25)
    lan = await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        shown = figures(await (await client.get("/")).text())
        assert shown == {
            "Tin báo quá 24 giờ chưa mở": (1, "/tips?status=overdue", True),
            "Tin báo mới": (2, "/tips?status=new", False),
            "Tin báo đang xử lý": (2, "/tips", False),
        }
        # The overdue link leads to exactly that tip.
        overdue = await (await client.get("/tips?status=overdue")).text()
        assert old.ref in overdue and overdue.count("badge-overdue") == 1


async def test_figures_follow_the_roles_and_nothing_overdue_is_not_alarming(core: Core) -> None:
    mod = await moderator(core, "mai", "LS")
    session_id = await open_session(core, mod)
    for user_id, text in (
        (501, "Xin hỏi về trộm cắp xe máy ở thôn Nà Pè?"),
        (502, "Ý kiến về đèn đường"),
    ):
        await forum_residents.ask(
            core, session_id=session_id, user_id=user_id, kind="question", text=text
        )
    await groups.bot_added(core, -100777, "Tổ dân phố 5")
    await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    hoa = await add_officer(core, "hoa", "LS", "moderator", "broadcaster")
    async with console_client(core) as client:
        await sign_in(client, hoa)
        html = await (await client.get("/")).text()
    shown = figures(html)
    # No triage role: no tip figure, and the tip's existence shows nowhere on the page.
    assert not any("Tin báo" in label for label in shown)
    assert shown["Câu hỏi diễn đàn chờ duyệt"] == (2, "/forum", False)
    assert shown["Câu hỏi bị báo cáo vi phạm"] == (0, "/forum", False)
    assert shown["Nhóm chờ duyệt"] == (1, "/groups?status=pending", False)
    assert shown["Cảnh báo đang gửi"] == (0, "/warnings?status=sending", False)
    assert "Việc đang chờ" in html


async def test_a_moderator_of_another_commune_does_not_count_these_questions(core: Core) -> None:
    mod = await moderator(core, "mai", "LS")
    session_id = await open_session(core, mod)
    await forum_residents.ask(
        core, session_id=session_id, user_id=501, kind="complaint", text="Phản ánh về cán bộ xã"
    )
    elsewhere = await add_officer(core, "tuan", "LS-BAO-LAM", "moderator")
    async with console_client(core) as client:
        await sign_in(client, elsewhere)
        shown = figures(await (await client.get("/")).text())
    assert shown["Câu hỏi diễn đàn chờ duyệt"] == (0, "/forum", False)
