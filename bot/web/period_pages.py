"""The web view over any period (``?ky=2026-11``, ``?ky=2026-Q4``, ``?ky=2026``) and the yearly rating.

The committee's table for a period, its workbook, the year's rating page (where a committee member
confirms or changes each cell's level: a POST carrying the page's form token, ``core.weblinks.form_token``)
and a printable page of the year. Everything is read through ``reports.period_report``."""

from __future__ import annotations

from sqlalchemy import select

from bot.web.pages import XLSX, _Viewed
from core.texts import t
from core.weblinks import form_token, form_token_ok
from reports import period_report, period_rollup
from reports.weekly import collector_paused
from rules.period import YEAR, Period, choices, parse_period, this_month, this_quarter, this_year
from rules.quality import Level
from rules.yearly import parse_level
from storage.models import Cell, ChatLink
from storage.ratings import rate

MAX_REASON = 1000  # characters of a reason kept


def asked_period(handler: _Viewed) -> tuple[Period | None, str | None]:
    """The period in the address (``?ky=``): (the period, None), (None, None) without one, or (None, what was
    typed) when it is not a period."""
    text = handler.get_argument("ky", None)
    if text is None:
        return None, None
    try:
        return parse_period(text), None
    except ValueError:
        return None, text[:40]


def bad_period_text(handler: _Viewed, typed: str) -> str:
    today = handler.services.clock.now().astimezone(handler.tz).date()
    return t(handler.lang, "web.period.bad", text=typed, month=this_month(today).key,
             quarter=this_quarter(today).key, year=this_year(today).key)


def picker_context(handler: _Viewed, current: Period) -> dict[str, object]:
    today = handler.services.clock.now().astimezone(handler.tz).date()
    offered = choices(today)
    if current not in offered:
        offered.insert(0, current)
    return {"choices": [(c.key, period_report.period_label(c, handler.lang)) for c in offered],
            "current": current,  # period_label is a helper of every page (bot.web.render)
            "reason_text": lambda r: period_report.reason_text(r, handler.lang),
            "level_text": lambda lv: period_report.level_text(lv, handler.lang)}


async def show_period(handler: _Viewed, committee_id: int, period: Period | None, typed: str | None) -> None:
    """The committee's table for ``period`` (this month, with what was wrong, when ``typed`` is not a period): a
    committee over committees shows each one below rolled up, what needs attention below grouped by it, then
    its own cells (``reports.period_rollup``)."""
    today = handler.services.clock.now().astimezone(handler.tz).date()
    period = period or this_month(today)
    with collector_paused():  # the page's rows and its thousands of lines too (reports.weekly.collector_paused)
        async with handler.services.sessions() as session:
            data = await period_report.compute(session, committee_id, period, handler.services.clock.now(), handler.tz)
            tree = await period_rollup.tree_of(session, data)
            up = await handler.up_from(session, committee_id)
        if typed is not None:
            handler.set_status(400)
        handler.page("period.html", base=handler.base, p=data, bad=bad_period_text(handler, typed) if typed else None,
                     tree=tree, table=tree.own if tree else data, shown=handler.shown_id(committee_id), up=up,
                     period_attention=period_rollup.period_attention,
                     period_why=lambda r, target: period_rollup.period_why(r, target, handler.lang),
                     **picker_context(handler, period))


class PeriodWorkbook(_Viewed):
    async def get(self, token: str) -> None:
        if self.committee_id() is None:
            return
        committee_id = self.shown_committee()
        if committee_id is None:
            return
        period, typed = asked_period(self)
        if typed is not None:
            self.set_status(400)
            self.page("error.html", message=bad_period_text(self, typed))
            return
        period = period or this_month(self.services.clock.now().astimezone(self.tz).date())
        with collector_paused():  # the rows and the sheets' quarter of a million cells (reports.weekly)
            async with self.services.sessions() as session:
                data = await period_report.compute(session, committee_id, period, self.services.clock.now(), self.tz)
                tree = await period_rollup.tree_of(session, data)
            await self.send_file(XLSX, f"chibo-{period.key}.xlsx",
                                 lambda folder: write_period_workbook(data, folder / "period.xlsx", self.lang, tree))


def write_period_workbook(*args):
    from reports.period_xlsx import write_period_workbook as write  # openpyxl on first use (bot.web.pages)

    return write(*args)


class _Year(_Viewed):
    def year(self) -> tuple[Period, str | None]:
        period, typed = asked_period(self)
        today = self.services.clock.now().astimezone(self.tz).date()
        return (Period(YEAR, period.year) if period else this_year(today)), typed

    async def year_page(self, committee_id: int, period: Period):
        async with self.services.sessions() as session:
            return await period_report.compute(session, committee_id, period, self.services.clock.now(), self.tz)


class RatingPage(_Year):
    """The year's rating: each cell's record, the level chibo proposes and the committee's; a form per cell."""

    async def get(self, token: str) -> None:
        if self.committee_id() is None:
            return
        committee_id = self.shown_committee()  # ?committee= within the viewer's access, like the period view
        if committee_id is None:
            return
        period, typed = self.year()
        saved = None
        if (cell_text := self.get_argument("saved", "")).isdigit() and len(cell_text) <= 9:
            saved = int(cell_text)  # the row of the cell just rated (the post's answer sends here)
        await self.show(committee_id, period, bad=bad_period_text(self, typed) if typed else None,
                        status=400 if typed else 200, saved=saved)

    async def show(self, committee_id: int, period: Period, *, saved: int | None = None, bad: str | None = None,
                   status: int = 200) -> None:
        """A committee over committees: each one below with its levels and a link to its own rating page, then its
        own cells to rate (``reports.period_rollup``), as its period page shows them."""
        async with self.services.sessions() as session:
            data = await period_report.compute(session, committee_id, period, self.services.clock.now(), self.tz)
            tree = await period_rollup.tree_of(session, data)
            up = await self.up_from(session, committee_id)
        done = next((r for r in data.rows if r.cell_id == saved and r.rating), None)
        saved_text = t(self.lang, "web.rating.saved", year=period.year, cell=done.name,
                       level=period_report.level_text(done.level, self.lang)) if done else None
        self.set_status(status)
        self.page("rating.html", base=self.base, p=data, form=form_token(self.services.settings, self.token),
                  levels=[level.value for level in Level], saved=saved_text, bad=bad, tree=tree,
                  table=tree.own if tree else data, up=up, shown=self.shown_id(committee_id),
                  **picker_context(self, period))

    async def post(self, token: str) -> None:
        if self.committee_id() is None:  # a committee member only
            return
        if not form_token_ok(self.services.settings, self.token, self.get_body_argument("form", "")):
            self.set_status(403)
            self.page("error.html", message=t(self.lang, "web.rating.bad_form"))
            return
        try:
            period = Period(YEAR, parse_period(self.get_body_argument("year", "")).year)
        except ValueError:
            self.set_status(400)
            self.page("error.html", message=t(self.lang, "web.rating.bad_form"))
            return
        cell_text = self.get_body_argument("cell", "")
        async with self.services.sessions() as session:
            cell = await session.get(Cell, int(cell_text)) if cell_text.isdigit() and len(cell_text) <= 9 else None
            if not self.viewer.may_see_cell(cell):
                self.forbidden()
                return
            assert cell is not None
            # The cell's own committee, within the actor's access (checked just above): the form names the cell only.
            cell_id, committee_id = cell.id, cell.committee_id
        level_typed = self.get_body_argument("level", "")
        reason = " ".join(self.get_body_argument("reason", "").split())[:MAX_REASON] or None
        try:
            level = parse_level(level_typed)
        except ValueError:
            await self.show(committee_id, period, bad=t(self.lang, "web.rating.bad_level", text=level_typed[:40]),
                            status=400)
            return
        data = await self.year_page(committee_id, period)
        row = next(r for r in data.rows if r.cell_id == cell_id)  # a cell of the committee: one of its rows
        proposed = row.proposal.level if row.proposal else None
        if level != proposed and reason is None:
            await self.show(committee_id, period, status=400, bad=t(
                self.lang, "web.rating.need_reason", level=period_report.level_text(level, self.lang),
                proposed=period_report.level_text(proposed, self.lang)))
            return
        async with self.services.sessions() as session, session.begin():
            member_id = await session.scalar(select(ChatLink.committee_member_id).where(
                ChatLink.id == self.viewer.link_id))
            await rate(session, cell_id, period.year, level.value, proposed.value if proposed else None, reason,
                       f"committee_member:{member_id}", member_id, self.services.clock.now())
        # Post, then redirect: a reload shows the page again and does not post twice.
        here = f"&committee={shown}" if (shown := self.shown_id(committee_id)) else ""
        self.redirect(f"{self.base}/rating?ky={period.key}{here}&saved={cell_id}#cell-{cell_id}", status=303)


class RatingPrint(_Year):
    """The year's rating as a plain page to print (the print styles and the PDF come with the page's print view)."""

    async def get(self, token: str) -> None:
        if self.committee_id() is None:
            return
        committee_id = self.shown_committee()
        if committee_id is None:
            return
        period, typed = self.year()
        if typed is not None:
            self.set_status(400)
            self.page("error.html", message=bad_period_text(self, typed))
            return
        data = await self.year_page(committee_id, period)
        self.page("rating_print.html", p=data, **picker_context(self, period))
