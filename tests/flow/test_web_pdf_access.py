"""The PDF routes and the static files of the web view over HTTP: each role gets a page's PDF exactly
where it gets the page; the stylesheet and script every page links are served, and nothing else is.

Here the machine has no Chromium on its PATH (as a fresh Debian): an allowed PDF answers 303 to the
page's print view, a forbidden one 403 like the page. The PDFs themselves: tests/browser/test_web_print.py."""

from __future__ import annotations

import pytest

from bot.web.render import STATIC
from tests.conftest import DB_KINDS
from tests.flow.test_web import ALLOWED, get, pages
from tests.support.web_story import COMMITTEE, build

PRINTABLE = ("home", "me", "cell 1", "cell 2", "foreign cell", "unknown cell")


@pytest.fixture
async def story(scene):
    st = await build(scene)
    yield st
    await st.http.stop()


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_each_role_gets_a_pages_pdf_where_it_gets_the_page(story, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    for person, allowed in ALLOWED.items():
        base = await story.base(person)
        for page in PRINTABLE:
            path = pages(story)[page]
            status = allowed.get(page, 403)
            response = await get(story, base + path.rstrip("/") + "/pdf")
            if status == 200:  # the print view of the same page, which opens the browser's print
                assert response.status_code == 303, (person, page, response.status_code)
                assert response.headers["location"] == base + path + "?print=1", (person, page)
                shown = await get(story, response.headers["location"])
                assert shown.status_code == 200 and 'class="printbar"' in shown.text
            elif status == 303:  # a page that sends this role to its own page: its PDF is not theirs either
                assert response.status_code in (303, 403), (person, page, response.status_code)
            else:
                assert response.status_code == 403, (person, page, response.status_code)
                assert "pdf" not in response.text.lower()
    for bad in ("/web/nothing/pdf", "/web/1-2-" + "0" * 32 + "/pdf"):
        assert (await get(story, bad)).status_code == 403


async def test_the_pages_link_their_stylesheet_and_script_and_nothing_else_is_served(story):
    base = await story.base(COMMITTEE)
    page = (await get(story, base + "/")).text
    assert '<link rel="stylesheet" href="/web/static/page.css">' in page
    assert '<script src="/web/static/tables.js" defer></script>' in page
    assert f'href="{base}/pdf"' in page
    for name, kind in (("page.css", "text/css"), ("tables.js", "javascript")):
        response = await get(story, f"/web/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == (STATIC / name).read_bytes()
    for bad in ("/web/static/nothing.css", "/web/static/../pages.py", "/web/static/%2e%2e/pdf.py",
                "/web/static/page.css.bak", "/web/static/"):
        response = await get(story, bad)
        assert response.status_code in (403, 404), (bad, response.status_code)
        assert "import" not in response.text
    forbidden = (await get(story, "/web/nothing")).text  # not a printable page: no PDF offered
    assert "printbar" not in forbidden
