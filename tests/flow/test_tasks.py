"""Tasks from the resolution, end to end on Telegram: given at the meeting, listed, done, reminded
before the deadline and reported when overdue, across restarts; the summary and the next meeting's
preparation nudge list them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.demo.scene import Scene
from scheduler.timed.nudges import run_daily
from storage.models import AuditLog, OutboxMessage, Role, Task
from tests.conftest import DB_KINDS, vn

SEC, DEP, AN, BA, CU, DU = "Nguyễn Văn Bí", "Trần Thị Phó", "Lê Văn An", "Phạm Thị Ba", "Hoàng Văn Cư", "Đỗ Thị Du"
CELL = [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU), (AN, Role.DANG_VIEN), (BA, Role.DANG_VIEN),
        (CU, Role.DANG_VIEN), (DU, Role.DANG_VIEN)]


async def meeting_in_progress(scene: Scene) -> int:
    committee = await scene.add_committee("Đảng ủy phường")
    cell = await scene.add_cell(committee, "Chi bộ số 4", CELL)
    await scene.start_bot()
    await scene.link(*[n for n, _ in CELL])
    assert "chưa có cuộc họp nào đã bắt đầu" in (await scene.say(SEC, "/giaoviec Lê Văn An | Việc | 20/12"))[0]
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    scene.at(vn(2026, 12, 5, 19, 35))
    for name in (DEP, AN, BA, CU):
        await scene.say(name, "/diemdanh")
    return cell


def texts(scene: Scene, name: str) -> list[str]:
    return scene.server.texts(scene.who(name).chat_id)


async def tasks_in_db(scene: Scene) -> list[Task]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(Task).order_by(Task.id)))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_tasks_given_listed_done_reminded_and_reported_across_restarts(scene: Scene):
    await meeting_in_progress(scene)

    # Bad input: a clear answer, nothing written.
    for text, expected in [
        ("/giaoviec", "Cách giao việc"),
        ("/giaoviec Lê Văn An | Vận động", "Cách giao việc"),
        ("/giaoviec Lê Văn An | Vận động | mai", "không hợp lệ"),
        ("/giaoviec Lê Văn An | Vận động | 01/12/2026", "đã qua"),
        ("/giaoviec Người Lạ | Vận động | 20/12", "Không tìm thấy"),
        ("/giaoviec Văn | Vận động | 20/12", "Có nhiều đảng viên"),
        (f"/giaoviec Lê Văn An | {'x' * 301} | 20/12", "viết gọn"),
    ]:
        assert expected in (await scene.say(SEC, text))[0], text
    assert "dành cho bí thư" in (await scene.say(AN, "/giaoviec Lê Văn An | Vận động | 20/12"))[0]
    assert await tasks_in_db(scene) == []

    # During the meeting: one task for one member (name without diacritics), who is told at once.
    reply = (await scene.say(SEC, "/giaoviec le van an | Vận động 5 hộ đóng quỹ khuyến học | 20/12"))[0]
    assert f"Đã giao việc cho {AN}" in reply and "hạn 20/12/2026" in reply and "Đã báo cho 1 đồng chí" in reply
    assert f"chưa được giao việc: {BA}, {SEC}, {CU}, {DEP}" in reply  # by given name: Ba, Bí, Cư, Phó
    told = scene.last_with_button(AN, "task_done:")
    assert "Vận động 5 hộ đóng quỹ khuyến học" in told["text"] and "Hạn: 20/12/2026" in told["text"]
    assert "20/12/2026" in told["text"] and "/xong 1" in told["text"]
    assert [b["text"] for b in told["reply_markup"]["inline_keyboard"][0]] == ["Đã xong"]

    # The end: the summary lists the task and who present has none.
    scene.at(vn(2026, 12, 5, 21, 5))
    summary = (await scene.say(SEC, "/ketthuc"))[0]
    assert "Việc được giao (1)" in summary and f"{AN}: Vận động 5 hộ đóng quỹ khuyến học – hạn 20/12/2026" in summary
    assert f"Có mặt nhưng chưa được giao việc: {BA}, {SEC}, {CU}, {DEP}" in summary
    assert DU not in summary.split("chưa được giao việc")[1]  # absent: not expected to have one

    # After the meeting: one task for everyone present, due in ten days (ISO date).
    reply = (await scene.say(SEC, "/giaoviec cả chi bộ | Nghiên cứu Nghị quyết số 57 | 2026-12-15"))[0]
    assert "Đã báo cho 5 đồng chí" in reply and "Mọi đồng chí có mặt đều đã có việc" in reply
    assert not any("Nghị quyết số 57" in t for t in texts(scene, DU))
    report = (await scene.say(SEC, "/baocao"))[0]
    assert "Việc được giao (6)" in report and report.count("Nghiên cứu Nghị quyết số 57") == 1
    assert f"• {AN}, {BA}, {SEC}, {CU}, {DEP}: Nghiên cứu Nghị quyết số 57 – hạn 15/12/2026" in report  # by given name, as every list

    # A member's list, numbered by deadline; the button marks one done, the secretary is told.
    # The task given second is due first: it is number 1 in its notice, the list, /xong and the buttons.
    assert "Nghị quyết số 57" in scene.last_text(AN) and "/xong 1" in scene.last_text(AN)
    reply = await scene.say(AN, "/viec")
    assert "1. Nghiên cứu Nghị quyết số 57 – hạn 15/12/2026" in reply[0]  # by deadline, not as given
    assert "2. Vận động 5 hộ đóng quỹ khuyến học – hạn 20/12/2026" in reply[0]
    listing = scene.last(AN)
    assert [b["text"] for row in listing["reply_markup"]["inline_keyboard"] for b in row] == ["Xong việc 1", "Xong việc 2"]
    by_id = {t.id: t.description for t in await tasks_in_db(scene) if t.member_id == scene.who(AN).member_id}
    assert [by_id[int(b["callback_data"].split(":")[1])][:9] for row in listing["reply_markup"]["inline_keyboard"]
            for b in row] == ["Nghiên cứ", "Vận động "]
    assert "có 2 việc đang chờ" in (await scene.say(AN, "/xong"))[0]  # which one?
    scene.at(vn(2026, 12, 8, 9, 0))
    answer = await scene.press(AN, told, told["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert "Đã xong" in answer["text"] and "hoàn thành việc: Vận động 5 hộ" in scene.last_text(AN)
    assert any(f"{AN} đã xong việc: Vận động 5 hộ" in t for t in texts(scene, SEC))
    again = await scene.press(AN, told, told["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert "đã được báo xong ngày 08/12/2026" in again["text"]
    foreign = await scene.press(BA, told, told["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert "không phải của đồng chí" in foreign["text"]

    # /xong with a number and a result; a wrong number, and no number with several tasks.
    assert "Không có việc số 3" in (await scene.say(BA, "/xong 3"))[0]
    reply = (await scene.say(BA, "/xong 1 Đã đọc và ghi chép"))[0]
    assert "hoàn thành việc: Nghiên cứu Nghị quyết số 57 – kết quả: Đã đọc và ghi chép" in reply
    assert any(f"{BA} đã xong việc: Nghiên cứu Nghị quyết số 57 (hạn 15/12/2026) – kết quả: Đã đọc và ghi chép" in t
               for t in texts(scene, SEC))
    assert "không có việc nào đang chờ" in (await scene.say(BA, "/viec"))[0]

    # The secretary sees the cell's tasks by state.
    view = (await scene.say(SEC, "/viec"))[0]
    assert "Việc của đồng chí (1)" in view and "Việc của Chi bộ số 4: 4 đang làm, 0 quá hạn, 2 đã xong" in view
    assert f"• {BA}: Nghiên cứu Nghị quyết số 57 – kết quả: Đã đọc và ghi chép" in view

    # Reminders: 3 days before (12/12 08:00) and on the day, once each, whatever restarts.
    await scene.stop_bot()
    await scene.start_bot()
    scene.at(vn(2026, 12, 12, 8, 0))
    await scene.settle()
    three_days = [t for t in texts(scene, CU) if t.startswith("⏳ Nhắc việc")]
    assert three_days == ["⏳ Nhắc việc: Nghiên cứu Nghị quyết số 57 – hạn 15/12/2026 (còn 3 ngày)."]
    assert not any(t.startswith("⏳") for t in texts(scene, BA))  # done: no reminder
    assert not any("Vận động 5 hộ" in t and t.startswith("⏳") for t in texts(scene, AN))
    await scene.stop_bot()
    await scene.start_bot()
    scene.at(vn(2026, 12, 15, 8, 0))
    await scene.settle()
    assert [t for t in texts(scene, CU) if t.startswith("⏳")][1:] == [
        "⏳ Hôm nay là hạn việc: Nghiên cứu Nghị quyết số 57 (hạn 15/12/2026)."]
    await scene.settle()
    assert len([t for t in texts(scene, CU) if t.startswith("⏳")]) == 2

    # Overdue: the secretary and the deputy are told once, the day after, even across a restart.
    scene.at(vn(2026, 12, 16, 7, 0))
    await run_daily(scene.runtime.services)
    await scene.settle()
    await scene.stop_bot()
    await scene.start_bot()  # the start-up run of the daily planner finds nothing new
    await run_daily(scene.runtime.services)
    await scene.settle()
    reports = [t for t in texts(scene, SEC) if "quá hạn chưa xong" in t]
    assert len(reports) == 1 and f"{CU}: Nghiên cứu Nghị quyết số 57 – hạn 15/12/2026" in reports[0]
    assert f"{BA}:" not in reports[0]
    assert len([t for t in texts(scene, DEP) if "quá hạn chưa xong" in t]) == 1
    assert "⚠️ quá hạn" in (await scene.say(CU, "/viec"))[0]
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.kind == "task_reminder", OutboxMessage.sent_at.is_not(None))) == \
            await s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.kind == "task_reminder", OutboxMessage.dropped_at.is_(None)))
        assert await s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "task_done")) == 2
    done = {(t.member_id, t.description[:8]): t for t in await tasks_in_db(scene)}
    assert done[(scene.who(BA).member_id, "Nghiên c")].result == "Đã đọc và ghi chép"
    assert done[(scene.who(CU).member_id, "Nghiên c")].overdue_reported_at is not None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_next_meetings_preparation_nudge_lists_the_last_meetings_tasks(scene: Scene):
    await meeting_in_progress(scene)
    await scene.say(SEC, f"/giaoviec {AN} | Thăm hỏi gia đình chính sách | 10/12")
    await scene.say(SEC, f"/giaoviec {BA} | Vận động đóng đảng phí | 30/12")
    await scene.say(SEC, f"/giaoviec {CU} | Dọn vệ sinh khu phố | 06/12")
    scene.at(vn(2026, 12, 5, 21, 5))
    await scene.say(SEC, "/ketthuc")
    await scene.say(SEC, "/lichhop 2026-12-20 19:30 chuyende Nhà văn hóa | Học tập Nghị quyết")  # nudge on 13/12
    scene.at(vn(2026, 12, 9, 10, 0))
    await scene.say(AN, "/xong")  # one task: no number needed
    scene.at(vn(2026, 12, 13, 19, 30))
    await scene.settle()
    nudge = next(t for t in texts(scene, SEC) if t.startswith("🗂 Còn 7 ngày"))
    assert "Việc giao ở cuộc họp trước (05/12/2026): 1 đã xong, 1 đang làm, 1 quá hạn." in nudge
    assert nudge.index(f"⚠️ {CU}: Dọn vệ sinh khu phố") < nudge.index(f"⏳ {BA}") < nudge.index(f"✅ {AN}")
    assert (await scene.say(SEC, "/huongdan"))[0].count("/giaoviec") == 1
