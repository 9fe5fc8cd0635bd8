"""The unit tree: CSV import, browsing, and who is within whose jurisdiction."""

from __future__ import annotations

import pytest

from storage import units
from storage.core import Core


async def test_demo_tree_has_langson_communes_under_the_province(core: Core) -> None:
    async with core.db.read() as session:
        province = await units.get_unit_by_code(session, "LS")
        assert province is not None
        names = {u.name for u in await units.children(session, province.id)}
        assert {"Thanh Long", "Bảo Lâm", "Thiện Hòa", "Xuất Lễ", "Công Sơn", "Na Dương"} <= names
        commune = await units.get_unit_by_code(session, "LS-THANH-LONG")
        assert commune is not None
        assert units.police_name(commune) == "Công an xã Thanh Long"
        assert units.place_name(commune, "en") == "Thanh Long commune"
        assert units.is_within(commune, province)
        assert (await units.province_of(session, commune)).code == "LS"


async def test_older_three_level_tree_and_subtrees(core: Core) -> None:
    async with core.db.read() as session:
        yen_bai = await units.get_unit_by_code(session, "YB")
        district = await units.get_unit_by_code(session, "YB-TRAM-TAU")
        commune = await units.get_unit_by_code(session, "YB-BAN-MU")
        other = await units.get_unit_by_code(session, "LS-BAO-LAM")
        assert yen_bai and district and commune and other
        below_district = set(await units.subtree_ids(session, district.id))
        assert below_district == {district.id, commune.id} | {
            u.id for u in await units.children(session, district.id)
        }
        assert commune.id in set(await units.subtree_ids(session, yen_bai.id))
        assert other.id not in set(await units.subtree_ids(session, yen_bai.id))
        assert [u.code for u in await units.ancestors(session, commune)] == [
            "YB",
            "YB-TRAM-TAU",
            "YB-BAN-MU",
        ]
        assert not units.is_within(other, yen_bai)


async def test_reimport_updates_names_and_moves(core: Core) -> None:
    report = await units.import_units(
        core.db,
        "code,name,kind,parent_code\nYB-BAN-MU,Bản Mù (mới),commune,YB\nLS-NEW,Mới,commune,LS\n",
    )
    assert (report.created, report.updated) == (1, 1)
    async with core.db.read() as session:
        moved = await units.get_unit_by_code(session, "YB-BAN-MU")
        yen_bai = await units.get_unit_by_code(session, "YB")
        assert moved and yen_bai
        assert moved.name == "Bản Mù (mới)"
        assert moved.parent_id == yen_bai.id
        assert moved.path == f"{yen_bai.path}{moved.id}/"


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("code,name\nX,Y\n", "missing column"),
        ("code,name,kind,parent_code\nX,Y,village,\n", "line 2: kind 'village'"),
        ("code,name,kind,parent_code\nX,Y,commune,NOPE\n", "line 2: parent 'NOPE'"),
        ("code,name,kind,parent_code\n,Y,commune,\n", "line 2: code and name are required"),
        (
            "code,name,kind,parent_code\nLS,Lạng Sơn,province,LS-THANH-LONG\n",
            "would be its own ancestor",
        ),
    ],
)
async def test_bad_rows_are_refused_whole(core: Core, csv_text: str, message: str) -> None:
    async with core.db.read() as session:
        before = await units.count_units(session)
    with pytest.raises(units.UnitImportError, match=message):
        await units.import_units(core.db, csv_text)
    async with core.db.read() as session:
        assert await units.count_units(session) == before
        province = await units.get_unit_by_code(session, "LS")
        assert province is not None and province.parent_id is None


async def test_search(core: Core) -> None:
    async with core.db.read() as session:
        found = await units.search_units(session, "thanh")
    assert "LS-THANH-LONG" in {u.code for u in found}
