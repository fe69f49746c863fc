"""The web view's request handlers: sign-in (Telegram Mini App or a signed link), then read-only pages.

Every page resolves the viewer from the token in its path and checks what they may see; anything
else (a foreign cell, an unknown id, an expired link) is 403 with the same page, so nothing tells
which ids exist. Responses are never cached and never send a Referer (the token is in the path),
and nothing here logs a URL."""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import tornado.httputil
import tornado.web
from sqlalchemy import select

from bot.web import pdf
from bot.web.access import COMMITTEE, LEADER, Viewer, viewer_for_link
from bot.web.initdata import telegram_user_id
from bot.web.render import STATIC, render
from core.parsing import button_id
from core.weblinks import read_web_token, web_token
from reports import minutes, period_rollup, web_cell, web_committee, weekly
from rules.period import Period, this_month
from storage.committees import rules_for
from storage.models import Cell, ChatLink, Committee, Meeting, Platform

log = logging.getLogger(__name__)

TELEGRAM_ORIGIN = "https://telegram.org"
TELEGRAM_SCRIPT = f"{TELEGRAM_ORIGIN}/js/telegram-web-app.js"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SVG = "image/svg+xml"
PDF = "application/pdf"


class _Base(tornado.web.RequestHandler):
    printable = False  # a page a reader may print: it offers a PDF (``pdf_of``, its path + "/pdf") and the browser's print
    as_pdf = False  # answered as the PDF of its print view (set by ``pdf_of``)
    pending: tuple[str, dict[str, object]] | None = None  # the page ``page()`` would have sent, for the PDF

    def initialize(self, services) -> None:
        self.services = services

    @property
    def lang(self) -> str:
        return self.services.settings.language

    @property
    def tz(self):
        return self.services.settings.tz

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Content-Type-Options", "nosniff")
        # A fresh nonce per response: the sign-in page's one inline script carries it, nothing injected can.
        # Framed only by the page itself and Telegram's web clients (the Mini App in web.telegram.org/a, /k);
        # Telegram's own apps open the Mini App in a web view, not a frame.
        self.nonce = secrets.token_urlsafe(18)
        self.set_header("Content-Security-Policy",
                        f"default-src 'self'; img-src 'self' data:; style-src 'self' 'nonce-{self.nonce}'; "
                        f"script-src 'self' 'nonce-{self.nonce}' {TELEGRAM_ORIGIN}; object-src 'none'; "
                        "base-uri 'none'; form-action 'self'; "
                        "frame-ancestors 'self' https://web.telegram.org https://*.web.telegram.org")

    def log_exception(self, typ, value, tb) -> None:  # tornado's own would print the URL, token included
        if isinstance(value, tornado.web.HTTPError):
            return
        log.error("web view: %s in %s", typ.__name__ if typ else "error", type(self).__name__,
                  exc_info=(typ, value, tb))

    def page(self, name: str, **context: object) -> None:
        if self.printable:
            path = self.page_path()
            query = f"?{self.request.query}" if self.request.query else ""
            context.update(pdf_href=f"{path.rstrip('/')}/pdf{query}",
                           printed_on=self.services.clock.now().astimezone(self.tz).date())
            if self.as_pdf:
                self.pending = (name, context)
                return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(render(name, self.lang, self.tz, nonce=self.nonce, **context))

    def page_path(self) -> str:
        """The path of the page itself, also when asked as its PDF: "/web/T/pdf" → "/web/T/" (the home page),
        "/web/T/cell/5/pdf" → "/web/T/cell/5"."""
        if not self.as_pdf:
            return self.request.path
        path = self.request.path.removesuffix("/pdf")
        return f"{path}/" if path.count("/") == 2 else path

    async def send_pdf(self, name: str, context: dict[str, object]) -> None:
        """The page's print view as a PDF; where this machine cannot make one (``bot.web.pdf``), the print
        view itself, which opens the browser's print (or "Save as PDF") at once."""
        body = await pdf.html_to_pdf(render(name, self.lang, self.tz, nonce=self.nonce, for_pdf=True, **context))
        if body is None:
            arguments = [(k, v.decode()) for k, vs in self.request.query_arguments.items() for v in vs if k != "print"]
            self.redirect(tornado.httputil.url_concat(self.page_path(), [*arguments, ("print", "1")]), status=303)
            return
        day = self.services.clock.now().astimezone(self.tz).strftime("%Y-%m-%d")
        self.set_header("Content-Type", PDF)
        self.set_header("Content-Disposition", f'attachment; filename="chibo-{day}.pdf"')
        self.finish(body)

    def forbidden(self) -> None:
        self.set_status(403)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(render("forbidden.html", self.lang, self.tz, nonce=self.nonce))

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(render("forbidden.html" if status_code == 403 else "error.html", self.lang, self.tz,
                           nonce=self.nonce))


class _Viewed(_Base):
    """A page behind a token: ``self.viewer`` is set, or the answer is 403."""

    viewer: Viewer
    token: str

    async def prepare(self) -> None:
        self.token = self.path_args[0] if self.path_args else ""
        now = self.services.clock.now()
        link_id = read_web_token(self.services.settings, self.token, now)
        viewer = None
        if link_id is not None:
            async with self.services.sessions() as session:
                viewer = await viewer_for_link(session, link_id, now.astimezone(self.tz).date())
        if viewer is None:
            self.forbidden()
            return
        self.viewer = viewer
        self.base = f"/web/{self.token}"

    def committee_id(self) -> int | None:
        """The committee of a viewer from the committee above, or None for anyone else (answered 403)."""
        if self.viewer.kind != COMMITTEE:
            self.forbidden()
            return None
        return self.viewer.committee_id

    def shown_committee(self) -> int | None:
        """The committee a committee member's page shows: their own, or one below it asked as ``?committee=ID``
        (one level down from the page above); None, answered 403, for any other id (beside or above theirs,
        unknown), so nothing tells which ids exist."""
        shown = self.viewer.committee_id
        if asked := self.get_argument("committee", ""):
            row_id = button_id(asked)
            if row_id is None or not self.viewer.may_see_committee(row_id):
                self.forbidden()
                return None
            shown = row_id
        return shown

    async def up_from(self, session, shown: int) -> int | None:
        """Where the page's "up" link goes: None on the viewer's own committee (no link), 0 to the viewer's own
        page, else the parent's id (``?committee=``)."""
        if shown == self.viewer.committee_id:
            return None
        parent = (await session.get_one(Committee, shown)).parent_id
        return 0 if parent == self.viewer.committee_id else parent

    def shown_id(self, committee_id: int) -> int | None:
        """The ``?committee=`` a page's links carry: None on the viewer's own committee."""
        return committee_id if committee_id != self.viewer.committee_id else None

    async def committee_chart(self, committee_id: int) -> tuple:
        """``month_chart_svg``'s arguments for a committee's months."""
        async with self.services.sessions() as session:
            points = await web_committee.committee_months(session, committee_id, self.services.clock.now(), self.tz)
            committee = await session.get(Committee, committee_id)
            target = (await rules_for(session, committee_id)).attendance_target
        return [(p.month, p.rate) for p in points], target, committee.name, int(points[-1].month[:4]), self.lang

    async def cell_year(self, cell_id: str, period: Period | None = None) -> web_cell.CellYear | None:
        """The cell's year (or ``period``) of meetings, or None when the viewer may not see that cell (answered 403)."""
        row_id = button_id(cell_id)  # past the integer columns' range: no row (PostgreSQL would raise)
        async with self.services.sessions() as session:
            cell = await session.get(Cell, row_id) if row_id is not None else None
            if not self.viewer.may_see_cell(cell):
                self.forbidden()
                return None
            assert cell is not None  # may_see_cell(None) is False
            return await web_cell.cell_year(session, cell.id, self.services.clock.now(), self.tz, period)

    async def send_made(self, content_type: str, make: Callable[..., str | bytes], *args: object,
                        attachment: str | None = None) -> None:
        """Answers with what ``make(*args)`` returns, made off the event loop (charts, workbooks and Word
        files are CPU work); ``attachment`` names the file to download."""
        body = await asyncio.to_thread(make, *args)
        self.set_header("Content-Type", content_type)
        if content_type == SVG:
            # matplotlib's SVG styles each element in a style attribute (no nonce or file can carry those): the
            # chart's own policy allows inline styles and nothing else, no script at all. The pages' policy
            # (``set_default_headers``) allows only their own nonce'd stylesheet.
            self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                            "img-src data:; frame-ancestors 'self' https://web.telegram.org https://*.web.telegram.org")
        if attachment is not None:
            self.set_header("Content-Disposition", f'attachment; filename="{attachment}"')
        self.finish(body)

    async def send_file(self, content_type: str, attachment: str, write: Callable[[Path], Path]) -> None:
        """A download of the file ``write(folder)`` writes into a temporary folder."""
        await self.send_made(content_type, _written, write, attachment=attachment)


def _written(write: Callable[[Path], Path]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write(Path(folder)).read_bytes()


def pdf_of(page: type[_Viewed]) -> type[_Viewed]:
    """The handler of ``page``'s PDF (its path + "/pdf"): the page's own ``get`` gathers the same data, then
    its print view is printed to PDF instead of sent (``_Base.send_pdf``)."""

    class Pdf(page):  # type: ignore[valid-type,misc]  # a subclass of the class given
        as_pdf = True

        async def get(self, *args: str) -> None:
            await super().get(*args)
            if self.pending is not None:
                await self.send_pdf(*self.pending)

    Pdf.__name__ = Pdf.__qualname__ = f"{page.__name__}Pdf"
    return Pdf


async def svg_uri(make: Callable[..., bytes], *args: object) -> str:
    """A chart drawn off the event loop, as a data URI: the PDF's page is a file with nothing beside it."""
    return "data:image/svg+xml;base64," + base64.b64encode(await asyncio.to_thread(make, *args)).decode()


class Home(_Viewed):
    printable = True

    async def get(self, token: str) -> None:
        v = self.viewer
        if v.kind == LEADER:
            self.redirect(f"{self.base}/cell/{v.cell_id}", status=303)
            return
        if v.kind != COMMITTEE:
            self.redirect(f"{self.base}/me", status=303)
            return
        from bot.web.period_pages import (  # it builds on this module's handlers
            asked_period,
            picker_context,
            show_period,
        )

        shown = self.shown_committee()
        if shown is None:
            return
        period, typed = asked_period(self)
        if period is not None or typed is not None:
            await show_period(self, shown, period, typed)
            return
        status = self.get_argument("status", "")
        with weekly.collector_paused():  # the page's rows and its thousands of lines too
            async with self.services.sessions() as session:
                data = await web_committee.committee_page(session, shown, self.services.clock.now(), self.tz,
                                                          self.lang)
                tree = await period_rollup.tree_of(session, data)
                up = await self.up_from(session, shown)
            table = tree.own if tree else data  # a committee over committees: its own cells in the table
            rows = [r for r in table.rows if r.status == status] if status in web_committee.STATUSES else table.rows
            charts = {"chart_src": await svg_uri(month_chart_svg, *await self.committee_chart(shown))} \
                if self.as_pdf else {}
            here = f"committee={sid}&" if (sid := self.shown_id(shown)) else ""
            self.page("committee.html", base=self.base, p=data, table=table, rows=rows, status=status,
                      statuses=web_committee.STATUSES, tree=tree, here=here, up=up, **charts,
                      shown=self.shown_id(shown),
                      **picker_context(self, this_month(self.services.clock.now().astimezone(self.tz).date())))


class CellPage(_Viewed):
    printable = True

    async def get(self, token: str, cell_id: str) -> None:
        from bot.web.period_pages import asked_period, bad_period_text, picker_context

        period, typed = asked_period(self)
        data = await self.cell_year(cell_id, period)
        if data is not None:
            assert data.period is not None  # cell_year sets it
            if typed is not None:
                self.set_status(400)
            charts = {"chart_src": await svg_uri(month_chart_svg, *cell_chart(data, self.lang))} if self.as_pdf else {}
            self.page("cell.html", base=self.base, p=data, committee_view=self.viewer.kind == COMMITTEE,
                      bad=bad_period_text(self, typed) if typed else None, **picker_context(self, data.period),
                      **charts)


class MePage(_Viewed):
    printable = True

    async def get(self, token: str) -> None:
        if self.viewer.member_id is None:
            self.forbidden()
            return
        async with self.services.sessions() as session:
            data = await web_cell.member_page(session, self.viewer.member_id, self.services.clock.now(), self.tz)
        self.page("member.html", base=self.base, p=data, leader=self.viewer.kind == LEADER,
                  cell_id=self.viewer.cell_id)


class CommitteeChart(_Viewed):
    async def get(self, token: str) -> None:
        committee_id = self.committee_id()
        if committee_id is None:
            return
        await self.send_made(SVG, month_chart_svg, *await self.committee_chart(committee_id))


def month_chart_svg(*args):
    """matplotlib and openpyxl are imported when a chart or a workbook is first asked for, not at start-up:
    together they are most of an idle process's memory (``python -m benchmarks --only idle``)."""
    from reports.weekly_chart import month_chart_svg as draw

    return draw(*args)


def write_workbook(*args):
    from reports.weekly_xlsx import write_workbook as write

    return write(*args)


def cell_chart(data: web_cell.CellYear, lang: str) -> tuple:
    """``month_chart_svg``'s arguments for a cell's year."""
    return [(p.month, p.rate) for p in data.months], data.target, data.cell_name, data.year, lang


class CellChart(_Viewed):
    async def get(self, token: str, cell_id: str) -> None:
        from bot.web.period_pages import asked_period

        data = await self.cell_year(cell_id, asked_period(self)[0])  # a period not understood: this year's
        if data is not None:
            await self.send_made(SVG, month_chart_svg, *cell_chart(data, self.lang))


class WeeklyWorkbook(_Viewed):
    async def get(self, token: str) -> None:
        committee_id = self.committee_id()
        if committee_id is None:
            return
        async with self.services.sessions() as session:
            report = await weekly.compute(session, committee_id, self.services.clock.now(), self.tz, self.lang)
        await self.send_file(XLSX, f"chibo-{report.week}.xlsx",
                             lambda folder: write_workbook(report, folder / "week.xlsx", self.tz, self.lang))


class MinutesDraft(_Viewed):
    """A meeting's minutes draft, the same Word file /bienban sends (``reports.minutes``)."""

    async def get(self, token: str, meeting_id: str) -> None:
        row_id = button_id(meeting_id)
        async with self.services.sessions() as session:
            meeting = await session.get(Meeting, row_id) if row_id is not None else None
            cell = await session.get(Cell, meeting.cell_id) if meeting is not None else None
            if meeting is None or meeting.cancelled_at is not None or not self.viewer.may_see_cell(cell):
                self.forbidden()
                return
            data = await minutes.gather(session, meeting, self.tz)
        day = meeting.scheduled_at.astimezone(self.tz).strftime("%Y-%m-%d")
        await self.send_file(DOCX, f"bien-ban-{day}.docx", lambda folder: minutes.write_docx(
            data, folder / minutes.file_name(meeting.id), self.tz, self.lang))


class TelegramSignIn(_Base):
    """The Mini App's first page: Telegram's script hands over ``initData``, posted back at once."""

    def get(self) -> None:
        self.page("telegram.html", script=TELEGRAM_SCRIPT)

    async def post(self) -> None:
        settings = self.services.settings
        now = self.services.clock.now()
        # Signed by the bot whose Mini App it is: with several bots, each bot's token is tried (one matches).
        init_data, max_age = self.get_body_argument("init_data", ""), timedelta(seconds=settings.web_auth_max_age_seconds)
        user_id = next((found for token in settings.telegram_tokens().values()
                        if (found := telegram_user_id(init_data, token, now, max_age)) is not None), None)
        if user_id is None:
            self.forbidden()
            return
        async with self.services.sessions() as session:
            link_id = await session.scalar(select(ChatLink.id).where(
                ChatLink.platform == Platform.TELEGRAM, ChatLink.platform_user_id == user_id))
            viewer = await viewer_for_link(session, link_id, now.astimezone(self.tz).date()) if link_id else None
        if viewer is None:
            self.set_status(403)
            self.page("forbidden.html", not_linked=True)
            return
        self.redirect(f"/web/{web_token(settings, viewer.link_id, now)}/", status=303)


class Static(tornado.web.StaticFileHandler):
    """``bot/web/static``: the stylesheet and the script every page links (the CSP's 'self')."""

    def initialize(self) -> None:  # type: ignore[override]  # the folder is fixed, not a route argument
        super().initialize(path=str(STATIC))

    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-cache")  # revalidated (ETag): a new release is seen at once


class Forbidden(_Base):
    def get(self) -> None:
        self.forbidden()

    post = get
