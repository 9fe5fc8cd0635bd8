"""Officers see which files were sent as they are, metadata included, by the tipster's choice."""

from __future__ import annotations

from storage import officers
from storage.core import Core
from storage.tips import NewAttachment, TipContent, submit_tip
from tests.support.console import add_officer, console_client, sign_in
from tests.support.officers import unit_id


async def test_a_file_sent_as_is_is_marked_in_the_page_and_the_api(core: Core) -> None:
    thanh_long = await unit_id(core, "LS-THANH-LONG")
    tip = await submit_tip(
        core,
        category="weapons",
        content=TipContent(text="Kho súng trong vườn nhà ông B.", place_unit_id=thanh_long),
        attachments=[
            NewAttachment("photo", "image/jpeg", "photo-1.jpg", b"\xff\xd8 jpeg"),
            NewAttachment("video", "video/mp4", "video-2.mp4", b"\x00\x00\x00\x18ftyp", as_is=True),
        ],
    )
    hoa = await add_officer(core, "hoa", "LS", "triage")
    token = await officers.issue_token(core.db, "hoa")
    async with console_client(core) as client:
        await sign_in(client, hoa)
        page = await (await client.get(f"/tips/{tip.ref}")).text()
        assert page.count("Gửi nguyên trạng</span>") == 1
        assert "người báo tin đã được báo trước và vẫn chọn gửi" in page
        detail = await (
            await client.get(
                f"/api/v1/tips/{tip.ref}", headers={"Authorization": f"Bearer {token}"}
            )
        ).json()
    marks = {a["kind"]: a["sent_as_is"] for a in detail["attachments"]}
    assert marks == {"photo": False, "video": True}
