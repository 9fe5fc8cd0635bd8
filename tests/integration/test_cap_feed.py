"""The public feed: CAP 1.2 per warning (valid against the OASIS schema) and the Atom index."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema

from storage import warnings
from storage.core import Core
from tests.support.broadcasting import broadcaster
from tests.support.console import console_client
from tests.support.officers import unit_id


def _parse(body: bytes) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314 (the console's own output, in a test)


SCHEMA = xmlschema.XMLSchema(Path(__file__).parent.parent / "data" / "CAP-v1.2.xsd")
CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture
async def sent_warning(core: Core) -> int:
    officer = await broadcaster(core)
    draft = warnings.WarningDraft(
        title_vi="Cảnh báo mua bán pháo nổ dịp Tết",
        body_vi="Không mua bán, tàng trữ <b>pháo nổ</b> &amp; vật liệu nổ.",
        title_en="Firecrackers before Tết",
        body_en="Do not buy or keep <b>firecrackers</b>.",
        category="weapons",
        severity="Moderate",
        urgency="Future",
        certainty="Possible",
        unit_ids=[await unit_id(core, "LS-THANH-LONG"), await unit_id(core, "LS-BAO-LAM")],
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
    )
    warning_id = await warnings.create(core, officer, draft)
    await warnings.send_now(core, officer, warning_id)
    return warning_id


async def test_each_warning_is_a_valid_cap_document(core: Core, sent_warning: int) -> None:
    async with console_client(core) as client:
        response = await client.get(f"/cap/warnings/{sent_warning}.xml")  # no sign-in
        assert response.status == 200
        assert response.content_type == "application/cap+xml"
        body = await response.read()
    SCHEMA.validate(body)
    alert = _parse(body)
    assert alert.findtext("cap:msgType", namespaces=CAP) == "Alert"
    assert alert.findtext("cap:scope", namespaces=CAP) == "Public"
    assert alert.findtext("cap:sent", namespaces=CAP).endswith("+07:00")  # type: ignore[union-attr]
    infos = alert.findall("cap:info", CAP)
    assert [i.findtext("cap:language", namespaces=CAP) for i in infos] == ["vi-VN", "en-US"]
    vietnamese = infos[0]
    assert vietnamese.findtext("cap:category", namespaces=CAP) == "Security"
    assert vietnamese.findtext("cap:severity", namespaces=CAP) == "Moderate"
    assert vietnamese.findtext("cap:description", namespaces=CAP) == (
        "Không mua bán, tàng trữ pháo nổ & vật liệu nổ."
    )
    codes = [
        g.findtext("cap:value", namespaces=CAP) for g in vietnamese.iterfind(".//cap:geocode", CAP)
    ]
    assert sorted(codes) == ["LS-BAO-LAM", "LS-THANH-LONG"]  # type: ignore[type-var]
    assert "Công an xã Thanh Long" in vietnamese.findtext(".//cap:areaDesc", namespaces=CAP)  # type: ignore[operator]


async def test_an_update_references_the_warning_it_replaces(core: Core, sent_warning: int) -> None:
    officer = await broadcaster(core, "tuan")
    draft = warnings.WarningDraft(
        title_vi="Cập nhật: thêm thủ đoạn bán pháo qua mạng xã hội",
        body_vi="Đối tượng rao bán pháo trên mạng xã hội.",
        category="weapons",
        severity="Severe",
        urgency="Expected",
        unit_ids=[await unit_id(core, "LS")],
    )
    update = await warnings.create(
        core, officer, draft, msg_type="Update", references_id=sent_warning
    )
    await warnings.send_now(core, officer, update)
    async with console_client(core) as client:
        original = _parse(await (await client.get(f"/cap/warnings/{sent_warning}.xml")).read())
        body = await (await client.get(f"/cap/warnings/{update}.xml")).read()
        feed = await (await client.get("/cap/warnings.atom")).read()
    SCHEMA.validate(body)
    alert = _parse(body)
    assert alert.findtext("cap:msgType", namespaces=CAP) == "Update"
    reference = ",".join(
        original.findtext(f"cap:{name}", namespaces=CAP) or ""
        for name in ("sender", "identifier", "sent")
    )
    assert alert.findtext("cap:references", namespaces=CAP) == reference
    # The index lists what is in force: the update, not the warning it replaced.
    links = [e.get("href") for e in _parse(feed).iterfind("a:entry/a:link", ATOM)]
    assert links == [f"http://127.0.0.1:8080/cap/warnings/{update}.xml"]


async def test_drafts_are_not_public(core: Core) -> None:
    officer = await broadcaster(core)
    draft = warnings.WarningDraft(
        title_vi="Bản nháp",
        body_vi="Chưa gửi",
        category="other",
        severity="Minor",
        urgency="Future",
        unit_ids=[await unit_id(core, "LS")],
    )
    warning_id = await warnings.create(core, officer, draft)
    async with console_client(core) as client:
        assert (await client.get(f"/cap/warnings/{warning_id}.xml")).status == 404
        feed = _parse(await (await client.get("/cap/warnings.atom")).read())
    assert feed.findall("a:entry", ATOM) == []
