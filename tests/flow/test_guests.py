"""Guests from the committee and the cells a committee member follows, end to end on Telegram."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.demo.scene import Scene
from storage.followers import FollowError, set_follows
from storage.models import Attendance, Cell, MeetingGuest, Role
from tests.conftest import DB_KINDS, vn

SEC1, M1, SEC2, M2 = "Nguyễn Văn Một", "Lê Thị Hai", "Phan Văn Ba", "Quách Thị Bốn"
CM, CM2, OUTSIDER = "Trần Văn Cấp", "Đặng Thị Ủy", "Võ Văn Ngoài"


async def two_cells(scene: Scene) -> tuple[int, int]:
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    other = await scene.add_committee("Đảng ủy phường khác")
    cell1 = await scene.add_cell(committee, "Chi bộ số 1", [(SEC1, Role.BI_THU), (M1, Role.DANG_VIEN)])
    cell2 = await scene.add_cell(committee, "Chi bộ số 2", [(SEC2, Role.BI_THU), (M2, Role.DANG_VIEN)])
    cm = await scene.add_committee_member(committee, CM)
    await scene.add_committee_member(committee, CM2)
    await scene.add_committee_member(other, OUTSIDER)
    await scene.start_bot()
    await scene.link(SEC1, M1, SEC2, M2, CM, CM2, OUTSIDER)
    async with scene.sessions()() as s, s.begin():  # the operator: chibo committee follow <id> 1
        await set_follows(s, cm.committee_member_id, [await s.get(Cell, cell1)], scene.clock.now())
    return cell1, cell2


def texts(scene: Scene, name: str) -> list[str]:
    return scene.server.texts(scene.who(name).chat_id)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_committee_member_checks_in_as_a_guest_and_a_follower_hears_of_the_cell(scene: Scene):
    cell1, _cell2 = await two_cells(scene)
    assert "không có chi bộ nào thuộc Đảng ủy phường Hàng Bạc đang họp" in (await scene.say(CM, "/diemdanh"))[0]

    # The follower hears of the meeting (no RSVP buttons: they are not a member); the other does not.
    await scene.say(SEC1, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    await scene.say(SEC2, "/lichhop 2026-12-05 19:00")
    notice = scene.last(CM)
    assert notice["text"] == "📅 Chi bộ đồng chí phụ trách – Chi bộ số 1 họp sinh hoạt thường kỳ lúc 19:30 05/12/2026, tại Nhà văn hóa."
    assert not notice.get("reply_markup")
    assert not any("Chi bộ số 2" in t for t in texts(scene, CM)) and not any("Chi bộ số" in t for t in texts(scene, CM2))
    await scene.say(SEC1, "/doilich 2026-12-05 19:45")
    assert "đổi sang 19:45 05/12/2026" in scene.last_text(CM)

    # One meeting open: the guest is recorded at once, the secretary told; a second check-in says so.
    scene.at(vn(2026, 12, 5, 19, 45))
    await scene.say(SEC1, "/batdau")
    await scene.say(M1, "/diemdanh")
    scene.at(vn(2026, 12, 5, 19, 50))
    reply = (await scene.say(CM, "/diemdanh"))[0]
    assert f"Đã ghi nhận đồng chí {CM} dự cuộc họp của Chi bộ số 1 lúc 19:50" in reply and "không tính vào tỷ lệ" in reply
    assert any(f"{CM} (Đảng ủy phường Hàng Bạc) dự cuộc họp với tư cách đại biểu cấp trên" in t for t in texts(scene, SEC1))
    assert "đã được ghi nhận dự cuộc họp của Chi bộ số 1 lúc 19:50" in (await scene.say(CM, "/diemdanh"))[0]
    assert "không có chi bộ nào thuộc Đảng ủy phường khác" in (await scene.say(OUTSIDER, "/diemdanh"))[0]

    # Two open at once: the other committee member chooses with a button.
    scene.at(vn(2026, 12, 5, 19, 55))
    await scene.say(SEC2, "/batdau 19:00")
    choice = (await scene.say(CM2, "/diemdanh"))[0]
    assert "Đang có 2 chi bộ họp" in choice
    message = scene.last(CM2)
    labels = {b["text"]: b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row}
    assert list(labels) == ["Chi bộ số 1", "Chi bộ số 2"]
    answer = await scene.press(CM2, message, labels["Chi bộ số 2"])
    assert "dự cuộc họp của Chi bộ số 2" in answer["text"]
    foreign = await scene.press(OUTSIDER, message, labels["Chi bộ số 1"])
    assert "không phải của chi bộ" in foreign["text"]
    assert "không phải của chi bộ" in (await scene.press(M2, message, labels["Chi bộ số 1"]))["text"]  # a member

    # The summary names the guest; the rate counts the members only; the follower receives it.
    scene.at(vn(2026, 12, 5, 21, 20))
    summary = (await scene.say(SEC1, "/ketthuc"))[0]
    assert f"Đại biểu cấp trên: {CM}" in summary and "Có mặt 2/2 (100%)" in summary
    assert summary in texts(scene, CM)
    assert not any("Tóm tắt" in t for t in texts(scene, CM2))
    stale = await scene.press(CM2, message, labels["Chi bộ số 1"])
    assert "đã kết thúc" in stale["text"]
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(MeetingGuest)) == 2
        assert await s.scalar(select(func.count()).select_from(Attendance)) == 3  # two members of cell 1, one of cell 2

    # A cell of another committee cannot be followed; stopping works.
    async with scene.sessions()() as s, s.begin():
        with pytest.raises(FollowError):
            await set_follows(s, scene.who(OUTSIDER).committee_member_id, [await s.get(Cell, cell1)], scene.clock.now())
        assert await set_follows(s, scene.who(CM).committee_member_id, [await s.get(Cell, cell1)],
                                 scene.clock.now(), stop=True) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_committee_member_pressing_the_groups_check_in_button_is_a_guest(scene: Scene):
    await two_cells(scene)
    code = (await scene.say(SEC1, "/lienket"))[0].split("Mã liên kết nhóm: ")[1].split(" ")[0]
    group = -100500600
    await scene.say(SEC1, f"/lienket {code}", chat_id=group, chat_type="supergroup")
    await scene.say(SEC1, "/lichhop 2026-12-02 19:30")
    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.say(SEC1, "/batdau")
    posted = [m for m in scene.server.sent_messages(group) if m.get("reply_markup")][-1]
    data = posted["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    answer = await scene.press(CM, posted, data)
    assert f"Đã ghi nhận đồng chí {CM} dự cuộc họp của Chi bộ số 1" in answer["text"]
    assert "không phải của chi bộ" in (await scene.press(OUTSIDER, posted, data))["text"]
    scene.at(vn(2026, 12, 2, 21, 5))
    summary = (await scene.say(SEC1, "/ketthuc"))[0]
    assert f"Đại biểu cấp trên: {CM}" in summary and "Có mặt 1/2" in summary


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_follower_hears_each_change_of_place_and_topic_at_the_same_time(scene: Scene):
    """The follower's notice key names what changed (as the members' does): a second place-only or topic-only
    change to the same time reaches the committee member too, not only the cell's members."""
    await two_cells(scene)
    await scene.say(SEC1, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    await scene.say(SEC1, "/doilich tại Hội trường")
    assert "tại Hội trường" in scene.last_text(CM) and "tại Hội trường" in scene.last_text(M1)
    scene.at(scene.clock.now() + timedelta(minutes=5))
    await scene.say(SEC1, "/doilich tại Sân đình")
    assert "tại Sân đình" in scene.last_text(CM) and "tại Sân đình" in scene.last_text(M1)
    scene.at(scene.clock.now() + timedelta(minutes=5))
    await scene.say(SEC1, "/doilich | Học tập nghị quyết")
    assert "Học tập nghị quyết" in scene.last_text(CM) and "Học tập nghị quyết" in scene.last_text(M1)
    changes = [t for t in texts(scene, CM) if t.startswith("🔁")]
    assert len(changes) == 3 and all("19:30 05/12/2026" in t for t in changes)
