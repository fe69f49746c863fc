"""The web view in a real browser: Debian's headless Chromium driven by Playwright.

Each role opens its pages; the values on screen are checked against the database; screenshots are
saved at a phone's width (360 px) and a desktop's (1280 px) in ``tests/screenshots/`` (gitignored).
Skipped, with the reason, only where no Chromium can be had (``.ci/run`` installs it with apt)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.web.initdata import sign_init_data
from tests.support.web_story import COMMITTEE, GUEST_2, MEMBER, NOW, SECRETARY, TRUANT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SHOTS = Path(__file__).parents[1] / "screenshots"  # tests/screenshots, gitignored
PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1280, "height": 900}

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed (pip install -e '.[dev]')")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="no Chromium: apt-get install chromium (.ci/run does it)")


async def _shoot(browser, url: str, name: str) -> dict:
    """Open ``url`` at both widths, save the screenshots; return what the phone-width page shows."""
    SHOTS.mkdir(exist_ok=True)
    seen = {}
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page = await browser.new_page(viewport=size)
        response = await page.goto(url)
        seen[label] = {"status": response.status, "overflow": await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")}
        if label == "phone":
            seen["page"] = page
        await page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        if label != "phone":
            await page.close()
    return seen


async def test_the_committee_member_sees_the_table_in_the_browser(story, browser):
    console: list[str] = []
    browser_page = browser.new_page

    async def new_page(**kwargs):  # every page's console, to see what its CSP refused
        opened = await browser_page(**kwargs)
        opened.on("console", lambda message: console.append(message.text))
        return opened

    browser.new_page = new_page
    seen = await _shoot(browser, story.root + await story.base(COMMITTEE) + "/", "committee")
    page = seen["page"]
    # The page's stylesheet applies under a CSP without 'unsafe-inline' (it carries the response's nonce).
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(250, 250, 250)"
    assert await page.evaluate("getComputedStyle(document.querySelector('table')).borderCollapse") == "collapse"
    assert seen["phone"]["status"] == 200 and seen["phone"]["overflow"] <= 0  # no sideways scrolling at 360 px
    assert await page.inner_text("#total-cells") == "2" and await page.inner_text("#total-held") == "1/2"
    assert await page.inner_text("#total-overdue") == "1"
    first = page.locator("#cells tbody tr").first
    assert "Chi bộ khu dân cư số 2" in await first.inner_text()  # the cell that has not met this month
    cell_1 = page.locator(f'tr[data-cell="{story.cells["1"]}"]')
    assert "Dự 7/9 (78%)" in await cell_1.inner_text() and "75/90 phút" in await cell_1.inner_text()
    # The committee's last guest (November's, not October's) and the levels proposed, as web_story stored them.
    assert await cell_1.locator("td.guest").inner_text() == f"{GUEST_2}, 05/11/2026"
    assert "Đề xuất xếp loại: Khá (78/100)" in await cell_1.inner_text()
    chart = page.locator("img.chart")
    await chart.scroll_into_view_if_needed()
    assert await chart.evaluate("img => img.complete && img.naturalWidth > 0")  # the SVG chart is drawn
    assert not [m for m in console if "Content Security Policy" in m], console
    await page.click(f'tr[data-cell="{story.cells["1"]}"] a')
    await page.wait_for_selector("#grid")
    assert "Chi bộ khu dân cư số 1" in await page.inner_text("h1")
    await page.close()


async def test_the_secretary_opens_the_cell_year_through_the_mini_app(story, browser):
    init_data = sign_init_data({"auth_date": str(int(NOW.timestamp())),
                                "user": json.dumps({"id": story.scene.who(SECRETARY).user_id, "first_name": "An"})},
                               story.scene.settings.token_value())
    page = await browser.new_page(viewport=PHONE)
    console = []
    page.on("console", lambda message: console.append(message.text))
    # Telegram's script (not reachable here) is replaced by one giving the initData Telegram would give.
    await page.route("https://telegram.org/js/telegram-web-app.js", lambda route: route.fulfill(
        content_type="application/javascript",
        body=f"window.Telegram = {{WebApp: {{initData: {json.dumps(init_data)}, ready: function () {{}}}}}};"))
    await page.goto(story.root + "/web/tg")
    await page.wait_for_selector("#grid")  # the sign-in script ran under the page's CSP (by its nonce)
    assert not [m for m in console if "Content Security Policy" in m], console
    assert "Chi bộ khu dân cư số 1" in await page.inner_text("h1")
    truant = page.locator(f'tr[data-member="{story.scene.who(TRUANT).member_id}"]')
    assert "⚠" in await truant.inner_text() and await truant.get_attribute("class") == "near"
    marks = await truant.locator("td[data-mark]").evaluate_all("cells => cells.map(c => c.dataset.mark)")
    assert marks == ["absent", "absent", "present", "present"]
    assert await page.locator("#near").is_visible()
    assert await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    await page.screenshot(path=str(SHOTS / "cell-mini-app-phone.png"), full_page=True)
    await page.set_viewport_size(DESKTOP)
    await page.screenshot(path=str(SHOTS / "cell-mini-app-desktop.png"), full_page=True)
    await page.close()


async def test_a_member_sees_their_own_record_and_nothing_else(story, browser):
    base = story.root + await story.base(MEMBER)
    seen = await _shoot(browser, base + "/", "member")
    page = seen["page"]
    assert seen["phone"]["overflow"] <= 0
    assert MEMBER in await page.inner_text("h1")
    assert "Báo cáo tình hình an ninh tổ 3" in await page.inner_text("#tasks")
    response = await page.goto(base + f"/cell/{story.cells['1']}")
    assert response.status == 403 and "Không xem được" in await page.inner_text("h1")
    await page.screenshot(path=str(SHOTS / "forbidden-phone.png"), full_page=True)
    await page.close()
