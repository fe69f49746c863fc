"""The turn of the year for Party dues, in the chat, with the clock at the edges (Hà Nội time): December's dues
recorded at 23:58 on 31 December are December's; at 00:01 on 1 January the cell's month is January (still 31
December in UTC); "12" typed in January records the December just ended; the first meeting of 2027 warns once
about 2026's unpaid months that only ended with December (a third month: the cell considers the case), not about
a December paid late; the next meeting does not warn again, and 2027's count starts empty; the member sees
what 2026 still owes next to the new year."""

from __future__ import annotations

import pytest

from bot.demo.scene import Scene
from storage.models import Role
from tests.conftest import DB_KINDS, vn

SEC, AN, BA, CU = "Nguyễn Văn Bí", "Lê Văn An", "Phạm Thị Ba", "Hoàng Văn Cư"
CELL = [(SEC, Role.BI_THU), (AN, Role.DANG_VIEN), (BA, Role.DANG_VIEN), (CU, Role.DANG_VIEN)]


async def hold_meeting(scene: Scene, year: int, month: int) -> list[str]:
    """The month's meeting on the 10th, everyone there; what the secretary got when it ended."""
    scene.at(vn(year, month, 2, 9, 0))
    await scene.say(SEC, f"/lichhop {year}-{month:02d}-10 19:30 Nhà văn hóa")
    scene.at(vn(year, month, 10, 19, 30))
    await scene.settle()
    await scene.say(SEC, "/batdau")
    for name in (AN, BA, CU):
        await scene.say(name, "/diemdanh")
    scene.at(vn(year, month, 10, 21, 5))
    before = len(scene.server.texts(scene.who(SEC).chat_id))
    await scene.say(SEC, "/ketthuc")
    return [t for t in scene.server.texts(scene.who(SEC).chat_id)[before:] if "Cần nhắc nhở" in t]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_december_paid_and_unpaid_across_the_new_year(scene: Scene):
    scene.at(vn(2026, 10, 3, 18, 0))
    committee = await scene.add_committee("Đảng ủy phường")
    await scene.add_cell(committee, "Chi bộ số 9", CELL, dues=30_000)
    await scene.start_bot()
    await scene.link(*[n for n, _ in CELL])
    for month in (10, 11):  # the cell starts recording in October; Cư pays nothing
        scene.at(vn(2026, month, 3, 18, 0))
        for name in (SEC, AN, BA):
            assert "Đã ghi đồng chí" in (await scene.say(SEC, f"/dangphi {name} | {month}"))[0]

    december = await hold_meeting(scene, 2026, 12)
    assert len(december) == 1 and (f"{CU}: 2 tháng của năm 2026 vắng sinh hoạt không lý do hoặc chưa đóng đảng "
                                   "phí (tháng 10: chưa đóng đảng phí; tháng 11: chưa đóng đảng phí)") in december[0]
    await scene.say(SEC, f"/dangphi {SEC} | 12")

    scene.at(vn(2026, 12, 31, 23, 58))  # the last minutes of December
    assert "tháng 12/2026: 30.000 đ" in (await scene.say(SEC, f"/dangphi {AN} | 12"))[0]
    scene.at(vn(2026, 12, 31, 23, 59))
    month = (await scene.say(SEC, "/dangphi"))[0]
    assert "tháng 12/2026: đã đóng 2/4 đồng chí, thu 60.000 đ" in month and f"Chưa đóng: {BA}, {CU}" in month
    scene.at(vn(2027, 1, 1, 0, 1))  # 17:01 on 31 December in UTC: January in Hà Nội
    await scene.settle()
    month = (await scene.say(SEC, "/dangphi"))[0]
    assert "năm 2027" in month and "tháng 01/2027: đã đóng 0/4 đồng chí, thu 0 đ" in month

    await scene.stop_bot()
    await scene.start_bot()
    scene.at(vn(2027, 1, 2, 8, 30))  # Ba pays December late; "12" typed in January is the December just ended
    # the morning's nudge that January has no meeting yet may come in the same moment, before or after the
    # answer: wait for the answer among every message the secretary gets
    chat = scene.who(SEC).chat_id
    before = scene.server.sent_count(chat)
    scene.server.send_text(scene.who(SEC).user_id, f"/dangphi {BA} | 12", chat_id=chat, first_name="Bí thư")
    await scene.server.wait_for(lambda: any("tháng 12/2026: 30.000 đ" in text
                                            for text in scene.server.texts(chat)[before:]), timeout=10)

    january = await hold_meeting(scene, 2027, 1)
    assert len(january) == 1
    assert (f"{CU}: 3 tháng của năm 2026 vắng sinh hoạt không lý do hoặc chưa đóng đảng phí (tháng 10: chưa đóng "
            "đảng phí; tháng 11: chưa đóng đảng phí; tháng 12: chưa đóng đảng phí) – đủ 3 tháng: chi bộ xem "
            "xét") in january[0]
    assert BA not in january[0] and AN not in january[0] and "2027" not in january[0]

    february = await hold_meeting(scene, 2027, 2)  # told once; January 2027 unpaid is one month of the new count
    assert february == []
    own = (await scene.say(CU, "/dangphi"))[0]  # the member sees the new year, and what the old one still owes
    assert "năm 2027" in own and "Chưa đóng 1 tháng đã qua: 01/2027" in own
    assert "Năm 2026 còn chưa đóng 3 tháng: 10/2026, 11/2026, 12/2026" in own
    own = (await scene.say(BA, "/dangphi"))[0]
    assert "Năm 2026" not in own  # December paid late: nothing owed for 2026
