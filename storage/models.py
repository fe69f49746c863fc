"""The database schema as SQLAlchemy 2 typed models.

Every datetime is timezone-aware (UTC in the database, see ``UTCDateTime``); dates (``date``)
are calendar dates in the committee's zone.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import PlatformName, UTCDateTime


class Role(enum.StrEnum):
    BI_THU = "bi_thu"
    PHO_BI_THU = "pho_bi_thu"
    CHI_UY = "chi_uy"
    DANG_VIEN = "dang_vien"


LEADER_ROLES = frozenset({Role.BI_THU, Role.PHO_BI_THU})
# The cell committee (chi ủy) prepares each meeting: secretary, deputies and committee members (HD 12, HD 42).
COMMITTEE_ROLES = LEADER_ROLES | {Role.CHI_UY}


class MemberStatus(enum.StrEnum):
    CHINH_THUC = "chinh_thuc"
    DU_BI = "du_bi"


class MeetingKind(enum.StrEnum):
    THUONG_KY = "thuong_ky"
    CHUYEN_DE = "chuyen_de"


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"
    ABSENT = "absent"


class Platform(enum.StrEnum):
    """The names of the built-in platforms. A ``platform`` column holds any registered platform's name
    (see ``bot.platforms``): a plain string checked by ``PlatformName``, so a new platform needs no migration."""

    TELEGRAM = "telegram"
    ZALO = "zalo"


class InviteKind(enum.StrEnum):
    MEMBER = "member"
    COMMITTEE = "committee"
    GROUP = "group"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}  # noqa: RUF012 -- SQLAlchemy reads it off the class


class Committee(Base):
    __tablename__ = "committees"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The committee above (a district's city, a ward's district); None at the top. Its members see
    # everything below it, and its rules apply below unless a lower committee sets its own
    # (storage.committees).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("committees.id", ondelete="RESTRICT"), index=True)
    # Overrides of the default rules; NULL means "use chibo's default" (rules.RuleSet).
    min_regular_minutes: Mapped[int | None] = mapped_column(Integer)
    min_thematic_minutes: Mapped[int | None] = mapped_column(Integer)
    min_small_cell_minutes: Mapped[int | None] = mapped_column(Integer)
    small_cell_size: Mapped[int | None] = mapped_column(Integer)
    attendance_target: Mapped[float | None] = mapped_column(Float)
    late_after_minutes: Mapped[int | None] = mapped_column(Integer)
    # The committee's own weights of the quality criteria ({criterion: points}); NULL: chibo's defaults
    # (rules.quality). Provinces score meetings differently.
    quality_weights: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    unexcused_warn_at: Mapped[int | None] = mapped_column(Integer)
    excused_streak_over: Mapped[int | None] = mapped_column(Integer)
    year_good_share: Mapped[float | None] = mapped_column(Float)  # rules.yearly
    year_poor_missed_months: Mapped[int | None] = mapped_column(Integer)
    telegram_bot: Mapped[str | None] = mapped_column(String(40))  # the Telegram bot serving its cells (None: the default)
    created_at: Mapped[datetime]

    cells: Mapped[list[Cell]] = relationship(back_populates="committee")


class Cell(Base):
    __tablename__ = "cells"
    __table_args__ = (
        UniqueConstraint("committee_id", "name", name="uq_cell_name"),
        CheckConstraint("standing_day BETWEEN 1 AND 31", name="ck_standing_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    standing_day: Mapped[int | None] = mapped_column(Integer)
    standing_time: Mapped[time | None] = mapped_column(Time)
    standing_place: Mapped[str | None] = mapped_column(String(300))
    zalo_bot: Mapped[str | None] = mapped_column(String(40))  # the Zalo bot serving this cell (None: the default)
    telegram_bot: Mapped[str | None] = mapped_column(String(40))  # its own Telegram bot (None: the committee's)
    created_at: Mapped[datetime]

    committee: Mapped[Committee] = relationship(back_populates="cells")
    members: Mapped[list[Member]] = relationship(back_populates="cell")


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="RESTRICT"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "member_role"), default=Role.DANG_VIEN)
    status: Mapped[MemberStatus] = mapped_column(
        _enum(MemberStatus, "member_status"), default=MemberStatus.CHINH_THUC
    )
    phone: Mapped[str | None] = mapped_column(String(32))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    exempt_reason: Mapped[str | None] = mapped_column(String(500))
    exempt_since: Mapped[date | None] = mapped_column(Date)
    # Suspended from activities (đình chỉ sinh hoạt): not counted in a vote (QĐ 24-QĐ/TW 9.3.2, rules.votes).
    suspended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    active_from: Mapped[date] = mapped_column(Date)
    active_to: Mapped[date | None] = mapped_column(Date)
    # The channel chosen with /kenh; None: the one the person used last.
    preferred_platform: Mapped[str | None] = mapped_column(PlatformName())
    # Party dues: the monthly amount the cell set (VND; None: not set yet), and whether the secretary chose
    # this member to collect them (/thuphi).
    dues_amount: Mapped[int | None] = mapped_column(Integer)
    dues_collector: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]

    cell: Mapped[Cell] = relationship(back_populates="members")


class CommitteeMember(Base):
    """A person of the superior committee who receives the weekly picture."""

    __tablename__ = "committee_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="RESTRICT"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ChatLink(Base):
    """A chat account (one platform, one user id) linked to a member or a committee member."""

    __tablename__ = "chat_links"
    __table_args__ = (
        UniqueConstraint("platform", "platform_user_id", name="uq_chat_link_account"),
        CheckConstraint(
            "(member_id IS NULL) <> (committee_member_id IS NULL)", name="ck_chat_link_owner"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(PlatformName())
    platform_user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    committee_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("committee_members.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(String(200))
    bot_key: Mapped[str | None] = mapped_column(String(40))  # which bot of the platform the person talks to
    linked_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]
    blocked_at: Mapped[datetime | None]
    # What chibo asked this person and waits for (e.g. the reason of an absence); survives restarts.
    pending_action: Mapped[str | None] = mapped_column(String(40))
    pending_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    pending_text: Mapped[str | None] = mapped_column(String(500))  # what they already said (a reason) meanwhile


class GroupLink(Base):
    """A group chat linked to a cell: check-in buttons are posted there too."""

    __tablename__ = "group_links"
    __table_args__ = (UniqueConstraint("platform", "chat_id", name="uq_group_link_chat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(PlatformName())
    chat_id: Mapped[str] = mapped_column(String(64))
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    linked_at: Mapped[datetime]


class InviteCode(Base):
    """A single-use code that links a chat account (or a group) to its owner."""

    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[InviteKind] = mapped_column(_enum(InviteKind, "invite_kind"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    committee_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("committee_members.id", ondelete="CASCADE")
    )
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("cells.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (
        # One regular meeting per cell per calendar month, enforced by the database too.
        Index(
            "uq_regular_meeting_per_month",
            "cell_id",
            "period",
            unique=True,
            sqlite_where=text("kind = 'thuong_ky' AND cancelled_at IS NULL"),
            postgresql_where=text("kind = 'thuong_ky' AND cancelled_at IS NULL"),
        ),
        Index("ix_meetings_cell_scheduled", "cell_id", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="RESTRICT"))
    kind: Mapped[MeetingKind] = mapped_column(_enum(MeetingKind, "meeting_kind"))
    # A regular meeting held together with the quarter's thematic one (HD 42-HD/BTCTW, 2025): it counts
    # as both, and needs the thematic minimum.
    combined: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    period: Mapped[str] = mapped_column(String(7))  # "YYYY-MM" in the committee's zone
    scheduled_at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(String(300))
    topic: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime | None]
    start_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    # When /batdau was recorded (None before this column): a start typed back-dated is earlier; lateness
    # is measured from the later of the two (rules.late_from).
    opened_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_at: Mapped[datetime | None]
    auto_created: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    cell: Mapped[Cell] = relationship()


class Attendance(Base):
    """One member's answer and presence for one meeting."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id", name="uq_attendance_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    rsvp: Mapped[bool | None] = mapped_column(Boolean)  # True: will attend
    status: Mapped[AttendanceStatus | None] = mapped_column(_enum(AttendanceStatus, "attendance_status"))
    reason: Mapped[str | None] = mapped_column(String(500))
    checked_in_at: Mapped[datetime | None]
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]


class Task(Base):
    """A task from a meeting's resolution: one member, what to do, by when ("rõ người, rõ việc, rõ thời gian").

    It belongs to the meeting at which it was given (the cell's last meeting). ``due_on`` is a calendar
    date in the committee's zone; a task is done when ``done_at`` is set, on time when that falls on or
    before ``due_on``."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_member_open", "member_id", "done_at"),
        Index("ix_tasks_cell_due", "cell_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="RESTRICT"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[date] = mapped_column(Date)
    assigned_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(String(500))  # the member's short account of what was done
    overdue_reported_at: Mapped[datetime | None]  # the secretary was told it is overdue (once)


class DuesPayment(Base):
    """One month of a member's Party dues, paid: recorded by the secretary or a collector. ``month`` is the
    first day of the month paid for. A payment put right in the chat is changed or deleted, audited."""

    __tablename__ = "dues_payments"
    __table_args__ = (
        UniqueConstraint("member_id", "month", name="uq_dues_member_month"),
        Index("ix_dues_cell_month", "cell_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="RESTRICT"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Integer)  # VND
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime]


class MeetingGuest(Base):
    """A committee member who attended a cell's meeting (đại biểu cấp trên); not counted in the rate."""

    __tablename__ = "meeting_guests"
    __table_args__ = (UniqueConstraint("meeting_id", "committee_member_id", name="uq_meeting_guest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    committee_member_id: Mapped[int] = mapped_column(ForeignKey("committee_members.id", ondelete="CASCADE"))
    checked_in_at: Mapped[datetime]


class CellFollower(Base):
    """A committee member who follows a cell (phụ trách): gets its meeting notices and summaries."""

    __tablename__ = "cell_followers"
    __table_args__ = (UniqueConstraint("cell_id", "committee_member_id", name="uq_cell_follower"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="CASCADE"))
    committee_member_id: Mapped[int] = mapped_column(
        ForeignKey("committee_members.id", ondelete="CASCADE"), index=True
    )
    since: Mapped[datetime]


class MeetingAssessment(Base):
    """The proposed quality level of one meeting: the secretary's answers to the questions chibo asks
    after /ketthuc, and, once they are all answered, the score and level proposed (rules.quality).
    The cell decides its level and the committee above approves it: chibo only proposes."""

    __tablename__ = "meeting_assessments"
    __table_args__ = (UniqueConstraint("meeting_id", name="uq_meeting_assessment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {criterion: answer}
    asked_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    score: Mapped[int | None] = mapped_column(Integer)  # out of 100, once complete
    level: Mapped[str | None] = mapped_column(String(20))  # rules.quality.Level, once complete
    created_at: Mapped[datetime]
    skipped_at: Mapped[datetime | None]  # the secretary chose to answer later
    completed_at: Mapped[datetime | None]


class CellYearRating(Base):
    """One decision on a cell's yearly level (HD 12: the committee above rates each cell once a year): the
    level set, the one it replaced and the one chibo proposed (rules.yearly), who and why. The cell's level
    for the year is its latest row; the rows are the audit."""

    __tablename__ = "cell_year_ratings"
    __table_args__ = (Index("ix_cell_year_ratings_cell_year", "cell_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cells.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))  # rules.quality.Level
    previous_level: Mapped[str | None] = mapped_column(String(20))
    proposed_level: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))  # "committee_member:3", "operator"
    committee_member_id: Mapped[int | None] = mapped_column(ForeignKey("committee_members.id", ondelete="SET NULL"))
    at: Mapped[datetime]


class MeetingSpeaker(Base):
    """A member who spoke at a meeting, as the secretary or a deputy recorded it (/phatbieu): HD 12's "many
    members speak" is judged from these rows (rules.quality.Spoke) once there is one."""

    __tablename__ = "meeting_speakers"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id", name="uq_meeting_speaker"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime]


class MeetingDocument(Base):
    """A document for a meeting (/tailieu): the draft resolution or other papers, sent to the members with the
    next reminder (``released_at``: from then on, to anyone who links later too)."""

    __tablename__ = "meeting_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(3500))
    added_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    added_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    # A file sent with /tailieu in its caption: the platform's reference (chibo keeps no copy), sent on by it.
    platform: Mapped[str | None] = mapped_column(String(20))
    file_id: Mapped[str | None] = mapped_column(String(300))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_kind: Mapped[str | None] = mapped_column(String(10))  # "document" | "photo"
    file_copy: Mapped[str | None] = mapped_column(String(100))  # its copy in the reports folder (signed link on Zalo)


class MeetingComment(Base):
    """A member's comment on a meeting's documents before it (/gopy). ``digest_stamp``: the digest to the
    leaders that carries it (one message for the comments of a few hours, not one each)."""

    __tablename__ = "meeting_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    digest_stamp: Mapped[int] = mapped_column(Integer)


class OutboxMessage(Base):
    """A message to send; the dispatcher delivers due rows once each (``key`` is unique)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "sent_at", "failed_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(PlatformName())
    chat_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]]
    priority: Mapped[int] = mapped_column(Integer, default=5)  # lower is more important
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    dropped_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class PlannedMessage(Base):
    """A message planned for a meeting at a time (a reminder at one offset, the preparation nudge, the
    "meeting still open" nudge), addressed only when it falls due: to the roster as it is then.

    ``stamp`` is the meeting's scheduled time (epoch seconds) the plan was made for, so a moved meeting
    gets a plan of its own. ``done_at`` is set, in the same transaction that queues the outbox rows,
    when the plan was carried out (or found moot): a restart neither loses nor repeats it."""

    __tablename__ = "planned_messages"
    __table_args__ = (
        UniqueConstraint("meeting_id", "kind", "stamp", "offset_seconds", name="uq_planned_message"),
        Index("ix_planned_due", "done_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # "reminder", "prep_nudge", "open_nudge"
    stamp: Mapped[int] = mapped_column(Integer)
    offset_seconds: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class InboxUpdate(Base):
    """An update kept before the platform is told it was delivered, handled from here exactly once
    (after a crash too). ``chat_key`` orders each chat's updates; ``payload`` is the raw update."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "update_key", name="uq_inbox_update"),
        Index("ix_inbox_pending", "handled_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(PlatformName())
    bot_key: Mapped[str | None] = mapped_column(String(64))
    update_key: Mapped[str] = mapped_column(String(128))
    chat_key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The answers, written with the handling: one a crash kept from going is sent after the restart.
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    replied_at: Mapped[datetime | None]


class CodeGuesses(Base):
    """Failed invite-code guesses of one account on one platform, and the lockout they earned."""

    __tablename__ = "code_guesses"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id", name="uq_code_guesses"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(PlatformName())
    platform_user_id: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))  # "member:12", "committee_member:3", "operator"
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime]


class JobRun(Base):
    """A periodic job done once for a key (e.g. a committee's week), whatever restarts or processes."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "key", name="uq_job_run"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime]


class ChatChoice(Base):
    """The numbered choices last offered in a chat that has no buttons (Zalo): "1" means the first."""

    __tablename__ = "chat_choices"
    __table_args__ = (UniqueConstraint("platform", "chat_id", name="uq_chat_choice"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(PlatformName())
    chat_id: Mapped[str] = mapped_column(String(64))
    choices: Mapped[list[str]] = mapped_column(JSON)  # button data, in the order offered
    offered_at: Mapped[datetime]


class PlatformUsage(Base):
    """Messages sent per bot per month, for platforms with a monthly quota (Zalo)."""

    __tablename__ = "platform_usage"
    __table_args__ = (UniqueConstraint("bot_key", "month", name="uq_platform_usage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bot_key: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    sent: Mapped[int] = mapped_column(Integer, default=0)


class Vote(Base):
    """An open vote (biểu quyết) on a motion during a meeting; its counts are kept when it is closed
    (rules.votes), so the summary, the minutes and the reports read the result as it was declared."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    opened_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    approve: Mapped[int | None] = mapped_column(Integer)
    against: Mapped[int | None] = mapped_column(Integer)
    not_voted: Mapped[int | None] = mapped_column(Integer)
    counted: Mapped[int | None] = mapped_column(Integer)  # the denominator N
    adopted: Mapped[bool | None] = mapped_column(Boolean)


class Ballot(Base):
    """One member's vote; changed in place until the vote is closed."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("vote_id", "member_id", name="uq_ballot_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    approve: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]


class MeetingResult(Base):
    """An ended meeting's attendance as the summaries read it, kept so that they need not count every
    attendance row of the year each time: the member ids of each status, as text ("12,15,31"; None when
    nobody). Kept and dropped by ``storage.results`` alone: any change to the meeting or its attendance
    drops it (in the same transaction), and it is computed again when next read. No rule is applied here."""

    __tablename__ = "meeting_results"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    present: Mapped[str | None] = mapped_column(Text)
    late: Mapped[str | None] = mapped_column(Text)
    excused: Mapped[str | None] = mapped_column(Text)
    absent: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime]
