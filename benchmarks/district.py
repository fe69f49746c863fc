"""A district on PostgreSQL: its committee tree's pages, its year workbook and its weekly summary, side by side.

The summary measure's generator (``summary.generate`` with ``wards``) writes a district committee over
``wards`` ward committees (``committees.parent_id``) sharing ``cells`` cells, each with a year of meetings
and attendance, straight into the benchmark's PostgreSQL database. A committee member of the district gets
a signed link, and chibo's ``HttpServer`` serves (``web.served``): this month's committee table (``/``),
the year's table (``?ky=``, ``reports.period_report``) and the year's workbook (``period.xlsx?ky=``,
``reports.period_xlsx``), each timed from request to last byte, median of ``REPEAT`` after a cold one.
Beside them, in the same run, ``reports.weekly.compute`` of the same district (median of ``REPEAT`` after
a cold one, each in its own session): the summary the weekly job sends, which these pages should not
be much slower than."""

from __future__ import annotations

import statistics
import time

from benchmarks.common import rounded
from benchmarks.summary import NOW, TZ, generate
from benchmarks.web import committee_viewer, served, timed

DISTRICT = 1  # the generated district: committee 1, its wards 2..wards+1
REPEAT = 3


def prepare(url: str, wards: int, cells: int) -> dict:
    """Write the district into the (emptied) database at ``url``; what was written."""
    return generate(None, cells, wards=wards, url=url)


async def measure(url: str) -> dict:
    from reports.weekly import compute
    from storage.db import create_engine, session_factory

    engine = create_engine(url)
    sessions = session_factory(engine)
    out: dict = {}
    try:
        runs = []
        for _ in range(REPEAT + 1):  # a cold one first
            started = time.perf_counter()
            async with sessions() as s:
                report = await compute(s, DISTRICT, NOW, TZ)
            runs.append(time.perf_counter() - started)
        out["cells"] = len(report.cells)
        out.update(weekly_s=rounded(statistics.median(runs[1:])), weekly_cold_s=rounded(runs[0]),
                   weekly_runs_s=[rounded(r) for r in runs[1:]])
        del report
        viewer = await committee_viewer(sessions, DISTRICT)
        async with served(url, sessions) as (client, link):
            base = link(viewer)
            out.update(await timed(client, "month_page", f"{base}/", repeat=REPEAT))
            out.update(await timed(client, "year_page", f"{base}/?ky={NOW.year}", repeat=REPEAT))
            out.update(await timed(client, "year_workbook", f"{base}/period.xlsx?ky={NOW.year}", repeat=REPEAT))
    finally:
        await engine.dispose()
    out["timing_note"] = (f"PostgreSQL; median of {REPEAT} after a cold one: the pages over HTTP (chibo's HttpServer "
                          "on loopback, request to last byte), the weekly summary in this process, each in its own "
                          "session")
    return out
