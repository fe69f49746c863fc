"""A committee's period (a month, a quarter, a year) as an XLSX workbook, with the yearly rating for a year.

A summary sheet first, then one sheet per level of the tree: a committee over committees (``tree``,
``reports.period_rollup``) has the committees directly below it rolled up (a district's wards, each with its
cells' numbers summed as its own workbook sums them), then every cell with the unit it lies under; a committee
of cells only has its cells. Then the regular meetings month by month. The sheets are made as the weekly workbook's (bold, frozen,
filtered header; text never a formula), from the same ``CommitteePeriod`` the web page shows, but written as
text (``reports.xlsx_stream``): a district's year is a quarter of a million cells of the sheet."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Sequence
from typing import Any

from reports.period_report import CellPeriod, CommitteePeriod, level_text, period_label, reason_text
from reports.period_rollup import Tree, period_attention
from reports.weekly_xlsx import DATE_FMT, LABELS, PERCENT_FMT
from reports.xlsx_stream import Book

PERIOD_LABELS: dict[str, dict[str, Any]] = {
    "vi": {
        "summary": "Tổng hợp",
        "months_sheet": "Thường kỳ theo tháng",
        "summary_rows": ("Đảng ủy", "Kỳ", "Số chi bộ", "Cuộc họp thường kỳ đã họp", "Tháng chibo theo dõi",
                         "Tháng không họp thường kỳ", "Tỷ lệ dự họp chung", "Quý thiếu chuyên đề", "Mục tiêu dự họp"),
        "cells": ("Chi bộ", "Số đảng viên", "Tháng theo dõi", "Thường kỳ đã họp", "Tháng không họp",
                  "Chuyên đề đã họp", "Quý thiếu chuyên đề", "Có mặt", "Phải dự", "Tỷ lệ dự", "Việc đã đến hạn",
                  "Xong đúng hạn", "Tỷ lệ đúng hạn", "Đảng phí đã đóng (lượt tháng)", "Phải đóng (lượt tháng)",
                  "Tỷ lệ đảng phí"),
        "rating": ("Chibo đề xuất", "Lý do đề xuất", "Cấp ủy xếp loại", "Người xếp loại", "Ngày", "Lý do của cấp ủy"),
        "months": ("Chi bộ", "Tháng", "Tình trạng", "Ngày họp", "Thời gian (phút)", "Tối thiểu (phút)", "Có mặt",
                   "Phải dự", "Tỷ lệ dự", "Chất lượng (đề xuất)"),
        "levels_title": "Xếp loại năm",
        "operator": "người vận hành",
        "units_sheet": "Đơn vị trực thuộc",
        "cells_sheet": "Chi bộ",
        "units": ("Đơn vị", "Số chi bộ", "Tháng chibo theo dõi", "Cuộc họp thường kỳ đã họp",
                  "Tháng không họp thường kỳ", "Quý thiếu chuyên đề", "Tỷ lệ dự họp chung", "Mục tiêu dự họp",
                  "Chi bộ cần chú ý"),
        "unit": "Đơn vị",
        "level_none": "Chưa xếp loại",
        "own": "Chi bộ trực thuộc {name}",
    },
    "en": {
        "summary": "Summary",
        "months_sheet": "Regular by month",
        "summary_rows": ("Committee", "Period", "Cells", "Regular meetings held", "Months followed",
                         "Months without a regular meeting", "Overall attendance", "Quarters without thematic",
                         "Attendance target"),
        "cells": ("Cell", "Members", "Months followed", "Regular held", "Months not held", "Thematic held",
                  "Quarters without thematic", "Present", "Expected", "Attendance rate", "Tasks due", "Done on time",
                  "On-time share", "Dues paid (member-months)", "Dues owed (member-months)", "Dues share"),
        "rating": ("Proposed by chibo", "Why", "Committee's level", "Decided by", "Date", "Committee's reason"),
        "months": ("Cell", "Month", "Status", "Date", "Minutes", "Minimum (min)", "Present", "Expected",
                   "Attendance rate", "Quality (proposed)"),
        "levels_title": "Yearly levels",
        "operator": "operator",
        "units_sheet": "Units below",
        "cells_sheet": "Cells",
        "units": ("Unit", "Cells", "Months followed", "Regular meetings held", "Months without a regular meeting",
                  "Quarters without thematic", "Overall attendance", "Attendance target", "Cells needing attention"),
        "unit": "Unit",
        "level_none": "Not rated",
        "own": "Cells directly under {name}",
    },
}


def write_period_workbook(page: CommitteePeriod, path: pathlib.Path, lang: str = "vi",
                          tree: Tree[CommitteePeriod] | None = None) -> pathlib.Path:
    """Write ``page`` to ``path``; ``tree``: the page split one level down, for a committee over committees."""
    lab = PERIOD_LABELS.get(lang, PERIOD_LABELS["vi"])
    weekly = LABELS.get(lang, LABELS["vi"])
    wb = Book(creator="chibo", title=f"{page.committee_name} – {period_label(page.period, lang)}")
    _summary(wb, page, lab, lang)
    if tree is None:
        _cells_sheet(wb, page.committee_name, page.rows, page, lab, lang)
    else:
        own = lab["own"].format(name=page.committee_name)
        units = [(b.name, b.page) for b in tree.branches] + ([(own, tree.own)] if tree.own.rows else [])
        _units_sheet(wb, units, page, lab, lang)
        unit_of = {r.cell_id: name for name, part in units for r in part.rows}
        _cells_sheet(wb, lab["cells_sheet"], [r for _, part in units for r in part.rows], page, lab, lang, unit_of)
    wb.table(lab["months_sheet"], lab["months"], {3: DATE_FMT, 8: PERCENT_FMT}, (
        [r.name, f"{m.month[5:]}/{m.month[:4]}", weekly["regular"].get(m.status, m.status), m.date, m.minutes,
         m.minimum, m.present, m.expected, m.rate, level_text(m.quality, lang) if m.quality else None]
        for r in page.rows for m in r.months))
    return wb.save(path)


def _summary(wb: Book, page: CommitteePeriod, lab: dict[str, Any], lang: str) -> None:
    ws = wb.sheet(lab["summary"])
    values = (page.committee_name, period_label(page.period, lang), len(page.rows), page.held, page.months_judged,
              page.missed, page.rate, page.without_thematic, page.target)
    for name, value in zip(lab["summary_rows"], values):
        wb.append(ws, [name, value], {1: PERCENT_FMT} if isinstance(value, float) else None, bold_first=True)
    if page.is_year:
        wb.append(ws, [])
        wb.append(ws, [lab["levels_title"]], bold=True)
        for level, count in page.levels().items():
            wb.append(ws, [level_text(level if level != "none" else None, lang), count])
    ws.widths = {1: 36, 2: 40}


def _units_sheet(wb: Book, units: Sequence[tuple[str, CommitteePeriod]], page: CommitteePeriod,
                 lab: dict[str, Any], lang: str) -> None:
    """The committees directly below, one row each, their cells' numbers summed (each its own page's numbers)."""
    headers = lab["units"] + (tuple(level_text(lv, lang) if lv != "none" else lab["level_none"] for lv in page.levels())
                              if page.is_year else ())
    wb.table(lab["units_sheet"], headers, {6: PERCENT_FMT, 7: PERCENT_FMT}, (
        [name, len(part.rows), part.months_judged, part.held, part.missed, part.without_thematic, part.rate,
         part.target, len(period_attention(part)), *(part.levels().values() if page.is_year else ())]
        for name, part in units))


def _cells_sheet(wb: Book, title: str, rows: Sequence[CellPeriod], page: CommitteePeriod, lab: dict[str, Any],
                 lang: str, unit_of: dict[int, str] | None = None) -> None:
    """The cells, one row each; with ``unit_of``, the unit each lies under in the second column."""
    headers = lab["cells"] + (lab["rating"] if page.is_year else ())
    formats = {9: PERCENT_FMT, 12: PERCENT_FMT, 15: PERCENT_FMT, 20: DATE_FMT}
    if unit_of is not None:
        headers = (headers[0], lab["unit"], *headers[1:])
        formats = {i + 1: f for i, f in formats.items()}

    def line(r: CellPeriod) -> list[object]:
        out: list[object] = [
            r.name, r.members, r.months_judged, len(r.held), ", ".join(f"{m[5:]}/{m[:4]}" for m in r.months_missed) or None,
            len(r.thematic_days), ", ".join(r.quarters_without_thematic) or None, r.present, r.expected, r.rate,
            r.tasks.counted, r.tasks.on_time, r.tasks.share, r.dues.paid if r.dues else None,
            r.dues.owing if r.dues else None, r.dues.rate if r.dues else None]
        if page.is_year:
            proposal, rating = r.proposal, r.rating
            out += [level_text(proposal.level, lang) if proposal and proposal.level else None,
                    " ".join(reason_text(x, lang) for x in proposal.reasons) if proposal else None,
                    level_text(rating.level, lang) if rating else None,
                    (rating.who or lab["operator"]) if rating else None,
                    rating.at.date() if rating else None, rating.reason if rating else None]
        return out

    def placed(r: CellPeriod) -> list[object]:
        out = line(r)
        return out if unit_of is None else [out[0], unit_of[r.cell_id], *out[1:]]

    wb.table(re.sub(r"[\[\]:*?/\\]", " ", title)[:31], headers, formats, (placed(r) for r in rows))
