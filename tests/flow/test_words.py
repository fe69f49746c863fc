"""The words a careful secretary reads: examples that can be typed as they stand (never a past date),
names in the Vietnamese order in every list."""

from __future__ import annotations

from datetime import date

from bot.demo.scene import Scene
from rules import a_little_later, later_this_month, next_month_day
from scheduler.timed.nudges import run_daily
from storage.models import Role
from tests.conftest import vn

SEC, AN = "Nguyễn Văn Bí", "Lê Văn An"


def test_an_example_date_is_next_month_whatever_today_is():
    assert next_month_day(date(2026, 12, 7), 5) == date(2027, 1, 5)  # year end
    assert next_month_day(date(2027, 1, 31), 30) == date(2027, 2, 28)  # month end
    assert next_month_day(date(2028, 1, 31), 30) == date(2028, 2, 29)  # 29/02
    assert next_month_day(date(2028, 2, 29), 20) == date(2028, 3, 20)
    for today in (date(2026, 12, 31), date(2027, 6, 1), date(2028, 2, 29)):
        assert next_month_day(today, 1) > today


def test_a_nudge_for_this_month_shows_a_date_ahead_in_this_month():
    assert later_this_month(date(2026, 12, 1)) == date(2026, 12, 4)
    assert later_this_month(date(2026, 12, 30)) == date(2026, 12, 31)  # not January: that month is not owed
    assert later_this_month(date(2026, 12, 31)) == date(2026, 12, 31)  # the evening of the last day
    assert later_this_month(date(2028, 2, 27)) == date(2028, 2, 29)


def test_a_time_to_type_now_is_a_little_later_on_a_whole_five_minutes():
    from datetime import datetime

    assert a_little_later(datetime(2026, 12, 5, 19, 57)) == datetime(2026, 12, 5, 20, 5)
    assert a_little_later(datetime(2026, 12, 5, 20, 0)) == datetime(2026, 12, 5, 20, 5)
    assert a_little_later(datetime(2026, 12, 31, 23, 55, 30)) == datetime(2027, 1, 1, 0, 5)  # never under 5 minutes


def codes(message: dict) -> list[str]:
    """What a message shows as code (<code>…</code>): the examples, as the person would type them."""
    raw = message.get("text", "").encode("utf-16-le")  # entity offsets count UTF-16 units
    return [raw[2 * e["offset"]: 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in message.get("entities", []) if e["type"] == "code"]


async def answer_codes(scene: Scene, name: str, text: str) -> list[str]:
    answer = (await scene.say(name, text))[0]  # the answer, not a reminder delivered meanwhile
    return codes(next(m for m in reversed(scene.inbox(name)) if m.get("text") == answer))


async def test_every_example_in_an_answer_can_be_typed_as_it_stands(scene: Scene):
    committee = await scene.add_committee("Đảng ủy phường")
    await scene.add_cell(committee, "Chi bộ số 4", [(SEC, Role.BI_THU), (AN, Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link(SEC, AN)
    scene.at(vn(2027, 12, 31, 20, 0))  # the last evening of a year: last year's examples are long past

    shown = [c for c in await answer_codes(scene, SEC, "/lichhop mai 19:30") if c.startswith("/lichhop")]
    # the error's (a week ahead, as people type it) and the usage's (next month's)
    assert shown[0] == "/lichhop 07/01 19:30" and len(shown) == 4 and all(" 2028-01-" in c for c in shown[1:]), shown
    assert "Đã đặt lịch" in (await scene.say(SEC, shown[0]))[0]  # typed as it stands: accepted

    shown = [c for c in await answer_codes(scene, SEC, "/doilich 32/01 19:30 Nhà văn hóa") if c.startswith("/doilich")]
    # a week ahead, as people type it (the meeting set above is then: its place and topic change)
    assert shown[:2] == ["/doilich 07/01 19:30", "/doilich 07/01 19:30 Nhà văn hóa | Chủ đề mới"], shown
    assert "Đã đổi cuộc họp" in (await scene.say(SEC, shown[1]))[0]

    # A second regular meeting in January: the example moves the one there to what was typed.
    shown = [c for c in await answer_codes(scene, SEC, "/lichhop 2028-01-20 18:00") if c.startswith("/doilich ")]
    assert shown == ["/doilich NGÀY GIỜ", "/doilich 20/01/2028 18:00"]
    shown = shown[1:]
    assert "Đã đổi cuộc họp" in (await scene.say(SEC, shown[0]))[0]

    scene.at(vn(2028, 1, 20, 18, 0))
    await scene.say(SEC, "/batdau")
    dates = await answer_codes(scene, SEC, "/giaoviec Lê Văn An | Đóng đảng phí | hôm qua")
    assert dates[1:] == ["20/02/2028", "2028-02-20", "20/02"], dates
    for typed in dates[1:]:
        assert "Đã giao việc" in (await scene.say(SEC, f"/giaoviec Lê Văn An | Đóng đảng phí {typed} | {typed}"))[0]
    usage = [c for c in await answer_codes(scene, SEC, "/giaoviec") if c.startswith("/giaoviec Lê")]
    assert usage and usage[0].endswith("| 20/02/2028")
    scene.at(vn(2028, 1, 20, 19, 40))
    assert "Tóm tắt" in (await scene.say(SEC, "/ketthuc"))[0]

    scene.at(vn(2028, 2, 11, 21, 2))  # a day without a meeting, in the evening: 19:30 would be past
    shown = [c for c in await answer_codes(scene, SEC, "/batdau") if c.startswith("/lichhop")]
    assert shown == ["/lichhop 11/02/2028 21:10"], shown
    assert "Đã đặt lịch" in (await scene.say(SEC, shown[0]))[0]
    assert "Cuộc họp bắt đầu lúc 21:02" in (await scene.say(SEC, "/batdau"))[0]


# The Vietnamese order: given name, then middle, then family; Đ after D, tones last. Raw characters
# would put Bùi first and Đỗ last; family before middle would put Đỗ Văn An before Trần Thị An.
ORDERED = ["Trần Thị An", "Đỗ Văn An", "Lê Văn Ánh", "Nguyễn Văn Bí", "Dương Văn Bình", "Bùi Thị Dung", "Nguyễn Văn Đức"]
LEADER = "Nguyễn Văn Bí"


def in_order(text: str, names: list[str]) -> bool:
    """``names`` all appear in ``text``, in this order."""
    places = [text.find(n) for n in names]
    return -1 not in places and places == sorted(places)


async def test_every_list_of_names_is_in_the_vietnamese_order(scene: Scene):
    import io

    from docx import Document

    committee = await scene.add_committee("Đảng ủy phường")
    scrambled = sorted(ORDERED)  # raw characters: Bùi, Dương, Lê, Nguyễn…, Trần, Đỗ
    await scene.add_cell(committee, "Chi bộ số 4",
                         [(n, Role.BI_THU if n == LEADER else Role.DANG_VIEN) for n in scrambled])
    await scene.start_bot()
    await scene.link(*scrambled)
    await scene.say(LEADER, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(LEADER, "/batdau")
    for name in ("Bùi Thị Dung", "Dương Văn Bình"):
        await scene.say(name, "/diemdanh")

    ambiguous = (await scene.say(LEADER, "/diemdanh_ho An"))[0]
    assert "Có nhiều đảng viên" in ambiguous and in_order(ambiguous, ["Trần Thị An", "Đỗ Văn An"]), ambiguous
    assert "Nguyễn Văn Bí" not in ambiguous and "Ánh" not in ambiguous  # whole words: "An" is not in "Văn"

    everyone = (await scene.say(LEADER, "/giaoviec cả chi bộ | Đóng đảng phí | 20/12"))[0]
    present = ["Nguyễn Văn Bí", "Dương Văn Bình", "Bùi Thị Dung"]
    assert in_order(everyone, present), everyone
    for name in ("Bùi Thị Dung", "Dương Văn Bình"):
        await scene.say(LEADER, f"/giaoviec {name} | Viết bài thu hoạch | 20/12")
    listing = (await scene.say(LEADER, "/viec"))[0]
    assert in_order(listing, ["Nguyễn Văn Bí: Đóng đảng phí", "Dương Văn Bình: Đóng đảng phí",
                              "Dương Văn Bình: Viết bài thu hoạch", "Bùi Thị Dung: Đóng đảng phí",
                              "Bùi Thị Dung: Viết bài thu hoạch"]), listing

    scene.at(vn(2026, 12, 5, 21, 5))
    summary = "\n".join(await scene.say(LEADER, "/ketthuc"))
    absent = summary[summary.index("Vắng không lý do"):].split("\n")[0]
    assert in_order(absent, ["Trần Thị An", "Đỗ Văn An", "Lê Văn Ánh", "Nguyễn Văn Đức"]), absent
    tasks = summary[summary.index("Việc được giao"):]
    assert in_order(tasks.split("\n")[1], present), tasks  # one line for the task given to everyone present
    assert in_order(tasks, ["Dương Văn Bình, Bùi Thị Dung: Viết bài thu hoạch"]), tasks

    await scene.say(LEADER, "/bienban", expect=2)
    doc = Document(io.BytesIO(scene.server.calls("sendDocument")[-1]["document"].content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert in_order(next(p for p in text.split("\n") if p.startswith("Vắng không lý do")),
                    ["Trần Thị An", "Đỗ Văn An", "Lê Văn Ánh", "Nguyễn Văn Đức"])
    assert in_order(next(p for p in text.split("\n") if p.startswith("Có mặt")), present)
    rows = [[c.text for c in row.cells] for row in doc.tables[1].rows[1:]]
    assert [r[1] for r in rows] == ["3 đồng chí có mặt", "Dương Văn Bình, Bùi Thị Dung"], rows

    scene.at(vn(2026, 12, 21, 7, 0))  # past the deadline: the overdue report to the secretary
    await run_daily(scene.runtime.services)
    await scene.settle()
    overdue = next(t for t in scene.server.texts(scene.who(LEADER).chat_id) if "quá hạn chưa xong" in t)
    assert in_order(overdue, ["Nguyễn Văn Bí: Đóng đảng phí", "Dương Văn Bình: Đóng đảng phí",
                              "Dương Văn Bình: Viết bài thu hoạch", "Bùi Thị Dung: Đóng đảng phí",
                              "Bùi Thị Dung: Viết bài thu hoạch"]), overdue
