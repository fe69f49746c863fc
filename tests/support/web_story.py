"""A committee with a few months of records, for the web view's tests (HTTP and browser).

The bot runs for real (linking, /baocao); the meetings of past months are written straight into the
database, as the bot would have left them, so the pages have history to show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.demo.scene import Scene
from bot.runtime.http_server import HttpServer
from core.weblinks import web_token
from storage.models import (
    Attendance,
    AttendanceStatus,
    ChatLink,
    Meeting,
    MeetingAssessment,
    MeetingGuest,
    MeetingKind,
    Platform,
    Role,
    Task,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 12, 9, 0, tzinfo=VN)

COMMITTEE, SECRETARY, DEPUTY, CHI_UY, MEMBER, TRUANT = (
    "Trần Văn Cấp", "Nguyễn Văn An", "Trần Thị Bình", "Mai Văn Minh", "Lê Văn Cường", "Đỗ Văn Hải")
SECRETARY_2, SECRETARY_3, OTHER_COMMITTEE = "Phan Văn Phúc", "Đinh Văn Xuân", "Hồ Văn Khác"
GUEST_2 = "Lưu Thị Giám"  # a second member of the committee, who came to cell 1 in November
CELL_1 = [(SECRETARY, Role.BI_THU), (DEPUTY, Role.PHO_BI_THU), (CHI_UY, Role.CHI_UY), (MEMBER, Role.DANG_VIEN),
          (TRUANT, Role.DANG_VIEN), ("Bùi Thị Hoa", Role.DANG_VIEN), ("Ngô Văn Khánh", Role.DANG_VIEN),
          ("Đặng Thị Lan", Role.DANG_VIEN), ("Tạ Thị Ngọc", Role.DANG_VIEN), ("Hoàng Văn Em", Role.DANG_VIEN)]
CELL_2 = [(SECRETARY_2, Role.BI_THU), ("Quách Thị Quỳnh", Role.DANG_VIEN), ("Lý Văn Sơn", Role.DANG_VIEN),
          ("Kiều Thị Tâm", Role.DANG_VIEN)]
CELL_3 = [(SECRETARY_3, Role.BI_THU), ("Cao Thị Yến", Role.DANG_VIEN)]
EXEMPT = "Hoàng Văn Em"


@dataclass
class Story:
    scene: Scene
    http: HttpServer
    committee_id: int
    cells: dict[str, int]
    meetings: dict[str, int] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.http.port}"

    async def link_id(self, name: str) -> int:
        async with self.scene.sessions()() as s:
            from sqlalchemy import select
            return await s.scalar(select(ChatLink.id).where(ChatLink.platform == Platform.TELEGRAM,
                                                             ChatLink.platform_user_id == str(self.scene.who(name).user_id)))

    async def base(self, name: str) -> str:
        """The signed web view address of a person, as /baocao would give it."""
        return f"/web/{web_token(self.scene.settings, await self.link_id(name), self.scene.clock.now())}"


async def _meeting(scene: Scene, cell_id: int, kind: MeetingKind, start: datetime, minutes: int | None,
                   statuses: dict[str, AttendanceStatus]) -> int:
    async with scene.sessions()() as s, s.begin():
        mt = Meeting(cell_id=cell_id, kind=kind, period=f"{start.year}-{start.month:02d}", scheduled_at=start,
                     started_at=start if minutes is not None else None,
                     ended_at=start + timedelta(minutes=minutes) if minutes is not None else None,
                     created_at=start - timedelta(days=5))
        s.add(mt)
        await s.flush()
        for name, status in statuses.items():
            s.add(Attendance(meeting_id=mt.id, member_id=scene.who(name).member_id, status=status,
                             reason="ốm" if status == AttendanceStatus.EXCUSED else None,
                             checked_in_at=start + timedelta(minutes=3) if status in (
                                 AttendanceStatus.PRESENT, AttendanceStatus.LATE) else None,
                             updated_at=start))
        return mt.id


def _all(names: list[tuple[str, Role]], **special: AttendanceStatus) -> dict[str, AttendanceStatus]:
    out = {n: AttendanceStatus.PRESENT for n, _ in names if n != EXEMPT}
    out.update({k.replace("_", " "): v for k, v in special.items()})
    return out


async def build(scene: Scene) -> Story:
    A, E, L = AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED, AttendanceStatus.LATE
    scene.at(datetime(2026, 9, 1, 8, 0, tzinfo=VN))
    committee = await scene.add_committee("Đảng ủy phường Thử Nghiệm")
    cells = {
        "1": await scene.add_cell(committee, "Chi bộ khu dân cư số 1", CELL_1, exempt={EXEMPT}, active_from=date(2020, 1, 1)),
        "2": await scene.add_cell(committee, "Chi bộ khu dân cư số 2", CELL_2, active_from=date(2020, 1, 1)),
    }
    other = await scene.add_committee("Đảng ủy phường Khác")
    cells["3"] = await scene.add_cell(other, "Chi bộ khác số 3", CELL_3, active_from=date(2020, 1, 1))
    await scene.add_committee_member(committee, COMMITTEE)
    await scene.add_committee_member(other, OTHER_COMMITTEE)
    await scene.add_committee_member(committee, GUEST_2)
    await scene.start_bot()
    await scene.link(*[n for n, _ in CELL_1 + CELL_2 + CELL_3], COMMITTEE, OTHER_COMMITTEE)
    story = Story(scene=scene, http=HttpServer(scene.runtime.services, listen="127.0.0.1", port=0),
                  committee_id=committee, cells=cells)
    m = story.meetings
    m["1-10"] = await _meeting(scene, cells["1"], MeetingKind.THUONG_KY, datetime(2026, 10, 5, 19, 30, tzinfo=VN), 95,
                               {**_all(CELL_1), TRUANT: A})
    m["1-11"] = await _meeting(scene, cells["1"], MeetingKind.THUONG_KY, datetime(2026, 11, 5, 19, 30, tzinfo=VN), 100,
                               {**_all(CELL_1), TRUANT: A, "Bùi Thị Hoa": E})
    m["1-th"] = await _meeting(scene, cells["1"], MeetingKind.CHUYEN_DE, datetime(2026, 11, 20, 19, 0, tzinfo=VN), 125,
                               _all(CELL_1))
    m["1-12"] = await _meeting(scene, cells["1"], MeetingKind.THUONG_KY, datetime(2026, 12, 5, 19, 30, tzinfo=VN), 75,
                               {**_all(CELL_1), "Ngô Văn Khánh": L, "Đặng Thị Lan": E, "Tạ Thị Ngọc": E})
    m["2-11"] = await _meeting(scene, cells["2"], MeetingKind.THUONG_KY, datetime(2026, 11, 6, 19, 30, tzinfo=VN), 65,
                               _all(CELL_2))
    m["3-12"] = await _meeting(scene, cells["3"], MeetingKind.THUONG_KY, datetime(2026, 12, 4, 19, 30, tzinfo=VN), 70,
                               _all(CELL_3))
    async with scene.sessions()() as s, s.begin():
        for who, what, due, done in ((TRUANT, "Vận động hộ gia đình đóng quỹ khuyến học", date(2026, 12, 10), None),
                                     (MEMBER, "Báo cáo tình hình an ninh tổ 3", date(2026, 12, 20), None),
                                     (DEPUTY, "Chuẩn bị hội nghị tổng kết", date(2026, 12, 8),
                                      datetime(2026, 12, 7, 10, 0, tzinfo=VN))):
            s.add(Task(meeting_id=m["1-12"], cell_id=cells["1"], member_id=scene.who(who).member_id, description=what,
                       due_on=due, assigned_at=datetime(2026, 12, 5, 21, 0, tzinfo=VN), done_at=done))
    async with scene.sessions()() as s, s.begin():
        # The committee's guests: cell 1 in October, then in November (the last); cell 3 (another committee)
        # in December; cell 2 never.
        for key, who, at in (("1-10", COMMITTEE, datetime(2026, 10, 5, 19, 35, tzinfo=VN)),
                             ("1-11", GUEST_2, datetime(2026, 11, 5, 19, 40, tzinfo=VN)),
                             ("3-12", OTHER_COMMITTEE, datetime(2026, 12, 4, 19, 35, tzinfo=VN))):
            s.add(MeetingGuest(meeting_id=m[key], committee_member_id=scene.who(who).committee_member_id,
                               checked_in_at=at))
        # Quality: November and December assessed (levels proposed), October's left half-answered.
        for key, level, score, answers in (("1-11", "tot", 92, {"committee_met": "yes"}),
                                           ("1-12", "kha", 78, {"committee_met": "yes"}),
                                           ("1-10", None, None, {"committee_met": "no"})):
            ended = datetime(2026, int(key[2:]), 6, 8, 0, tzinfo=VN)
            s.add(MeetingAssessment(meeting_id=m[key], cell_id=cells["1"], answers=answers, score=score, level=level,
                                    created_at=ended, completed_at=ended if level else None))
    scene.at(NOW)
    await story.http.start()
    scene.settings.public_url = story.root
    return story
