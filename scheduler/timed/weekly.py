"""The weekly committee summary: built once per committee per week, delivered through the outbox."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import outgoing
from core.settings import Settings
from core.texts import t
from reports import weekly
from reports.weekly_model import WeeklyReport
from storage.models import ChatLink, Committee, CommitteeMember
from storage.outbox import claim_job


@dataclass
class WeeklyResult:
    committee_id: int
    week: str
    report: WeeklyReport
    workbook: Path
    chart: Path
    queued: int
    skipped: bool  # already sent this week


def write_files(settings: Settings, report: WeeklyReport, out_dir: Path | None = None,
                workbook_path: Path | None = None) -> tuple[Path, Path]:
    from reports.weekly_chart import write_chart
    from reports.weekly_xlsx import write_workbook

    folder = Path(out_dir or settings.reports_dir)
    folder.mkdir(parents=True, exist_ok=True)
    workbook, chart = file_paths(settings, report, out_dir, workbook_path)
    # Written beside, then renamed: a file being uploaded is never seen half-written.
    os.replace(write_workbook(report, workbook.with_name(workbook.name + ".part.xlsx"), settings.tz, settings.language),
               workbook)
    os.replace(write_chart(report, chart.with_name(chart.name + ".part.png"), settings.language), chart)
    return workbook, chart


def file_paths(settings: Settings, report: WeeklyReport, out_dir: Path | None = None,
               workbook_path: Path | None = None) -> tuple[Path, Path]:
    folder = Path(out_dir or settings.reports_dir)
    stem = f"chibo-{report.committee_id}-{report.week}"
    return Path(workbook_path or folder / f"{stem}.xlsx"), folder / f"{stem}.png"


async def build_and_queue(session: AsyncSession, settings: Settings, committee_id: int, now: datetime, *,
                          send: bool = True, force: bool = False, out_dir: Path | None = None,
                          workbook_path: Path | None = None) -> WeeklyResult:
    """Compute the committee's summary, write its workbook and chart, and (with ``send``) queue it
    for every linked committee member, once per week: a second run in the same week queues nothing
    unless ``force``."""
    report = await weekly.compute(session, committee_id, now, settings.tz, settings.language)
    first = send and await claim_job(session, "weekly_summary", f"{committee_id}:{report.week}", now)
    if send and not first and not force:  # already sent this week: its files may be on their way, leave them
        workbook, chart = file_paths(settings, report, out_dir, workbook_path)
        return WeeklyResult(committee_id, report.week, report, workbook, chart, 0, skipped=True)
    # Rendering is CPU-bound (openpyxl, matplotlib): off the event loop so the bot keeps answering.
    workbook, chart = await asyncio.to_thread(write_files, settings, report, out_dir, workbook_path)
    if not send:
        return WeeklyResult(committee_id, report.week, report, workbook, chart, 0, skipped=False)
    lang = settings.language
    text = weekly.render_text(report, lang, settings.tz, files_note=t(lang, "weekly.files_attached"))
    payload = {
        "text": text,
        "buttons": [],
        "committee_id": committee_id,  # for platforms that cannot take the files (the operator's command)
        "files": [
            {"kind": "photo", "path": str(chart.resolve()), "name": chart.name},
            {"kind": "document", "path": str(workbook.resolve()), "name": workbook.name},
        ],
    }
    links = await session.scalars(
        select(ChatLink).join(CommitteeMember, ChatLink.committee_member_id == CommitteeMember.id)
        .where(CommitteeMember.committee_id == committee_id, ChatLink.blocked_at.is_(None))
    )
    suffix = f":forced:{int(now.timestamp())}" if force and not first else ""
    queued = await outgoing.send(session, outgoing.WEEKLY, [r for chat in links for r in outgoing.link(chat)], payload,
                                 now=now, committee=committee_id, week=report.week, suffix=suffix)
    return WeeklyResult(committee_id, report.week, report, workbook, chart, queued, skipped=False)


async def run_weekly(services) -> list[WeeklyResult]:
    """The scheduled job: every committee, each in its own transaction."""
    now = services.clock.now()
    async with services.sessions() as session:
        committee_ids = list(await session.scalars(select(Committee.id).order_by(Committee.id)))
    results = []
    for committee_id in committee_ids:
        async with services.sessions() as session, session.begin():
            results.append(await build_and_queue(session, services.settings, committee_id, now))
    services.wake_dispatcher()
    return results
