"""Weekly summary at scale: a generated year of a city's cells, and ``reports.weekly.compute`` timed.

The database is a SQLite file, written with SQLAlchemy core ``insert()`` executemany: cells of
10-40 members in committees of 300 cells, each with a year of meetings (a regular one every month,
a thematic one every quarter, started and ended) and one attendance row per expected member. The district
measure (``benchmarks/district.py``) has it write a committee tree instead (a district over its wards),
straight into PostgreSQL.

The summary is timed in a fresh subprocess (``python -m benchmarks.summary DB``), so that its peak
resident memory (``ru_maxrss``) is the summary's and not the generator's or the other measures'.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from benchmarks.common import REPO, fix_sequences, migrate, proc_status_kb, python_speed, rounded, sqlite_url

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 14, 8, 0, tzinfo=TZ)  # Monday of ISO week 51: the weekly job's hour
YEAR = NOW.year
CELLS_PER_COMMITTEE = 300
CHUNK_CELLS = 200
REPEAT = 5

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý")
MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Xuân", "Thu")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Lan", "Long", "Mai",
         "Minh", "Nam", "Ngọc", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vân", "Yến")


def _utc(local: datetime) -> datetime:
    return local.astimezone(UTC)


def generate(path: Path | None, cells: int, seed: int = 2026, wards: int = 0, url: str | None = None) -> dict:
    """Write the database; returns what was written (counts) and how long it took.

    ``wards``: a district instead: committee 1 over ``wards`` ward committees (``committees.parent_id``), the
    cells shared out among the wards. ``url``: write to that (emptied, PostgreSQL) database instead of ``path``."""
    from storage.models import (
        Attendance,
        AttendanceStatus,
        Cell,
        ChatLink,
        Committee,
        Meeting,
        MeetingKind,
        Member,
        MemberStatus,
        Platform,
        Role,
    )

    started = time.perf_counter()
    rng = random.Random(seed)
    writer = _Writer(path, url)
    created = datetime(2015, 1, 1, tzinfo=UTC)
    committees = wards + 1 if wards else -(-cells // CELLS_PER_COMMITTEE)
    counts: dict[str, Any] = {"committees": committees, "cells": cells, "members": 0, "chat_links": 0, "meetings": 0,
              "attendance": 0}
    member_id = meeting_id = 0
    user_id = 10_000_000
    present_kinds = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
    if wards:  # the district first, so that its wards can name it as their parent
        writer.write(Committee, [dict(id=1, name="Quận ủy số 1", created_at=created)])
        writer.write(Committee, [dict(id=w + 2, name=f"Đảng ủy phường số {w + 1}", parent_id=1, created_at=created)
                                 for w in range(wards)])
    else:
        writer.write(Committee, [dict(id=c + 1, name=f"Đảng ủy phường số {c + 1}", created_at=created)
                                 for c in range(committees)])
    for first in range(0, cells, CHUNK_CELLS):
        cell_rows, member_rows, link_rows, meeting_rows, attendance_rows = [], [], [], [], []
        for c in range(first, min(cells, first + CHUNK_CELLS)):
            cell_id = c + 1
            if wards:  # consecutive cells to each ward, numbered within it
                ward = c * wards // cells
                number = c - -(-ward * cells // wards) + 1
                cell_rows.append(dict(id=cell_id, committee_id=ward + 2, created_at=created,
                                      name=f"Chi bộ khu phố {number:03d} phường {ward + 1}"))
            else:
                cell_rows.append(dict(id=cell_id, committee_id=c // CELLS_PER_COMMITTEE + 1, created_at=created,
                                      name=f"Chi bộ khu dân cư số {c % CELLS_PER_COMMITTEE + 1:03d}"))
            members = []  # (id, active_from, active_to, exempt, diligence)
            size = rng.randint(10, 40)
            for i in range(size):
                member_id += 1
                role = (Role.BI_THU if i == 0 else Role.PHO_BI_THU if i == 1 else
                        Role.CHI_UY if i < 4 and size >= 15 else Role.DANG_VIEN)
                roll = rng.random()
                active_from = (date(YEAR, rng.randint(1, 11), rng.randint(1, 28)) if roll < 0.05
                               else date(rng.randint(1990, YEAR - 1), rng.randint(1, 12), 1))
                active_to = date(YEAR, rng.randint(3, 11), rng.randint(1, 28)) if 0.05 <= roll < 0.07 else None
                exempt = i > 3 and rng.random() < 0.04
                member_rows.append(dict(
                    id=member_id, cell_id=cell_id,
                    full_name=f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                    role=role, status=MemberStatus.DU_BI if rng.random() < 0.06 else MemberStatus.CHINH_THUC,
                    phone=None, exempt=exempt, exempt_reason="Tuổi cao, sức yếu" if exempt else None,
                    exempt_since=date(YEAR - 1, 6, 1) if exempt else None, active_from=active_from,
                    active_to=active_to, created_at=created,
                ))
                diligence = rng.choice((0.99, 0.95, 0.9, 0.9, 0.85, 0.7, 0.5))
                members.append((member_id, active_from, active_to, exempt, diligence))
                if active_to is None and rng.random() < 0.9:
                    user_id += 1
                    link_rows.append(dict(platform=Platform.TELEGRAM, platform_user_id=str(user_id),
                                          chat_id=str(user_id), member_id=member_id, display_name=None,
                                          linked_at=_utc(datetime(YEAR, 1, 5, 20, 0, tzinfo=TZ)),
                                          blocked_at=_utc(NOW - timedelta(days=30)) if rng.random() < 0.02 else None))
            secretary = members[0][0]
            if rng.random() < 0.02:  # a meeting cancelled this year (the summary leaves it out)
                month = rng.randint(1, 11)
                scheduled = datetime(YEAR, month, 15, 19, 30, tzinfo=TZ)
                meeting_id += 1
                meeting_rows.append(dict(
                    id=meeting_id, cell_id=cell_id, kind=MeetingKind.THUONG_KY, period=f"{YEAR}-{month:02d}",
                    scheduled_at=_utc(scheduled), place=None, topic=None, started_at=None, start_manual=False,
                    ended_at=None, end_manual=False, cancelled_at=_utc(scheduled - timedelta(days=1)),
                    auto_created=False, created_by_member_id=secretary, created_at=_utc(scheduled - timedelta(days=9)),
                ))
                attendance_rows.append(dict(meeting_id=meeting_id, member_id=secretary, rsvp=False,
                                            status=AttendanceStatus.EXCUSED, reason="Ốm", checked_in_at=None,
                                            recorded_by_member_id=None, updated_at=_utc(scheduled - timedelta(days=2))))
            plan = [(MeetingKind.THUONG_KY, month) for month in range(1, 13)]
            plan += [(MeetingKind.CHUYEN_DE, month) for month in (2, 5, 8, 11)]
            december = rng.random()
            for kind, month in plan:
                if kind is MeetingKind.THUONG_KY:
                    day, minutes = rng.randint(1, 10), rng.choice((75, 90, 95, 100, 110, 120, 150))
                else:
                    day, minutes = rng.randint(12, 25), rng.choice((100, 120, 125, 130, 150))
                if kind is MeetingKind.CHUYEN_DE and month == 11 and rng.random() < 0.1:
                    continue  # no thematic meeting yet this quarter
                held = True
                if kind is MeetingKind.THUONG_KY and month == 12:
                    if december < 0.03:
                        continue  # not scheduled yet
                    if december < 0.08:
                        day, held = 20, False  # scheduled later this month
                scheduled = datetime(YEAR, month, day, 19, 30, tzinfo=TZ)
                meeting_id += 1
                start = scheduled + timedelta(minutes=rng.randint(0, 15)) if held else None
                meeting_rows.append(dict(
                    id=meeting_id, cell_id=cell_id, kind=kind, period=f"{YEAR}-{month:02d}", scheduled_at=_utc(scheduled),
                    place="Nhà văn hóa khu dân cư", topic=None, started_at=_utc(start) if start else None,
                    start_manual=False, ended_at=_utc(start + timedelta(minutes=minutes)) if start else None,
                    end_manual=False, cancelled_at=None, auto_created=False, created_by_member_id=secretary,
                    created_at=_utc(scheduled - timedelta(days=10)),
                ))
                day_local = scheduled.date()
                for mid, active_from, active_to, exempt, diligence in members:
                    if active_from > day_local or (active_to is not None and active_to < day_local):
                        continue
                    if not held:
                        if rng.random() < 0.5:
                            attendance_rows.append(dict(meeting_id=meeting_id, member_id=mid, rsvp=True, status=None,
                                                        reason=None, checked_in_at=None, recorded_by_member_id=None,
                                                        updated_at=_utc(scheduled - timedelta(days=2))))
                        continue
                    assert start is not None  # held
                    if exempt and rng.random() < 0.8:
                        continue  # exempt members mostly have no row
                    roll = rng.random()
                    if roll > 0.995:  # said they would come, then nothing was recorded
                        attendance_rows.append(dict(meeting_id=meeting_id, member_id=mid, rsvp=True, status=None,
                                                    reason=None, checked_in_at=None, recorded_by_member_id=None,
                                                    updated_at=_utc(scheduled - timedelta(days=1))))
                        continue
                    if roll < diligence:
                        status = AttendanceStatus.LATE if rng.random() < 0.07 else AttendanceStatus.PRESENT
                    else:
                        status = AttendanceStatus.EXCUSED if rng.random() < 0.6 else AttendanceStatus.ABSENT
                    checked = (_utc(start + timedelta(minutes=rng.randint(-10, 40)))
                               if status in present_kinds else None)
                    attendance_rows.append(dict(
                        meeting_id=meeting_id, member_id=mid, rsvp=None, status=status,
                        reason="Đi công tác" if status is AttendanceStatus.EXCUSED else None, checked_in_at=checked,
                        recorded_by_member_id=secretary if checked and rng.random() < 0.03 else None,
                        updated_at=_utc(start),
                    ))
        writer.write(Cell, cell_rows)
        writer.write(Member, member_rows)
        writer.write(ChatLink, link_rows)
        writer.write(Meeting, meeting_rows)
        for i in range(0, len(attendance_rows), 50_000):
            writer.write(Attendance, attendance_rows[i:i + 50_000])
        counts["members"] += len(member_rows)
        counts["chat_links"] += len(link_rows)
        counts["meetings"] += len(meeting_rows)
        counts["attendance"] += len(attendance_rows)
    writer.close()
    counts["seconds"] = rounded(time.perf_counter() - started, 1)
    if path is not None and url is None:
        counts["file_mb"] = rounded(path.stat().st_size / 2**20, 1)
    return counts


class _Writer:
    """Where the generator's rows go: the SQLite file (a synchronous engine, journal off while writing), or an
    emptied PostgreSQL database (chibo's asyncpg engine, run chunk by chunk on one event loop). Both migrated
    first; core ``insert()`` executemany either way."""

    def __init__(self, path: Path | None, url: str | None) -> None:
        self.url = url
        self.runner: asyncio.Runner | None = None
        if url is None:
            assert path is not None  # a file when no database is named
            if path.exists():
                path.unlink()
            asyncio.run(migrate(sqlite_url(path)))
            self.engine = sa.create_engine(f"sqlite:///{path}")

            @sa.event.listens_for(self.engine, "connect")
            def _fast(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute("PRAGMA journal_mode=MEMORY")
                cur.execute("PRAGMA cache_size=-200000")
                cur.close()
        else:
            from storage.db import create_engine

            self.runner = asyncio.Runner()
            self.runner.run(migrate(url))
            self.async_engine = create_engine(url)
        self.tables: set[str] = set()

    def write(self, table, rows: list[dict]) -> None:
        if not rows:
            return
        self.tables.add(table.__tablename__)
        if self.runner is None:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(table), rows)
            return

        async def insert() -> None:
            async with self.async_engine.begin() as conn:
                await conn.execute(sa.insert(table), rows)

        self.runner.run(insert())

    def close(self) -> None:
        if self.runner is None:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            self.engine.dispose()
            return

        async def finish() -> None:
            async with self.async_engine.begin() as conn:
                await fix_sequences(conn, sorted(self.tables))
            async with self.async_engine.connect() as conn:  # vacuumed and analysed, as autovacuum keeps a database
                await conn.execution_options(isolation_level="AUTOCOMMIT")  # filled over time (the planner's
                await conn.exec_driver_sql("VACUUM ANALYZE")  # statistics, the visibility map)
            await self.async_engine.dispose()

        self.runner.run(finish())
        self.runner.close()


# --- timing, in a subprocess -------------------------------------------------------------------

def _digest(report) -> str:
    return hashlib.sha256(repr(report).encode()).hexdigest()[:16]


async def _time_summary(url: str, one: int, digests: bool) -> dict:
    from reports.weekly import compute
    from storage.db import create_engine, session_factory
    from storage.models import Committee

    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as s:
        committee_ids = list(await s.scalars(sa.select(Committee.id).order_by(Committee.id)))
    rss_before = proc_status_kb("VmRSS")
    out: dict = {"committees": len(committee_ids), "python_loop_10M_s": python_speed()}
    started = time.perf_counter()
    async with sessions() as s:
        report = await compute(s, one, NOW, TZ)
    out["one_committee_cold_s"] = rounded(time.perf_counter() - started)
    runs = []
    for _ in range(REPEAT):  # the same committee again: the median, as one run is at the mercy of the machine
        started = time.perf_counter()
        async with sessions() as s:
            report = await compute(s, one, NOW, TZ)
        runs.append(time.perf_counter() - started)
    out["one_committee_s"] = rounded(statistics.median(runs))
    out["one_committee_runs_s"] = [rounded(r) for r in runs]
    out["one_committee_cells"] = len(report.cells)
    out["one_committee_meetings"] = len(report.meetings)
    out["one_committee_attendance_lines"] = len(report.attendance)
    cells = meetings = 0
    hashes = {}
    slowest = 0.0
    started = time.perf_counter()
    for committee_id in committee_ids:  # as the weekly job does: each committee in its own session
        t0 = time.perf_counter()
        async with sessions() as s:
            report = await compute(s, committee_id, NOW, TZ)
        slowest = max(slowest, time.perf_counter() - t0)
        cells += len(report.cells)
        meetings += len(report.meetings)
        if digests:
            hashes[committee_id] = _digest(report)
        del report
    out["all_committees_s"] = rounded(time.perf_counter() - started)
    out["slowest_committee_s"] = rounded(slowest)
    # Again, as next week's job finds them: every ended meeting's attendance kept (storage.results) by the
    # pass above, as it is in use since each meeting ended (the generator writes none).
    started = time.perf_counter()
    for committee_id in committee_ids:
        async with sessions() as s:
            await compute(s, committee_id, NOW, TZ)
    out["all_committees_kept_s"] = rounded(time.perf_counter() - started)
    out["cells"] = cells
    out["meetings"] = meetings
    await engine.dispose()
    out["rss_before_mb"] = rounded((rss_before or 0) / 1024, 1)
    hwm = proc_status_kb("VmHWM")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["peak_rss_mb"] = rounded((hwm if hwm is not None else maxrss) / 1024, 1)
    out["ru_maxrss_mb"] = rounded(maxrss / 1024, 1)
    out["rss_note"] = ("peak_rss_mb: VmHWM (peak resident set) of a subprocess that only opened the database and "
                       "computed the summaries: Python, chibo's imports and the summaries. VmHWM rather than "
                       "ru_maxrss, which Linux carries over from the forking parent across exec; rss_before_mb: "
                       "its VmRSS before the first summary")
    out["timing_note"] = (f"one_committee_s: median of {REPEAT} runs after a first (cold) one; all_committees_s: "
                          "every committee once, each in its own session, as the weekly job does (the first read of "
                          "each keeps its meetings' results); all_committees_kept_s: the same again, results kept; "
                          "python_loop_10M_s: how fast Python ran just before (see machine)")
    if digests:
        out["digests"] = hashes
    return out


def time_in_subprocess(db: Path, one: int = 1, digests: bool = False, timeout: float = 1800) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.summary", str(db), "--committee", str(one)]
    if digests:
        cmd.append("--digests")
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"summary subprocess failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time reports.weekly.compute on a generated database.")
    parser.add_argument("db", type=Path)
    parser.add_argument("--committee", type=int, default=1)
    parser.add_argument("--digests", action="store_true", help="a hash of every committee's report (to compare)")
    parser.add_argument("--generate", type=int, metavar="CELLS", help="only generate the database (no timing)")
    args = parser.parse_args(argv)
    if args.generate:
        print(json.dumps(generate(args.db, args.generate)))
        return
    print(json.dumps(asyncio.run(_time_summary(sqlite_url(args.db), args.committee, args.digests))))


if __name__ == "__main__":
    main()
