"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, and the web view's story."""

from __future__ import annotations

import pytest

from tests.browser.test_web_browser import ARGS, CHROMIUM
from tests.support.web_story import build


@pytest.fixture
async def browser():
    from playwright import async_api as playwright_api  # the test modules skip when it is not installed

    async with playwright_api.async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        await b.close()


@pytest.fixture
async def story(scene):
    st = await build(scene)
    yield st
    await st.http.stop()
