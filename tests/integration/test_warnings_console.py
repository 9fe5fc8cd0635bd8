"""Warnings in the console: a broadcaster writes, previews, sends, schedules, cancels and
follows up; watches progress and the report; another unit's broadcaster sees nothing."""

from __future__ import annotations

import io
import re

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from PIL import Image
from sqlalchemy import select

from storage import subscriptions
from storage.core import Core
from storage.models import AuditEvent, CrimeWarning, Delivery
from tests.support.broadcasting import broadcaster
from tests.support.console import add_officer, console_client, csrf_of, sign_in
from tests.support.officers import approved_group, unit_id

TITLE = "Thủ đoạn giả danh công an gọi điện yêu cầu chuyển tiền"
BODY = "Đối tượng xưng là <b>cán bộ công an</b>, đe dọa người dân. <i>Không chuyển tiền!</i>"


async def _form(client: TestClient, page: str, fields: dict[str, object]) -> FormData:  # type: ignore[type-arg]
    token = csrf_of(await (await client.get(page)).text())
    form = FormData()
    form.add_field("csrf_token", token)
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bytes):
                form.add_field(name, item, filename="anh.jpg", content_type="image/jpeg")
            else:
                form.add_field(name, str(item))
    return form


async def _compose(client: TestClient, core: Core, **extra: object) -> object:  # type: ignore[type-arg]
    fields: dict[str, object] = {
        "msg_type": "Alert",
        "title_vi": TITLE,
        "body_vi": BODY,
        "title_en": "Scammers posing as police officers",
        "body_en": "They call and ask for <b>money</b>. Do not pay!",
        "category": "fraud",
        "severity": "Severe",
        "urgency": "Expected",
        "certainty": "Likely",
        "unit_ids": [await unit_id(core, "LS-THANH-LONG")],
    }
    fields.update(extra)
    return await client.post(
        "/warnings", data=await _form(client, "/warnings/new", fields), allow_redirects=False
    )


async def _post(client: TestClient, path: str, page: str, **data: str) -> str:  # type: ignore[type-arg]
    token = csrf_of(await (await client.get(page)).text())
    response = await client.post(path, data={**data, "csrf_token": token}, allow_redirects=False)
    assert response.status == 303, await response.text()
    return await (await client.get(response.headers["Location"])).text()


async def test_a_broadcaster_writes_previews_and_sends_a_warning(core: Core) -> None:
    province = await broadcaster(core, "hoa")
    await approved_group(core, province, -5001, "Zalo an ninh Nà Tàn", "LS-THANH-LONG")
    await subscriptions.subscribe(core, 7001, 7001, unit_ids=[await unit_id(core, "LS")])
    officer = await add_officer(core, "thuy", "LS", "broadcaster")
    async with console_client(core) as client:
        await sign_in(client, officer)
        refused = await _compose(client, core, body_vi="Giá < 100.000đ")
        assert refused.status == 400  # type: ignore[attr-defined]
        assert "Nội dung (tiếng Việt)" in await refused.text()  # type: ignore[attr-defined]
        response = await _compose(client, core)
        assert response.status == 303  # type: ignore[attr-defined]
        page = await (await client.get(response.headers["Location"])).text()  # type: ignore[attr-defined]
        # The preview shows Telegram's formatting, and nothing else of the text as HTML.
        assert "<strong>cán bộ công an</strong>" in page
        assert "⚠️ CẢNH BÁO: " + TITLE in page and "⚠️ WARNING: Scammers" in page
        warning_id = int(re.search(r"/warnings/(\d+)/edit", page).group(1))  # type: ignore[union-attr]
        page = await _post(client, f"/warnings/{warning_id}/send", f"/warnings/{warning_id}")
        assert "Đã xếp hàng gửi" in page and 'id="progress"' in page
        progress = await (await client.get(f"/warnings/{warning_id}/progress")).json()
        assert progress == {
            "status": "sending",
            "sent": 0,
            "failed": 0,
            "skipped": 0,
            "pending": 2,
            "total": 2,
            "done": False,
        }
        report = await (await client.get(f"/warnings/{warning_id}/report")).text()
        assert "Zalo an ninh Nà Tàn" in report and "7001" not in report
    async with core.db.read() as session:
        assert len((await session.scalars(select(Delivery))).all()) == 2
        actions = (await session.scalars(select(AuditEvent.action))).all()
    assert "warning.create" in actions and "warning.send" in actions


async def test_schedule_then_cancel_sends_nothing(core: Core) -> None:
    province = await broadcaster(core, "hoa")
    await approved_group(core, province, -5002, "Tổ dân phố 3", "LS-THANH-LONG")
    officer = await add_officer(core, "thuy", "LS", "broadcaster")
    async with console_client(core) as client:
        await sign_in(client, officer)
        location = (await _compose(client, core)).headers["Location"]  # type: ignore[attr-defined]
        warning_id = int(location.rsplit("/", 1)[1])
        page = await _post(
            client,
            f"/warnings/{warning_id}/schedule",
            location,
            scheduled_at="2099-01-01T08:00",
        )
        assert "Đã hẹn giờ" in page
        page = await _post(client, f"/warnings/{warning_id}/cancel", location)
        assert "Đã hủy cảnh báo" in page
        assert (await client.get(f"/warnings/{warning_id}/edit")).status == 404
    async with core.db.read() as session:
        assert (await session.scalars(select(Delivery))).all() == []


async def test_a_picture_loses_its_metadata(core: Core) -> None:
    officer = await add_officer(core, "thuy", "LS", "broadcaster")
    picture = Image.new("RGB", (40, 30), "red")
    exif = picture.getexif()
    exif[0x010F] = "Điện thoại của cán bộ"  # Make
    raw = io.BytesIO()
    picture.save(raw, format="JPEG", exif=exif.tobytes())
    assert b"Exif" in raw.getvalue()
    async with console_client(core) as client:
        await sign_in(client, officer)
        response = await _compose(client, core, image=raw.getvalue())
        assert response.status == 303  # type: ignore[attr-defined]
        location = response.headers["Location"]  # type: ignore[attr-defined]
        stored = await (await client.get(f"{location}/image")).read()
    assert stored[:2] == b"\xff\xd8" and b"Exif" not in stored


async def test_follow_up_refers_to_the_earlier_warning(core: Core) -> None:
    officer = await add_officer(core, "thuy", "LS", "broadcaster")
    async with console_client(core) as client:
        await sign_in(client, officer)
        location = (await _compose(client, core)).headers["Location"]  # type: ignore[attr-defined]
        first = int(location.rsplit("/", 1)[1])
        await _post(client, f"{location}/send", location)
        form = await (await client.get(f"/warnings/new?references={first}&type=Cancel")).text()
        assert "Hủy bỏ cảnh báo" in form and TITLE in form
        response = await _compose(
            client, core, msg_type="Cancel", references=str(first), title_vi="Đã xử lý xong"
        )
        assert response.status == 303  # type: ignore[attr-defined]
    async with core.db.read() as session:
        cancel = (await session.scalars(select(CrimeWarning).where(CrimeWarning.id != first))).one()
    assert cancel.msg_type == "Cancel" and cancel.references_id == first


async def test_another_units_broadcaster_sees_nothing_and_cannot_target_outside(
    core: Core,
) -> None:
    lang_son = await add_officer(core, "thuy", "LS", "broadcaster")
    yen_bai = await add_officer(core, "quang", "YB", "broadcaster")
    async with console_client(core) as client:
        await sign_in(client, lang_son)
        location = (await _compose(client, core)).headers["Location"]  # type: ignore[attr-defined]
    async with console_client(core) as client:
        await sign_in(client, yen_bai)
        for path in ("", "/edit", "/progress", "/report"):
            assert (await client.get(location + path)).status == 404
        listing = await (await client.get("/warnings")).text()
        assert TITLE not in listing
        refused = await _compose(client, core)  # a Lạng Sơn commune, outside Yên Bái
        assert refused.status == 400  # type: ignore[attr-defined]


async def test_the_api_writes_and_sends_a_warning(core: Core) -> None:
    await add_officer(core, "thuy", "LS", "broadcaster")
    from storage import officers

    token = await officers.issue_token(core.db, "thuy")
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "title_vi": TITLE,
        "body_vi": BODY,
        "category": "fraud",
        "severity": "Extreme",
        "urgency": "Immediate",
        "unit_ids": [await unit_id(core, "LS")],
        "send": True,
    }
    async with console_client(core) as client:
        response = await client.post("/api/v1/warnings", json=body, headers=headers)
        assert response.status == 201, await response.text()
        created = await response.json()
        assert created["status"] == "sending" and created["units"] == ["LS"]
        bad = await client.post(
            "/api/v1/warnings", json={**body, "body_vi": "<b>"}, headers=headers
        )
        assert bad.status == 400 and "never closed" in (await bad.json())["error"]
        document = await (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/warnings/{warning_id}/send" in document["paths"]
