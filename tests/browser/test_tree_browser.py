"""The tree of committees in a real browser (Debian's headless Chromium, as tests/browser/test_web_browser.py), at
three levels: the district's member clicks down to a ward, then to a cell, this month and over a quarter; the
ward's member sees the ward and nothing beside it; a cell's secretary his cell; a member his own record. Each
page passes axe, and the district's page prints with its wards. The district's member confirms a ward's cell's
yearly level from the ward's year page, audited with who did it; the ward beside refuses the ward's member."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from storage.models import CellYearRating, CommitteeMember
from tests.browser.test_web_browser import DESKTOP, PHONE, SHOTS, pytestmark  # noqa: F401  (Chromium or skip)
from tests.browser.test_web_print import _pdf_pages, _plain, axe_api
from tests.conftest import DB_KINDS
from tests.support.tree_story import CM_A, CM_DISTRICT, DISTRICT, MEMBER_A1, SEC_A1, WARD_A, WARD_B, build


@pytest.fixture
async def tree(scene):
    built = await build(scene)
    yield built
    await built.http.stop()


async def names(page, selector: str) -> list[str]:
    return [text.strip() for text in await page.locator(selector).all_inner_texts()]


async def no_serious_axe(page, what: str) -> None:
    results = await axe_api.Axe().run(page)
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], (what, serious)
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], what


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_each_level_clicks_down_the_tree_and_sees_nothing_beside_it(tree, browser):
    SHOTS.mkdir(exist_ok=True)
    committees, cells = tree.committees, tree.cells
    console: list[str] = []

    # The district: its wards rolled up, what needs attention below by ward, its own cell; down to ward A.
    district_base = tree.root + await tree.base(CM_DISTRICT)
    page = await browser.new_page(viewport=PHONE)
    page.on("console", lambda message: console.append(message.text))
    await page.goto(district_base + "/")
    assert await page.inner_text("h1") == DISTRICT
    assert await names(page, "#branches tbody td:first-child") == [WARD_A, WARD_B]
    assert await page.locator(f'#branches tr[data-committee="{committees[WARD_A]}"] td.held').inner_text() == "2/2"
    assert await names(page, "#attention-below h3") == [f"{WARD_A} (2 chi bộ)", f"{WARD_B} (1 chi bộ)"]
    assert await names(page, "#cells tbody td:first-child a") == ["Chi bộ cơ quan quận"]
    await no_serious_axe(page, "district")
    await page.screenshot(path=str(SHOTS / "tree-district-phone.png"), full_page=True)
    await page.click(f'#branches a:text-is("{WARD_A}")')
    await page.wait_for_url(lambda url: url.endswith(f"/?committee={committees[WARD_A]}"))
    assert await page.inner_text("h1") == WARD_A
    assert sorted(await names(page, "#cells tbody td:first-child a")) == ["Chi bộ khu phố 1", "Chi bộ khu phố 2"]
    assert await page.locator("#branches").count() == 0 and "Kim Mã" not in await page.inner_text("main")
    await no_serious_axe(page, "ward from the district")
    await page.click('#cells a:text-is("Chi bộ khu phố 2")')
    await page.wait_for_url(lambda url: url.endswith(f"/cell/{cells['Chi bộ khu phố 2']}"))
    assert "Chi bộ khu phố 2" in await page.inner_text("h1")

    # The same over a quarter: the picker on the district's page, then ward B, then the year, still ward B.
    await page.goto(district_base + "/")
    await page.select_option("#ky", "2026-Q4")
    await page.click("form.picker button")
    await page.wait_for_selector("#period-branches")
    assert await names(page, "#period-branches tbody td:first-child") == [WARD_A, WARD_B]
    assert await page.locator(f'#period-branches tr[data-committee="{committees[WARD_B]}"] td.held').inner_text() == "1/3"
    await no_serious_axe(page, "district's quarter")
    await page.click(f'#period-branches a:text-is("{WARD_B}")')
    await page.wait_for_url(lambda url: url.endswith(f"/?ky=2026-Q4&committee={committees[WARD_B]}"))
    assert await page.inner_text("h1") == WARD_B and await page.input_value("#ky") == "2026-Q4"
    assert await names(page, "#period-cells tbody td:first-child a") == ["Chi bộ Kim Mã 1"]
    await page.select_option("#ky", "2026")
    await page.click("form.picker button")
    await page.wait_for_url(lambda url: url.endswith(f"/?ky=2026&committee={committees[WARD_B]}"))
    assert await page.inner_text("h1") == WARD_B and "Năm 2026" in await page.inner_text("#period-title")
    href = await page.locator("#period-xlsx").get_attribute("href")
    assert href.endswith(f"period.xlsx?ky=2026&committee={committees[WARD_B]}")
    await page.click(".up a")
    await page.wait_for_url(lambda url: url.endswith("/?ky=2026"))
    assert await page.inner_text("h1") == DISTRICT
    await page.close()

    # The district's page prints with its wards (its print view, as a PDF).
    async with httpx.AsyncClient(timeout=120) as http:
        printed = await http.get(district_base + "/pdf")
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    text = "".join(_pdf_pages(printed.content))
    assert _plain(WARD_A) in text and _plain(WARD_B) in text and _plain("Chi bộ khu phố 2") in text

    # The ward: its cells; the ward beside it and the district above are refused, politely.
    ward_base = tree.root + await tree.base(CM_A)
    page = await browser.new_page(viewport=PHONE)
    await page.goto(ward_base + "/")
    assert await page.inner_text("h1") == WARD_A and await page.locator("#branches").count() == 0
    assert "Kim Mã" not in await page.inner_text("main") and await page.locator(".up").count() == 0
    for asked in (WARD_B, DISTRICT):
        for path in (f"/?committee={committees[asked]}", f"/?ky=2026-Q4&committee={committees[asked]}"):
            response = await page.goto(ward_base + path)
            assert response.status == 403, (asked, path)
            assert "Kim Mã" not in await page.inner_text("main") and "đồng chí" in (await page.inner_text("main")).lower()
    await page.goto(ward_base + "/")
    await page.click('#cells a:text-is("Chi bộ khu phố 1")')
    await page.wait_for_url(lambda url: url.endswith(f"/cell/{cells['Chi bộ khu phố 1']}"))
    assert (await page.goto(ward_base + f"/cell/{cells['Chi bộ Kim Mã 1']}")).status == 403
    await page.close()

    # A cell's secretary: his cell, whatever committee is asked; a member: his own record only.
    for person, lands in ((SEC_A1, f"/cell/{cells['Chi bộ khu phố 1']}"), (MEMBER_A1, "/me")):
        base = tree.root + await tree.base(person)
        page = await browser.new_page(viewport=PHONE)
        for path in ("/", f"/?committee={committees[WARD_A]}", f"/?ky=2026-Q4&committee={committees[DISTRICT]}"):
            await page.goto(base + path)
            assert page.url == base + lands, (person, path)
            assert "Kim Mã" not in await page.inner_text("main") and "khu phố 2" not in await page.inner_text("main")
        assert (await page.goto(base + f"/cell/{cells['Chi bộ khu phố 2']}")).status == 403
        await page.close()
    assert not [m for m in console if "Content Security Policy" in m], console


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_districts_member_confirms_a_wards_cells_yearly_level(tree, browser):
    SHOTS.mkdir(exist_ok=True)
    committees, cells = tree.committees, tree.cells
    ward_a, cell = committees[WARD_A], cells["Chi bộ khu phố 2"]
    console: list[str] = []
    district_base = tree.root + await tree.base(CM_DISTRICT)
    page = await browser.new_page(viewport=PHONE)
    page.on("console", lambda message: console.append(message.text))
    # The district's rating page: its wards, each a link down to its own rating page; its own cell to rate.
    await page.goto(district_base + "/rating?ky=2026")
    assert await names(page, "#rating-branches tbody td:first-child") == [WARD_A, WARD_B]
    assert await names(page, "#rating tbody td:first-child a") == ["Chi bộ cơ quan quận"]
    await no_serious_axe(page, "district's rating")
    # From the ward's year page (the way down the tree) to the ward's rating page: the year and the ward kept.
    await page.goto(district_base + f"/?ky=2026&committee={ward_a}")
    await page.click("#rating-link")
    await page.wait_for_url(lambda url: url.endswith(f"/rating?ky=2026&committee={ward_a}"))
    assert sorted(await names(page, "#rating tbody td:first-child a")) == ["Chi bộ khu phố 1", "Chi bộ khu phố 2"]
    assert "Kim Mã" not in await page.inner_text("main")
    await no_serious_axe(page, "ward's rating from the district")
    proposed = await page.input_value(f"#level-{cell}")  # the proposal, preselected: confirmed as it is
    await page.locator(f'#rating tr[data-cell="{cell}"] button').click()
    await page.wait_for_selector("#saved")
    assert f"/rating?ky=2026&committee={ward_a}&saved={cell}" in page.url
    assert "Chi bộ khu phố 2" in await page.inner_text("#saved")
    decided = await page.locator(f'#rating tr[data-cell="{cell}"] td.decided').inner_text()
    assert CM_DISTRICT in decided
    await no_serious_axe(page, "ward's rating, saved")
    await page.screenshot(path=str(SHOTS / "tree-ward-rating-phone.png"), full_page=True)
    await page.click(".up a")  # back up to the district's rating page
    await page.wait_for_url(lambda url: url.endswith("/rating?ky=2026"))
    await page.close()

    # The ward's member: the ward beside is refused, politely.
    page = await browser.new_page(viewport=PHONE)
    response = await page.goto(tree.root + await tree.base(CM_A) + f"/rating?ky=2026&committee={committees[WARD_B]}")
    assert response.status == 403 and "đồng chí" in (await page.inner_text("main")).lower()
    assert "Kim Mã" not in await page.inner_text("main")
    await page.close()
    assert not [m for m in console if "Content Security Policy" in m], console
    async with tree.scene.sessions()() as s:
        rows = list(await s.scalars(select(CellYearRating)))
        member = await s.scalar(select(CommitteeMember.id).where(CommitteeMember.full_name == CM_DISTRICT))
    assert [(r.cell_id, r.year, r.level, r.proposed_level, r.committee_member_id) for r in rows] == [
        (cell, 2026, proposed, proposed, member)]
