"""Any period on the web view (?ky=month, quarter or year), its workbook, and the yearly rating of cells:
the pure rules, the pages through HTTP against the database, a committee member's decision (audited),
and the year and quarter boundaries."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.texts import CATALOG
from rules import RuleSet
from rules.period import MONTH, QUARTER, YEAR, Period, choices, parse_period
from rules.quality import Level
from rules.yearly import YearRecord, parse_level, propose_year_level
from storage.models import CellYearRating, CommitteeMember, DuesPayment
from tests.conftest import DB_KINDS
from tests.flow.test_web import get, story  # noqa: F401  (fixtures)
from tests.support.web_story import COMMITTEE, DEPUTY, MEMBER, OTHER_COMMITTEE, SECRETARY, TRUANT, VN

# --- the rules ---


def test_a_period_is_read_from_its_key_and_knows_its_months():
    assert parse_period("2026-11") == Period(MONTH, 2026, 11)
    assert parse_period(" 2026-q4 ") == Period(QUARTER, 2026, 4)
    assert parse_period("2026") == Period(YEAR, 2026)
    for bad in ("2026-13", "2026-Q5", "26", "2026-00", "1999", "tháng 11", "", "2026-Q4x"):
        with pytest.raises(ValueError):
            parse_period(bad)
    q4 = Period(QUARTER, 2026, 4)
    assert (q4.key, q4.start, q4.end, q4.months) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31),
                                                     ["2026-10", "2026-11", "2026-12"])
    assert q4.next() == Period(QUARTER, 2027, 1) and Period(QUARTER, 2027, 1).previous() == q4  # the year boundary
    assert Period(MONTH, 2027, 1).previous() == Period(MONTH, 2026, 12)
    assert Period(MONTH, 2026, 2).end == date(2026, 2, 28) and Period(MONTH, 2028, 2).end == date(2028, 2, 29)
    assert Period(QUARTER, 2026, 3).contains(date(2026, 9, 30)) and not Period(QUARTER, 2026, 3).contains(date(2026, 10, 1))
    assert Period(YEAR, 2026).months_until(date(2026, 3, 31)) == ["2026-01", "2026-02", "2026-03"]
    assert Period(YEAR, 2026).quarters == [(2026, 1), (2026, 2), (2026, 3), (2026, 4)]
    offered = [p.key for p in choices(date(2027, 1, 4), years=2)]
    assert offered[:3] == ["2027-01", "2026-12", "2026-11"]  # this month first, across the new year
    assert "2027-Q1" in offered and "2026-Q4" in offered and offered[-2:] == ["2027", "2026"]


def record(**kw) -> YearRecord:
    base = {"months_judged": 12, "months_missed": (), "quarters_judged": 4, "quarters_without_thematic": (),
            "levels": ["tot"] * 6 + ["kha"] * 6, "attendance": 0.93}
    base.update(kw)
    return YearRecord(**base)


def test_the_proposed_yearly_level_follows_the_documented_rule():
    rules = RuleSet()
    assert propose_year_level(record(), rules).level == Level.TOT
    # Tốt needs a Tốt meeting in half the months judged: 6 of 12 is enough, 5 is not (judged unrounded).
    assert propose_year_level(record(levels=["tot"] * 5 + ["kha"] * 7), rules).level == Level.KHA
    # One month missed, a quarter without a thematic meeting, or attendance under the target: not Tốt.
    assert propose_year_level(record(months_missed=["2026-03"], levels=["tot"] * 6 + ["kha"] * 5), rules).level == Level.KHA
    assert propose_year_level(record(quarters_without_thematic=["2026-Q2"]), rules).level == Level.KHA
    assert propose_year_level(record(attendance=0.8999), rules).level == Level.KHA
    assert propose_year_level(record(attendance=0.90), rules).level == Level.TOT
    # Two months missed: not Khá; three: Kém (Điều lệ's three months echo), whatever the levels.
    two = record(months_missed=["2026-03", "2026-04"], levels=["tot"] * 10)
    assert propose_year_level(two, rules).level == Level.TRUNG_BINH
    three = record(months_missed=["2026-03", "2026-04", "2026-05"], levels=["tot"] * 9)
    proposal = propose_year_level(three, rules)
    assert proposal.level == Level.KEM and proposal.reasons[0].code == "poor_missed"
    # More than half of the assessed meetings at Kém: Kém; exactly half: not.
    assert propose_year_level(record(levels=["kem"] * 4 + ["kha"] * 3 + [None] * 5), rules).level == Level.KEM
    assert propose_year_level(record(levels=["kem"] * 3 + ["kha"] * 3), rules).level == Level.TRUNG_BINH
    # Meetings not assessed count as months without a good level.
    assert propose_year_level(record(levels=[None] * 12), rules).level == Level.TRUNG_BINH
    nothing = propose_year_level(record(months_judged=0, levels=[]), rules)
    assert nothing.level is None and [r.code for r in nothing.reasons] == ["no_record"]


def test_a_committee_sets_its_own_figures_for_the_yearly_level():
    strict = RuleSet(year_good_share=0.75, year_poor_missed_months=2)
    assert propose_year_level(record(), strict).level == Level.KHA  # 6 of 12 at Tốt is under three quarters
    assert propose_year_level(record(months_missed=["2026-03", "2026-04"], levels=["tot"] * 10), strict).level == Level.KEM


def test_every_reason_has_a_text_in_every_language():
    codes = {"no_record", "held", "levels", "missed", "no_thematic", "attendance_low", "attendance_ok", "tasks", "dues",
             "poor_missed", "poor_levels", "good", "fair", "average"}
    seen = set()
    for rec in (record(), record(months_judged=0, levels=[]), record(months_missed=["a", "b", "c"]),
                record(levels=["kem"] * 12), record(levels=[None] * 12, months_missed=["a"], attendance=0.5,
                                                     quarters_without_thematic=["2026-Q1"], tasks_share=0.5,
                                                     dues_share=1.0),
                record(levels=["kha"] * 12)):
        seen |= {r.code for r in propose_year_level(rec, RuleSet()).reasons}
    assert seen == codes
    for lang, texts in CATALOG.items():
        assert {f"rating.reason.{c}" for c in codes} <= set(texts), lang
    assert {k[len("rating.reason."):] for k in CATALOG["vi"] if k.startswith("rating.reason.")} == codes


def test_a_level_is_read_as_people_type_it():
    assert parse_level("Tốt") == parse_level("tot") == Level.TOT
    assert parse_level("trung bình") == parse_level("trung_binh") == Level.TRUNG_BINH
    with pytest.raises(ValueError):
        parse_level("xuất sắc")


# --- the pages ---


async def post(story, path: str, data: dict) -> httpx.Response:  # noqa: F811
    async with httpx.AsyncClient(base_url=story.root, follow_redirects=False, timeout=60) as client:
        return await client.post(path, data=data)


def row_of(html: str, cell_id: int, table: str) -> str:
    body = html.split(f'id="{table}"', 1)[1]
    return body.split(f'data-cell="{cell_id}"', 1)[1].split("</tr>", 1)[0]


def text_of(html: str, cls: str) -> str:
    found = re.search(rf'class="{cls}[^"]*"[^>]*>(.*?)</td>', html, re.S)
    assert found is not None, cls
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_committee_sees_a_quarter_and_the_quarter_before(story):  # noqa: F811
    """Cells on chibo from 1 September 2026: the fourth quarter is judged whole, the third only from September."""
    base = await story.base(COMMITTEE)
    c1, c2 = story.cells["1"], story.cells["2"]
    q4 = await get(story, base + "/?ky=2026-Q4")
    assert q4.status_code == 200
    assert "Quý 4/2026" in q4.text and 'value="2026-Q4" selected' in q4.text
    one, two = row_of(q4.text, c1, "period-cells"), row_of(q4.text, c2, "period-cells")
    assert text_of(one, "held") == "3/3" and text_of(one, "missed") == "–"
    assert text_of(one, "no-thematic") == ""  # the thematic meeting of 20 November
    # Cell 2 held November only; December has no meeting scheduled yet, as the weekly summary says ("missing").
    assert text_of(two, "held") == "1/3" and text_of(two, "missed") == "10/2026, 12/2026"
    assert text_of(two, "no-thematic") == "2026-Q4"
    # Attendance over the quarter: the regular meetings' present over expected, summed (cell 1: 8/9, 7/9, 7/9;
    # late counts as present, the exempt member is not expected).
    assert text_of(one, "rate") == "81% (22/27)"
    assert text_of(one, "tasks") == "1/2 (50%)"  # due in the quarter by 12 December: one done on time, one overdue
    # The third quarter: July and August are before chibo (not judged), September had no meeting.
    q3 = await get(story, base + "/?ky=2026-Q3")
    one = row_of(q3.text, c1, "period-cells")
    assert text_of(one, "held") == "0/1" and text_of(one, "missed") == "09/2026"
    assert text_of(one, "no-thematic") == ""  # the cell was not on chibo from the quarter's first day
    # The month only: November.
    nov = await get(story, base + "/?ky=2026-11")
    assert text_of(row_of(nov.text, c2, "period-cells"), "held") == "1/1"
    assert "Tháng 11/2026" in nov.text


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_dues_over_a_period_where_the_cell_keeps_them(story):  # noqa: F811
    """Cell 1 records dues in chibo: two members paid October and November. The quarter counts member-months
    (ten members owe each of its three months), as each month's collection of the weekly summary, summed."""
    scene, c1, c2 = story.scene, story.cells["1"], story.cells["2"]
    async with scene.sessions()() as s, s.begin():
        for who in (MEMBER, DEPUTY):
            for month in (10, 11):
                s.add(DuesPayment(cell_id=c1, member_id=scene.who(who).member_id, month=date(2026, month, 1),
                                  amount=30000, recorded_at=datetime(2026, month, 5, 20, 0, tzinfo=VN)))
    base = await story.base(COMMITTEE)
    q4 = await get(story, base + "/?ky=2026-Q4")
    assert text_of(row_of(q4.text, c1, "period-cells"), "dues") == "4/30 (13%)"
    assert text_of(row_of(q4.text, c2, "period-cells"), "dues") == "Chưa"  # cell 2 keeps no dues in chibo
    nov = await get(story, base + "/?ky=2026-11")
    assert text_of(row_of(nov.text, c1, "period-cells"), "dues") == "2/10 (20%)"
    cell = await get(story, base + f"/cell/{c1}?ky=2026")
    member_row = cell.text.split(f'data-member="{scene.who(MEMBER).member_id}"', 1)[1].split("</tr>", 1)[0]
    assert text_of(member_row, "dues-months") == "10, 11"
    nov_cell = await get(story, base + f"/cell/{c1}?ky=2026-12")
    member_row = nov_cell.text.split(f'data-member="{scene.who(MEMBER).member_id}"', 1)[1].split("</tr>", 1)[0]
    assert text_of(member_row, "dues-months") == "–"  # nothing paid for December


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_period_that_is_not_one_says_what_to_type(story):  # noqa: F811
    base = await story.base(COMMITTEE)
    for bad in ("2026-13", "hôm qua", "2026-Q9"):
        response = await get(story, base + "/?ky=" + bad)
        assert response.status_code == 400
        assert "?ky=2026-12" in response.text and "?ky=2026-Q4" in response.text  # examples from the clock
        assert 'id="period-cells"' in response.text  # and this month is shown meanwhile
    assert (await get(story, base + "/period.xlsx?ky=2026-13")).status_code == 400
    assert (await get(story, base + f"/cell/{story.cells['1']}?ky=x")).status_code == 400


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_who_may_see_the_period_pages(story):  # noqa: F811
    c1, c3 = story.cells["1"], story.cells["3"]
    secretary, other = await story.base(SECRETARY), await story.base(OTHER_COMMITTEE)
    assert (await get(story, secretary + "/?ky=2026")).status_code == 303  # to their own cell's page
    for path in ("/period.xlsx?ky=2026", "/rating?ky=2026", "/rating/print?ky=2026"):
        assert (await get(story, secretary + path)).status_code == 403, path
    assert (await get(story, secretary + f"/cell/{c1}?ky=2026-Q4")).status_code == 200
    assert (await get(story, other + f"/cell/{c1}?ky=2026")).status_code == 403
    assert (await get(story, other + f"/cell/{c3}?ky=2026")).status_code == 200
    rating = await get(story, other + "/rating?ky=2026")
    assert "Chi bộ khu dân cư số 1" not in rating.text and "Chi bộ khác số 3" in rating.text


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_cells_page_over_a_period(story):  # noqa: F811
    base = await story.base(COMMITTEE)
    c1, m = story.cells["1"], story.meetings
    year = await get(story, base + f"/cell/{c1}?ky=2026")
    assert year.status_code == 200 and "Năm 2026" in year.text
    assert all(f'data-meeting="{m[k]}"' in year.text for k in ("1-10", "1-11", "1-th", "1-12"))
    assert "Tốt" in year.text and "Khá" in year.text  # the meetings' levels
    nov = await get(story, base + f"/cell/{c1}?ky=2026-11")
    assert f'data-meeting="{m["1-11"]}"' in nov.text and f'data-meeting="{m["1-th"]}"' in nov.text
    assert f'data-meeting="{m["1-10"]}"' not in nov.text and f'data-meeting="{m["1-12"]}"' not in nov.text
    assert "Tháng 11/2026" in nov.text and f'href="{base}/?ky=2026-11"' in nov.text  # back to the same period
    assert f'/cell/{c1}/chart.svg?ky=2026-11"' in nov.text
    # Điều 8.1 counts the calendar year: December alone still shows the member absent without reason in
    # October and November, though present in December.
    dec = await get(story, base + f"/cell/{c1}?ky=2026-12")
    assert f'data-meeting="{m["1-11"]}"' not in dec.text
    assert 'id="near"' in dec.text and TRUANT in dec.text.split('id="near"', 1)[1].split("</p>", 1)[0]
    chart = await get(story, base + f"/cell/{c1}/chart.svg?ky=2026-Q4")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_committee_member_confirms_and_changes_a_yearly_level(story):  # noqa: F811
    base = await story.base(COMMITTEE)
    c1, c2 = story.cells["1"], story.cells["2"]
    page = await get(story, base + "/rating?ky=2026")
    assert page.status_code == 200
    # Cell 1: September missed (on chibo, no meeting), October–December held, November Tốt, December Khá: Khá.
    # Cell 2: September, October and December without a regular meeting: Kém.
    assert text_of(row_of(page.text, c1, "rating"), "proposed").startswith("Khá")
    assert text_of(row_of(page.text, c2, "rating"), "proposed").startswith("Kém")
    assert "3 tháng không họp thường kỳ: 09/2026, 10/2026, 12/2026." in row_of(page.text, c2, "rating")
    form = re.search(r'name="form" value="([0-9a-f]{32})"', page.text).group(1)

    async def count() -> int:
        async with story.scene.sessions()() as s:
            return await s.scalar(select(func.count()).select_from(CellYearRating))

    # A level other than the proposal needs a reason: nothing written, the page says what to type.
    refused = await post(story, base + "/rating", {"form": form, "cell": c2, "year": "2026", "level": "trung_binh"})
    assert refused.status_code == 400 and "Lý do" in refused.text and "ví dụ" in refused.text
    assert await count() == 0
    # A form not from this page, another committee's member, a secretary: refused, nothing written.
    assert (await post(story, base + "/rating", {"form": "0" * 32, "cell": c2, "year": "2026",
                                                 "level": "kem"})).status_code == 403
    other = await story.base(OTHER_COMMITTEE)
    other_form = re.search(r'name="form" value="([0-9a-f]{32})"', (await get(story, other + "/rating?ky=2026")).text).group(1)
    assert (await post(story, other + "/rating", {"form": other_form, "cell": c2, "year": "2026",
                                                  "level": "kem"})).status_code == 403
    assert (await post(story, await story.base(SECRETARY) + "/rating", {"form": form, "cell": c1, "year": "2026",
                                                                        "level": "tot"})).status_code == 403
    assert (await post(story, base + "/rating", {"form": form, "cell": c2, "year": "2026",
                                                 "level": "xuất sắc"})).status_code == 400
    assert await count() == 0

    changed = await post(story, base + "/rating", {"form": form, "cell": c2, "year": "2026", "level": "trung_binh",
                                                   "reason": "Chi bộ họp tháng 9 trước khi dùng chibo"})
    assert changed.status_code == 303 and changed.headers["location"].startswith(f"{base}/rating?ky=2026&saved={c2}")
    shown = await get(story, changed.headers["location"])
    assert "Đã ghi mức xếp loại năm 2026 của Chi bộ khu dân cư số 2: Trung bình." in shown.text
    decided = text_of(row_of(shown.text, c2, "rating"), "decided")
    assert decided.startswith("Trung bình") and "Trần Văn Cấp" in decided and "Chi bộ họp tháng 9" in decided
    # Confirming the proposal needs no reason; the audit keeps both decisions, from → to.
    assert (await post(story, base + "/rating", {"form": form, "cell": c2, "year": "2026",
                                                 "level": "kem"})).status_code == 303
    async with story.scene.sessions()() as s:
        rows = list(await s.scalars(select(CellYearRating).order_by(CellYearRating.id)))
        member = await s.scalar(select(CommitteeMember.id).where(CommitteeMember.full_name == COMMITTEE))
    assert [(r.cell_id, r.year, r.previous_level, r.level, r.proposed_level, r.committee_member_id) for r in rows] == [
        (c2, 2026, None, "trung_binh", "kem", member), (c2, 2026, "trung_binh", "kem", "kem", member)]
    assert rows[0].reason == "Chi bộ họp tháng 9 trước khi dùng chibo" and rows[1].reason is None
    assert rows[0].actor == f"committee_member:{member}"
    # The printable page and the workbook show the committee's level.
    printed = await get(story, base + "/rating/print?ky=2026")
    assert printed.status_code == 200 and "<form" not in printed.text and "Kém: 1" in printed.text
    workbook = await get(story, base + "/period.xlsx?ky=2026")
    assert workbook.status_code == 200
    wb = load_workbook(io.BytesIO(workbook.content))
    assert wb.sheetnames == ["Tổng hợp", "Đảng ủy phường Thử Nghiệm", "Thường kỳ theo tháng"]
    sheet = wb["Đảng ủy phường Thử Nghiệm"]
    headers = [c.value for c in sheet[1]]
    lines = {row[0]: dict(zip(headers, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    two = lines["Chi bộ khu dân cư số 2"]
    assert (two["Thường kỳ đã họp"], two["Tháng theo dõi"], two["Chibo đề xuất"], two["Cấp ủy xếp loại"]) == (1, 4, "Kém", "Kém")
    assert two["Người xếp loại"] == COMMITTEE
    assert lines["Chi bộ khu dân cư số 1"]["Chibo đề xuất"] == "Khá"
    assert lines["Chi bộ khu dân cư số 1"]["Tỷ lệ dự"] == pytest.approx(22 / 27)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_across_the_new_year(story):  # noqa: F811
    """On 4 January 2027: the year 2026 is whole (December counted, as it ended), January 2027 is this month."""
    story.scene.at(datetime(2027, 1, 4, 9, 0, tzinfo=VN))
    base = await story.base(COMMITTEE)
    c1, c2 = story.cells["1"], story.cells["2"]
    year = await get(story, base + "/?ky=2026")
    assert text_of(row_of(year.text, c1, "period-cells"), "held") == "3/4"  # September to December
    assert text_of(row_of(year.text, c2, "period-cells"), "missed") == "09/2026, 10/2026, 12/2026"
    assert text_of(row_of(year.text, c2, "period-cells"), "no-thematic") == "2026-Q4"
    dec = await get(story, base + "/?ky=2026-12")
    assert text_of(row_of(dec.text, c1, "period-cells"), "held") == "1/1"
    jan = await get(story, base + "/?ky=2027-01")
    assert text_of(row_of(jan.text, c1, "period-cells"), "missed") == "01/2027"
    assert text_of(row_of(jan.text, c1, "period-cells"), "no-thematic") == ""  # Q1's first month is not over
    q1 = await get(story, base + "/?ky=2027-Q1")
    assert 'value="2027-Q1" selected' in q1.text and text_of(row_of(q1.text, c1, "period-cells"), "held") == "0/1"
    home = await get(story, base + "/")
    assert '<option value="2027-01" selected>' in home.text  # the picker on the month's page starts at this month


# --- in the chat ---


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_committee_member_rates_a_cell_in_the_chat(story):  # noqa: F811
    """/xeploai: the list of the year's proposals, then one cell's level with a reason; kept after a restart."""
    scene = story.scene
    c2 = story.cells["2"]

    async def rows() -> list[tuple]:
        async with scene.sessions()() as s:
            return [(r.cell_id, r.year, r.previous_level, r.level, r.proposed_level, r.actor, r.reason)
                    for r in await s.scalars(select(CellYearRating).order_by(CellYearRating.id))]

    listed = "\n".join(await scene.say(COMMITTEE, "/xeploai 2026"))
    assert "1. Chi bộ khu dân cư số 1: Khá → Chưa xác nhận" in listed
    assert "2. Chi bộ khu dân cư số 2: Kém → Chưa xác nhận" in listed
    assert "/xeploai 2026 2 kha" in listed  # how to type it, with this year
    assert "xác nhận" in "\n".join(await scene.say(COMMITTEE, "xếp loại"))  # in words, this year by default
    # Refusals: each says what to type, and nothing is written.
    need = "\n".join(await scene.say(COMMITTEE, "/xeploai 2026 2 trung bình"))
    assert "lý do" in need and "/xeploai 2026 2 trung_binh" in need
    assert "từ 1 đến 2" in "\n".join(await scene.say(COMMITTEE, "/xeploai 2026 7 kem"))
    assert "Không hiểu năm" in "\n".join(await scene.say(COMMITTEE, "/xeploai năm nay"))
    assert "tot, kha" in "\n".join(await scene.say(COMMITTEE, "/xeploai 2026 2 xuất sắc"))
    assert "dành cho cấp ủy" in "\n".join(await scene.say(SECRETARY, "/xeploai 2026 1 tot"))
    assert await rows() == []

    saved = "\n".join(await scene.say(COMMITTEE, "/xeploai 2026 2 trung bình Chi bộ đã họp bù tháng 10"))
    assert "Đã ghi mức xếp loại năm 2026 của Chi bộ khu dân cư số 2: Trung bình (trước đó: –)." in saved
    member = scene.who(COMMITTEE).committee_member_id
    await scene.stop_bot()
    await scene.start_bot()  # the decision is in the database, not in the process
    assert await rows() == [(c2, 2026, None, "trung_binh", "kem", f"committee_member:{member}",
                             "Chi bộ đã họp bù tháng 10")]
    assert "2. Chi bộ khu dân cư số 2: Kém → Trung bình" in "\n".join(await scene.say(COMMITTEE, "/xeploai 2026"))
    # The web page shows the chat's decision.
    page = await get(story, await story.base(COMMITTEE) + "/rating?ky=2026")
    assert "Chi bộ đã họp bù tháng 10" in row_of(page.text, c2, "rating")
