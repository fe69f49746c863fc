"""The words a careful secretary reads: examples that can be typed as they stand (never a past date),
names in the Vietnamese order in every list."""

from __future__ import annotations

from datetime import date

from conftest import vn

from bot.scene import Scene
from rules import next_month_day
from storage.models import Role

SEC, AN = "Nguyễn Văn Bí", "Lê Văn An"


def test_an_example_date_is_next_month_whatever_today_is():
    assert next_month_day(date(2026, 12, 7), 5) == date(2027, 1, 5)  # year end
    assert next_month_day(date(2027, 1, 31), 30) == date(2027, 2, 28)  # month end
    assert next_month_day(date(2028, 1, 31), 30) == date(2028, 2, 29)  # 29/02
    assert next_month_day(date(2028, 2, 29), 20) == date(2028, 3, 20)
    for today in (date(2026, 12, 31), date(2027, 6, 1), date(2028, 2, 29)):
        assert next_month_day(today, 1) > today


def codes(message: dict) -> list[str]:
    """What a message shows as code (<code>…</code>): the examples, as the person would type them."""
    raw = message.get("text", "").encode("utf-16-le")  # entity offsets count UTF-16 units
    return [raw[2 * e["offset"]: 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in message.get("entities", []) if e["type"] == "code"]


async def answer_codes(scene: Scene, name: str, text: str) -> list[str]:
    await scene.say(name, text)
    return codes(scene.last(name))


async def test_every_example_in_an_answer_can_be_typed_as_it_stands(scene: Scene):
    committee = await scene.add_committee("Đảng ủy phường")
    await scene.add_cell(committee, "Chi bộ số 4", [(SEC, Role.BI_THU), (AN, Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link(SEC, AN)
    scene.at(vn(2027, 12, 31, 20, 0))  # the last evening of a year: last year's examples are long past

    shown = [c for c in await answer_codes(scene, SEC, "/lichhop mai 19:30") if c.startswith("/lichhop")]
    assert len(shown) == 4 and all(" 2028-01-" in c for c in shown), shown  # the error's and the usage's
    assert "Đã đặt lịch" in (await scene.say(SEC, shown[0]))[0]  # typed as it stands: accepted

    shown = [c for c in await answer_codes(scene, SEC, "/doilich 2028-01-07 19:30 Nhà văn hóa") if c.startswith("/doilich")]
    assert len(shown) == 1 and " 2028-01-" in shown[0], shown
    assert "Đã đổi cuộc họp" in (await scene.say(SEC, shown[0]))[0]

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
