"""The tree of committees as its people use it: a city over a district over two wards, each with cells, and a
cell directly under the district. Every role at every level, in chat (/baocao, its buttons, the weekly
summary) and on the web view: each sees everything below it and nothing beside it. The district's summary
rolls its wards up with the same numbers as each ward's own, and groups what needs attention by ward.
SQLite and PostgreSQL; the bot restarted in between keeps answering the same."""

from __future__ import annotations

import io
import re
from datetime import datetime

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.demo.scene import Scene
from reports import weekly
from scheduler.timed.weekly import run_weekly
from storage.models import CellYearRating, CommitteeMember, Role
from tests.conftest import DB_KINDS
from tests.support.tree_story import (
    CITY,
    CM_A,
    CM_B,
    CM_CITY,
    CM_DISTRICT,
    DISTRICT,
    MEMBER_A1,
    NOW,
    SEC_A1,
    SEC_B1,
    SEC_D1,
    VN,
    WARD_A,
    WARD_B,
    Tree,
    build,
)


@pytest.fixture
async def tree(scene):
    built = await build(scene)
    yield built
    await built.http.stop()


async def baocao(scene: Scene, who: str, args: str = "") -> str:
    texts = await scene.say(who, f"/baocao {args}".strip())
    return "\n".join(texts)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_each_level_sees_below_it_in_chat_and_nothing_beside(tree: Tree):
    scene = tree.scene
    # A ward (cells only): its cells' latest meetings, never the other ward's.
    ward_a = await baocao(scene, CM_A)
    assert "Chi bộ khu phố 1" in ward_a and "Chi bộ khu phố 2" in ward_a and "Kim Mã 1" not in ward_a
    refused = await baocao(scene, CM_A, "Chi bộ Kim Mã 1")
    assert "Không thấy đơn vị" in refused and "/baocao" in refused and "ví dụ" in refused
    assert "Kim Mã 1: " not in refused
    assert "Chi bộ khu phố 2" in await baocao(scene, CM_A, "chi bo khu pho 2")  # a cell by name, no diacritics

    # The district: its wards rolled up, its own cell, and a button for each.
    district = await baocao(scene, CM_DISTRICT)
    assert "Các đơn vị trực thuộc" in district
    assert f"{WARD_A}: tháng 12/2026 đã họp 2/2 chi bộ" in district
    assert f"{WARD_B}: tháng 12/2026 đã họp 1/1 chi bộ" in district
    assert "Chi bộ cơ quan quận" in district and "/baocao" in district
    message = scene.last_with_button(CM_DISTRICT, "unit:")
    labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row if b.get("callback_data")]
    assert labels == [WARD_A, WARD_B, "Chi bộ cơ quan quận"]
    await scene.press(CM_DISTRICT, message, f"unit:committee:{tree.committees[WARD_B]}")
    assert "Chi bộ Kim Mã 1" in scene.last_text(CM_DISTRICT) and "khu phố 1" not in scene.last_text(CM_DISTRICT)
    ward_a_from_district = await baocao(scene, CM_DISTRICT, "dang uy phuong dien bien")  # without diacritics
    assert "Chi bộ khu phố 1" in ward_a_from_district and "Kim Mã" not in ward_a_from_district
    assert "Chi bộ khu phố 1" in await baocao(scene, CM_DISTRICT, "Chi bộ khu phố 1")  # two levels down
    assert "Không thấy đơn vị" in await baocao(scene, CM_DISTRICT, CITY)  # nothing above it

    # The city: the district rolled up (its wards' and its own cell's numbers summed), one level down by name.
    city = await baocao(scene, CM_CITY)
    assert f"{DISTRICT}: tháng 12/2026 đã họp 3/4 chi bộ" in city
    assert WARD_A in await baocao(scene, CM_CITY, DISTRICT.lower())

    # A ward's member pressing a forged button for the other ward or a cell of it: refused, nothing shown.
    ward_message = scene.inbox(CM_A)[-1]
    before = len(scene.inbox(CM_A))
    for data in (f"unit:committee:{tree.committees[WARD_B]}", f"unit:cell:{tree.cells['Chi bộ Kim Mã 1']}",
                 f"unit:committee:{tree.committees[DISTRICT]}"):
        answer = await scene.press(CM_A, ward_message, data, forged=True)
        assert answer.get("text")  # a toast, no report
    assert len(scene.inbox(CM_A)) == before

    # A secretary: his cell only, whatever he types; a member: not for him.
    own = await baocao(scene, SEC_A1, "Chi bộ Kim Mã 1")
    assert "Chi bộ khu phố 1" in own and "Kim Mã" not in own and "khu phố 2" not in own
    assert "Chi bộ khu phố 1" not in await baocao(scene, MEMBER_A1)

    # After a restart, the same answers.
    await scene.stop_bot()
    await scene.start_bot()
    assert f"{WARD_B}: tháng 12/2026 đã họp 1/1 chi bộ" in await baocao(scene, CM_DISTRICT)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_each_level_sees_below_it_on_the_web_and_nothing_beside(tree: Tree):
    cells, committees = tree.cells, tree.committees
    pages = {
        "home": "/", "district page": f"/?committee={committees[DISTRICT]}",
        "ward A page": f"/?committee={committees[WARD_A]}", "ward B page": f"/?committee={committees[WARD_B]}",
        "city page": f"/?committee={committees[CITY]}", "unknown page": "/?committee=999999",
        "cell A1": f"/cell/{cells['Chi bộ khu phố 1']}", "cell B1": f"/cell/{cells['Chi bộ Kim Mã 1']}",
        "cell D1": f"/cell/{cells['Chi bộ cơ quan quận']}", "weekly": "/weekly.xlsx",
    }
    every_committee_page = {"home", "district page", "ward A page", "ward B page", "cell A1", "cell B1", "cell D1",
                            "weekly"}
    allowed = {
        CM_CITY: every_committee_page | {"city page"},  # its own id too
        CM_DISTRICT: every_committee_page,
        CM_A: {"home", "ward A page", "cell A1", "weekly"},
        CM_B: {"home", "ward B page", "cell B1", "weekly"},
        SEC_A1: {"cell A1"},
        SEC_B1: {"cell B1"},
        SEC_D1: {"cell D1"},
        MEMBER_A1: set(),
    }
    async with httpx.AsyncClient(base_url=tree.root, follow_redirects=False, timeout=60) as client:
        for person, may in allowed.items():
            base = await tree.base(person)
            for page, path in pages.items():
                status = (await client.get(base + path)).status_code
                if page in may:
                    assert status == 200, (person, page, status)
                elif path.startswith("/") and person not in (CM_CITY, CM_DISTRICT, CM_A, CM_B) and (
                        path == "/" or path.startswith("/?")):
                    assert status == 303, (person, page, status)  # not a committee's member: sent to their own page
                else:
                    assert status == 403, (person, page, status)
        # What each committee page lists: everything below, nothing beside; links one level down.
        district = (await client.get(await tree.base(CM_DISTRICT) + "/")).text
        for name in (WARD_A, WARD_B, "Chi bộ cơ quan quận"):
            assert name in district
        assert f"?committee={committees[WARD_A]}" in district and f"?committee={committees[WARD_B]}" in district
        ward_b = (await client.get(await tree.base(CM_DISTRICT) + pages["ward B page"])).text
        assert "Chi bộ Kim Mã 1" in ward_b and "Chi bộ khu phố 1" not in ward_b
        own = (await client.get(await tree.base(CM_A) + "/")).text
        assert "Chi bộ khu phố 2" in own and "Kim Mã" not in own and DISTRICT not in own


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_districts_weekly_summary_rolls_up_its_wards_with_their_own_numbers(tree: Tree):
    scene = tree.scene
    settings = scene.settings
    async with scene.sessions()() as s:
        district = await weekly.compute(s, tree.committees[DISTRICT], NOW, settings.tz)
        ward_a = await weekly.compute(s, tree.committees[WARD_A], NOW, settings.tz)
        ward_b = await weekly.compute(s, tree.committees[WARD_B], NOW, settings.tz)
    by_name = {child.name: child for child in district.children}
    assert [c.name for c in district.children] == [WARD_A, WARD_B, "Chi bộ cơ quan quận"]
    for child, own in ((by_name[WARD_A], ward_a), (by_name[WARD_B], ward_b)):
        assert (child.cells_held, child.cells_tracked, child.overall_rate) == (own.cells_held, own.cells_tracked,
                                                                               own.overall_rate)
    assert by_name[WARD_A].overall_rate == pytest.approx(5 / 7)  # 3 of 4 and 2 of 3 came
    assert district.cells_held == 3 and len(district.cells) == 4
    assert not ward_a.children and not ward_b.children  # committees of cells only: their summary as before

    await run_weekly(scene.runtime.services)
    await scene.settle()
    text = next(m.get("caption") or m.get("text", "") for m in reversed(scene.inbox(CM_DISTRICT))
                if "Tóm tắt tuần" in (m.get("caption") or m.get("text", "")))
    assert "Các đơn vị trực thuộc" in text
    assert f"{WARD_A}: tháng 12/2026 đã họp 2/2 chi bộ" in text
    # Needs attention, grouped by ward: khu phố 2 (attendance 67%) under ward A, the district's own cell alone.
    attention = text[text.index("Cần quan tâm"):text.index("Các đơn vị trực thuộc")]
    assert WARD_A in attention and "Chi bộ khu phố 2" in attention
    assert attention.index(WARD_A) < attention.index("Chi bộ khu phố 2")
    assert "Chi bộ cơ quan quận" in attention and "Kim Mã 1" not in attention
    ward_text = next(m.get("caption") or m.get("text", "") for m in reversed(scene.inbox(CM_A))
                     if "Tóm tắt tuần" in (m.get("caption") or m.get("text", "")))
    assert "Kim Mã" not in ward_text and "Các đơn vị trực thuộc" not in ward_text and "Từng chi bộ" in ward_text


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_rules_set_on_the_district_judge_the_wards_cells_unless_a_ward_sets_its_own(tree: Tree):
    scene = tree.scene
    async with scene.sessions()() as s, s.begin():
        from storage.models import Committee
        (await s.get_one(Committee, tree.committees[DISTRICT])).min_small_cell_minutes = 100  # small cells: the 95-minute meetings are short
        (await s.get_one(Committee, tree.committees[WARD_B])).min_small_cell_minutes = 90  # ward B sets its own
    async with scene.sessions()() as s:
        district = await weekly.compute(s, tree.committees[DISTRICT], NOW, scene.settings.tz)
        ward_a = await weekly.compute(s, tree.committees[WARD_A], NOW, scene.settings.tz)
    by_cell = {c.cell_name: c.regular for c in district.cells}
    assert (by_cell["Chi bộ khu phố 1"].minimum, by_cell["Chi bộ khu phố 1"].duration_ok) == (100, False)
    assert (by_cell["Chi bộ Kim Mã 1"].minimum, by_cell["Chi bộ Kim Mã 1"].duration_ok) == (90, True)
    assert {c.cell_name: c.regular.minimum for c in ward_a.cells} == {"Chi bộ khu phố 1": 100, "Chi bộ khu phố 2": 100}
    # The ward's own view and the district's agree on each cell's reasons.
    assert {c.cell_name: c.attention for c in ward_a.cells} == {
        c.cell_name: c.attention for c in district.cells if c.cell_name in ("Chi bộ khu phố 1", "Chi bộ khu phố 2")}


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_two_units_of_one_name_are_asked_about_and_the_one_typed_exactly_wins(tree: Tree):
    scene = tree.scene
    await scene.add_cell(tree.committees[WARD_B], "Chi bộ khu phố 1", [("Đinh Văn Ơn", Role.BI_THU)])
    both = await baocao(scene, CM_DISTRICT, "chi bo khu pho 1")  # one in each ward, two levels down
    assert "Có nhiều đơn vị tên" in both and "ví dụ" in both
    assert "Tóm tắt" not in both  # nothing shown until the district's member says which
    # Only ward A's is found from ward A: the other ward's is beside it.
    assert "Có nhiều" not in await baocao(scene, CM_A, "chi bo khu pho 1")


def test_the_unit_button_round_trips_and_refuses_what_it_does_not_write():
    from core import buttons

    for kind in ("committee", "cell"):
        data = buttons.Unit(kind, 42).encode()
        assert data == f"unit:{kind}:42" and buttons.decode(data) == buttons.Unit(kind, 42)
    for forged in ("unit:ward:42", "unit:committee:042", "unit:cell", "unit:cell:42:1", "unit:cell:-1"):
        assert buttons.decode(forged) is None, forged


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_lateness_set_on_the_district_applies_at_a_wards_check_in(tree: Tree):
    """The check-in reads the actor's rules: a ward under a district takes the district's lateness."""
    scene = tree.scene
    async with scene.sessions()() as s, s.begin():
        from storage.models import Committee
        (await s.get_one(Committee, tree.committees[DISTRICT])).late_after_minutes = 5
    scene.at(datetime(2026, 12, 10, 19, 0, tzinfo=VN))
    scheduled = await scene.say(SEC_A1, "/lichhop 2026-12-12 19:30 chuyende Nhà văn hóa | Nghị quyết 57")
    scene.at(datetime(2026, 12, 12, 19, 30, tzinfo=VN))
    started = await scene.say(SEC_A1, "/batdau")
    assert started, (scheduled, started)
    scene.at(datetime(2026, 12, 12, 19, 38, tzinfo=VN))  # 8 minutes: late by the district's 5, not by the default 15
    answer = "\n".join(await scene.say(MEMBER_A1, "/diemdanh"))
    assert "muộn 8 phút" in answer, (scheduled, started, answer)


def _rows(html: str, table: str) -> dict[str, list[str]]:
    """A table's rows by their first cell's text: each cell's text."""
    body = re.search(rf'<table[^>]*id="{table}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, table
    out = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", td).split()) for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        out[cells[0]] = cells
    return out


def _total(html: str, name: str) -> str:
    found = re.search(rf'id="total-{name}">([^<]*)<', html)
    assert found, name
    return found.group(1)


def _attention_groups(html: str) -> list[tuple[str, list[str]]]:
    """The "needs attention below" section: (group heading, its cells' names) in the page's order."""
    section = re.search(r'<section id="attention-below".*?</section>', html, re.S)
    assert section
    groups = re.findall(r"<h3[^>]*>(.*?)</h3>\s*<ul[^>]*>(.*?)</ul>", section.group(0), re.S)
    return [(heading.strip(), re.findall(r'<a href="[^"]*/cell/\d+[^"]*">([^<]*)</a>', items)) for heading, items in groups]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_districts_pages_roll_its_wards_up_with_their_own_numbers_and_go_one_level_down(tree: Tree):
    committees = tree.committees
    async with httpx.AsyncClient(base_url=tree.root, follow_redirects=False, timeout=60) as client:
        base = await tree.base(CM_DISTRICT)

        async def page(path: str, status: int = 200) -> str:
            response = await client.get(base + path)
            assert response.status_code == status, (path, response.status_code)
            return response.text

        # This month: one row per ward, its numbers those of the ward's own page, a link one level down.
        district = await page("/")
        wards = _rows(district, "branches")
        assert list(wards) == [WARD_A, WARD_B]
        for ward in (WARD_A, WARD_B):
            own = await page(f"/?committee={committees[ward]}")
            assert wards[ward][1:4] == [_total(own, "cells"), _total(own, "held"), _total(own, "rate")], ward
            assert wards[ward][4] == _total(own, "attention")
            assert f'href="{base}/?committee={committees[ward]}"' in district
            assert 'id="branches"' not in own  # a ward: its cells, as before
        assert wards[WARD_A][1:4] == ["2", "2/2", "71%"]  # 3 of 4 and 2 of 3 came
        # What needs attention below, grouped by ward; the district's own cell in its own table.
        groups = dict(_attention_groups(district))
        assert set(groups[f"{WARD_A} (2 chi bộ)"]) == {"Chi bộ khu phố 1", "Chi bộ khu phố 2"}
        assert groups[f"{WARD_B} (1 chi bộ)"] == ["Chi bộ Kim Mã 1"]  # November's meeting not held
        assert list(_rows(district, "cells")) == ["Chi bộ cơ quan quận"]
        assert _total(district, "cells") == "4" and _total(district, "held") == "3/4"

        # A period: the same, every link keeping the period and the committee together.
        quarter = await page("/?ky=2026-Q4")
        wards = _rows(quarter, "period-branches")
        assert wards[WARD_A][1:4] == ["2", "2/6", "4"] and wards[WARD_B][1:4] == ["1", "1/3", "2"]
        assert f'href="{base}/?ky=2026-Q4&amp;committee={committees[WARD_A]}"' in quarter
        assert [g for g, _ in _attention_groups(quarter)] == [f"{WARD_A} (2 chi bộ)", f"{WARD_B} (1 chi bộ)"]
        assert "không họp thường kỳ tháng 10/2026, 11/2026" in quarter
        assert list(_rows(quarter, "period-cells")) == ["Chi bộ cơ quan quận"]
        ward_a = await page(f"/?ky=2026-Q4&committee={committees[WARD_A]}")
        assert "Quý 4/2026" in ward_a and "Chi bộ khu phố 2" in ward_a and "Kim Mã" not in ward_a
        assert set(_rows(ward_a, "period-cells")) == {"Chi bộ khu phố 1", "Chi bộ khu phố 2"}
        assert _total(ward_a, "held") == "2/6" and 'id="period-branches"' not in ward_a
        assert f'period.xlsx?ky=2026-Q4&amp;committee={committees[WARD_A]}' in ward_a
        assert f'name="committee" value="{committees[WARD_A]}"' in ward_a  # the picker keeps the committee
        assert f'href="{base}/?ky=2026-Q4"' in ward_a  # up: the district's quarter
        cell = await page(f"/cell/{tree.cells['Chi bộ khu phố 2']}?ky=2026-Q4")
        assert "Quý 4/2026" in cell

    # Within each one's access only: beside or above is refused politely, the viewer's own committee is shown.
    async with httpx.AsyncClient(base_url=tree.root, follow_redirects=False, timeout=60) as client:
        ward_base = await tree.base(CM_A)
        for asked in (WARD_B, DISTRICT, CITY):
            for path in (f"/?ky=2026-Q4&committee={committees[asked]}", f"/period.xlsx?ky=2026&committee={committees[asked]}"):
                refused = await client.get(ward_base + path)
                assert refused.status_code == 403 and "Kim Mã" not in refused.text, (asked, path)
        own = await client.get(ward_base + "/?ky=2026-Q4")
        assert own.status_code == 200 and "Chi bộ khu phố 1" in own.text and "Kim Mã" not in own.text
        assert (await client.get(await tree.base(SEC_A1) + f"/period.xlsx?ky=2026&committee={committees[WARD_A]}")
                ).status_code == 403


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_districts_year_workbook_has_one_sheet_per_level_of_the_tree(tree: Tree):
    committees = tree.committees
    async with httpx.AsyncClient(base_url=tree.root, follow_redirects=False, timeout=60) as client:
        base = await tree.base(CM_DISTRICT)
        district = load_workbook(io.BytesIO((await client.get(base + "/period.xlsx?ky=2026")).content))
        ward_a = load_workbook(io.BytesIO((await client.get(
            base + f"/period.xlsx?ky=2026&committee={committees[WARD_A]}")).content))
    assert district.sheetnames == ["Tổng hợp", "Đơn vị trực thuộc", "Chi bộ", "Thường kỳ theo tháng"]
    assert ward_a.sheetnames == ["Tổng hợp", WARD_A, "Thường kỳ theo tháng"]

    def table(sheet) -> dict[str, dict]:
        headers = [c.value for c in sheet[1]]
        return {row[0]: dict(zip(headers, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}

    units = table(district["Đơn vị trực thuộc"])
    assert list(units) == [WARD_A, WARD_B, f"Chi bộ trực thuộc {DISTRICT}"]
    summary = {row[0]: row[1] for row in ward_a["Tổng hợp"].iter_rows(values_only=True) if row and row[0]}
    a = units[WARD_A]
    assert (a["Số chi bộ"], a["Cuộc họp thường kỳ đã họp"], a["Tháng chibo theo dõi"], a["Tháng không họp thường kỳ"],
            a["Tỷ lệ dự họp chung"]) == (summary["Số chi bộ"], summary["Cuộc họp thường kỳ đã họp"],
                                         summary["Tháng chibo theo dõi"], summary["Tháng không họp thường kỳ"],
                                         summary["Tỷ lệ dự họp chung"])
    assert a["Tỷ lệ dự họp chung"] == pytest.approx(5 / 7) and a["Số chi bộ"] == 2
    assert sum(u["Số chi bộ"] for u in units.values()) == 4
    cells = table(district["Chi bộ"])
    assert {name: row["Đơn vị"] for name, row in cells.items()} == {
        "Chi bộ khu phố 1": WARD_A, "Chi bộ khu phố 2": WARD_A, "Chi bộ Kim Mã 1": WARD_B,
        "Chi bộ cơ quan quận": f"Chi bộ trực thuộc {DISTRICT}"}
    assert cells["Chi bộ khu phố 2"]["Tỷ lệ dự"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_district_member_rates_a_wards_cells_on_the_wards_rating_page_and_the_ward_beside_is_refused(tree: Tree):
    committees, cells = tree.committees, tree.cells
    ward_a, khu_pho_2 = committees[WARD_A], cells["Chi bộ khu phố 2"]
    async with httpx.AsyncClient(base_url=tree.root, follow_redirects=False, timeout=60) as client:
        base = await tree.base(CM_DISTRICT)
        # The district's rating page: its wards with their levels and a link down, then its own cell to rate.
        district = (await client.get(base + "/rating?ky=2026")).text
        assert list(_rows(district, "rating-branches")) == [WARD_A, WARD_B]
        assert _rows(district, "rating-branches")[WARD_A][1] == "2"
        assert f'href="{base}/rating?ky=2026&amp;committee={ward_a}"' in district
        assert list(_rows(district, "rating")) == ["Chi bộ cơ quan quận"]
        # The ward's year links to the ward's rating page, the year and the committee kept together.
        ward_year = (await client.get(base + f"/?ky=2026&committee={ward_a}")).text
        assert f'href="{base}/rating?ky=2026&amp;committee={ward_a}"' in ward_year
        page = await client.get(base + f"/rating?ky=2026&committee={ward_a}")
        assert page.status_code == 200 and "Kim Mã" not in page.text
        assert set(_rows(page.text, "rating")) == {"Chi bộ khu phố 1", "Chi bộ khu phố 2"}
        assert f'href="{base}/rating?ky=2026"' in page.text  # up: the district's rating page
        assert f'href="{base}/?ky=2026&amp;committee={ward_a}"' in page.text  # back: the ward's year
        assert f'name="committee" value="{ward_a}"' in page.text  # the picker keeps the committee
        assert f'rating/print?ky=2026&amp;committee={ward_a}' in page.text
        row = page.text.split(f'data-cell="{khu_pho_2}"', 1)[1].split("</tr>", 1)[0]
        proposed = re.search(r'<option value="([a-z_]+)" selected>', row).group(1)
        form = re.search(r'name="form" value="([0-9a-f]{32})"', page.text).group(1)

        # The district's member confirms the proposal: audited with who did it; back on the ward's page.
        confirmed = await client.post(base + "/rating", data={"form": form, "cell": khu_pho_2, "year": "2026",
                                                              "level": proposed})
        assert confirmed.status_code == 303
        assert confirmed.headers["location"] == f"{base}/rating?ky=2026&committee={ward_a}&saved={khu_pho_2}#cell-{khu_pho_2}"
        shown = (await client.get(confirmed.headers["location"])).text
        assert "Đã ghi mức xếp loại năm 2026 của Chi bộ khu phố 2" in shown and CM_DISTRICT in shown
        printed = (await client.get(base + f"/rating/print?ky=2026&committee={ward_a}")).text
        assert "Chi bộ khu phố 2" in printed and "Kim Mã" not in printed
        # Every table says what it holds (a screen reader reads the caption first); th scope on every column.
        district_year = (await client.get(base + "/?ky=2026")).text
        for html in (district, district_year, ward_year, page.text, shown, printed):
            tables = re.split(r"<table[^>]*>", html)[1:]
            assert tables and all(re.match(r"\s*<caption>[^<]+</caption>", t) for t in tables)
            assert "<th>" not in html

        # The ward's member: the ward beside and the district above are refused politely, GET and POST alike;
        # the form of their own page does not open a cell beside it, whatever committee the form names.
        ward_base = await tree.base(CM_A)
        for asked in (WARD_B, DISTRICT, CITY):
            for path in (f"/rating?ky=2026&committee={committees[asked]}",
                         f"/rating/print?ky=2026&committee={committees[asked]}"):
                refused = await client.get(ward_base + path)
                assert refused.status_code == 403 and "đồng chí" in refused.text.lower(), (asked, path)
                assert "Kim Mã" not in refused.text and "cơ quan quận" not in refused.text
        own = (await client.get(ward_base + "/rating?ky=2026")).text
        assert set(_rows(own, "rating")) == {"Chi bộ khu phố 1", "Chi bộ khu phố 2"} and 'class="up"' not in own
        ward_form = re.search(r'name="form" value="([0-9a-f]{32})"', own).group(1)
        for cell in ("Chi bộ Kim Mã 1", "Chi bộ cơ quan quận"):
            beside = await client.post(ward_base + "/rating", data={
                "form": ward_form, "cell": cells[cell], "year": "2026", "level": "tot", "reason": "thử",
                "committee": str(ward_a)})
            assert beside.status_code == 403 and "đồng chí" in beside.text.lower(), cell

    async with tree.scene.sessions()() as s:
        rows = list(await s.scalars(select(CellYearRating).order_by(CellYearRating.id)))
        member = await s.scalar(select(CommitteeMember.id).where(CommitteeMember.full_name == CM_DISTRICT))
    assert [(r.cell_id, r.year, r.level, r.proposed_level, r.committee_member_id, r.actor) for r in rows] == [
        (khu_pho_2, 2026, proposed, proposed, member, f"committee_member:{member}")]
