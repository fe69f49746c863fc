"""A ward and a cell whose names hold ``<``, ``&`` and ``"``: escaped and intact on the district's pages (this
month, the year, the rating page, and the ward's pages one level down), in the year workbook read back, and in the
/xeploai chat list (the fake Telegram parses the HTML as Telegram does and refuses a bare ``<``)."""

from __future__ import annotations

import io
from datetime import date

import httpx
import pytest
from markupsafe import escape
from openpyxl import load_workbook

from storage.models import Role
from tests.conftest import DB_KINDS
from tests.support.tree_story import CM_DISTRICT, DISTRICT, Tree, build

WARD = 'Đảng ủy phường <Hàng Đào> & "Chợ"'
CELL = 'Chi bộ <số 1> & "Đồng Xuân"'  # in the ward
OWN = 'Chi bộ "Cơ quan" <2> & Kho'  # directly under the district


@pytest.fixture
async def tree(scene):
    built = await build(scene)
    ward = await scene.add_committee(WARD, parent=built.committees[DISTRICT])
    built.committees[WARD] = ward
    built.cells[CELL] = await scene.add_cell(ward, CELL, [("Phan Văn Ất", Role.BI_THU), ("Lý Thị Bé", Role.DANG_VIEN)],
                                             active_from=date(2020, 1, 1))
    built.cells[OWN] = await scene.add_cell(built.committees[DISTRICT], OWN, [("Tô Văn Cả", Role.BI_THU)],
                                            active_from=date(2020, 1, 1))
    yield built
    await built.http.stop()


def shown(html: str, name: str) -> bool:
    """The name is on the page, escaped, and never bare (a bare ``<`` would open a tag)."""
    return str(escape(name)) in html and name not in html


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_names_with_markup_characters_show_escaped_and_intact_everywhere(tree: Tree):
    ward = tree.committees[WARD]
    async with httpx.AsyncClient(base_url=tree.root, follow_redirects=False, timeout=60) as client:
        base = await tree.base(CM_DISTRICT)

        async def page(path: str) -> str:
            response = await client.get(base + path)
            assert response.status_code == 200, path
            return response.text

        for path in ("/", "/?ky=2026", "/rating?ky=2026"):  # the district's: the ward a row, its own cell a row
            html = await page(path)
            assert shown(html, WARD) and shown(html, OWN), path
        for path in (f"/?committee={ward}", f"/?ky=2026&committee={ward}", f"/rating?ky=2026&committee={ward}"):
            html = await page(path)
            assert shown(html, WARD) and shown(html, CELL), path
        workbook = load_workbook(io.BytesIO((await client.get(base + "/period.xlsx?ky=2026")).content))

    units = [row[0] for row in workbook["Đơn vị trực thuộc"].iter_rows(min_row=2, values_only=True)]
    assert WARD in units
    headers = [c.value for c in workbook["Chi bộ"][1]]
    cells = {row[0]: dict(zip(headers, row)) for row in workbook["Chi bộ"].iter_rows(min_row=2, values_only=True)}
    assert cells[CELL]["Đơn vị"] == WARD and cells[OWN]["Đơn vị"] == f"Chi bộ trực thuộc {DISTRICT}"

    listed = "\n".join(await tree.scene.say(CM_DISTRICT, "/xeploai 2026"))
    assert f"3. {WARD}: 1 chi bộ, đã xếp loại 0" in listed
    assert f"4. Chi bộ trực thuộc {DISTRICT}: 2 chi bộ, đã xếp loại 0" in listed
    cells_listed = "\n".join(await tree.scene.say(CM_DISTRICT, "/xeploai 2026 hang dao"))
    assert f"1. {CELL}: " in cells_listed and "/xeploai 2026 hang dao 2 kha" in cells_listed
    own = "\n".join(await tree.scene.say(CM_DISTRICT, "/xeploai 2026 4"))  # the district's own cells: unit 4
    assert f"Chi bộ trực thuộc {DISTRICT}" in own and f'. {OWN}: ' in own
    saved = "\n".join(await tree.scene.say(CM_DISTRICT, '/xeploai 2026 <Hàng Đào> & "Chợ" 1 kem Chưa họp'))
    assert f"Đã ghi mức xếp loại năm 2026 của {CELL}: Kém" in saved
