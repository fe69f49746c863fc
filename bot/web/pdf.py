"""A page of the web view as a PDF: the page's own print view, printed by the machine's Chromium.

Chromium lays the page out exactly as the browser's print does (the same print stylesheet, A4, rows
that do not break, repeated table headers, the page numbers in the page margin), so the PDF and a
printout from the browser are the same document. chibo needs no Python package for it: the page is
written to a private temporary folder (the charts inside it as data URIs) and ``chromium --headless
--print-to-pdf`` prints it, with no network and no script. A machine without Chromium (it is a
Debian package, which a fresh machine lacks) or whose Chromium fails gets ``None``: the web view then
sends the reader to the page's print view, where the browser's own print (or "Save as PDF") does it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 60
_ONE_AT_A_TIME = threading.BoundedSemaphore(2)  # a browser is ~100 MB: never many at once in a small server


def browser() -> str | None:
    """The Chromium on this machine's PATH, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def command(binary: str, page: Path, out: Path, profile: Path) -> list[str]:
    args = [binary, "--headless", "--disable-gpu", "--js-flags=--jitless", "--no-first-run", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--no-pdf-header-footer",
            f"--user-data-dir={profile}", f"--print-to-pdf={out}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox
    return [*args, page.as_uri()]


async def html_to_pdf(html: str) -> bytes | None:
    """The PDF of ``html`` (a whole document with nothing outside it), or None where no Chromium can make it."""
    binary = browser()
    if binary is None:
        return None
    return await asyncio.to_thread(_print, binary, html)


def _print(binary: str, html: str) -> bytes | None:
    with _ONE_AT_A_TIME, tempfile.TemporaryDirectory(prefix="chibo-pdf-") as folder:  # 0700: the page holds names
        page, out = Path(folder) / "page.html", Path(folder) / "page.pdf"
        page.write_text(html, encoding="utf-8")
        try:
            done = subprocess.run(command(binary, page, out, Path(folder) / "profile"), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT_SECONDS,
                                  check=False)
        except (subprocess.TimeoutExpired, OSError) as error:
            log.warning("pdf: Chromium failed (%s); the reader gets the print view", type(error).__name__)
            return None
        if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            log.warning("pdf: Chromium exited %s without a PDF; the reader gets the print view", done.returncode)
            return None
        return out.read_bytes()
