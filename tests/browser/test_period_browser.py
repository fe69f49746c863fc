"""The period picker and the yearly rating in a real browser (Debian's headless Chromium, as
tests/browser/test_web_browser.py): a committee member picks a quarter, then the year, and confirms a cell's level
with a reason; the decision is in the database once, however often the page is reloaded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import CellYearRating
from tests.browser.test_web_browser import DESKTOP, PHONE, SHOTS, pytestmark  # noqa: F401  (Chromium or skip)
from tests.conftest import DB_KINDS
from tests.support.web_story import COMMITTEE


async def overflow(page) -> int:
    return await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_committee_member_picks_a_period_and_confirms_a_yearly_level(story, browser):
    SHOTS.mkdir(exist_ok=True)
    c1, c2 = story.cells["1"], story.cells["2"]
    console: list[str] = []
    page = await browser.new_page(viewport=PHONE)
    page.on("console", lambda message: console.append(message.text))
    await page.goto(story.root + await story.base(COMMITTEE) + "/")
    assert await page.input_value("#ky") == "2026-12"  # this month
    await page.select_option("#ky", "2026-Q4")
    await page.click("form.picker button")
    await page.wait_for_selector("#period-cells")
    assert page.url.endswith("/?ky=2026-Q4")  # the period is in the address, to share within the link's validity
    assert "Quý 4/2026" in await page.inner_text("#period-title")
    row_2 = page.locator(f'#period-cells tr[data-cell="{c2}"]')
    assert await row_2.locator("td.held").inner_text() == "1/3"
    assert await row_2.locator("td.no-thematic").inner_text() == "2026-Q4"
    assert await overflow(page) <= 0
    await page.screenshot(path=str(SHOTS / "period-quarter-phone.png"), full_page=True)

    await page.select_option("#ky", "2026")
    await page.click("form.picker button")
    await page.wait_for_selector("#rating-link")
    assert await page.locator(f'#period-cells tr[data-cell="{c1}"] td.proposed').inner_text() == "Khá"
    await page.click("#rating-link")
    await page.wait_for_selector("#rating")
    assert await overflow(page) <= 0
    row = page.locator(f'#rating tr[data-cell="{c2}"]')
    assert (await row.locator("td.proposed b").inner_text()) == "Kém"
    assert await page.input_value(f"#level-{c2}") == "kem"  # the proposal is preselected
    await page.select_option(f"#level-{c2}", "trung_binh")
    await page.fill(f"#reason-{c2}", "Chi bộ họp tháng 9 trước khi dùng chibo")
    await row.locator("button").click()
    await page.wait_for_selector("#saved")
    assert "Chi bộ khu dân cư số 2: Trung bình" in await page.inner_text("#saved")
    decided = await page.locator(f'#rating tr[data-cell="{c2}"] td.decided').inner_text()
    assert decided.startswith("Trung bình") and COMMITTEE in decided and "Chi bộ họp tháng 9" in decided
    await page.reload()  # the post answered with a redirect: reloading posts nothing again
    await page.wait_for_selector("#rating")
    await page.set_viewport_size(DESKTOP)
    await page.screenshot(path=str(SHOTS / "rating-desktop.png"), full_page=True)
    assert not [m for m in console if "Content Security Policy" in m], console
    async with story.scene.sessions()() as s:
        rows = list(await s.scalars(select(CellYearRating)))
    assert [(r.cell_id, r.year, r.level, r.proposed_level, r.previous_level) for r in rows] == [
        (c2, 2026, "trung_binh", "kem", None)]
    # The printable page of the year.
    await page.click("#rating-print")
    await page.wait_for_selector("#rating-print")
    assert "Trung bình" in await page.locator(f'#rating-print tr[data-cell="{c2}"] td.decided').inner_text()
    await page.close()
