"""A whole meeting played through the real python-telegram-bot Application against the fake Bot API."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.demo.scene import Scene, members_by_name
from storage.models import Attendance, AttendanceStatus, AuditLog, ChatLink, Meeting, MeetingKind, Role
from tests.conftest import DB_KINDS, vn

SECRETARY, DEPUTY = "Nguyễn Văn An", "Trần Thị Bình"
EXEMPT, EXCUSED, LATE, ABSENT, NO_PHONE = "Phạm Văn Cụ", "Lê Thị Vắng", "Hoàng Văn Muộn", "Đỗ Văn Vắng", "Vũ Thị Không"
ODD = "Lê <Hồng> & Cúc"
ON_TIME = ["Bùi Văn Ba", "Đinh Thị Tư", "Mai Văn Năm", "Tạ Thị Sáu", ODD]
CELL_A = [(SECRETARY, Role.BI_THU), (DEPUTY, Role.PHO_BI_THU), (EXEMPT, Role.DANG_VIEN), (EXCUSED, Role.DANG_VIEN),
          (LATE, Role.DANG_VIEN), (ABSENT, Role.DANG_VIEN), (NO_PHONE, Role.DANG_VIEN)] + [(n, Role.DANG_VIEN) for n in ON_TIME]
OTHER_SECRETARY, OTHER_MEMBER = "Phan Văn Khác", "Quách Thị Lạ"


async def setup_cells(scene: Scene) -> tuple[int, int]:
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    cell_a = await scene.add_cell(committee, "Chi bộ khu dân cư số 1", CELL_A, exempt={EXEMPT})
    cell_b = await scene.add_cell(committee, "Chi bộ khu dân cư số 2",
                                  [(OTHER_SECRETARY, Role.BI_THU), (OTHER_MEMBER, Role.DANG_VIEN)])
    await scene.start_bot()
    linked = [n for n, _ in CELL_A if n != NO_PHONE] + [OTHER_SECRETARY, OTHER_MEMBER]
    await scene.link(*linked)
    return cell_a, cell_b


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_whole_regular_meeting_of_a_12_member_cell(scene: Scene):
    cell_a, cell_b = await setup_cells(scene)
    assert "Chào đồng chí" in scene.inbox(SECRETARY)[0]["text"] and "Chi bộ khu dân cư số 1" in scene.inbox(SECRETARY)[0]["text"]
    assert ODD in scene.inbox(ODD)[0]["text"]  # the name came back intact through HTML

    # The secretary schedules; every linked member gets a notice with the two buttons.
    reply = await scene.say(SECRETARY, "/lichhop 2026-12-05 19:30 Hội trường tổ dân phố")
    assert "Đã đặt lịch" in reply[0] and "19:30 05/12/2026" in reply[0]
    notice = scene.last_with_button(LATE, "rsvp:")
    assert "Hội trường tổ dân phố" in notice["text"]
    assert [b["text"] for b in notice["reply_markup"]["inline_keyboard"][0]] == ["Tham dự", "Xin vắng"]
    assert not any("Thông báo" in t for t in scene.server.texts(scene.who(OTHER_MEMBER).chat_id))

    # A second regular meeting in the same month is refused with the reason.
    reply = await scene.say(SECRETARY, "/lichhop 2026-12-20 19:30")
    assert "đã có cuộc họp thường kỳ tháng 12/2026" in reply[0]

    # One member asks to be excused with the button, and gives the reason in the next message.
    answer = await scene.press(EXCUSED, scene.last_with_button(EXCUSED, "rsvp:"), next(
        b["callback_data"] for b in notice["reply_markup"]["inline_keyboard"][0] if b["callback_data"].startswith("rsvp:no")))
    assert answer.get("text")
    assert "lý do" in scene.last_text(EXCUSED)
    reply = await scene.say(EXCUSED, "Đi công tác Đà Nẵng")
    assert "Đi công tác Đà Nẵng" in reply[0]
    assert any("Lê Thị Vắng xin vắng" in t for t in scene.server.texts(scene.who(SECRETARY).chat_id))

    # Another answers "Tham dự".
    yes = next(b["callback_data"] for b in notice["reply_markup"]["inline_keyboard"][0] if b["callback_data"].startswith("rsvp:yes"))
    await scene.press(LATE, scene.last_with_button(LATE, "rsvp:"), yes)
    assert "sẽ tham dự" in scene.last_text(LATE)

    # A member of another cell presses this cell's button: refused, nothing written.
    foreign = await scene.press(OTHER_MEMBER, notice, yes)
    assert "không phải của chi bộ" in foreign["text"]

    # The meeting day: members cannot start it; the secretary does.
    scene.at(vn(2026, 12, 5, 19, 30))
    assert "dành cho bí thư" in (await scene.say(LATE, "/batdau"))[0]
    assert "dành cho bí thư" in (await scene.say(OTHER_MEMBER, "/batdau"))[0]
    reply = await scene.say(SECRETARY, "/batdau")
    assert "bắt đầu lúc 19:30" in reply[0]
    prompt = scene.last_with_button(ON_TIME[0], "checkin:")

    # Check-ins: on time by button and by command, a second check-in, late, by the secretary.
    scene.at(vn(2026, 12, 5, 19, 36))
    for name in ON_TIME[:3]:
        await scene.press(name, scene.last_with_button(name, "checkin:"), prompt["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    for name in ON_TIME[3:] + [DEPUTY]:
        assert "Đã điểm danh" in (await scene.say(name, "/diemdanh"))[0]
    assert "đã điểm danh lúc 19:36" in (await scene.say(ON_TIME[3], "/diemdanh"))[0]
    assert "Hiện không có cuộc họp nào đang diễn ra" in (await scene.say(OTHER_MEMBER, "/diemdanh"))[0]
    scene.at(vn(2026, 12, 5, 19, 50))
    assert "muộn 20 phút" in (await scene.say(LATE, "/diemdanh"))[0]
    reply = await scene.say(SECRETARY, f"/diemdanh_ho {NO_PHONE}")
    assert "Đã điểm danh hộ" in reply[0] and NO_PHONE in reply[0]
    assert "Không tìm thấy" in (await scene.say(SECRETARY, "/diemdanh_ho Người Lạ"))[0]
    assert "dành cho bí thư" in (await scene.say(ABSENT, "/ketthuc"))[0]

    # 75 minutes: too short for a regular meeting of a 12-member cell.
    scene.at(vn(2026, 12, 5, 20, 45))
    asked = (await scene.say(SECRETARY, "/ketthuc"))[0]  # asked first, with what is missing
    assert "75 phút" in asked and "thiếu 15 phút" in asked and "Kết thúc ngay" in asked
    question = scene.last_with_button(SECRETARY, "end:")
    await scene.press(SECRETARY, question, question["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    summary = next(t for t in scene.server.texts(scene.who(SECRETARY).chat_id) if "Tóm tắt" in t)
    assert "75 phút" in summary and "KHÔNG ĐẠT thời lượng tối thiểu 90 phút" in summary and "thiếu 15 phút" in summary
    assert "9/11" in summary and "82%" in summary and "KHÔNG ĐẠT mục tiêu 90%" in summary
    assert "Đến muộn: " in summary and f"{LATE} (20 phút)" in summary
    assert f"{EXCUSED} – Đi công tác Đà Nẵng" in summary
    assert f"Vắng không lý do: {ABSENT}" in summary
    assert f"Miễn sinh hoạt: {EXEMPT}" in summary
    assert f"điểm danh hộ {NO_PHONE}" in summary
    assert f"Chưa liên lạc được qua chibo: {NO_PHONE}" in summary
    assert "CHƯA ĐẠT" in summary
    assert any(f"Đã điểm danh đồng chí {ODD}" in t for t in scene.server.texts(scene.who(ODD).chat_id))
    assert summary in scene.server.texts(scene.who(DEPUTY).chat_id)  # the deputy gets it too

    # Rows in the database say the same.
    async with scene.sessions()() as s:
        members = await members_by_name(scene.sessions(), cell_a)
        rows = {a.member_id: a for a in await s.scalars(select(Attendance))}
        meeting = await s.scalar(select(Meeting).where(Meeting.cell_id == cell_a))
        assert meeting.kind is MeetingKind.THUONG_KY and meeting.start_manual is False
        assert (meeting.ended_at - meeting.started_at).total_seconds() == 75 * 60
        assert rows[members[LATE].id].status is AttendanceStatus.LATE
        assert rows[members[ABSENT].id].status is AttendanceStatus.ABSENT
        assert rows[members[EXCUSED].id].status is AttendanceStatus.EXCUSED
        assert rows[members[EXCUSED].id].reason == "Đi công tác Đà Nẵng"
        assert rows[members[NO_PHONE].id].recorded_by_member_id == members[SECRETARY].id
        assert members[EXEMPT].id not in rows
        assert await s.scalar(select(func.count()).select_from(Meeting).where(Meeting.cell_id == cell_b)) == 0
        assert await s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "checkin_for")) == 1

    # The stale check-in button now says so; /baocao gives the same summary.
    stale = await scene.press(ON_TIME[4], prompt, prompt["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert "đã kết thúc" in stale["text"]
    assert (await scene.say(SECRETARY, "/baocao"))[0] == summary


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_small_cell_needs_60_minutes_and_hand_entered_times_are_marked(scene: Scene):
    committee = await scene.add_committee("Đảng ủy xã")
    names = ["Bí Thư Nhỏ", "Phó Nhỏ", "Một", "Hai", "Ba", "Bốn", "Năm"]
    await scene.add_cell(committee, "Chi bộ thôn 3", [(names[0], Role.BI_THU), (names[1], Role.PHO_BI_THU)]
                         + [(n, Role.DANG_VIEN) for n in names[2:]])
    await scene.start_bot()
    await scene.link(*names)
    await scene.say(names[0], "/lichhop 05/12/2026 19h chuyende Nhà văn hóa thôn")
    scene.at(vn(2026, 12, 5, 19, 10))
    reply = await scene.say(names[0], "/batdau 19:00")
    assert "19:00 (nhập tay)" in reply[0]
    for n in names[1:]:
        await scene.say(n, "/diemdanh")
    scene.at(vn(2026, 12, 5, 20, 15))
    summary = (await scene.say(names[0], "/ketthuc 20:05"))[0]
    assert "sinh hoạt chuyên đề" in summary
    assert "65 phút" in summary and "Đạt thời lượng tối thiểu 60 phút (chi bộ dưới 9 đảng viên)." in summary
    assert "7/7" in summary and "100%" in summary and "ĐẠT</b>" not in summary and "Cuộc họp ĐẠT yêu cầu" in summary
    assert "Nhập tay: giờ bắt đầu; giờ kết thúc" in summary


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_check_ins_before_and_after_a_restart_all_count(scene: Scene):
    committee = await scene.add_committee("Đảng ủy")
    names = ["Bí Thư", "A Một", "B Hai", "C Ba", "D Bốn"]
    cell = await scene.add_cell(committee, "Chi bộ 9", [(names[0], Role.BI_THU)] + [(n, Role.DANG_VIEN) for n in names[1:]])
    await scene.start_bot()
    await scene.link(*names)
    await scene.say(names[0], "/lichhop 2026-12-03 19:30")
    scene.at(vn(2026, 12, 3, 19, 30))
    await scene.say(names[0], "/batdau")
    await scene.say(names[1], "/diemdanh")
    await scene.say(names[2], "/diemdanh")

    await scene.stop_bot()  # the process dies in the middle of the meeting
    await scene.start_bot()

    scene.at(vn(2026, 12, 3, 19, 40))
    await scene.say(names[3], "/diemdanh")
    assert "đã điểm danh lúc 19:30" in (await scene.say(names[1], "/diemdanh"))[0]
    scene.at(vn(2026, 12, 3, 21, 5))
    summary = (await scene.say(names[0], "/ketthuc"))[0]
    assert "4/5" in summary and f"Vắng không lý do: {names[4]}" in summary
    async with scene.sessions()() as s:
        statuses = sorted(a.status.value for a in await s.scalars(select(Attendance)))
    assert statuses == ["absent", "present", "present", "present", "present"]
    assert cell


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_bad_input_gets_a_clear_answer_and_writes_nothing(scene: Scene):
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 5", [("Bí Thư", Role.BI_THU), ("Đảng Viên", Role.DANG_VIEN)])
    await scene.start_bot()
    stranger = scene.who("Bí Thư").__class__("Người Lạ", 999)
    scene.people["Người Lạ"] = stranger

    assert "chưa được liên kết" in (await scene.say("Người Lạ", "/diemdanh"))[0]
    assert "không đúng" in (await scene.say("Người Lạ", "/start SAI-MA"))[0]
    assert "/start MÃ-MỜI" in (await scene.say("Người Lạ", "/start"))[0]
    await scene.link("Bí Thư")
    assert "đã được dùng" in (await scene.say("Người Lạ", f"/start {scene.who('Bí Thư').code}"))[0]
    await scene.link("Đảng Viên")

    for text, expected in [
        ("/lichhop 2026-13-40 19:30", "không hợp lệ"),
        ("/lichhop mai 7h", "không hợp lệ"),
        ("/lichhop 2026-11-30 19:30", "đã qua"),
        ("/lichhop 2026-12-05", "không hợp lệ"),
        ("/batdau", "không có lịch họp"),
        ("/ketthuc", "Không có cuộc họp nào đang diễn ra"),
        ("/lenhla", "Lệnh không có"),
        ("xin chào", "chưa hiểu tin nhắn này"),
    ]:
        assert expected in (await scene.say("Bí Thư", text))[0], text
    assert "chưa có cuộc họp nào kết thúc" in (await scene.say("Bí Thư", "/baocao"))[0]
    assert "chưa có cuộc họp nào sắp tới" in (await scene.say("Đảng Viên", "/vang ốm"))[0]
    assert "dành cho bí thư" in (await scene.say("Đảng Viên", "/baocao"))[0]
    await scene.say("Bí Thư", "/lichhop 2026-12-02 19:30")
    scene.at(vn(2026, 12, 2, 19, 40))
    assert "chưa tới" in (await scene.say("Bí Thư", "/batdau 23:00"))[0]
    assert "không hợp lệ" in (await scene.say("Bí Thư", "/batdau 25:99"))[0]
    async with scene.sessions()() as s:
        meeting = await s.scalar(select(Meeting))
        assert meeting.started_at is None
        assert await s.scalar(select(func.count()).select_from(Meeting)) == 1
    await scene.say("Bí Thư", "/batdau 19:30")
    scene.at(vn(2026, 12, 2, 19, 50))
    assert "sớm hơn giờ bắt đầu" in (await scene.say("Bí Thư", "/ketthuc 19:00"))[0]
    assert "/ketthuc 21:00" in (await scene.say("Bí Thư", "/ketthuc 25:99"))[0]
    async with scene.sessions()() as s:
        assert (await s.scalar(select(Meeting))).ended_at is None  # nothing written by the bad times


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_same_update_delivered_twice_is_handled_once(scene: Scene):
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 6", [("Bí Thư", Role.BI_THU), ("Đảng Viên", Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link("Bí Thư", "Đảng Viên")
    await scene.say("Bí Thư", "/lichhop 2026-12-02 19:30")
    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.say("Bí Thư", "/batdau")
    update = scene.server.send_text(scene.who("Đảng Viên").user_id, "/diemdanh")
    chat = scene.who("Đảng Viên").chat_id
    await scene.server.wait_for(lambda: "Đã điểm danh" in scene.server.texts(chat)[-1])
    before = scene.server.sent_count(chat)
    scene.server.inject_update(dict(update, update_id=update["update_id"]))  # the server sends it again
    await scene.say("Đảng Viên", "/huongdan")  # a later update is answered, the repeat was not
    assert scene.server.sent_count(chat) == before + 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_member_who_blocked_the_bot_is_marked_unreachable_and_the_secretary_told(scene: Scene):
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 7", [("Bí Thư", Role.BI_THU), ("Chặn Bot", Role.DANG_VIEN),
                                                  ("Bình Thường", Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link("Bí Thư", "Chặn Bot", "Bình Thường")
    scene.server.block(scene.who("Chặn Bot").chat_id)
    await scene.say("Bí Thư", "/lichhop 2026-12-02 19:30", expect=2)
    assert any("Không gửi được tin nhắn cho đồng chí Chặn Bot" in t for t in scene.server.texts(scene.who("Bí Thư").chat_id))
    async with scene.sessions()() as s:
        link = await s.scalar(select(ChatLink).where(ChatLink.platform_user_id == str(scene.who("Chặn Bot").user_id)))
        assert link.blocked_at is not None
    assert scene.last_with_button("Bình Thường", "rsvp:")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_group_linked_to_the_cell_gets_the_check_in_button(scene: Scene):
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 8", [("Bí Thư", Role.BI_THU), ("Đảng Viên", Role.DANG_VIEN)])
    await scene.add_cell(committee, "Chi bộ khác", [("Bí Thư Khác", Role.BI_THU)])
    await scene.start_bot()
    await scene.link("Bí Thư", "Đảng Viên", "Bí Thư Khác")
    reply = (await scene.say("Bí Thư", "/lienket"))[0]
    code = reply.split("Mã liên kết nhóm: ")[1].split(" ")[0]
    group = -100200300
    assert "chi bộ khác" in (await scene.say("Bí Thư Khác", f"/lienket {code}", chat_id=group, chat_type="supergroup"))[0]
    assert "Đã liên kết nhóm" in (await scene.say("Bí Thư", f"/lienket {code}", chat_id=group, chat_type="supergroup"))[0]
    assert "tin nhắn riêng" in (await scene.say("Đảng Viên", "/vang ốm", chat_id=group, chat_type="supergroup"))[0]
    await scene.say("Bí Thư", "/lichhop 2026-12-02 19:30")
    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.say("Bí Thư", "/batdau")
    posted = [m for m in scene.server.sent_messages(group) if m.get("reply_markup")][-1]
    data = posted["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    answer = await scene.press("Đảng Viên", posted, data)
    assert "Đã điểm danh" in answer["text"]
    other = await scene.press("Bí Thư Khác", posted, data)
    assert "không phải của chi bộ" in other["text"]
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(Attendance).where(Attendance.checked_in_at.is_not(None))) == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_member_who_moved_away_can_no_longer_act_in_the_old_cell(scene: Scene):
    from datetime import date

    from storage.models import Member

    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ cũ", [("Bí Thư", Role.BI_THU), ("Đã Chuyển Đi", Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link("Bí Thư", "Đã Chuyển Đi")
    await scene.say("Bí Thư", "/lichhop 2026-12-02 19:30")
    async with scene.sessions()() as s, s.begin():
        (await s.get(Member, scene.who("Đã Chuyển Đi").member_id)).active_to = date(2026, 11, 30)
    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.say("Bí Thư", "/batdau")
    assert "không còn sinh hoạt tại Chi bộ cũ" in (await scene.say("Đã Chuyển Đi", "/diemdanh"))[0]
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(Attendance).where(Attendance.checked_in_at.is_not(None))) == 1
