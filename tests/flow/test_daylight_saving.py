"""Times that a daylight-saving change skips or repeats, in a zone that has one (CHIBO_TIMEZONE=Europe/Berlin or
America/New_York): /lichhop, /doilich, /batdau HH:MM and /ketthuc HH:MM refuse them with the reason and a time
to type instead, and store or announce nothing; chibo's default zone has no such times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.demo.scene import Scene
from rules import wall_clock_problem
from rules.wall_clock import FOLD, GAP
from storage.models import Meeting, OutboxMessage, Role
from tests.conftest import DB_KINDS

SECRETARY, MEMBER = "Nguyễn Văn An", "Trần Thị Bình"


@dataclass(frozen=True)
class Zone:
    name: str
    gap_day: date  # clocks go forward: gap_time does not exist
    gap_time: str
    fold_day: date  # clocks go back: fold_time happens twice
    fold_time: str
    before_fold: str  # a time on fold_day before the repeated hour
    after_fold: str  # a time on fold_day after it

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.name)


BERLIN = Zone("Europe/Berlin", date(2027, 3, 28), "02:30", date(2027, 10, 31), "02:30", "01:10", "03:15")
NEW_YORK = Zone("America/New_York", date(2027, 3, 14), "02:30", date(2027, 11, 7), "01:30", "00:40", "02:15")
ZONES = [pytest.param(BERLIN, id="Europe/Berlin"), pytest.param(NEW_YORK, id="America/New_York")]


def _hm(text: str) -> time:
    return time(int(text[:2]), int(text[3:]))


# --- the rule ---
@pytest.mark.parametrize("zone", ZONES)
def test_the_rule_names_the_gap_and_the_fold_and_nothing_else(zone: Zone):
    gap = wall_clock_problem(zone.gap_day, _hm(zone.gap_time), zone.tz)
    assert gap is not None and gap.kind == GAP and gap.suggestion == time(3, 0)
    fold = wall_clock_problem(zone.fold_day, _hm(zone.fold_time), zone.tz)
    assert fold is not None and fold.kind == FOLD
    assert wall_clock_problem(zone.fold_day, fold.suggestion, zone.tz) is None  # the suggestion is one moment
    for day, at in ((zone.fold_day, zone.before_fold), (zone.fold_day, zone.after_fold), (zone.gap_day, "19:30"),
                    (date(2027, 2, 28), zone.gap_time), (date(2028, 2, 29), "02:30"), (date(2027, 12, 31), "23:59")):
        assert wall_clock_problem(day, _hm(at), zone.tz) is None, (day, at)


def test_no_time_is_a_problem_in_ha_noi():
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    for day in (BERLIN.gap_day, BERLIN.fold_day, NEW_YORK.gap_day, NEW_YORK.fold_day):
        for minutes in range(0, 24 * 60, 15):
            assert wall_clock_problem(day, time(minutes // 60, minutes % 60), tz) is None


# --- the flows ---
async def _cell_in(scene: Scene, zone: Zone, now: datetime) -> None:
    scene.settings.timezone = zone.name
    scene.at(now)
    committee = await scene.add_committee("Đảng ủy thử giờ mùa hè")
    await scene.add_cell(committee, "Chi bộ số 1", [(SECRETARY, Role.BI_THU), (MEMBER, Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link(SECRETARY, MEMBER)


async def _count(scene: Scene, model) -> int:
    async with scene.sessions()() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def _meeting(scene: Scene) -> Meeting:
    async with scene.sessions()() as s:
        return await s.scalar(select(Meeting))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
@pytest.mark.parametrize("zone", ZONES)
async def test_scheduling_refuses_a_time_the_clock_change_skips_or_repeats(scene: Scene, zone: Zone):
    await _cell_in(scene, zone, datetime(2027, 3, 1, 10, 0, tzinfo=zone.tz))
    outbox = await _count(scene, OutboxMessage)
    gap_day = f"{zone.gap_day:%d/%m/%Y}"
    reply = await scene.say(SECRETARY, f"/lichhop {gap_day} {zone.gap_time} sáng Hội trường")
    assert f"Giờ {zone.gap_time} ngày {gap_day} không có theo giờ {zone.name}" in reply[0]
    assert f"/lichhop {gap_day} 03:00 sáng" in reply[0]  # what to type instead
    fold_day = f"{zone.fold_day:%d/%m/%Y}"
    reply = await scene.say(SECRETARY, f"/lichhop {fold_day} {zone.fold_time} sáng")
    assert f"Giờ {zone.fold_time} ngày {fold_day} có hai lần theo giờ {zone.name}" in reply[0]
    assert await _count(scene, Meeting) == 0 and await _count(scene, OutboxMessage) == outbox  # nothing announced
    # A time that exists is taken; moving it into the gap is refused and the meeting stays where it was.
    reply = await scene.say(SECRETARY, f"/lichhop {gap_day} 19:30")
    assert "Đã đặt lịch" in reply[0] and f"19:30 {gap_day}" in reply[0]
    outbox = await _count(scene, OutboxMessage)
    reply = await scene.say(SECRETARY, f"/doilich {gap_day} {zone.gap_time} sáng")
    assert "không có theo giờ" in reply[0] and f"/doilich {gap_day} 03:00 sáng" in reply[0]
    meeting = await _meeting(scene)
    assert meeting.scheduled_at == datetime(2027, zone.gap_day.month, zone.gap_day.day, 19, 30, tzinfo=zone.tz)
    assert await _count(scene, OutboxMessage) == outbox
    reply = await scene.say(SECRETARY, f"/doilich {gap_day} 03:30 sáng")
    assert "Đã đổi cuộc họp" in reply[0]


@pytest.mark.parametrize("zone", ZONES)
async def test_start_and_end_times_the_clock_change_spoils_are_asked_again(scene: Scene, zone: Zone):
    # The night the clocks go forward: a start typed in the skipped hour is refused.
    await _cell_in(scene, zone, datetime(2027, 3, 1, 10, 0, tzinfo=zone.tz))
    gap_day = f"{zone.gap_day:%d/%m/%Y}"
    await scene.say(SECRETARY, f"/lichhop {gap_day} 01:00 sáng")
    scene.at(datetime.combine(zone.gap_day, time(4, 0), tzinfo=zone.tz))
    await scene.settle()  # the "meeting not started" nudge, due 3 hours after 01:00, goes before the secretary types
    reply = await scene.say(SECRETARY, f"/batdau {zone.gap_time}")
    assert f"Giờ {zone.gap_time} ngày {gap_day} không có theo giờ {zone.name}" in reply[0]
    assert "/batdau 03:00" in reply[0]
    assert (await _meeting(scene)).started_at is None
    reply = await scene.say(SECRETARY, "/batdau 01:30")
    assert "Cuộc họp bắt đầu lúc 01:30" in reply[0]
    await scene.say(SECRETARY, "/ketthuc 03:45")
    # The night the clocks go back: an end typed in the repeated hour is asked again; the meeting stays open.
    fold_day = f"{zone.fold_day:%d/%m/%Y}"
    scene.at(datetime.combine(zone.fold_day, time(0, 0), tzinfo=zone.tz) - (zone.fold_day - date(2027, 10, 20)))
    await scene.say(SECRETARY, f"/lichhop {fold_day} {zone.before_fold} sáng")
    after = _hm(zone.after_fold)
    scene.at(datetime.combine(zone.fold_day, after, tzinfo=zone.tz).replace(minute=after.minute + 10))
    await scene.settle()
    reply = await scene.say(SECRETARY, f"/batdau {zone.before_fold}")
    assert f"lúc {zone.before_fold}" in reply[0]
    reply = await scene.say(SECRETARY, f"/ketthuc {zone.fold_time}")
    assert f"Giờ {zone.fold_time} ngày {fold_day} có hai lần theo giờ {zone.name}" in reply[0]
    async with scene.sessions()() as s:
        october = await s.scalar(select(Meeting).where(Meeting.started_at.is_not(None)).order_by(Meeting.id.desc()))
    assert october.ended_at is None
    reply = await scene.say(SECRETARY, f"/ketthuc {zone.after_fold}")
    assert "Cuộc họp bắt đầu" not in reply[0]
    async with scene.sessions()() as s:
        october = await s.get(Meeting, october.id)
    assert october.ended_at == datetime.combine(zone.fold_day, after, tzinfo=zone.tz)
