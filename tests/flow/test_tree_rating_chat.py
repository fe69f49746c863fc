"""/xeploai along the tree of committees, in the chat: a district's member lists its wards, picks one by (part
of) its name without diacritics, and rates one of its cells with a reason (audited, shown on the web rating page
and in the period report, kept across a restart); a ward's member reaches nothing beside its ward; a city's member
goes one step down at a time. Refusals say what to type and write nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from reports import period_report
from rules.period import YEAR, Period
from storage.models import CellYearRating
from tests.conftest import DB_KINDS
from tests.support.tree_story import CM_A, CM_B, CM_CITY, CM_DISTRICT, DISTRICT, NOW, VN, WARD_A, WARD_B, Tree, build


@pytest.fixture
async def tree(scene):
    built = await build(scene)
    yield built
    await built.http.stop()


async def xeploai(tree: Tree, who: str, args: str) -> str:
    return "\n".join(await tree.scene.say(who, f"/xeploai {args}".strip()))


async def decisions(tree: Tree) -> list[tuple]:
    async with tree.scene.sessions()() as s:
        return [(r.cell_id, r.year, r.level, r.proposed_level, r.actor, r.reason)
                for r in await s.scalars(select(CellYearRating).order_by(CellYearRating.id))]


async def ward_page(tree: Tree, ward: str) -> period_report.CommitteePeriod:
    async with tree.scene.sessions()() as s:
        return await period_report.compute(s, tree.committees[ward], Period(YEAR, 2026), NOW, VN)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_district_member_rates_a_wards_cell_by_the_wards_name_in_the_chat(tree: Tree):
    scene, cells = tree.scene, tree.cells
    khu_pho_2 = cells["Chi bộ khu phố 2"]
    # The district's list: its wards, numbered, each with its cells and how many are rated; then its own cell.
    listed = await xeploai(tree, CM_DISTRICT, "2026")
    assert f"1. {WARD_A}: 2 chi bộ, đã xếp loại 0" in listed
    assert f"2. {WARD_B}: 1 chi bộ, đã xếp loại 0" in listed
    assert f"3. Chi bộ trực thuộc {DISTRICT}: 1 chi bộ, đã xếp loại 0" in listed
    assert "Chi bộ khu phố 1" not in listed  # cells only one level down
    assert "/xeploai 2026 1 2 kha" in listed and f"/xeploai 2026 {WARD_A}" in listed  # how to type it

    # A ward by part of its name, without diacritics: its cells, numbered, with the levels of the ward's page.
    page = await ward_page(tree, WARD_A)
    ward = await xeploai(tree, CM_DISTRICT, "2026 dien bien")
    for number, row in enumerate(page.rows, start=1):
        assert f"{number}. {row.name}: {period_report.level_text(row.proposal.level.value, 'vi')} → Chưa xác nhận" \
            in ward
    assert [r.name for r in page.rows] == ["Chi bộ khu phố 1", "Chi bộ khu phố 2"] and "Kim Mã" not in ward
    assert "/xeploai 2026 dien bien 2 kha" in ward
    by_number = await xeploai(tree, CM_DISTRICT, "2026 1")  # the same ward by its number
    assert by_number.split("\n\n")[0] == ward.split("\n\n")[0] and "/xeploai 2026 1 2 kha" in by_number
    own = await xeploai(tree, CM_DISTRICT, "2026 truc thuoc")  # the district's own cells
    assert "1. Chi bộ cơ quan quận" in own and "khu phố" not in own

    # Refusals: each says what was wrong and what to type; nothing is written.
    unknown = await xeploai(tree, CM_DISTRICT, "2026 Hoàn Kiếm 1 kha Lý do")
    assert "Không thấy đơn vị «Hoàn Kiếm»" in unknown and f"1. {WARD_A}" in unknown and "/xeploai 2026" in unknown
    both = await xeploai(tree, CM_DISTRICT, "2026 phuong")  # both wards are "phường"
    assert "Có nhiều đơn vị ứng với «phuong»" in both and WARD_A in both and WARD_B in both
    assert "Không có đơn vị số \"9\": danh sách có từ 1 đến 3" in await xeploai(tree, CM_DISTRICT, "2026 9")
    assert "Không hiểu năm" in (year := await xeploai(tree, CM_DISTRICT, "năm nay")) and "ĐƠN_VỊ" in year
    assert "từ 1 đến 2" in await xeploai(tree, CM_DISTRICT, "2026 dien bien 7 kha Lý do")
    assert "tot, kha" in await xeploai(tree, CM_DISTRICT, "2026 dien bien 2 xuất sắc")
    assert "tot, kha" in await xeploai(tree, CM_DISTRICT, "2026 dien bien 2")
    proposed = next(r for r in page.rows if r.cell_id == khu_pho_2).proposal.level.value
    other = "tot" if proposed != "tot" else "kem"
    need = await xeploai(tree, CM_DISTRICT, f"2026 dien bien 2 {other}")
    assert "lý do" in need and f"/xeploai 2026 dien bien 2 {other}" in need
    assert await decisions(tree) == []

    # The rating, with a reason: audited with the district's member, kept across a restart.
    saved = await xeploai(tree, CM_DISTRICT, f"2026 dien bien 2 {other} Chi bộ họp bù tháng 10")
    assert "Đã ghi mức xếp loại năm 2026 của Chi bộ khu phố 2" in saved
    member = scene.who(CM_DISTRICT).committee_member_id
    await scene.stop_bot()
    await scene.start_bot()
    assert await decisions(tree) == [(khu_pho_2, 2026, other, proposed, f"committee_member:{member}",
                                      "Chi bộ họp bù tháng 10")]
    assert f"1. {WARD_A}: 2 chi bộ, đã xếp loại 1" in await xeploai(tree, CM_DISTRICT, "2026")
    shown = period_report.level_text(other, "vi")
    assert f"2. Chi bộ khu phố 2: {period_report.level_text(proposed, 'vi')} → {shown}" in await xeploai(
        tree, CM_DISTRICT, "2026 Điện Biên")
    # The period report and the web rating page show the chat's decision.
    row = next(r for r in (await ward_page(tree, WARD_A)).rows if r.cell_id == khu_pho_2)
    assert row.rating is not None and (row.rating.level, row.rating.who) == (other, CM_DISTRICT)
    async with httpx.AsyncClient(base_url=tree.root, timeout=60) as client:
        html = (await client.get(await tree.base(CM_DISTRICT)
                                 + f"/rating?ky=2026&committee={tree.committees[WARD_A]}")).text
    cell_row = html.split(f'data-cell="{khu_pho_2}"', 1)[1].split("</tr>", 1)[0]
    assert "Chi bộ họp bù tháng 10" in cell_row and re.search(rf'<option value="{other}" selected>', cell_row)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_ward_member_reaches_only_its_wards_cells_and_a_city_member_goes_down_by_name(tree: Tree):
    # A ward (a committee of cells): the list and numbers as before, only its own cells.
    ward = await xeploai(tree, CM_A, "2026")
    assert "1. Chi bộ khu phố 1" in ward and "2. Chi bộ khu phố 2" in ward and "Kim Mã" not in ward
    assert "/xeploai 2026 2 kha" in ward
    beside = await xeploai(tree, CM_A, "2026 Kim Mã 1 kha Lý do")  # the ward beside's cell is not a number here
    assert "Không có chi bộ số \"Kim\"" in beside and "từ 1 đến 2" in beside
    assert "từ 1 đến 1" in await xeploai(tree, CM_B, "2026 2 kha Lý do")  # ward B has one cell
    assert await decisions(tree) == []

    # A city: its district, then the district's wards by name (one more step down), or a ward two levels down.
    city = await xeploai(tree, CM_CITY, "2026")
    assert f"1. {DISTRICT}: 4 chi bộ, đã xếp loại 0" in city
    district = await xeploai(tree, CM_CITY, "2026 ba dinh 1 kha Lý do")
    assert f"1. {WARD_A}: 2 chi bộ" in district and "gõ tên một đơn vị" in district
    assert await decisions(tree) == []  # a district is not a list of cells: nothing rated
    kim_ma = await xeploai(tree, CM_CITY, "2026 kim ma")
    assert "1. Chi bộ Kim Mã 1" in kim_ma and "khu phố" not in kim_ma
    saved = await xeploai(tree, CM_CITY, "2026 kim ma 1 kem Không họp tháng 11")
    assert "Đã ghi mức xếp loại năm 2026 của Chi bộ Kim Mã 1" in saved
    assert [(r[0], r[2]) for r in await decisions(tree)] == [(tree.cells["Chi bộ Kim Mã 1"], "kem")]
