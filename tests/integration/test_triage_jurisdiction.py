"""An officer sees their unit and the units below it; anything else is 404, in HTML and API."""

from __future__ import annotations

from storage import officers
from storage.core import Core
from storage.tips import NewAttachment, TipContent, submit_tip
from tests.support.console import add_officer, add_tip, console_client, csrf_of, sign_in
from tests.support.officers import unit_id


async def test_a_commune_officer_sees_only_their_communes_tips(core: Core) -> None:
    thanh_long = await add_tip(core, await unit_id(core, "LS-THANH-LONG"), "Tin ở Thanh Long")
    bao_lam = await add_tip(core, await unit_id(core, "LS-BAO-LAM"), "Tin ở Bảo Lâm")
    yen_bai = await add_tip(core, await unit_id(core, "YB-SON-THINH"), "Tin ở Sơn Thịnh")
    lan = await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    hoa = await add_officer(core, "hoa", "LS", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        queue = await (await client.get("/tips")).text()
        assert thanh_long.ref in queue
        assert bao_lam.ref not in queue and yen_bai.ref not in queue
        assert (await client.get(f"/tips/{thanh_long.ref}")).status == 200
        for other in (bao_lam, yen_bai):
            response = await client.get(f"/tips/{other.ref}")
            assert response.status == 404
            assert "Tin ở" not in await response.text()
        # Acting on it by its reference is just as impossible.
        page = await client.get(f"/tips/{thanh_long.ref}")
        refused = await client.post(
            f"/tips/{bao_lam.ref}/reply",
            data={"text": "xin chào", "csrf_token": csrf_of(await page.text())},
        )
        assert refused.status == 404
    async with console_client(core) as client:
        await sign_in(client, hoa)
        queue = await (await client.get("/tips")).text()
        assert thanh_long.ref in queue and bao_lam.ref in queue
        assert yen_bai.ref not in queue
        assert (await client.get(f"/tips/{yen_bai.ref}")).status == 404


async def test_the_api_hides_other_units_tips_the_same_way(core: Core) -> None:
    mine = await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    theirs = await submit_tip(
        core,
        category="theft",
        content=TipContent(text="Bảo Lâm", place_unit_id=await unit_id(core, "LS-BAO-LAM")),
        attachments=[NewAttachment("photo", "image/jpeg", "a.jpg", b"\xff\xd8 jpeg")],
    )
    await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    token = await officers.issue_token(core.db, "lan")
    headers = {"Authorization": f"Bearer {token}"}
    async with console_client(core) as client:
        listing = await (await client.get("/api/v1/tips", headers=headers)).json()
        assert [item["ref"] for item in listing["items"]] == [mine.ref]
        assert listing["total"] == 1
        response = await client.get(f"/api/v1/tips/{theirs.ref}", headers=headers)
        assert response.status == 404
        assert await response.json() == {"error": "no such tip in your jurisdiction"}
        for path, body in (
            ("replies", {"text": "xin chào"}),
            ("notes", {"text": "ghi chú"}),
            ("status", {"status": "closed", "outcome": "spam"}),
            ("assign", {"unit_id": await unit_id(core, "LS-THANH-LONG")}),
        ):
            response = await client.post(
                f"/api/v1/tips/{theirs.ref}/{path}", json=body, headers=headers
            )
            assert response.status == 404, path
        # Routing one's own tip to a unit outside the jurisdiction fails as well.
        response = await client.post(
            f"/api/v1/tips/{mine.ref}/assign",
            json={"unit_id": await unit_id(core, "LS-BAO-LAM")},
            headers=headers,
        )
        assert response.status == 404


async def test_another_units_attachment_is_404(core: Core) -> None:
    theirs = await submit_tip(
        core,
        category="theft",
        content=TipContent(text="Bảo Lâm", place_unit_id=await unit_id(core, "LS-BAO-LAM")),
        attachments=[NewAttachment("photo", "image/jpeg", "a.jpg", b"\xff\xd8 jpeg")],
    )
    hoa = await add_officer(core, "hoa", "LS", "triage")
    lan = await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    async with console_client(core) as client:
        await sign_in(client, hoa)
        html = await (await client.get(f"/tips/{theirs.ref}")).text()
        link = html.split(f'href="/tips/{theirs.ref}/attachments/')[1].split('"')[0]
    async with console_client(core) as client:
        await sign_in(client, lan)
        response = await client.get(f"/tips/{theirs.ref}/attachments/{link}")
        assert response.status == 404
        assert (await response.read()) != b"\xff\xd8 jpeg"


async def test_an_officer_without_the_triage_role_cannot_open_tips(core: Core) -> None:
    tip = await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    mai = await add_officer(core, "mai", "LS", "broadcaster")
    async with console_client(core) as client:
        await sign_in(client, mai)
        assert (await client.get(f"/tips/{tip.ref}")).status == 403
        home = await (await client.get("/")).text()
        assert 'href="/tips"' not in home
