"""The weekly summary's tasks and committee visits: the share done by the deadline, the overdue ones,
the last visit per cell and the cells gone longest without (text and workbook)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from reports import weekly
from reports.attention import Code, Reason
from reports.weekly_xlsx import write_workbook
from storage.db import session_factory
from storage.models import (
    Cell,
    Committee,
    CommitteeMember,
    Meeting,
    MeetingGuest,
    MeetingKind,
    Member,
    Role,
    Task,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 14, 8, 0, tzinfo=VN)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


async def test_tasks_share_overdue_and_committee_visits_per_cell(engine, tmp_path):
    async with session_factory(engine)() as s, s.begin():
        committee = Committee(name="Đảng ủy", created_at=NOW)
        s.add(committee)
        await s.flush()
        person = CommitteeMember(committee_id=committee.id, full_name="Cấp Ủy", created_at=NOW)
        s.add(person)
        cells = {}
        for name in ("Chi bộ A", "Chi bộ B", "Chi bộ C"):
            cell = Cell(committee_id=committee.id, name=name, created_at=NOW)
            s.add(cell)
            await s.flush()
            member = Member(cell_id=cell.id, full_name=f"Đảng viên {name}", role=Role.BI_THU,
                            active_from=date(2026, 1, 1), created_at=NOW)
            s.add(member)
            await s.flush()
            cells[name] = (cell, member)

        async def meeting(name: str, start: datetime) -> Meeting:
            m = Meeting(cell_id=cells[name][0].id, kind=MeetingKind.THUONG_KY, period=f"{start:%Y-%m}",
                        scheduled_at=start, started_at=start, ended_at=start + timedelta(minutes=95), created_at=start)
            s.add(m)
            await s.flush()
            return m

        def task(name: str, m: Meeting, due: date, done: datetime | None) -> None:
            s.add(Task(meeting_id=m.id, cell_id=cells[name][0].id, member_id=cells[name][1].id, description="Việc",
                       due_on=due, assigned_at=m.started_at, done_at=done))

        a_dec, a_sep = await meeting("Chi bộ A", at(2026, 12, 5, 19, 30)), await meeting("Chi bộ A", at(2026, 9, 5, 19, 30))
        b_aug = await meeting("Chi bộ B", at(2026, 8, 5, 19, 30))
        await meeting("Chi bộ C", at(2026, 12, 6, 19, 30))
        task("Chi bộ A", a_sep, date(2026, 9, 30), at(2026, 9, 30, 22, 0))  # on time (local date)
        task("Chi bộ A", a_sep, date(2026, 10, 15), at(2026, 10, 16, 9, 0))  # late
        task("Chi bộ A", a_dec, date(2026, 12, 10), None)  # overdue
        task("Chi bộ A", a_dec, date(2026, 12, 20), None)  # not due yet: not counted
        task("Chi bộ B", b_aug, date(2026, 8, 30), at(2026, 8, 20, 9, 0))
        s.add_all([MeetingGuest(meeting_id=a_dec.id, committee_member_id=person.id, checked_in_at=at(2026, 12, 5, 19, 40)),
                   MeetingGuest(meeting_id=b_aug.id, committee_member_id=person.id, checked_in_at=at(2026, 8, 5, 19, 40))])
        committee_id = committee.id

    async with session_factory(engine)() as s:
        report = await weekly.compute(s, committee_id, NOW, VN)
        cell_ids = {c.name: c.id for c in await s.scalars(select(Cell))}
    by_name = {c.cell_name: c for c in report.cells}
    a, b, c = by_name["Chi bộ A"], by_name["Chi bộ B"], by_name["Chi bộ C"]
    assert (a.tasks_counted, a.tasks_on_time, a.tasks_overdue) == (3, 1, 1)
    assert (b.tasks_counted, b.tasks_on_time, b.tasks_overdue, b.tasks_share) == (1, 1, 0, 1.0)
    assert c.tasks_counted == 0 and c.tasks_share is None
    assert (a.guest_last, a.guest_this_quarter) == (date(2026, 12, 5), True)
    assert (b.guest_last, b.guest_this_quarter) == (date(2026, 8, 5), False)
    assert (c.guest_last, c.guest_this_quarter) == (None, False)
    assert Reason(Code.OVERDUE_TASKS, {"count": 1}) in a.attention
    assert not any(x.code is Code.OVERDUE_TASKS for x in b.attention)
    assert [x.cell_name for x in report.longest_without_guest()] == ["Chi bộ C", "Chi bộ B"]
    assert len(cell_ids) == 3

    text = weekly.render_text(report, "vi", VN)
    assert "Chi bộ A: họp 05/12" in text and "việc xong đúng hạn 1/3 (33%), 1 quá hạn; cấp ủy dự 05/12" in text
    assert "Chi bộ B:" in text and "việc xong đúng hạn 1/1 (100%); quý này chưa có cấp ủy dự" in text
    section = text.split("Quý này chưa có cấp ủy cấp trên dự họp (2), lâu nhất trước:")[1]
    assert section.index("• Chi bộ C: chưa lần nào") < section.index("• Chi bộ B: lần cuối 05/08/2026")
    assert "committee attended 05/12" in weekly.render_text(report, "en", VN)

    wb = load_workbook(write_workbook(report, tmp_path / "w.xlsx", VN))
    sheet = wb["Việc, cấp ủy dự"]
    rows = {r[0].value: [x.value for x in r] for r in sheet.iter_rows(min_row=2)}
    assert rows["Chi bộ A"][:6] == ["Chi bộ A", 3, 1, 1 / 3, 1, "Có"] and rows["Chi bộ A"][6].date() == date(2026, 12, 5)
    assert rows["Chi bộ C"][1:7] == [0, 0, None, 0, "Không", None]
