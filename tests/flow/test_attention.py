"""Why a cell needs attention is decided once (reports.attention) and reads the same in the weekly text,
the workbook and the web table; a cell new to chibo this month is not counted in "đã họp x/y"."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.web.render import render
from core.texts import t
from reports import web_committee, weekly
from reports.attention import Code, Reason, render_all
from reports.weekly_xlsx import write_workbook
from storage.db import session_factory
from storage.models import Cell, Committee, Meeting, MeetingKind, Member, Role, Task

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=VN)  # in December's first week: November's record is news
LONG_AGO = datetime(2026, 1, 1, tzinfo=VN)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


async def _committee(engine) -> int:
    """Chi bộ A: November's meeting lasted 30 minutes and nobody checked in, December's (02/12) never began,
    no thematic meeting this quarter, a task overdue. Chi bộ B: held December's. Chi bộ mới: added on 02/12,
    nothing scheduled yet."""
    async with session_factory(engine)() as s, s.begin():
        committee = Committee(name="Đảng ủy", created_at=LONG_AGO)
        s.add(committee)
        await s.flush()
        cells = {}
        for name, created in (("Chi bộ A", LONG_AGO), ("Chi bộ B", LONG_AGO), ("Chi bộ mới", at(2026, 12, 2, 9, 0))):
            cell = Cell(committee_id=committee.id, name=name, created_at=created)
            s.add(cell)
            await s.flush()
            member = Member(cell_id=cell.id, full_name=f"Bí thư {name}", role=Role.BI_THU,
                            active_from=date(2026, 1, 1), created_at=created)
            s.add(member)
            await s.flush()
            cells[name] = (cell, member)

        async def meeting(name: str, start: datetime, minutes: int | None) -> Meeting:
            m = Meeting(cell_id=cells[name][0].id, kind=MeetingKind.THUONG_KY, period=f"{start:%Y-%m}",
                        scheduled_at=start, started_at=start if minutes else None,
                        ended_at=start + timedelta(minutes=minutes) if minutes else None, created_at=start)
            s.add(m)
            await s.flush()
            return m

        november = await meeting("Chi bộ A", at(2026, 11, 5, 19, 30), 30)
        await meeting("Chi bộ A", at(2026, 12, 2, 19, 30), None)
        await meeting("Chi bộ B", at(2026, 12, 1, 19, 30), 95)
        s.add(Task(meeting_id=november.id, cell_id=cells["Chi bộ A"][0].id, member_id=cells["Chi bộ A"][1].id,
                   description="Việc", due_on=date(2026, 11, 30), assigned_at=november.started_at))
        return committee.id


async def test_the_same_reasons_read_the_same_in_text_workbook_and_web(engine, tmp_path):
    committee_id = await _committee(engine)
    async with session_factory(engine)() as s:
        report = await weekly.compute(s, committee_id, NOW, VN)
        page = await web_committee.committee_page(s, committee_id, NOW, VN)
    a = next(c for c in report.cells if c.cell_name == "Chi bộ A")
    codes = [r.code for r in a.attention]
    assert codes == [Code.PREVIOUS_SHORT, Code.PREVIOUS_LOW_RATE, Code.NOT_HELD, Code.NO_THEMATIC,
                     Code.OVERDUE_TASKS], a.attention
    assert Reason(Code.NOT_HELD, {"date": date(2026, 12, 2)}) in a.attention
    words = render_all(a.attention, "vi", report.target)
    assert words[0] == t("vi", "attention.previous_short", month="11/2026", minutes=30, minimum=60)  # a small cell
    assert words[2] == t("vi", "attention.not_held", date="02/12")

    # The weekly text: one line for the cell, its reasons in order.
    text = weekly.render_text(report, "vi", VN)
    assert f"⚠️ Chi bộ A: {'; '.join(words)}" in text

    # The workbook: the cell's "Cần chú ý" column.
    ws = load_workbook(write_workbook(report, tmp_path / "w.xlsx", VN))["Chi bộ"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "Chi bộ A")
    assert row[header.index("Cần chú ý")] == "; ".join(words)

    # The web table: the same reasons, decided by the same function, in the same words.
    web_a = next(r for r in page.rows if r.name == "Chi bộ A")
    assert web_a.attention == a.attention
    html = render("committee.html", "vi", VN, base="/x", p=page, rows=page.rows, status="", nonce="n",
                  statuses=web_committee.STATUSES)
    cells = re.findall(r'<td data-label="Cần chú ý" class="why">(.*?)</td>', html, re.S)
    assert "; ".join(words) in cells


async def test_a_cell_new_to_chibo_is_left_out_of_held_x_of_y_everywhere(engine, tmp_path):
    committee_id = await _committee(engine)
    async with session_factory(engine)() as s:
        report = await weekly.compute(s, committee_id, NOW, VN)
        page = await web_committee.committee_page(s, committee_id, NOW, VN)
    new = next(c for c in report.cells if c.cell_name == "Chi bộ mới")
    assert new.regular.status == "untracked" and not new.attention
    assert (report.cells_held, report.cells_tracked, report.cells_untracked) == (1, 2, 1)

    text = weekly.render_text(report, "vi", VN)
    assert "đã họp <b>1/2</b> chi bộ (1 chi bộ mới dùng chibo, chưa tính) ·" in text
    assert "tháng 11/2026 (vừa qua): đã họp <b>1/2</b> chi bộ ·" in text  # added in December: not in November's
    assert "(1 cells new on chibo, not counted)" in weekly.render_text(report, "en", VN)

    ws = load_workbook(write_workbook(report, tmp_path / "w.xlsx", VN))["Chi bộ"]
    totals = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Số chi bộ")
    assert list(totals[:4]) == ["Số chi bộ", 2, "Đã họp", 1]
    assert list(totals[6:8]) == ["Mới dùng chibo, chưa tính", 1]

    assert (page.held, page.tracked, page.untracked) == (1, 2, 1)
    html = render("committee.html", "vi", VN, base="/x", p=page, rows=page.rows, status="", nonce="n",
                  statuses=web_committee.STATUSES)
    totals_web = dict(re.findall(r'<b id="total-(\w+)">([^<]*)</b>', html))
    assert totals_web["held"] == "1/2" and totals_web["untracked"] == "1" and totals_web["cells"] == "3"


async def test_no_note_when_every_cell_is_tracked(engine, tmp_path):
    committee_id = await _committee(engine)
    async with session_factory(engine)() as s:
        report = await weekly.compute(s, committee_id, datetime(2027, 1, 12, 8, 0, tzinfo=VN), VN)
    assert report.cells_untracked == 0
    text = weekly.render_text(report, "vi", VN)
    assert "chưa tính" not in text and "đã họp <b>0/3</b> chi bộ ·" in text


def test_every_reason_has_its_text_and_every_text_its_reason():
    from core.texts import CATALOG

    for lang in ("vi", "en"):
        keys = {k for k in CATALOG[lang] if k.startswith("attention.")}
        assert keys == {f"attention.{code.value}" for code in Code}, lang
