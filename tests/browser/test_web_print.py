"""The web view printed, on phones, for screen readers, and its tables sorted and filtered: in Debian's Chromium.

Every printable page (the committee's table, a cell's year, a member's record) offers a PDF of its
print view (``/pdf`` after the page's path): Chromium prints it on A4 (``bot/web/pdf.py``); where the
machine has no Chromium, the PDF link leads to the print view, which opens the browser's print. A
committee of 300 cells prints on as many pages as its rows fill, no row cut across two pages, the
table's header on each. axe-core (the copy the PyPI package ``axe-playwright-python`` ships) finds
nothing serious on any page. Skipped, with the reason, only where no Chromium can be had."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from storage.models import Attendance, AttendanceStatus, Cell, Meeting, MeetingKind, Member, MemberStatus, Role
from tests.browser.test_web_browser import CHROMIUM, SHOTS
from tests.conftest import DB_KINDS
from tests.support.web_story import COMMITTEE, MEMBER, SECRETARY, VN

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed (pip install -e '.[dev]')")
axe_api = pytest.importorskip("axe_playwright_python.async_playwright", reason="pip install -e '.[dev]' (axe-core)")
pypdf = pytest.importorskip("pypdf", reason="pip install -e '.[dev]' (pypdf reads the PDFs back)")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="no Chromium: apt-get install chromium (.ci/run does it)")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
A4_POINTS = (595, 842)  # 210 × 297 mm
BIG = "Đảng ủy phường Ba Trăm Chi Bộ"
PRINTER = "Vũ Thị In"


async def _pages(story) -> dict[str, str]:
    """Each printable page, by who may see it."""
    return {"committee": story.root + await story.base(COMMITTEE) + "/",
            "cell": story.root + await story.base(COMMITTEE) + f"/cell/{story.cells['1']}",
            "secretary": story.root + await story.base(SECRETARY) + f"/cell/{story.cells['1']}",
            "member": story.root + await story.base(MEMBER) + "/me"}


def _plain(text: str) -> str:
    """Text as compared with a PDF's: Chromium's PDF splits some Vietnamese words into glyph runs, which a
    reader gives back with spaces between them ("Đ ả ng"): compared without any space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def _pdf_pages(body: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(body))
    return [_plain(page.extract_text() or "") for page in reader.pages]


async def test_every_page_passes_axe_with_large_text_captions_and_headers(story, browser):
    axe = axe_api.Axe()
    forbidden = story.root + await story.base(MEMBER) + f"/cell/{story.cells['1']}"
    for name, url in [*(await _pages(story)).items(), ("forbidden", forbidden)]:
        for size in (PHONE, DESKTOP):
            page = await browser.new_page(viewport=size)
            console: list[str] = []
            page.on("console", lambda message, seen=console: seen.append(message.text))
            assert (await page.goto(url)).status == (403 if name == "forbidden" else 200)
            await page.wait_for_load_state("load")
            results = await axe.run(page)
            serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                       for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
            assert serious == [], (name, size, serious)
            # Nothing under 16 px that a reader sees (the print view has its own sizes).
            small = await page.evaluate("""() => [...document.querySelectorAll('main *')].filter(e =>
                e.offsetParent !== null && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
                && parseFloat(getComputedStyle(e).fontSize) < 16).map(e => e.tagName + ' ' + e.textContent.trim())""")
            assert small == [], (name, size, small[:5])
            tables = await page.evaluate("""() => [...document.querySelectorAll('main table')].map(t => ({
                caption: t.caption ? t.caption.textContent.trim() : '',
                unscoped: [...t.tHead.rows[0].cells].filter(th => th.tagName !== 'TH' || th.scope !== 'col').length}))""")
            assert all(t["caption"] and t["unscoped"] == 0 for t in tables) and (tables or name == "forbidden"), \
                (name, tables)
            # The phone: the whole page never scrolls sideways (the grid and the chart scroll in their box).
            if size is PHONE:
                assert await page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], name
                SHOTS.mkdir(exist_ok=True)
                await page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
            assert not [m for m in console if "Content Security Policy" in m], console
            await page.close()


async def test_the_committee_sorts_by_any_column_and_filters_by_name_as_it_types(story, browser):
    page = await browser.new_page(viewport=DESKTOP)
    url = (await _pages(story))["committee"]
    await page.goto(url)
    names = "#cells tbody tr td:first-child"
    first = await page.locator(names).all_inner_texts()
    assert first == ["Chi bộ khu dân cư số 2", "Chi bộ khu dân cư số 1"]  # the server's order: attention first
    header = page.locator("#cells thead th").nth(0)
    assert await header.get_attribute("aria-sort") is None
    await header.locator("button").click()
    assert await header.get_attribute("aria-sort") == "ascending"
    assert await page.locator(names).all_inner_texts() == ["Chi bộ khu dân cư số 1", "Chi bộ khu dân cư số 2"]
    await header.locator("button").click()
    assert await header.get_attribute("aria-sort") == "descending"
    assert await page.locator(names).all_inner_texts() == ["Chi bộ khu dân cư số 2", "Chi bộ khu dân cư số 1"]
    # This month's column sorts by the attendance rate (cell 2 has not met: after the cells that did).
    month = page.locator("#cells thead th").nth(1)
    await month.locator("button").click()
    assert await month.get_attribute("aria-sort") == "ascending" and await header.get_attribute("aria-sort") is None
    assert await page.locator(names).all_inner_texts() == ["Chi bộ khu dân cư số 2", "Chi bộ khu dân cư số 1"]
    await month.locator("button").click()
    assert await page.locator(names).all_inner_texts() == ["Chi bộ khu dân cư số 1", "Chi bộ khu dân cư số 2"]
    # Typed without accents, as on a phone's keyboard; each letter filters at once.
    search = page.get_by_label(re.compile("Lọc theo tên"))
    await search.press_sequentially("so 1")
    visible = page.locator("#cells tbody tr:visible td:first-child")
    assert await visible.all_inner_texts() == ["Chi bộ khu dân cư số 1"]
    assert "1/2" in await page.inner_text(".tabletools output")
    await search.fill("")
    await search.dispatch_event("input")
    assert len(await visible.all_inner_texts()) == 2
    # The cell's grid: members filtered by name, sorted by the unexcused absences.
    await page.goto((await _pages(story))["cell"])
    await page.get_by_label(re.compile("Lọc theo tên")).press_sequentially("hải")
    assert await page.locator("#grid tbody tr:visible td.name").all_inner_texts() == ["Đỗ Văn Hải ⚠"]
    await page.get_by_label(re.compile("Lọc theo tên")).fill("")
    await page.get_by_label(re.compile("Lọc theo tên")).dispatch_event("input")
    last = page.locator("#grid thead th").last
    await last.locator("button").click()
    await last.locator("button").click()
    assert await last.get_attribute("aria-sort") == "descending"
    assert (await page.locator("#grid tbody tr td.name").all_inner_texts())[0] == "Đỗ Văn Hải ⚠"
    # On a phone the committee's rows are cards: their headers come back as a row of sort buttons.
    await page.set_viewport_size(PHONE)
    await page.goto(url)
    header = page.locator("#cells thead th").nth(0)
    assert await header.is_visible()
    await header.locator("button").click()
    assert await page.locator(names).all_inner_texts() == ["Chi bộ khu dân cư số 1", "Chi bộ khu dân cư số 2"]
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=str(SHOTS / "committee-390-sorted.png"), full_page=True)
    await page.close()


async def test_without_javascript_every_row_is_there_in_the_servers_order(story, browser):
    context = await browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    page = await context.new_page()
    await page.goto((await _pages(story))["committee"])
    assert await page.locator("#cells tbody tr").count() == 2
    assert await page.locator(".tabletools").count() == 0 and await page.locator("th button").count() == 0
    assert await page.locator(".printbar a.pdf").get_attribute("href") == f"{await story.base(COMMITTEE)}/pdf"
    assert not await page.locator(".printbar button.print").is_visible()  # printing by button needs the script
    await context.close()


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_each_page_offers_its_pdf_on_a4(story, browser):
    import httpx

    async with httpx.AsyncClient() as http:
        for name, url in (await _pages(story)).items():
            page = await browser.new_page(viewport=DESKTOP)
            await page.goto(url)
            href = await page.locator(".printbar a.pdf").get_attribute("href")
            await page.close()
            response = await http.get(story.root + href)
            assert response.status_code == 200 and response.headers["content-type"] == "application/pdf", name
            assert response.headers["content-disposition"] == 'attachment; filename="chibo-2026-12-12.pdf"'
            reader = pypdf.PdfReader(io.BytesIO(response.content))
            box = reader.pages[0].mediabox
            assert (round(float(box.width)), round(float(box.height))) == A4_POINTS, name
            texts = _pdf_pages(response.content)
            assert _plain(f"Trang 1 / {len(texts)}") in texts[0] and _plain("In ngày 12/12/2026") in texts[0], name
            assert "PDF" not in texts[0] and _plain("Lọc theo tên") not in texts[0], name  # no navigation in print
        committee = _pdf_pages((await http.get(story.root + await story.base(COMMITTEE) + "/pdf")).content)
        assert _plain("Đảng ủy phường Thử Nghiệm – Tháng 12/2026") in committee[0]  # the print header: committee, period
        cell = _pdf_pages((await http.get(story.root + await story.base(SECRETARY) + f"/cell/{story.cells['1']}/pdf"))
                          .content)
        assert _plain("Chi bộ khu dân cư số 1 – Năm 2026") in cell[0]
        assert "".join(cell).count(_plain("Có mặt")) >= 4  # every meeting opened in print, not only the last
        # Another committee's cell is as forbidden as a PDF as it is as a page.
        other = await http.get(story.root + await story.base(COMMITTEE) + f"/cell/{story.cells['3']}/pdf")
        assert other.status_code == 403 and other.headers["content-type"].startswith("text/html")


async def test_without_chromium_the_pdf_link_opens_the_browsers_print(story, browser, monkeypatch):
    import httpx

    monkeypatch.setenv("PATH", "/nonexistent")  # a machine with no Chromium package: nothing for bot.web.pdf to run
    base = await story.base(COMMITTEE)
    async with httpx.AsyncClient() as http:
        response = await http.get(story.root + base + "/pdf?status=attention")
        assert response.status_code == 303 and response.headers["location"] == f"{base}/?status=attention&print=1"
        cell = await http.get(story.root + base + f"/cell/{story.cells['1']}/pdf")
        assert cell.status_code == 303 and cell.headers["location"] == f"{base}/cell/{story.cells['1']}?print=1"
    page = await browser.new_page(viewport=DESKTOP)
    await page.add_init_script("window.printed = 0; window.print = function () { window.printed += 1; };")
    await page.goto(story.root + base + "/pdf?status=attention")  # the redirect followed, as a browser does
    assert page.url.endswith("/?status=attention&print=1")
    await page.wait_for_function("window.printed === 1")
    assert (await page.locator(".filters a.on").get_attribute("href")).endswith("?status=attention")  # link's filter kept
    await page.goto(story.root + base + f"/cell/{story.cells['1']}")
    assert await page.evaluate("window.printed") == 0  # the page alone does not print
    assert await page.evaluate("[...document.querySelectorAll('details')].filter(d => !d.open).length") > 0
    await page.click(".printbar button.print")
    assert await page.evaluate("window.printed") == 1
    assert await page.evaluate("[...document.querySelectorAll('details')].filter(d => !d.open).length") == 0
    await page.close()


async def _three_hundred_cells(story) -> str:
    """A committee of 300 cells, each met on 03/12 with 3 members: its committee member's web address."""
    scene = story.scene
    committee = await scene.add_committee(BIG)
    await scene.add_committee_member(committee, PRINTER)
    start = datetime(2026, 12, 3, 19, 30, tzinfo=VN)
    async with scene.sessions()() as s, s.begin():
        for n in range(1, 301):
            cell = Cell(committee_id=committee, name=f"Chi bộ số {n:03d}", created_at=datetime(2020, 1, 1, tzinfo=VN))
            s.add(cell)
            await s.flush()
            members = [Member(cell_id=cell.id, full_name=f"Đảng viên {n}-{k}", role=Role.BI_THU if k == 0 else
                              Role.DANG_VIEN, status=MemberStatus.CHINH_THUC, active_from=date(2020, 1, 1),
                              created_at=datetime(2020, 1, 1, tzinfo=VN)) for k in range(3)]
            s.add_all(members)
            meeting = Meeting(cell_id=cell.id, kind=MeetingKind.THUONG_KY, period="2026-12", scheduled_at=start,
                              started_at=start, ended_at=start + timedelta(minutes=95),
                              created_at=start - timedelta(days=5))
            s.add(meeting)
            await s.flush()
            s.add_all(Attendance(meeting_id=meeting.id, member_id=m.id, updated_at=start,
                                 status=AttendanceStatus.ABSENT if (n % 7 == 0 and k == 2) else AttendanceStatus.PRESENT)
                      for k, m in enumerate(members))
    await scene.link(PRINTER)
    return await story.base(PRINTER)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_committee_of_300_cells_prints_on_a4_with_no_row_cut(story, browser):
    import httpx

    base = await _three_hundred_cells(story)
    page = await browser.new_page(viewport=DESKTOP)
    await page.goto(story.root + base + "/")
    assert await page.locator("#cells tbody tr").count() == 300
    # The pages it should take: the print view laid out at A4's printable width, its blocks packed in
    # order onto A4's printable height, a row never split, the table's header again on each new page.
    await page.emulate_media(media="print")
    await page.set_viewport_size({"width": round((210 - 24) / 25.4 * 96), "height": 1000})
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / "committee-300-print.png"))
    expected = await page.evaluate("""() => {
        const height = (297 - 32) / 25.4 * 96, box = e => e.getBoundingClientRect();
        const table = document.querySelector('#cells'), head = box(table.tHead).height;
        let pages = 1, top = box(table.tBodies[0]).top - box(document.body).top;
        for (const row of table.tBodies[0].rows) {
            const h = box(row).height;
            if (top + h > height) { pages += 1; top = head; }
            top += h;
        }
        const after = [...document.querySelectorAll('main > h2, main > .chartbox')];
        for (const e of after) {
            const s = getComputedStyle(e), h = box(e).height + parseFloat(s.marginTop) + parseFloat(s.marginBottom);
            if (top + h > height) { pages += 1; top = 0; }
            top += h;
        }
        return pages;
    }""")
    await page.close()
    async with httpx.AsyncClient(timeout=120) as http:
        response = await http.get(story.root + base + "/pdf")
    assert response.status_code == 200
    texts = _pdf_pages(response.content)
    assert len(texts) == expected, (len(texts), expected)
    seen: list[int] = []
    for number, text in enumerate(texts, 1):
        assert _plain(f"Trang {number} / {len(texts)}") in text
        names = [int(n) for n in re.findall(_plain("Chi bộ số ") + r"(\d{3})", text)]
        # Each row whole on its page: the cell's name and its meeting's attendance, below it, on the same page.
        assert len(names) == len(re.findall(_plain("Dự ") + r"\d/3\(\d+%\)", text)), (number, text[:400])
        if names:  # the table's header and the print header (committee, period) on each of its pages
            assert _plain("Cấp ủy dự gần nhất") in text and _plain(f"{BIG} – Tháng 12/2026") in text
        seen += names
    assert seen == sorted(seen, key=lambda n: (n % 7 != 0, n)) and len(seen) == 300  # every row once, in order


async def test_a_cells_whole_year_fits_across_a4(story, browser):
    from tests.support.web_story import CELL_1, _all, _meeting

    for month in range(1, 10):  # a regular meeting every month before October (web_story has Oct-Dec)
        await _meeting(story.scene, story.cells["1"], MeetingKind.THUONG_KY, datetime(2026, month, 5, 19, 30, tzinfo=VN),
                       95, _all(CELL_1))
    for month in (2, 5, 8):
        await _meeting(story.scene, story.cells["1"], MeetingKind.CHUYEN_DE, datetime(2026, month, 20, 19, 0, tzinfo=VN),
                       120, _all(CELL_1))
    page = await browser.new_page(viewport=DESKTOP)
    await page.goto(story.root + await story.base(SECRETARY) + f"/cell/{story.cells['1']}")
    assert await page.locator("#grid thead th").count() == 1 + 16 + 1  # name, 16 meetings, unexcused
    await page.emulate_media(media="print")
    width = round((210 - 24) / 25.4 * 96)  # A4's printable width in CSS pixels
    await page.set_viewport_size({"width": width, "height": 1000})
    right = await page.evaluate("document.querySelector('#grid').getBoundingClientRect().right")
    await page.screenshot(path=str(SHOTS / "cell-year-print.png"))
    assert right <= width, (right, width)
    await page.close()
