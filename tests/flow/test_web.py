"""The committee's web view over HTTP: who sees what (every role against every page), the values
shown against the database, Telegram's initData sign-in, and the link /baocao gives."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import httpx
import pytest

from bot.web.initdata import sign_init_data, telegram_user_id
from core.weblinks import read_web_token, web_token
from tests.conftest import DB_KINDS
from tests.support.web_story import (
    CHI_UY,
    COMMITTEE,
    DEPUTY,
    GUEST_2,
    MEMBER,
    NOW,
    OTHER_COMMITTEE,
    SECRETARY,
    SECRETARY_2,
    TRUANT,
    VN,
    build,
)

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def story(scene):
    st = await build(scene)
    yield st
    await st.http.stop()


async def get(story, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=story.root, follow_redirects=False, timeout=60) as client:  # a loaded CI
        return await client.get(path)


def pages(story) -> dict[str, str]:
    c, m = story.cells, story.meetings
    return {"home": "/", "me": "/me", "cell 1": f"/cell/{c['1']}", "cell 2": f"/cell/{c['2']}",
            "foreign cell": f"/cell/{c['3']}", "unknown cell": "/cell/999999", "committee chart": "/chart.svg",
            "cell 1 chart": f"/cell/{c['1']}/chart.svg", "foreign chart": f"/cell/{c['3']}/chart.svg",
            "weekly workbook": "/weekly.xlsx", "minutes 1": f"/meeting/{m['1-12']}/minutes",
            "minutes 2": f"/meeting/{m['2-11']}/minutes", "foreign minutes": f"/meeting/{m['3-12']}/minutes"}


# What each role gets on each page: 200, 303 (sent to its own page) or 403.
ALLOWED = {
    COMMITTEE: {"home": 200, "cell 1": 200, "cell 2": 200, "committee chart": 200, "cell 1 chart": 200,
                "weekly workbook": 200, "minutes 1": 200, "minutes 2": 200},
    SECRETARY: {"home": 303, "me": 200, "cell 1": 200, "cell 1 chart": 200, "minutes 1": 200},
    DEPUTY: {"home": 303, "me": 200, "cell 1": 200, "cell 1 chart": 200, "minutes 1": 200},
    CHI_UY: {"home": 303, "me": 200},
    MEMBER: {"home": 303, "me": 200},
    SECRETARY_2: {"home": 303, "me": 200, "cell 2": 200, "minutes 2": 200},
    OTHER_COMMITTEE: {"home": 200, "foreign cell": 200, "committee chart": 200, "foreign chart": 200,
                      "weekly workbook": 200, "foreign minutes": 200},  # cell 3 is of their committee
}


async def test_each_role_against_each_page(story):
    for person, allowed in ALLOWED.items():
        base = await story.base(person)
        for page, path in pages(story).items():
            response = await get(story, base + path)
            assert response.status_code == allowed.get(page, 403), (person, page, response.status_code)
    # No token, a forged one, an expired one, an unlinked account: 403 on every page.
    base = await story.base(COMMITTEE)
    token = base.removeprefix("/web/")
    link_id, expires, sig = token.split("-")
    forged = f"/web/{int(link_id) + 1}-{expires}-{sig}"
    expired = f"/web/{web_token(story.scene.settings, int(link_id), NOW - timedelta(hours=25))}"
    for bad in ("/web/", "/web/nothing", forged, expired):
        for path in pages(story).values():
            assert (await get(story, bad + path)).status_code == 403, (bad, path)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_ids_beyond_the_integer_columns_are_403_on_every_route(story, caplog):
    """PostgreSQL's integer columns end at 2147483647: a bigger id in a path is no row, answered as any
    other id the viewer may not see, not a 500 with a traceback in the log."""
    base = await story.base(COMMITTEE)  # the committee sees every cell and meeting of theirs
    for big in ("2147483648", "99999999999", "999999999999"):
        for path in (f"/cell/{big}", f"/cell/{big}/chart.svg", f"/meeting/{big}/minutes"):
            response = await get(story, base + path)
            assert response.status_code == 403, (path, response.status_code)
            assert "Traceback" not in response.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"], [r.getMessage() for r in caplog.records]
    assert (await get(story, base + f"/cell/{story.cells['1']}")).status_code == 200  # the real ones still work


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}


def _check_headers(response: httpx.Response, what: str) -> None:
    """No server version; a CSP without inline scripts (each inline one carries the response's nonce) that
    lets only the page itself and Telegram's web clients frame it."""
    assert "server" not in response.headers or not re.search(r"\d", response.headers["server"]), \
        (what, response.headers.get("server"))
    if not what.startswith("/web"):
        return
    policy = _directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'self'", "https://web.telegram.org", "https://*.web.telegram.org"], what
    if response.headers.get("content-type", "").startswith("image/svg+xml"):
        # matplotlib styles every element in a style attribute: the chart may have inline styles, nothing else
        assert policy["default-src"] == ["'none'"] and "script-src" not in policy, (what, policy)
        assert policy["style-src"] == ["'unsafe-inline'"], (what, policy)
        return
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts, what
    assert policy["frame-ancestors"] == ["'self'", "https://web.telegram.org", "https://*.web.telegram.org"], what
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"], what
    nonces = [s.removeprefix("'nonce-").removesuffix("'") for s in scripts if s.startswith("'nonce-")]
    assert len(nonces) == 1 and len(nonces[0]) >= 16, (what, scripts)
    assert policy["style-src"] == ["'self'", f"'nonce-{nonces[0]}'"], (what, policy["style-src"])  # no unsafe-inline
    if response.headers.get("content-type", "").startswith("text/html"):
        for tag in re.findall(r"<script\b[^>]*>", response.text):
            assert "src=" in tag or f'nonce="{nonces[0]}"' in tag, (what, tag)
        styles = re.findall(r"<style\b[^>]*>", response.text)
        assert all(f'nonce="{nonces[0]}"' in tag for tag in styles), (what, styles)
        assert styles or response.status_code in (301, 302, 303), (what, response.status_code)  # a page has its own
        assert not re.search(r"<[^>]+\sstyle=", response.text), what  # a style attribute would be refused


async def test_every_page_sends_a_strict_csp_and_no_server_version(story):
    seen_nonces = set()
    for person in (COMMITTEE, SECRETARY, MEMBER, OTHER_COMMITTEE):
        base = await story.base(person)
        for path in ["/web/nothing/", *(base + p for p in pages(story).values()), base + "/cell/2147483648"]:
            response = await get(story, path)
            _check_headers(response, path)
            seen_nonces.add(response.headers["content-security-policy"])
    assert len(seen_nonces) > 20  # a new nonce for every response
    signin = await get(story, "/web/tg")
    assert signin.status_code == 200 and "<script>" not in signin.text  # the sign-in script runs by its nonce
    _check_headers(signin, "/web/tg")
    async with httpx.AsyncClient(base_url=story.root, timeout=60) as client:
        refused = await client.post("/web/tg", data={"init_data": "user=%7B%7D&hash=00"})
        assert refused.status_code == 403
        _check_headers(refused, "/web/tg (POST)")
        for path in ("/files/nothing.xlsx", "/no/such/page"):  # chibo's other routes, and tornado's own 404
            _check_headers(await client.get(path), path)


async def test_a_link_dies_with_the_account_and_the_secretary_role(story):
    base = await story.base(SECRETARY)
    assert (await get(story, base + f"/cell/{story.cells['1']}")).status_code == 200
    from sqlalchemy import update

    from storage.models import Member, Role
    async with story.scene.sessions()() as s, s.begin():
        await s.execute(update(Member).where(Member.id == story.scene.who(SECRETARY).member_id)
                        .values(role=Role.DANG_VIEN))
    assert (await get(story, base + f"/cell/{story.cells['1']}")).status_code == 403
    assert (await get(story, base + "/me")).status_code == 200


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_committee_table_shows_what_the_database_holds(story):
    base = await story.base(COMMITTEE)
    html = (await get(story, base + "/")).text
    assert "Đảng ủy phường Thử Nghiệm" in html and "Chi bộ khác số 3" not in html
    rows = re.findall(r'<tr class="(\w+)" data-cell="(\d+)">(.*?)</tr>', html, re.S)
    by_cell = {int(cell): (status, _text(body)) for status, cell, body in rows}
    assert [int(cell) for _, cell, _ in rows] == [story.cells["2"], story.cells["1"]]  # attention first: cell 2 missed December
    status_2, text_2 = by_cell[story.cells["2"]]
    assert status_2 == "attention" and "Chưa có lịch" in text_2 and "chưa sinh hoạt chuyên đề quý này" in text_2
    _status_1, text_1 = by_cell[story.cells["1"]]
    # December: 75 of 90 minutes; 9 expected (one exempt), 7 came (one of them late): 78 %.
    assert "75/90 phút" in text_1 and "Dự 7/9 (78%)" in text_1
    # November: 100 minutes, 7 of 9 (one absent, one excused); the thematic meeting of 20/11; one overdue task.
    assert "100/90 phút" in text_1 and "Dự 7/9 (78%)" in text_1 and "20/11" in text_1
    from core.texts import t
    assert t("vi", "attention.overdue_tasks", count=1) in text_1 and t("vi", "attention.short", minutes=75, minimum=90) in text_1
    totals = dict(re.findall(r'<b id="total-(\w+)">([^<]*)</b>', html))
    assert totals == {"cells": "2", "held": "1/2", "rate": "78%", "attention": "2", "thematic": "1", "overdue": "1",
                      "unreachable": "0"}
    filtered = (await get(story, base + "/?status=ok")).text
    assert 'data-cell="' not in filtered


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_cell_page_shows_the_year_and_marks_who_nears_article_8_1(story):
    html = (await get(story, await story.base(SECRETARY) + f"/cell/{story.cells['1']}")).text
    grid = dict(re.findall(r'data-member="(\d+)">(.*?)</tr>', html, re.S))
    marks = re.findall(r'data-mark="([^"]*)"', grid[str(story.scene.who(TRUANT).member_id)])
    assert marks == ["absent", "absent", "present", "present"]  # October, November, the thematic, December
    assert f"{TRUANT} ⚠" in html and "Điều 8.1" in html and f"{MEMBER} ⚠" not in html
    khanh = re.findall(r'data-mark="([^"]*)"', grid[str(story.scene.who("Ngô Văn Khánh").member_id)])
    assert khanh[-1] == "late"
    em = re.findall(r'data-mark="([^"]*)"', grid[str(story.scene.who("Hoàng Văn Em").member_id)])
    assert em == ["exempt"] * 4
    december = re.search(rf'data-meeting="{story.meetings["1-12"]}".*?</details>', html, re.S).group(0)
    assert "Vận động hộ gia đình đóng quỹ khuyến học" in december and "QUÁ HẠN" in december
    assert "Vắng có lý do</b>: Đặng Thị Lan, Tạ Thị Ngọc" in december  # by given name: Lan before Ngọc


async def test_a_member_sees_only_their_own_record(story):
    html = (await get(story, await story.base(TRUANT) + "/me")).text
    assert TRUANT in html and "Vận động hộ gia đình" in html and "Điều 8.1" in html
    for other in (MEMBER, SECRETARY, "Bùi Thị Hoa", "Báo cáo tình hình an ninh"):
        assert other not in html
    marks = re.findall(r'data-mark="([^"]*)"', html)
    assert marks == ["present", "present", "absent", "absent"]  # newest first


async def test_downloads_and_charts(story):
    base = await story.base(COMMITTEE)
    workbook = await get(story, base + "/weekly.xlsx")
    assert workbook.content[:2] == b"PK" and "spreadsheetml" in workbook.headers["content-type"]
    chart = await get(story, base + "/chart.svg")
    assert chart.headers["content-type"] == "image/svg+xml" and b"<svg" in chart.content
    minutes = await get(story, base + f"/meeting/{story.meetings['1-12']}/minutes")
    assert minutes.content[:2] == b"PK" and "wordprocessingml" in minutes.headers["content-type"]
    for response in (workbook, chart, minutes):
        assert response.headers["cache-control"] == "no-store" and response.headers["referrer-policy"] == "no-referrer"


async def _db(story, statement):
    async with story.scene.sessions()() as s:
        return (await s.execute(statement)).all()


def _tds(row_html: str) -> list[str]:
    return [_text(td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_committee_table_shows_the_last_guest_and_the_proposed_levels(story):
    from sqlalchemy import select

    from core.texts import t
    from storage.models import Cell, CommitteeMember, Meeting, MeetingAssessment, MeetingGuest
    html = (await get(story, await story.base(COMMITTEE) + "/")).text
    rows = {int(cell): _tds(body) for cell, body in re.findall(r'<tr class="\w+" data-cell="(\d+)">(.*?)</tr>', html, re.S)}
    # The last guest, from the database: the latest check-in of a committee member at each cell's meetings.
    visits = await _db(story, select(Meeting.cell_id, MeetingGuest.checked_in_at, CommitteeMember.full_name)
                       .join(MeetingGuest, MeetingGuest.meeting_id == Meeting.id)
                       .join(CommitteeMember, CommitteeMember.id == MeetingGuest.committee_member_id)
                       .join(Cell, Cell.id == Meeting.cell_id).where(Cell.committee_id == story.committee_id))
    last = {}
    for cell_id, at, name in sorted(visits, key=lambda v: v[1]):
        last[cell_id] = (name, at.astimezone(VN).strftime("%d/%m/%Y"))
    assert set(last) == {story.cells["1"]} and last[story.cells["1"]][0] == GUEST_2  # not October's guest
    name, day = last[story.cells["1"]]
    assert rows[story.cells["1"]][4] == t("vi", "web.guest", name=name, date=day) == f"{GUEST_2}, 05/11/2026"
    assert rows[story.cells["2"]][4] == t("vi", "web.none")  # never visited; cell 3's guest is another committee's
    assert OTHER_COMMITTEE not in html
    # The levels proposed for December's and November's regular meetings, as stored.
    stored = dict(await _db(story, select(MeetingAssessment.meeting_id, MeetingAssessment.level)
                             .where(MeetingAssessment.completed_at.is_not(None))))
    scores = dict(await _db(story, select(MeetingAssessment.meeting_id, MeetingAssessment.score)))
    for column, key in ((1, "1-12"), (2, "1-11")):
        meeting_id = story.meetings[key]
        shown = t("vi", "web.quality", level=t("vi", f"quality.level.{stored[meeting_id]}"), score=scores[meeting_id])
        assert shown in rows[story.cells["1"]][column], key
    assert "Đề xuất xếp loại: Khá (78/100)" in rows[story.cells["1"]][1]
    assert "Đề xuất xếp loại: Tốt (92/100)" in rows[story.cells["1"]][2]
    assert "Đề xuất xếp loại" not in rows[story.cells["2"]][2]  # November held, not assessed


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_cell_page_shows_each_meeting_s_proposed_level_and_names_in_vietnamese_order(story):
    from sqlalchemy import select

    from core.texts import t
    from core.textsplit import html_to_plain
    from rules.names import by_name
    from storage.models import MeetingAssessment, Member
    html = (await get(story, await story.base(DEPUTY) + f"/cell/{story.cells['1']}")).text
    assessed = {meeting_id: (level, score) for meeting_id, level, score, done in await _db(
        story, select(MeetingAssessment.meeting_id, MeetingAssessment.level, MeetingAssessment.score,
                      MeetingAssessment.completed_at)) if done is not None}
    for key in ("1-10", "1-11", "1-th", "1-12"):
        meeting_id = story.meetings[key]
        block = re.search(rf'data-meeting="{meeting_id}".*?</details>', html, re.S).group(0)
        shown = html_to_plain(re.search(r'<p class="assessment[^"]*">(.*?)</p>', block, re.S).group(1)).strip()
        if meeting_id in assessed:
            level, score = assessed[meeting_id]
            assert shown == html_to_plain(t("vi", "quality.summary_done", level=t("vi", f"quality.level.{level}"),
                                               score=score)), key
            assert "(đề xuất)" in shown  # a proposal: the cell decides, the committee approves
        else:  # October's half-answered assessment and the thematic meeting: not assessed yet
            assert shown == html_to_plain(t("vi", "quality.summary_pending")), key
    assert "Khá</b> – 78/100" in html and "Tốt</b> – 92/100" in html
    # The grid's rows: the cell's members by given name, then family name (not byte order: Đ after T).
    names = dict(await _db(story, select(Member.id, Member.full_name).where(Member.cell_id == story.cells["1"])))
    shown_ids = [int(i) for i in re.findall(r'<tr class="[^"]*" data-member="(\d+)">', html)]
    assert [names[i] for i in shown_ids] == by_name(names.values()) != sorted(names.values())
    assert [names[i] for i in shown_ids][:3] == [SECRETARY, DEPUTY, MEMBER]  # An, Bình, Cường


async def test_the_minutes_download_is_the_word_draft_for_those_who_may_see_the_cell(story):
    import html
    import io

    from docx import Document
    from sqlalchemy import select

    from core.texts import t
    from reports.minutes import DOTS
    from storage.models import Attendance, AttendanceStatus, MeetingAssessment
    path = f"/meeting/{story.meetings['1-12']}/minutes"
    for person in (COMMITTEE, SECRETARY, DEPUTY):
        response = await get(story, await story.base(person) + path)
        assert response.status_code == 200, person
        assert response.headers["content-type"] == (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        assert 'filename="bien-ban-2026-12-05.docx"' in response.headers["content-disposition"]
        doc = Document(io.BytesIO(response.content))
        text = "\n".join([p.text for p in doc.paragraphs]
                         + [c.text for tb in doc.tables for r in tb.rows for c in r.cells])
        assert "CHI BỘ KHU DÂN CƯ SỐ 1" in text and "ĐẢNG BỘ PHƯỜNG THỬ NGHIỆM" in text
        present = len(await _db(story, select(Attendance.id).where(
            Attendance.meeting_id == story.meetings["1-12"],
            Attendance.status.in_((AttendanceStatus.PRESENT, AttendanceStatus.LATE)))))
        assert f"{present}/9" in text and present == 7
        level, score = (await _db(story, select(MeetingAssessment.level, MeetingAssessment.score).where(
            MeetingAssessment.meeting_id == story.meetings["1-12"])))[0]
        assert html.unescape(t("vi", "minutes.quality", level=t("vi", f"quality.level.{level}"), score=score,
                               dots=DOTS[:15])) in text  # the proposed level, as stored
        assert "Vận động hộ gia đình đóng quỹ khuyến học" in text  # the tasks given
    for person in (MEMBER, CHI_UY, TRUANT, SECRETARY_2, OTHER_COMMITTEE):  # not their cell to see
        assert (await get(story, await story.base(person) + path)).status_code == 403, person


def test_init_data_is_validated_as_telegram_documents():
    fields = {"auth_date": str(int(NOW.timestamp())), "query_id": "AAH", "user": json.dumps({"id": 1001, "first_name": "An"})}
    good = sign_init_data(fields, TOKEN)
    day = timedelta(days=1)
    assert telegram_user_id(good, TOKEN, NOW, day) == "1001"
    # The data-check-string by hand, exactly as the documentation spells it.
    import hashlib
    import hmac
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    key = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    assert f"hash={hmac.new(key, check.encode(), hashlib.sha256).hexdigest()}" in good
    assert telegram_user_id(good, "654321:OTHER", NOW, day) is None  # another bot's token
    assert telegram_user_id(good.replace("1001", "1002"), TOKEN, NOW, day) is None  # tampered
    assert telegram_user_id(good, TOKEN, NOW + timedelta(days=1, seconds=1), day) is None  # too old
    assert telegram_user_id(good + "&user=x", TOKEN, NOW, day) is None  # a field twice
    assert telegram_user_id("", TOKEN, NOW, day) is None
    assert telegram_user_id(sign_init_data({k: v for k, v in fields.items() if k != "user"}, TOKEN), TOKEN, NOW, day) is None


async def test_the_mini_app_signs_in_a_linked_telegram_user(story):
    def init_data(user_id: int) -> str:
        return sign_init_data({"auth_date": str(int(NOW.timestamp())), "user": json.dumps({"id": user_id})}, TOKEN)

    async with httpx.AsyncClient(base_url=story.root, follow_redirects=False) as client:
        assert "telegram-web-app.js" in (await client.get("/web/tg")).text
        answer = await client.post("/web/tg", data={"init_data": init_data(story.scene.who(COMMITTEE).user_id)})
        assert answer.status_code == 303
        token = answer.headers["location"].split("/")[2]
        assert read_web_token(story.scene.settings, token, NOW) == await story.link_id(COMMITTEE)
        assert (await client.post("/web/tg", data={"init_data": init_data(999999)})).status_code == 403  # not linked
        forged = init_data(story.scene.who(COMMITTEE).user_id).replace("hash=", "hash=0")
        assert (await client.post("/web/tg", data={"init_data": forged})).status_code == 403


async def test_baocao_gives_a_link_bound_to_the_person_and_a_mini_app_button(story):
    replies = await story.scene.say(SECRETARY, "/baocao", expect=2)
    url = re.search(r"(http://\S+/web/\S+/)", replies[-1]).group(1)
    token = url.split("/web/")[1].rstrip("/")
    assert read_web_token(story.scene.settings, token, NOW) == await story.link_id(SECRETARY)
    assert read_web_token(story.scene.settings, token, NOW + timedelta(hours=24, seconds=1)) is None
    message = story.scene.last(SECRETARY)
    assert message["reply_markup"]["inline_keyboard"][0][0]["web_app"]["url"] == story.root + "/web/tg"
    async with httpx.AsyncClient(follow_redirects=True) as client:
        assert "Chi bộ khu dân cư số 1" in (await client.get(url)).text
    # A plain member is told the command is not theirs and what they can type: nothing else, no link.
    before = len(story.scene.server.texts(story.scene.who(MEMBER).chat_id))
    replies = await story.scene.say(MEMBER, "/baocao")
    assert len(replies) == 1 and "dành cho bí thư" in replies[0] and "/viec" in replies[0] and "/web/" not in replies[0]
    await asyncio.sleep(0.5)  # a second answer (the link) would follow the first at once
    await story.scene.settle()
    assert len(story.scene.server.texts(story.scene.who(MEMBER).chat_id)) == before + 1


async def test_the_menu_button_opens_the_mini_app(story):
    await story.scene.stop_bot()
    await story.scene.start_bot()  # with a public address now: the menu button is set at start-up
    button = story.scene.server._get_chat_menu_button({})
    assert button["type"] == "web_app" and button["web_app"]["url"] == story.root + "/web/tg"


def test_the_mini_app_needs_https_outside_loopback():
    from core.settings import Settings
    from core.weblinks import mini_app_url

    def url(public):
        return mini_app_url(Settings(_env_file=None, public_url=public))

    assert url("https://chibo.example.vn/") == "https://chibo.example.vn/web/tg"
    assert url("http://chibo.example.vn") is None  # Telegram would refuse the whole message
    assert url("http://127.0.0.1:8443") == "http://127.0.0.1:8443/web/tg"
    assert url(None) is None


async def test_the_web_view_logs_no_token_and_no_name(story, caplog):
    caplog.set_level("DEBUG")
    base = await story.base(COMMITTEE)
    for path in pages(story).values():
        await get(story, base + path)
    await get(story, "/web/1-2-" + "0" * 32 + "/")
    token = base.removeprefix("/web/")
    server_side = "\n".join(r.getMessage() for r in caplog.records
                            if not r.name.startswith(("httpx", "httpcore")))  # the test's own client logs its URLs
    assert token not in server_side and not re.search(r"/web/[0-9]", server_side)
    assert not any(name in server_side for name in (COMMITTEE, SECRETARY, TRUANT, "Chi bộ khu dân cư"))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_meeting_past_its_date_without_a_start_is_not_held_and_a_new_cell_is_not_flagged(story):
    """Cell 2 scheduled December's meeting for 08/12 and never began it: on the 12th every view says it was not
    held on its date, in the colour of a miss, never "scheduled". Cell 4 was added to chibo on 10/12 (it may well
    have met before): neither December nor November counts against it, and its chart draws no month as not held."""
    import io
    from datetime import datetime

    from openpyxl import load_workbook

    from core.texts import t
    from scheduler.timed.weekly import run_weekly
    from storage.models import Role

    sc = story.scene
    sc.at(datetime(2026, 12, 1, 9, 0, tzinfo=VN))
    assert "Đã đặt lịch" in (await sc.say(SECRETARY_2, "/lichhop 2026-12-08 19:30 Nhà văn hóa"))[0]
    sc.at(datetime(2026, 12, 10, 10, 0, tzinfo=VN))
    new = await sc.add_cell(story.committee_id, "Chi bộ khu dân cư số 4", [("Vương Văn Mới", Role.BI_THU),
                                                                          ("Lâm Thị Tư", Role.DANG_VIEN)])
    sc.at(NOW)
    base = await story.base(COMMITTEE)
    html = (await get(story, base + "/")).text
    rows = {int(cell): (status, body) for status, cell, body in
            re.findall(r'<tr class="(\w+)" data-cell="(\d+)">(.*?)</tr>', html, re.S)}
    status_2, body_2 = rows[story.cells["2"]]
    assert status_2 == "attention" and "Đã lên lịch" not in html
    assert '<span class="low">Không họp theo lịch 08/12</span>' in body_2
    assert t("vi", "attention.not_held", date="08/12") in _text(body_2)
    status_4, body_4 = rows[new]
    assert status_4 == "pending", _text(body_4)  # not "attention"
    _name, this_4, last_4, *_rest, why_4 = _tds(body_4)
    assert this_4 == last_4 == "Chưa theo dõi (mới dùng chibo)" and why_4 == ""
    assert 'class="low"' not in body_4
    # The cell page says the same of the meeting of 08/12.
    cell_2 = (await get(story, base + f"/cell/{story.cells['2']}")).text
    assert '<span class="low">Không họp theo lịch 08/12</span>' in cell_2
    # The charts: cell 4's draws no month "not held"; cell 2's (on chibo since September) starts in September.
    svg_4 = (await get(story, base + f"/cell/{new}/chart.svg")).content.decode()
    svg_2 = (await get(story, base + f"/cell/{story.cells['2']}/chart.svg")).content.decode()
    assert "chưa họp" not in svg_4
    assert "09/2026" in svg_2 and "08/2026" not in svg_2 and "01/2026" not in svg_2
    svg = (await get(story, base + "/chart.svg")).content.decode()
    assert "09/2026" in svg and "08/2026" not in svg
    # The workbook the committee downloads.
    sheet = load_workbook(io.BytesIO((await get(story, base + "/weekly.xlsx")).content)).worksheets[0]
    by_name = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True) if row and row[0]}
    assert by_name["Chi bộ khu dân cư số 2"][3] == "không họp theo lịch"
    assert by_name["Chi bộ khu dân cư số 4"][3] == "chưa theo dõi (mới dùng chibo)"
    assert by_name["Chi bộ khu dân cư số 4"][15] is None  # nothing needs attention
    # The weekly text the committee receives.
    await run_weekly(sc.runtime.services)
    await sc.settle()
    weekly = "\n".join(sc.server.texts(sc.who(COMMITTEE).chat_id))
    assert "Chi bộ khu dân cư số 2: KHÔNG HỌP theo lịch 08/12" in weekly
    assert "⚠️ Chi bộ khu dân cư số 4" not in weekly and "Chi bộ khu dân cư số 4: chưa theo dõi (mới dùng chibo)" in weekly
    # The committee's /baocao: cell 2's meeting of 08/12 before its latest ended one.
    report = "\n".join(await sc.say(COMMITTEE, "/baocao", expect=2))
    assert ("⚠️ Chi bộ khu dân cư số 2: cuộc họp sinh hoạt thường kỳ lịch 19:30 08/12/2026 không họp theo lịch"
            " (chưa bắt đầu trên chibo).\n📋 Tóm tắt sinh hoạt thường kỳ – Chi bộ khu dân cư số 2") in report
    assert report.count("không họp theo lịch") == 1
