"""A draft of a meeting's minutes (biên bản) as a Word file, in the usual layout.

Everything chibo knows is filled in (cell, time, place, start and end, attendance, the tasks given,
the proposed quality level); everything it does not know (chair, minute-taker, what was said, the
resolution) is left as dotted lines for the minute-taker: nothing is invented. The order of the
meeting follows HD 42-HD/BTCTW (2025), see ``docs/quy-dinh.md``.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.documents import comments_of, documents_of
from core.texts import fmt_date, fmt_rate, t
from reports import meeting_summary, votes
from reports.meeting_summary import MeetingSummary
from rules.calendar import month_key
from rules.dues import Collection, fmt_amount
from storage.dues import cell_collection
from storage.models import Cell, Committee, Meeting
from storage.quality import TaskLine, meeting_tasks

DOTS = "…" * 30
ORDER = {  # HD 42: the parts of a regular meeting and what each holds
    "minutes.part_opening": ("minutes.opening_1", "minutes.opening_2", "minutes.opening_3"),
    "minutes.part_main": ("minutes.main_1", "minutes.main_2", "minutes.main_3", "minutes.main_4", "minutes.main_5"),
}


@dataclass
class MinutesData:
    committee_name: str
    cell_name: str
    kind: str  # "thuong_ky" | "chuyen_de"
    topic: str | None
    place: str | None
    scheduled_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    summary: MeetingSummary
    tasks: list[TaskLine]
    documents: int = 0  # papers sent before the meeting (/tailieu)
    comments: list[tuple[str, str]] = field(default_factory=list)  # (member, comment) on them (/gopy)
    dues: Collection | None = None  # the month's Party dues: one line, not one row per member


async def gather(session: AsyncSession, meeting: Meeting, tz: ZoneInfo) -> MinutesData:
    cell = await session.get_one(Cell, meeting.cell_id)
    day = meeting.scheduled_at.astimezone(tz).date()
    committee = await session.get_one(Committee, cell.committee_id)
    return MinutesData(
        committee_name=committee.name, cell_name=cell.name, kind=meeting.kind.value, topic=meeting.topic,
        place=meeting.place, scheduled_at=meeting.scheduled_at, started_at=meeting.started_at,
        ended_at=meeting.ended_at, summary=await meeting_summary.compute(session, meeting, tz),
        tasks=await meeting_tasks(session, meeting.id),
        documents=len(await documents_of(session, meeting.id)), comments=await comments_of(session, meeting.id),
        dues=await cell_collection(session, cell.id, month_key(day), day),
    )


def party_committee_header(name: str) -> str:
    """"Đảng ủy phường Hàng Bạc" -> "ĐẢNG BỘ PHƯỜNG HÀNG BẠC": the header names the Party organisation."""
    words = name.split()
    if len(words) > 2 and " ".join(words[:2]).lower() in ("đảng ủy", "đảng uỷ", "đảng bộ"):
        words = words[2:]
    return "ĐẢNG BỘ " + " ".join(words).upper()


def cell_header(name: str) -> str:
    words = name.split()
    if len(words) > 2 and " ".join(words[:2]).lower() == "chi bộ":
        words = words[2:]
    return "CHI BỘ " + " ".join(words).upper()


def task_rows(tasks: list[TaskLine]) -> dict[tuple[str, date], list[str]]:
    """One row per task given, with everyone who has it (as the summary lists them): a task given to the
    whole cell is one row, not one per member."""
    rows: dict[tuple[str, date], list[str]] = {}
    for task in tasks:
        rows.setdefault((task.description, task.due_on), []).append(task.member_name)
    return rows


def file_name(meeting_id: int) -> str:
    return f"chibo-bien-ban-{meeting_id}.docx"


def write_docx(data: MinutesData, path: Path, tz: ZoneInfo, lang: str = "vi") -> Path:
    """Write the draft to ``path`` (beside, then renamed: never seen half-written) and return it."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    def tr(key: str, **kw: object) -> str:
        return html.unescape(t(lang, key, **kw))

    doc = Document()
    for section in doc.sections:  # A4 with the margins of Vietnamese documents (NĐ 30/2020), not US Letter
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = section.bottom_margin = Mm(20)
        section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)
    center = WD_ALIGN_PARAGRAPH.CENTER

    def para(text: str = "", *, bold: bool = False, italic: bool = False, align=None):
        p = doc.add_paragraph()
        run = p.add_run(text)
        run.bold, run.italic = bold, italic
        if align is not None:
            p.alignment = align
        return p

    day = (data.started_at or data.scheduled_at).astimezone(tz)
    header = doc.add_table(rows=1, cols=2)
    left, right = header.rows[0].cells
    left.paragraphs[0].add_run(party_committee_header(data.committee_name)).bold = False
    left.add_paragraph().add_run(cell_header(data.cell_name)).bold = True
    left.add_paragraph("*")
    right.paragraphs[0].add_run(tr("minutes.party")).bold = True
    right.add_paragraph().add_run(tr("minutes.place_date", day=f"{day.day:02d}", month=f"{day.month:02d}",
                                     year=day.year, dots=DOTS[:10])).italic = True
    for cell in (left, right):
        for p in cell.paragraphs:
            p.alignment = center

    para()
    para(tr("minutes.title"), bold=True, align=center)
    if data.kind == "chuyen_de":
        para(tr("minutes.title_thematic"), bold=True, align=center)
        para(tr("minutes.topic", topic=data.topic or DOTS), align=center)
    else:
        para(tr("minutes.title_regular", month=f"{day.month:02d}", year=day.year), bold=True, align=center)

    start = data.started_at.astimezone(tz) if data.started_at else None
    para(tr("minutes.time", hour=f"{start.hour:02d}", minute=f"{start.minute:02d}", date=fmt_date(start, tz)) if start
         else tr("minutes.time_unknown", dots=DOTS))
    para(tr("minutes.place", place=data.place or DOTS))
    para(tr("minutes.chair", dots=DOTS))
    para(tr("minutes.secretary", dots=DOTS))

    s = data.summary
    para(tr("minutes.attendance_title"), bold=True)
    exempt = len(s.exempt) + len(s.exempt_attended)  # every exempt member, whether they came or not
    para(tr("minutes.total", count=s.cell_size, exempt=exempt, expected=s.attendance.expected))
    para(tr("minutes.present", present=s.attendance.present, expected=s.attendance.expected,
            rate=fmt_rate(s.attendance.rate, s.attendance.target, lang), names=", ".join(s.present)))
    if s.exempt_attended:
        para(tr("minutes.exempt_attended", count=len(s.exempt_attended), names=", ".join(s.exempt_attended),
                in_room=s.attendance.present + len(s.exempt_attended)))
    if s.late:
        para(tr("minutes.late", count=len(s.late), names=", ".join(tr("minutes.late_item", name=n, minutes=m) for n, m in s.late)))
    para(tr("minutes.excused", count=len(s.excused),
            names="; ".join(tr("minutes.excused_item", name=n, reason=r) if r else n for n, r in s.excused))
         if s.excused else tr("minutes.excused_none"))
    para(tr("minutes.absent", count=len(s.absent), names=", ".join(s.absent)) if s.absent else tr("minutes.absent_none"))
    if s.exempt:
        para(tr("minutes.exempt", count=len(s.exempt), names=", ".join(s.exempt)))  # exempt, and did not come
    if s.guests:
        para(tr("minutes.guests", count=len(s.guests), names=", ".join(s.guests)))
    if data.dues is not None:
        para(tr("minutes.dues", month=f"{day.month:02d}/{day.year}", paid=data.dues.paid, owing=data.dues.owing,
                amount=fmt_amount(data.dues.amount)))

    if s.spoke is not None:  # who spoke (/phatbieu), counted as the summary and the assessment count it
        para(tr("spoke.minutes", spoke=s.spoke.spoke, present=s.spoke.present, names=", ".join(s.speakers)))

    if data.documents:
        para(tr("documents.minutes", count=data.documents))
    if data.comments:
        para(tr("comments.minutes", count=len(data.comments)))
        for name, comment in data.comments:
            para(tr("comments.item", name=name, text=comment))

    para(tr("minutes.content_title"), bold=True)
    for part, items in ORDER.items():
        para(tr(part), bold=True)
        for item in items:
            para(tr(item))
            para(DOTS * 2)
    para(tr("minutes.part_closing"), bold=True)
    para(tr("minutes.conclusion"))
    para(DOTS * 2)
    if s.votes:
        para(tr("vote.minutes_title"), bold=True)
        for number, vote in enumerate((v for v in s.votes if v.closed_at is not None), 1):
            para(votes.minutes_line(tr, number, vote))
    para(tr("minutes.tasks_title"))
    if data.tasks:
        table = doc.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, label in zip(table.rows[0].cells, (tr("minutes.col_no"), tr("minutes.col_member"), tr("minutes.col_task"), tr("minutes.col_due")),
                               strict=True):
            cell.paragraphs[0].add_run(label).bold = True
        for i, ((description, due), names) in enumerate(task_rows(data.tasks).items(), 1):
            row = table.add_row().cells
            everyone = len(names) > 1 and set(names) == set(s.present)
            row[0].text, row[2].text = str(i), description
            row[1].text = tr("task.many", count=len(names)) if everyone else ", ".join(names)
            row[3].text = due.strftime("%d/%m/%Y")
    else:
        para(tr("minutes.no_tasks"), italic=True)
        para(DOTS * 2)
    para(tr("minutes.resolution"))
    para(DOTS * 2)
    if s.quality_level and s.quality_score is not None:
        para(tr("minutes.quality", level=t(lang, f"quality.level.{s.quality_level}"), score=s.quality_score, dots=DOTS[:15]))
    else:
        para(tr("minutes.quality_unknown", dots=DOTS))
    para(tr("minutes.read_adopted", dots=DOTS))
    end = data.ended_at.astimezone(tz) if data.ended_at else None
    para(tr("minutes.ended", hour=f"{end.hour:02d}", minute=f"{end.minute:02d}", date=fmt_date(end, tz)) if end
         else tr("minutes.ended_unknown", dots=DOTS))

    para()
    signatures = doc.add_table(rows=1, cols=2)
    for cell, role in zip(signatures.rows[0].cells, (tr("minutes.sign_secretary"), tr("minutes.sign_chair")), strict=True):
        cell.paragraphs[0].add_run(role).bold = True
        cell.add_paragraph().add_run(tr("minutes.sign_hint")).italic = True
        for p in cell.paragraphs:
            p.alignment = center
    para()
    para(tr("minutes.draft_note"), italic=True)

    path.parent.mkdir(parents=True, exist_ok=True)
    written = path.with_name(path.name + ".part")
    doc.save(str(written))
    os.replace(written, path)
    return path
