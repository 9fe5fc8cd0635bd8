"""Administrators manage the officers of their jurisdiction from the console."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.core import Core
from storage.models import AuditEvent, Officer
from tests.support.console import add_officer, console_client, csrf_of, sign_in
from tests.support.officers import unit_id


async def test_an_admin_creates_an_officer_who_then_signs_in(core: Core) -> None:
    hoa = await add_officer(core, "hoa", "LS", "admin", "triage")
    async with console_client(core) as client:
        await sign_in(client, hoa)
        page = await (await client.get("/users")).text()
        assert "Yên Bái" not in page  # another province's units are not offered
        form = {"username": "tuan", "roles": "triage", "csrf_token": csrf_of(page)}
        thanh_long = str(await unit_id(core, "LS-THANH-LONG"))
        short = await client.post(
            "/users", data={**form, "password": "short", "unit_id": thanh_long}
        )
        assert short.status == 400 and "ít nhất 12 ký tự" in await short.text()
        elsewhere = str(await unit_id(core, "YB-SON-THINH"))
        outside = await client.post(
            "/users", data={**form, "password": "a long enough password", "unit_id": elsewhere}
        )
        assert "Đơn vị không thuộc phạm vi quản lý" in await outside.text()
        created = await client.post(
            "/users",
            data={
                **form,
                "display_name": "Nguyễn Văn Tuấn",
                "password": "a long enough password",
                "unit_id": thanh_long,
            },
        )
        html = await created.text()
        assert "Đã tạo tài khoản" in html and "Nguyễn Văn Tuấn" in html
        officer_id = re.search(
            r'action="/users/(\d+)/token"', html.split('data-username="tuan"')[1]
        )
        assert officer_id
        token_page = await client.post(
            f"/users/{officer_id.group(1)}/token", data={"csrf_token": csrf_of(html)}
        )
        token = re.search(r'id="api-token">(tb_[\w-]+)<', await token_page.text())
        assert token
        disabled = await client.post(
            f"/users/{officer_id.group(1)}/disable", data={"csrf_token": csrf_of(html)}
        )
        assert "Đã vô hiệu hóa tài khoản" in await disabled.text()
        api = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"})
        assert api.status == 401
    async with core.db.read() as session:
        officer = await session.scalar(select(Officer).where(Officer.username == "tuan"))
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.subject_type == "officer",
                    AuditEvent.subject_id == str(officer.id if officer else 0),
                )
            )
        ).all()
    assert officer is not None and not officer.active
    assert list(actions) == ["officer.create", "token.issue", "officer.disable"]


async def test_a_commune_admin_cannot_touch_province_officers(core: Core) -> None:
    await add_officer(core, "hoa", "LS", "admin", "triage")
    lan = await add_officer(core, "lan", "LS-THANH-LONG", "admin", "triage")
    async with core.db.read() as session:
        hoa_id = await session.scalar(select(Officer.id).where(Officer.username == "hoa"))
    async with console_client(core) as client:
        await sign_in(client, lan)
        page = await (await client.get("/users")).text()
        assert 'data-username="hoa"' not in page
        response = await client.post(f"/users/{hoa_id}/disable", data={"csrf_token": csrf_of(page)})
        assert response.status == 404
