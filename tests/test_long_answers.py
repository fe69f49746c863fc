"""Nothing bulky on the request path: a committee's /baocao on 300 cells is queued in the outbox
and paced, the request answers at once, and another member is answered meanwhile."""

from __future__ import annotations

import time

from sqlalchemy import func, insert, select

from bot.scene import Scene
from storage.models import Cell, OutboxMessage, Role

LONG = "thuộc Đảng bộ phường Hàng Bạc, quận Hoàn Kiếm, thành phố Hà Nội (tổ dân phố số 1 đến số 4)"


async def test_a_300_cell_report_goes_through_the_outbox_and_nobody_waits_behind_it(scene: Scene):
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    await scene.add_cell(committee, "Chi bộ khu dân cư số 000", [("Bí Thư", Role.BI_THU), ("Đảng Viên", Role.DANG_VIEN)])
    async with scene.sessions()() as s, s.begin():
        await s.execute(insert(Cell), [dict(committee_id=committee, name=f"Chi bộ khu dân cư số {i:03} {LONG}",
                                            created_at=scene.clock.now()) for i in range(1, 300)])
    await scene.add_committee_member(committee, "Cấp Ủy Viên")
    await scene.start_bot()
    await scene.link("Bí Thư", "Đảng Viên", "Cấp Ủy Viên")

    # The dispatcher sends nothing in the first part of the test (as a standby sender), so that the
    # report is still "being delivered" whatever the machine's speed; it sends again below.
    dispatcher = scene.runtime.dispatcher
    dispatcher.active = set()
    started = time.perf_counter()
    answer = (await scene.say("Cấp Ủy Viên", "/baocao"))[0]
    assert "gửi đồng chí thành" in answer
    async with scene.sessions()() as s:
        parts = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "report"))
    assert parts >= 8  # 300 cells do not fit in one message

    # While the parts go out (one a second in that chat), another member is answered at once.
    asked = time.perf_counter()
    assert "/diemdanh" in (await scene.say("Đảng Viên", "/huongdan"))[0]
    assert time.perf_counter() - asked < 1.0
    async with scene.sessions()() as s:
        unsent = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.kind == "report", OutboxMessage.sent_at.is_(None)))
    assert unsent == parts, "the report is still to be delivered"
    dispatcher.active = set(dispatcher.senders)
    dispatcher.wake()

    await scene.server.wait_for(lambda: scene.server.sent_count(scene.who("Cấp Ủy Viên").chat_id) >= parts + 2,
                                timeout=60)
    texts = scene.server.texts(scene.who("Cấp Ủy Viên").chat_id)
    joined = "\n".join(texts)
    assert "Chi bộ khu dân cư số 000" in joined and f"Chi bộ khu dân cư số 299 {LONG}" in joined
    assert all(len(text) <= 4096 for text in texts)
    assert time.perf_counter() - started < 60
