"""A real month: people arrive, leave and change after a meeting was scheduled; late reasons; times
typed after midnight; meetings left open; the committee's preparation nudge. Through the real bot."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.demo.scene import Person, Scene
from storage import invites
from storage.models import Attendance, AttendanceStatus, AuditLog, InviteKind, Meeting, Member, OutboxMessage, Role
from tests.conftest import DB_KINDS, linked_cell, vn

SEC, DEP, CU = "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi Ủy"
A, B, C, LATECOMER = "Phạm Văn Một", "Hoàng Thị Hai", "Đỗ Văn Ba", "Vũ Thị Mới"
ROSTER = [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU), (CU, Role.CHI_UY), (A, Role.DANG_VIEN), (B, Role.DANG_VIEN),
          (C, Role.DANG_VIEN), (LATECOMER, Role.DANG_VIEN)]


async def cell(scene: Scene, *, link_all: bool = True) -> int:
    return await linked_cell(scene, ROSTER, committee="Đảng ủy phường", name="Chi bộ số 1",
                             link=[n for n, _ in ROSTER if link_all or n != LATECOMER])


def texts(scene: Scene, name: str, prefix: str = "") -> list[str]:
    return [t for t in scene.server.texts(scene.who(name).chat_id) if t.startswith(prefix)]


def reminders(scene: Scene, name: str) -> list[dict]:
    return [m for m in scene.inbox(name) if (m.get("text") or "").startswith("🔔")]


async def tick(scene: Scene, when: datetime) -> None:
    scene.at(when)
    await scene.settle()


async def update_member(scene: Scene, name: str, **values) -> None:
    """What the operator's CLI does to a member (leaves the cell, becomes exempt, is exempt no more)."""
    async with scene.sessions()() as s, s.begin():
        member = await s.get(Member, scene.who(name).member_id)
        for key, value in values.items():
            setattr(member, key, value)


async def import_member(scene: Scene, cell_id: int, name: str) -> None:
    """What ``chibo members import`` writes for one new member, and the invite code the secretary hands out."""
    async with scene.sessions()() as s, s.begin():
        member = Member(cell_id=cell_id, full_name=name, role=Role.DANG_VIEN, active_from=scene.clock.now().date(),
                        created_at=scene.clock.now())
        s.add(member)
        await s.flush()
        invite = await invites.issue(s, InviteKind.MEMBER, scene.clock.now(), member_id=member.id)
    scene._next_user += 1
    scene.people[name] = Person(name, scene._next_user, member_id=member.id, code=invite.code)


# --- people who arrive, leave or change after /lichhop ------------------------------------------------
@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_reminders_follow_the_roster_as_it_is_when_they_fall_due(scene: Scene):
    cell_id = await cell(scene, link_all=False)
    await update_member(scene, C, exempt=True, exempt_reason="sức khỏe", exempt_since=date(2026, 11, 1))
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    await tick(scene, vn(2026, 12, 2, 19, 30))  # the 3-day reminder
    assert len(reminders(scene, A)) == 1 and reminders(scene, C) == []

    # A newcomer links after the meeting was scheduled: the notice at once, then the reminders to come.
    await scene.link(LATECOMER)
    notices = texts(scene, LATECOMER, "📅 Thông báo")
    assert len(notices) == 1 and "19:30 05/12/2026" in notices[0] and "Nhà văn hóa" in notices[0]
    assert [b["text"] for b in scene.last_with_button(LATECOMER, "rsvp:")["reply_markup"]["inline_keyboard"][0]] \
        == ["Tham dự", "Xin vắng"]
    # A leaves the cell, B becomes exempt, C's exemption is lifted: from today, not from /lichhop.
    await update_member(scene, A, active_to=date(2026, 12, 3))
    await update_member(scene, B, exempt=True, exempt_reason="tuổi cao", exempt_since=date(2026, 12, 3))
    await update_member(scene, C, exempt=False, exempt_reason=None, exempt_since=None)

    await scene.stop_bot()  # a restart between two reminders loses none and repeats none
    scene.at(vn(2026, 12, 4, 19, 45))  # the 1-day reminder fell due while chibo was down
    await scene.start_bot()
    await scene.settle()
    await scene.stop_bot()
    await scene.start_bot()
    await tick(scene, vn(2026, 12, 5, 17, 30))  # the 2-hour reminder
    assert len(reminders(scene, A)) == 1  # left on 3 December
    assert len(reminders(scene, B)) == 1  # exempt since 3 December
    assert len(reminders(scene, C)) == 2  # exempt no more
    assert len(reminders(scene, LATECOMER)) == 2 and len(texts(scene, LATECOMER, "📅")) == 1
    assert len(reminders(scene, DEP)) == 3 and reminders(scene, SEC) == []  # not who scheduled it
    async with scene.sessions()() as s:
        keys = list(await s.scalars(select(OutboxMessage.key).where(OutboxMessage.kind == "reminder")))
    assert len(keys) == len(set(keys)) == 1 + 1 + 2 + 2 + 3 + 3  # A, B, C, newcomer, deputy, committee member

    # Someone imported today links during the meeting: the check-in button at once.
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    await import_member(scene, cell_id, "Ngô Văn Nhập")
    await scene.link("Ngô Văn Nhập")
    assert scene.last_with_button("Ngô Văn Nhập", "checkin:")
    assert texts(scene, "Ngô Văn Nhập", "📅") == [] and len(texts(scene, "Ngô Văn Nhập", "▶️")) == 1
    assert "Đã điểm danh" in (await scene.say("Ngô Văn Nhập", "/diemdanh"))[0]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_after_tham_du_reminders_say_so_and_offer_only_xin_vang(scene: Scene):
    await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    notice = scene.last_with_button(A, "rsvp:yes")
    await scene.press(A, notice, next(b["callback_data"] for b in notice["reply_markup"]["inline_keyboard"][0]
                                      if b["callback_data"].startswith("rsvp:yes")))
    await tick(scene, vn(2026, 12, 2, 19, 30))
    mine, other = reminders(scene, A)[-1], reminders(scene, B)[-1]
    assert "đã xác nhận tham dự" in mine["text"] and "vui lòng xác nhận" not in mine["text"]
    assert [b["text"] for b in mine["reply_markup"]["inline_keyboard"][0]] == ["Xin vắng"]
    assert [b["text"] for b in other["reply_markup"]["inline_keyboard"][0]] == ["Tham dự", "Xin vắng"]
    # Xin vắng from the reminder still works, and no reminder follows.
    await scene.press(A, mine, mine["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await scene.say(A, "Về quê")
    await tick(scene, vn(2026, 12, 4, 19, 30))
    assert len(reminders(scene, A)) == 1 and len(reminders(scene, B)) == 2


async def test_a_confirmed_member_on_zalo_is_offered_only_xin_vang_as_1(zalo_scene: Scene):
    scene = zalo_scene
    if True:
        committee = await scene.add_committee("Đảng ủy")
        await scene.add_cell(committee, "Chi bộ Zalo", [(SEC, Role.BI_THU), (A, Role.DANG_VIEN)])
        await scene.start_bot()
        await scene.link_zalo(SEC, A)
        await scene.say_zalo(SEC, "lich hop 2026-12-05 19:30")
        assert "1 – Tham dự" in scene.zalo_texts(A)[-1]
        await scene.say_zalo(A, "1")
        await tick(scene, vn(2026, 12, 2, 19, 30))
        last = scene.zalo_texts(A)[-1]
        assert last.startswith("🔔") and "đã xác nhận tham dự" in last and "Trả lời bằng số: 1 – Xin vắng." in last
        await scene.say_zalo(A, "1")
        assert "lý do" in scene.zalo_texts(A)[-1]


# --- /vang after a meeting ended, with one ahead -----------------------------------------------------------
async def hold_meeting(scene: Scene, day: int, present: list[str]) -> None:
    scene.at(vn(2026, 12, day, 19, 30))
    await scene.say(SEC, "/batdau")
    for name in present:
        await scene.say(name, "/diemdanh")
    scene.at(vn(2026, 12, day, 21, 15))
    await scene.say(SEC, "/ketthuc")


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_vang_after_a_meeting_with_one_ahead_asks_which(scene: Scene):
    cell_id = await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-03 19:30")
    await hold_meeting(scene, 3, [DEP, CU, C, LATECOMER])
    await tick(scene, vn(2026, 12, 4, 9, 0))  # what falls due by then (the quality nudge) first, not as a reply below
    await scene.say(SEC, "/lichhop 2026-12-17 19:30 chuyende")

    # A sends the reason the morning after: which meeting is it for?
    reply = await scene.say(A, "/vang Ốm, nằm viện")
    assert "xin vắng cuộc họp nào" in reply[0] and "19:30 03/12/2026" in reply[0] and "19:30 17/12/2026" in reply[0]
    question = scene.last_with_button(A, "absent:")
    labels = [row[0]["text"] for row in question["reply_markup"]["inline_keyboard"]]
    assert labels == ["Xin vắng cuộc họp vừa qua", "Xin vắng cuộc họp tới"]
    await scene.press(A, question, question["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert "vắng có lý do ở cuộc họp 19:30 03/12/2026" in scene.last_text(A) and "Ốm, nằm viện" in scene.last_text(A)
    assert any("Phạm Văn Một gửi lý do vắng cuộc họp 19:30 03/12/2026 (sau khi họp)" in t for t in texts(scene, SEC))
    # B has no reason given yet: picks the next meeting, then is asked for the reason.
    await scene.say(B, "/vang")
    question = scene.last_with_button(B, "absent:")
    await scene.press(B, question, question["reply_markup"]["inline_keyboard"][1][0]["callback_data"])
    assert "lý do xin vắng cuộc họp 19:30 17/12/2026" in scene.last_text(B)
    await scene.say(B, "Đi công tác")
    # Someone who attended is not asked: /vang goes to the next meeting.
    assert "Đã ghi nhận đồng chí xin vắng cuộc họp 19:30 17/12/2026" in (await scene.say(C, "/vang Bận việc nhà"))[0]
    # The pressed button is not good twice, and not for someone who was present.
    stale = await scene.press(C, question, question["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert "không còn dùng được" in stale["text"]

    async with scene.sessions()() as s:
        rows = {(r.meeting_id, r.member_id): r for r in await s.scalars(select(Attendance))}
        first, second = (await s.scalars(select(Meeting).where(Meeting.cell_id == cell_id).order_by(Meeting.id))).all()
        assert rows[first.id, scene.who(A).member_id].status is AttendanceStatus.EXCUSED
        assert rows[first.id, scene.who(A).member_id].reason == "Ốm, nằm viện"
        assert rows[first.id, scene.who(B).member_id].status is AttendanceStatus.ABSENT
        assert rows[second.id, scene.who(B).member_id].reason == "Đi công tác"
        assert rows[first.id, scene.who(C).member_id].status is AttendanceStatus.PRESENT
        assert await s.scalar(select(AuditLog).where(AuditLog.action == "excuse_after")) is not None
    summary = (await scene.say(SEC, "/baocao"))[0]
    assert f"{A} – Ốm, nằm viện" in summary

    # A week later the meeting just held is no longer offered.
    scene.at(vn(2026, 12, 11, 9, 0))
    assert "Đã ghi nhận đồng chí xin vắng cuộc họp 19:30 17/12/2026" in (await scene.say(LATECOMER, "/vang Ốm"))[0]


async def test_on_zalo_the_choice_is_a_number(zalo_scene: Scene):
    scene = zalo_scene
    if True:
        committee = await scene.add_committee("Đảng ủy")
        await scene.add_cell(committee, "Chi bộ Zalo", [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU), (A, Role.DANG_VIEN)])
        await scene.start_bot()
        await scene.link_zalo(SEC, DEP, A)
        await scene.say_zalo(SEC, "lich hop 2026-12-03 19:30")
        scene.at(vn(2026, 12, 3, 19, 30))
        await scene.say_zalo(SEC, "bat dau")
        await scene.say_zalo(DEP, "diem danh")
        scene.at(vn(2026, 12, 3, 21, 15))
        await scene.say_zalo(SEC, "ket thuc")
        await scene.say_zalo(SEC, "lich hop 2026-12-20 19:30 chuyende")
        reply = await scene.say_zalo(A, "xin vắng ốm")
        assert "Trả lời bằng số: 1 – Xin vắng cuộc họp vừa qua; 2 – Xin vắng cuộc họp tới." in reply[0]
        reply = await scene.say_zalo(A, "1")
        assert "vắng có lý do ở cuộc họp 19:30 03/12/2026, lý do: ốm" in reply[0]


# --- time --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_times_typed_after_midnight_mean_the_evening_before(scene: Scene):
    cell_id = await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 23:30 Nhà văn hóa")
    scene.at(vn(2026, 12, 6, 0, 20))  # the secretary starts late and types the time it really began
    reply = await scene.say(SEC, "/batdau 23:40")
    assert "bắt đầu lúc 23:40 (nhập tay)" in reply[0]
    await scene.say(A, "/diemdanh")
    scene.at(vn(2026, 12, 6, 1, 50))
    assert "chưa tới" in (await scene.say(SEC, "/ketthuc 02:30"))[0]
    assert "sớm hơn giờ bắt đầu" in (await scene.say(SEC, "/ketthuc 23:00"))[0]
    summary = (await scene.say(SEC, "/ketthuc 01:30"))[0]
    assert "110 phút" in summary
    async with scene.sessions()() as s:
        meeting = await s.scalar(select(Meeting).where(Meeting.cell_id == cell_id))
        assert meeting.started_at == vn(2026, 12, 5, 23, 40) and meeting.ended_at == vn(2026, 12, 6, 1, 30)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_ketthuc_2340_typed_at_0020_and_a_forgotten_meeting_is_nudged_never_ended_by_chibo(scene: Scene):
    cell_id = await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    await tick(scene, vn(2026, 12, 5, 22, 29))
    assert texts(scene, SEC, "⏰") == []
    await tick(scene, vn(2026, 12, 5, 22, 30))  # 3 hours after the start: once, to the secretary and deputy
    assert len(texts(scene, SEC, "⏰")) == 1 and "19:30" in texts(scene, SEC, "⏰")[0]
    assert len(texts(scene, DEP, "⏰")) == 1 and texts(scene, A, "⏰") == []
    await tick(scene, vn(2026, 12, 5, 23, 30))
    await scene.stop_bot()
    scene.at(vn(2026, 12, 6, 7, 5))  # down overnight: the morning nudge still comes, once
    await scene.start_bot()
    await scene.settle()
    assert len(texts(scene, SEC, "⏰")) == 2 and "chưa được kết thúc" in texts(scene, SEC, "⏰")[1]
    # Without a time, the next morning, the duration would be 11½ hours: refused, nothing invented.
    reply = (await scene.say(SEC, "/ketthuc"))[0]
    assert "11 giờ 35 phút" in reply and "dài hơn 6 giờ" in reply and "/ketthuc 21:30" in reply
    assert "dài hơn 6 giờ" in (await scene.say(SEC, "/ketthuc 06:00"))[0]
    async with scene.sessions()() as s:
        assert (await s.scalar(select(Meeting).where(Meeting.cell_id == cell_id))).ended_at is None
    summary = (await scene.say(SEC, "/ketthuc 23:40"))[0]  # the real end, the evening before
    assert "250 phút" in summary
    async with scene.sessions()() as s:
        meeting = await s.scalar(select(Meeting).where(Meeting.cell_id == cell_id))
        assert meeting.ended_at == vn(2026, 12, 5, 23, 40) and meeting.end_manual
    await tick(scene, vn(2026, 12, 7, 8, 0))
    assert len(texts(scene, SEC, "⏰")) == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_bound_is_a_setting_and_the_3_hour_nudge_keeps_out_of_quiet_hours(scene: Scene):
    scene.settings.max_meeting_hours = 3
    scene.settings.quiet_hours = "22:00-06:00"
    scene.settings.__dict__.pop("quiet", None)
    await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    await tick(scene, vn(2026, 12, 5, 22, 45))
    assert texts(scene, SEC, "⏰") == []  # 22:30 is in the quiet hours
    assert "dài hơn 3 giờ" in (await scene.say(SEC, "/ketthuc 22:40"))[0]
    await tick(scene, vn(2026, 12, 6, 7, 0))
    assert len(texts(scene, SEC, "⏰")) == 1
    assert "180 phút" in (await scene.say(SEC, "/ketthuc 22:30"))[0]


# --- the preparation nudge --------------------------------------------------------------------------------
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_cell_committee_is_nudged_to_prepare_even_at_short_notice(scene: Scene):
    scene.settings.quiet_hours = "22:00-06:00"
    scene.settings.__dict__.pop("quiet", None)
    await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-20 19:30")  # 19 days ahead: 7 days before
    await tick(scene, vn(2026, 12, 13, 19, 29))
    assert texts(scene, CU, "🗂") == []
    await tick(scene, vn(2026, 12, 13, 19, 30))
    for name in (SEC, DEP, CU):
        assert len(texts(scene, name, "🗂")) == 1, name
    assert "Còn 7 ngày đến cuộc họp sinh hoạt thường kỳ lúc 19:30 20/12/2026" in texts(scene, CU, "🗂")[0]
    assert texts(scene, A, "🗂") == []

    # Scheduled 3 days ahead: at once.
    scene.at(vn(2026, 12, 1, 9, 0))
    await scene.say(SEC, "/lichhop 2026-12-04 19:30 chuyende")
    await scene.settle()
    assert any("Còn 3 ngày" in t for t in texts(scene, CU, "🗂"))
    # Scheduled at 23:00, two days ahead: the next morning, outside the quiet hours.
    scene.at(vn(2026, 12, 1, 23, 0))
    await scene.say(SEC, "/lichhop 2026-12-03 19:30 chuyende")
    await scene.settle()
    assert not any("Còn 2 ngày" in t or "Còn 1 ngày" in t for t in texts(scene, DEP, "🗂"))
    await tick(scene, vn(2026, 12, 2, 6, 0))
    assert any("Còn 1 ngày đến cuộc họp sinh hoạt chuyên đề lúc 19:30 03/12/2026" in t for t in texts(scene, DEP, "🗂"))
    # Less than a day ahead: no preparation nudge (the reminders still go).
    scene.at(vn(2026, 12, 5, 9, 0))
    await scene.say(SEC, "/lichhop 2026-12-05 20:00 chuyende")
    await tick(scene, vn(2026, 12, 5, 18, 0))
    assert not any("20:00 05/12/2026" in t for t in texts(scene, CU, "🗂"))


# --- words ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_texts_in_these_flows_read_right(scene: Scene):
    await cell(scene)
    upper = await scene.add_committee_member(1, "Cấp Ủy Viên")
    await scene.link(upper.name)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    reply = (await scene.say(SEC, "/lichhop 2026-12-20 19:30"))[0]
    assert "ngày 19:30" not in reply and "lúc 19:30 05/12/2026" in reply and "/doilich" in reply
    assert "/huyhop" not in reply
    reply = (await scene.say(SEC, "/batdau"))[0]
    assert "Ngày 01/12/2026 chi bộ không có lịch họp" in reply and "2026-12-01" not in reply
    reply = (await scene.say(A, "xin chào"))[0]
    assert "có hoặc không có dấu /" in reply and "chỉ hiểu các lệnh bắt đầu bằng dấu /" not in reply
    reply = (await scene.say(upper.name, "/vang ốm"))[0]
    assert "dành cho đảng viên của chi bộ" not in reply and "chi bộ nơi mình sinh hoạt" in reply
