"""Kept results on PostgreSQL read the same way whatever the planner knows of ``meeting_results``.

A new or restored database has ``meeting_results`` empty when it is analysed; asyncpg prepares each statement
and PostgreSQL plans it once for any values after five runs. A read of a district's year (31,000 meetings)
that compared every row with ``IN ($1, …, $500)`` under that plan took 11 s instead of 1.5
(``python -m benchmarks --only district``). Here: the ids go as one array in one statement, and under a plan
made for any values the lists equal a count from scratch. How fast is the benchmark's to say, not this test's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select, text

from storage import results
from storage.db import session_factory
from storage.models import Attendance, AttendanceStatus, Cell, Committee, Meeting, MeetingKind, Member, Role
from tests.conftest import needs_postgres

CELLS, MONTHS, MEMBERS = 100, 12, 3
STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.LATE)


async def _a_year_of_meetings(engine) -> list[int]:
    """CELLS cells, each with a regular meeting a month, ended, and MEMBERS members' rows each."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(insert(Committee), [dict(id=1, name="Đảng ủy phường", created_at=at)])
        await conn.execute(insert(Cell), [dict(id=c, committee_id=1, name=f"Chi bộ {c:03d}", created_at=at)
                                          for c in range(1, CELLS + 1)])
        await conn.execute(insert(Member), [
            dict(id=c * 10 + i, cell_id=c, full_name=f"Đảng viên {c}-{i}", role=Role.DANG_VIEN,
                 active_from=date(2020, 1, 1), created_at=at)
            for c in range(1, CELLS + 1) for i in range(MEMBERS)])
        meetings = [dict(id=c * 100 + m, cell_id=c, kind=MeetingKind.THUONG_KY, period=f"2026-{m:02d}",
                         scheduled_at=datetime(2026, m, 5, 12, tzinfo=UTC),
                         started_at=datetime(2026, m, 5, 12, tzinfo=UTC),
                         ended_at=datetime(2026, m, 5, 12, tzinfo=UTC) + timedelta(minutes=95), created_at=at)
                    for c in range(1, CELLS + 1) for m in range(1, MONTHS + 1)]
        await conn.execute(insert(Meeting), meetings)
        await conn.execute(insert(Attendance), [
            dict(meeting_id=mt["id"], member_id=mt["cell_id"] * 10 + i, status=STATUSES[(mt["id"] + i) % 3],
                 updated_at=at)
            for mt in meetings for i in range(MEMBERS)])
    return [mt["id"] for mt in meetings]


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=needs_postgres)], indirect=True)
async def test_a_year_of_results_reads_in_one_statement_under_a_plan_for_any_values(engine):
    ids = await _a_year_of_meetings(engine)
    async with engine.connect() as conn:  # analysed empty, as in a new or restored database
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("ANALYZE meeting_results")
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args):
        if "meeting_results" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sessions = session_factory(engine)
    meetings = [(meeting_id, True) for meeting_id in ids]
    async with sessions() as s:  # counted live, and kept
        live = await results.lists(s, meetings)
    async with sessions() as s:
        assert await s.scalar(text("SELECT count(*) FROM meeting_results")) == len(ids)
    statements.clear()
    for _ in range(7):  # past the five runs after which PostgreSQL may plan once for any values
        async with sessions() as s:
            await s.execute(text("SET plan_cache_mode = force_generic_plan"))
            assert await results.lists(s, meetings) == live
    assert len(statements) == 7  # one statement a read, for 1,200 meetings
    assert all("unnest" in statement and "IN (" not in statement.replace("IN (SELECT", "") for statement in statements)
    async with sessions() as s:  # and what was kept equals a count from scratch
        rows = (await s.execute(select(Attendance.meeting_id, Attendance.member_id, Attendance.status))).all()
    present = {m: set() for m in ids}
    for meeting_id, member_id, status in rows:
        if status == AttendanceStatus.PRESENT:
            present[meeting_id].add(member_id)
    position = results.STATUSES.index(AttendanceStatus.PRESENT.value)
    assert {m: {int(i) for i in (live[m][position] or "").split(",") if i} for m in ids} == present
