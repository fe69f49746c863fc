"""Two chibo processes on one PostgreSQL database, behind a load balancer (webhook), record ballots and dues
as one bot: each member presses Tán thành on one process and Không tán thành on the other at the same moment,
the secretary records each payment on both at once; one ballot and one payment per member, and the result
and the month's collection count each once."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import func, select

from benchmarks import checkin, fanout_processes
from benchmarks.common import TimedServer
from bot.platforms.telegram.registration import webhook_secret
from core.clock import SystemClock
from core.settings import Settings
from storage.db import create_engine, session_factory
from storage.models import Ballot, DuesPayment, Vote
from tests.conftest import PG_URL, free_port, needs_postgres, reset_postgres

pytestmark = needs_postgres


async def test_two_processes_count_each_ballot_and_each_payment_once(tmp_path):
    assert PG_URL is not None  # needs_postgres
    await reset_postgres(PG_URL)
    now = SystemClock().now().replace(microsecond=0)
    users = await checkin.seed(PG_URL, checkin.CELL_SIZE, now)  # one cell of 20, linked, its meeting under way
    (sec, _), members = users[0], users[1:]
    local = now.astimezone(checkin.TZ)
    month = f"{local.month}/{local.year}"
    ports = [free_port(), free_port()]
    async with TimedServer() as server:
        procs = [fanout_processes.spawn(["run", "--webhook", f"http://127.0.0.1:{port}", "--port", str(port)], PG_URL,
                                        server, tmp_path, tmp_path / f"web{i}.log") for i, port in enumerate(ports)]
        secret = webhook_secret(Settings(_env_file=None, telegram_token=fanout_processes.TOKEN))
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
        try:
            await fanout_processes.wait_started([tmp_path / "web0.log", tmp_path / "web1.log"])
            async with httpx.AsyncClient(timeout=60) as client:

                async def post(port: int, update: dict) -> None:
                    """As Telegram delivers: a delivery cut off (a kept-alive connection closed under it) is
                    sent again; the update id makes a second delivery harmless."""
                    for attempt in range(3):
                        try:
                            answer = await client.post(f"http://127.0.0.1:{port}/telegram",
                                                       content=json.dumps(update), headers=headers)
                        except (httpx.ReadError, httpx.RemoteProtocolError):
                            if attempt == 2:
                                raise
                            await asyncio.sleep(0.5)
                            continue
                        assert answer.status_code == 200
                        return

                async def say(uid: int, text: str, port: int) -> None:
                    before = server.sent_count(uid)
                    await post(port, server.send_text(uid, text))
                    await server.wait_for(lambda: server.sent_count(uid) > before, timeout=30)

                for i, (uid, _) in enumerate(members):  # everyone checks in, on one process or the other
                    await say(uid, "/diemdanh", ports[i % 2])
                await say(sec, "/bieuquyet Thông qua nghị quyết tháng này", ports[0])
                await server.wait_for(lambda: all(
                    any("vote:" in str(m.get("reply_markup")) for m in server.sent_messages(uid)) for uid, _ in members),
                    timeout=30)

                presses = []
                for uid, _ in members:
                    asked = next(m for m in reversed(server.sent_messages(uid)) if "vote:" in str(m.get("reply_markup")))
                    yes, no = (b["callback_data"] for b in asked["reply_markup"]["inline_keyboard"][0][:2])
                    presses += [post(ports[0], server.press_button(uid, asked, yes)),
                                post(ports[1], server.press_button(uid, asked, no))]
                await asyncio.gather(*presses)
                await server.wait_for(lambda: len(server.answered_callbacks()) >= len(presses), timeout=60)
                await say(sec, "/ketthucbq", ports[1])
                result = server.texts(sec)[-1]

                payments = []
                for uid, _ in members:
                    name = next(n for n in _names() if n[1] == uid)[0]
                    payments += [post(port, server.send_text(sec, f"/dangphi {name} | {month} | 30.000")) for port in ports]
                before = server.sent_count(sec)
                await asyncio.gather(*payments)
                await server.wait_for(lambda: server.sent_count(sec) >= before + len(payments), timeout=60)
                await say(sec, "/dangphi", ports[0])
                collection = server.texts(sec)[-1]
        finally:
            fanout_processes.stop(procs)
    for log in ("web0.log", "web1.log"):  # a conflict is handled, not raised
        text = (tmp_path / log).read_text()
        assert "Traceback" not in text and "IntegrityError" not in text, text[-2000:]

    engine = create_engine(PG_URL)
    try:
        async with session_factory(engine)() as s:
            ballots = list(await s.scalars(select(Ballot)))
            vote = (await s.scalars(select(Vote))).one()
            paid = list(await s.execute(select(DuesPayment.member_id, func.count()).group_by(DuesPayment.member_id)))
    finally:
        await engine.dispose()
    assert len(ballots) == len({b.member_id for b in ballots}) == len(members)  # one ballot each
    approve = sum(b.approve for b in ballots)
    assert (vote.approve, vote.against, vote.not_voted, vote.counted) == (approve, len(members) - approve, 1, 20)
    assert (f"Tán thành {approve} / không tán thành {len(members) - approve} / chưa biểu quyết 1, trên 20 đảng viên"
            in result)
    assert len(paid) == len(members) and all(count == 1 for _, count in paid)  # one payment each
    assert f"đã đóng {len(members)}/20 đồng chí, thu {len(members) * 30}.000 đ" in collection


def _names() -> list[tuple[str, int]]:
    return [(checkin._name(i)[0], checkin.FIRST_USER + i) for i in range(checkin.CELL_SIZE)]
