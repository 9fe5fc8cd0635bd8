"""The public feed: one CAP 1.2 document per published warning, and an Atom index of those
still in force. No sign-in: warnings are public once sent.

CAP (OASIS Common Alerting Protocol 1.2): `identifier` and `sender` are built from the
console's public address; `sent` and `expires` are Vietnam time with their offset, as
CAP asks (no "Z"); one `info` per language, `category` Security, `event` the kind of
crime, and one `area` naming the target units with a `geocode` per unit code.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse
from xml.etree import ElementTree as ET

from aiohttp import web

from admin import kit
from storage import warning_queries
from storage.models import CrimeWarning, Unit
from storage.quiet import VIETNAM
from storage.telegram_html import to_plain
from storage.units import police_name

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_TYPE = "application/cap+xml"
ATOM_TYPE = "application/atom+xml"
# The event names of the categories, as CAP `event` texts.
EVENTS = {
    "vi": {
        "fraud": "Lừa đảo qua mạng, tội phạm công nghệ cao",
        "drugs": "Tội phạm ma túy",
        "weapons": "Pháo, vũ khí, vật liệu nổ",
        "child_marriage": "Tảo hôn, hôn nhân cận huyết",
        "fire": "Cháy nổ, phòng cháy chữa cháy",
        "theft": "Trộm cắp, cướp giật tài sản",
        "trafficking": "Mua bán người, xuất nhập cảnh trái phép",
        "gambling": "Cờ bạc",
        "traffic": "Trật tự an toàn giao thông",
        "other": "Phương thức, thủ đoạn tội phạm",
    },
    "en": {
        "fraud": "Online scams and high-tech crime",
        "drugs": "Drug crime",
        "weapons": "Firecrackers, weapons and explosives",
        "child_marriage": "Child and consanguineous marriage",
        "fire": "Fire safety",
        "theft": "Theft and robbery",
        "trafficking": "Human trafficking and illegal border crossing",
        "gambling": "Gambling",
        "traffic": "Traffic safety",
        "other": "Crime methods",
    },
}
LANGUAGE_TAGS = {"vi": "vi-VN", "en": "en-US"}


def cap_time(value: dt.datetime) -> str:
    """CAP's dateTime: seconds, an explicit offset, Vietnam time."""
    return value.astimezone(VIETNAM).replace(microsecond=0).isoformat()


def sender_of(public_url: str) -> str:
    """A sender id unique to this installation: tinbao@<console host>."""
    host = urlparse(public_url).hostname or "localhost"
    return f"tinbao@{host}"


def identifier_of(public_url: str, warning_id: int) -> str:
    """The CAP identifier of a warning (no spaces, commas, < or &)."""
    host = urlparse(public_url).hostname or "localhost"
    return f"{host}.tinbao.warning.{warning_id}"


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _info(
    alert: ET.Element, row: CrimeWarning, issuer: Unit, targets: list[Unit], language: str
) -> None:
    english = language == "en"
    info = _sub(alert, "info")
    _sub(info, "language", LANGUAGE_TAGS[language])
    _sub(info, "category", "Security")
    _sub(info, "event", EVENTS[language].get(row.category, EVENTS[language]["other"]))
    _sub(info, "urgency", row.urgency)
    _sub(info, "severity", row.severity)
    _sub(info, "certainty", row.certainty)
    if row.sent_at is not None:
        _sub(info, "effective", cap_time(row.sent_at))
    if row.expires_at is not None:
        _sub(info, "expires", cap_time(row.expires_at))
    _sub(info, "senderName", police_name(issuer, language))
    _sub(info, "headline", (row.title_en if english else row.title_vi) or "")
    _sub(info, "description", to_plain((row.body_en if english else row.body_vi) or ""))
    area = _sub(info, "area")
    _sub(area, "areaDesc", ", ".join(police_name(u, language) for u in targets))
    for unit in targets:
        geocode = _sub(area, "geocode")
        _sub(geocode, "valueName", "tinbao-unit")
        _sub(geocode, "value", unit.code)


def cap_document(
    row: CrimeWarning,
    issuer: Unit,
    targets: list[Unit],
    public_url: str,
    earlier: CrimeWarning | None = None,
) -> bytes:
    """The CAP 1.2 XML of a published warning."""
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", identifier_of(public_url, row.id))
    _sub(alert, "sender", sender_of(public_url))
    _sub(alert, "sent", cap_time(row.sent_at or row.updated_at))
    _sub(alert, "status", "Actual")
    _sub(alert, "msgType", row.msg_type)
    _sub(alert, "scope", "Public")
    if earlier is not None:
        sent = cap_time(earlier.sent_at or earlier.updated_at)
        reference = f"{sender_of(public_url)},{identifier_of(public_url, earlier.id)},{sent}"
        _sub(alert, "references", reference)
    _info(alert, row, issuer, targets, "vi")
    if row.title_en and row.body_en:
        _info(alert, row, issuer, targets, "en")
    return bytes(
        ET.tostring(alert, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)
    )


def atom_index(rows: list[CrimeWarning], public_url: str, now: dt.datetime) -> bytes:
    """An Atom feed listing the published warnings in force, each linking its CAP document."""
    base = public_url.rstrip("/")
    # Plain names under a root carrying xmlns: ElementTree's default_namespace option
    # refuses the unqualified attributes (rel, href) that Atom uses.
    feed = ET.Element("feed", xmlns=ATOM_NS)
    ET.SubElement(feed, "id").text = f"{base}/cap/warnings.atom"
    ET.SubElement(feed, "title").text = "Cảnh báo phương thức, thủ đoạn tội phạm"
    updated = max((r.updated_at for r in rows), default=now)
    ET.SubElement(feed, "updated").text = updated.astimezone(dt.UTC).isoformat()
    ET.SubElement(feed, "link", rel="self", href=f"{base}/cap/warnings.atom")
    author = ET.SubElement(feed, "author")
    ET.SubElement(author, "name").text = sender_of(public_url)
    for row in rows:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = f"urn:{identifier_of(public_url, row.id)}"
        ET.SubElement(entry, "title").text = row.title_vi
        ET.SubElement(entry, "updated").text = row.updated_at.astimezone(dt.UTC).isoformat()
        ET.SubElement(entry, "summary").text = to_plain(row.body_vi)[:500]
        href = f"{base}/cap/warnings/{row.id}.xml"
        ET.SubElement(entry, "link", rel="alternate", type=CAP_TYPE, href=href)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


@kit.public
async def cap_warning(request: web.Request) -> web.StreamResponse:
    """GET /cap/warnings/{id}.xml: the CAP 1.2 document of a published warning."""
    warning_id = int(request.match_info["warning_id"])
    async with kit.core(request).db.read() as session:
        row = await warning_queries.public_warning(session, warning_id)
        if row is None:
            raise web.HTTPNotFound()
        issuer = await session.get(Unit, row.unit_id)
        targets = await warning_queries.target_units(session, row.id)
        earlier = await session.get(CrimeWarning, row.references_id) if row.references_id else None
    assert issuer is not None
    body = cap_document(row, issuer, targets, request.app[kit.SETTINGS].public_url, earlier)
    return web.Response(body=body, content_type=CAP_TYPE, charset="utf-8")


@kit.public
async def atom_feed(request: web.Request) -> web.StreamResponse:
    """GET /cap/warnings.atom: the published warnings still in force."""
    async with kit.core(request).db.read() as session:
        rows = await warning_queries.active_public(session)
    now = dt.datetime.now(dt.UTC)
    body = atom_index(rows, request.app[kit.SETTINGS].public_url, now)
    return web.Response(body=body, content_type=ATOM_TYPE, charset="utf-8")


def register(app: web.Application) -> None:
    """The public feed routes."""
    app.router.add_get(r"/cap/warnings/{warning_id:\d{1,9}}.xml", cap_warning)
    app.router.add_get("/cap/warnings.atom", atom_feed)
