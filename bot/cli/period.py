"""``chibo report period`` (a committee's month, quarter or year, with its workbook) and ``chibo committee rate``
(the committee's yearly level of a cell, recorded with who, when, from what and why)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import JsonOpt, emit, fail, now, with_db
from core.settings import Settings
from core.texts import fmt_rate
from reports import period_report, period_rollup
from rules.period import YEAR, Period, parse_period
from rules.yearly import parse_level
from storage.models import Cell, Committee
from storage.ratings import rate

PERIOD_HELP = "Tháng 2026-11, quý 2026-Q4 hoặc năm 2026 / a month, quarter or year"


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError:
        fail(f"--period '{text}': ghi tháng, quý hoặc năm, ví dụ 2026-11, 2026-Q4 hoặc 2026 / "
             "write a month, a quarter or a year, e.g. 2026-11, 2026-Q4 or 2026")


def register(committee_app: typer.Typer, report_app: typer.Typer,
             find_cell: Callable[[AsyncSession, str], Awaitable[Cell]]) -> None:
    @report_app.command("period")
    def report_period(
        committee: Annotated[int, typer.Option(help="ID đảng ủy / committee id")],
        period: Annotated[str, typer.Option(help=PERIOD_HELP)],
        out: Annotated[Path | None, typer.Option(help="Tệp Excel / the workbook to write (.xlsx)")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Các chi bộ của đảng ủy trong một tháng, quý hoặc năm (năm: kèm xếp loại) / a committee's cells over a period."""
        asked = _period(period)
        if out is not None and out.suffix.lower() != ".xlsx":
            fail(f"--out phải là tệp .xlsx, không phải '{out.name}' / --out must end in .xlsx")

        async def work(session: AsyncSession, settings: Settings):
            if await session.get(Committee, committee) is None:
                fail(f"Không có đảng ủy #{committee} / no such committee.")
            page = await period_report.compute(session, committee, asked, now(), settings.tz)
            return page, await period_rollup.tree_of(session, page), settings.language

        page, tree, lang = with_db(work)
        if out is not None:
            from reports.period_xlsx import write_period_workbook

            write_period_workbook(page, out, lang, tree)
        rows = [{"cell": r.name, "held": len(r.held), "months": r.months_judged, "missed": r.months_missed,
                 "no_thematic": r.quarters_without_thematic, "rate": r.rate,
                 "proposed": r.proposal.level.value if r.proposal and r.proposal.level else None,
                 "level": r.rating.level if r.rating else None} for r in page.rows]
        lines = [f"{page.committee_name} – {period_report.period_label(asked, lang)}"]
        for row in rows:
            line = (f"  {row['cell']}: họp thường kỳ {row['held']}/{row['months']} tháng, dự họp "
                    f"{fmt_rate(row['rate'], page.target, lang)}")
            if row["missed"]:
                line += f", không họp {', '.join(row['missed'])}"
            if page.is_year:
                line += f"; đề xuất {row['proposed'] or '–'}, cấp ủy {row['level'] or 'chưa xác nhận'}"
            lines.append(line)
        if out is not None:
            lines.append(f"Excel: {out}")
        emit(as_json, {"committee": page.committee_name, "period": asked.key, "cells": rows}, "\n".join(lines))

    @committee_app.command("rate")
    def committee_rate(
        cell: Annotated[str, typer.Argument(help="ID hoặc tên chi bộ / cell id or name")],
        year: int,
        level: Annotated[str, typer.Argument(help="tot | kha | trung_binh | kem")],
        reason: Annotated[str | None, typer.Option(help="Lý do (bắt buộc khi khác mức đề xuất) / why")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Xếp loại năm của chi bộ (xác nhận hoặc đổi mức chibo đề xuất) / the committee's yearly level of a cell."""
        try:
            chosen = parse_level(level)
        except ValueError:
            fail(f"Mức '{level}' không có; ghi tot, kha, trung_binh hoặc kem, ví dụ: chibo committee rate 1 {year} kha"
                 " / unknown level.")
        try:
            asked = Period(YEAR, parse_period(str(year)).year)
        except ValueError:
            fail(f"Năm '{year}' không hợp lệ, ví dụ {now().year} / not a year.")
        why = " ".join((reason or "").split()) or None

        async def work(session: AsyncSession, settings: Settings):
            found = await find_cell(session, cell)
            page = await period_report.compute(session, found.committee_id, asked, now(), settings.tz)
            row = next(r for r in page.rows if r.cell_id == found.id)
            proposed = row.proposal.level if row.proposal else None
            if chosen != proposed and why is None:
                fail(f"Mức {chosen.value} khác mức chibo đề xuất ({proposed.value if proposed else '–'}): thêm lý do, "
                     f"ví dụ --reason \"Chi bộ họp bù tháng 3 ngoài chibo\" / a level other than the proposal needs "
                     "--reason.")
            done = await rate(session, found.id, asked.year, chosen.value, proposed.value if proposed else None, why,
                              "operator", None, now())
            return found.name, done.previous_level, proposed

        name, previous, proposed = with_db(work)
        emit(as_json, {"cell": name, "year": asked.year, "level": chosen.value, "previous": previous,
                       "proposed": proposed.value if proposed else None, "reason": why},
             f"{name}, năm {asked.year}: {chosen.value} (trước đó / before: {previous or '–'}; "
             f"chibo đề xuất / proposed: {proposed.value if proposed else '–'})")
