"""Group commit: requests that wait for a database slot are handled together, in one transaction, and
each still gets the outcome it would have had alone (core.batching, handlers.router)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.demo.scene import Scene
from core.batching import Batcher
from core.messages import Request, Response
from core.metrics import REGISTRY
from handlers import router
from storage import inbox
from storage.inbox import Incoming
from storage.models import Attendance, AttendanceStatus, InboxUpdate, Role
from tests.conftest import DB_KINDS

# --- the batcher on its own ----------------------------------------------------------------------------


class Recorder:
    """A batch runner that records its batches; the first batch waits for ``release``."""

    def __init__(self, fail_on: object = None, raise_on: object = None):
        self.batches: list[list] = []
        self.release = asyncio.Event()
        self.fail_on, self.raise_on = fail_on, raise_on

    async def run(self, items: list) -> list:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            await self.release.wait()
        if self.raise_on in items:
            raise RuntimeError("the runner failed")
        return [ValueError(item) if item == self.fail_on else f"done {item}" for item in items]


async def _submit_all(batcher: Batcher, recorder: Recorder, items: list, alone: set = frozenset()) -> list:
    tasks = [asyncio.create_task(batcher.submit(item, recorder.run, together=item not in alone)) for item in items]
    await asyncio.sleep(0)  # every submission is waiting (the first one runs)
    recorder.release.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_requests_that_wait_for_the_slot_go_together_and_each_gets_its_own_outcome():
    batcher, recorder = Batcher(slots=1), Recorder(fail_on="c")
    outcomes = await _submit_all(batcher, recorder, ["a", "b", "c", "d"])
    assert recorder.batches == [["a"], ["b", "c", "d"]]
    assert outcomes[:2] == ["done a", "done b"] and outcomes[3] == "done d"
    assert isinstance(outcomes[2], ValueError)  # c's failure is c's alone


async def test_a_batch_holds_at_most_its_limit_and_a_long_request_goes_alone():
    batcher, recorder = Batcher(slots=1, most=2), Recorder()
    await _submit_all(batcher, recorder, ["a", "b", "c", "report", "d", "e", "f"], alone={"report"})
    assert recorder.batches == [["a"], ["b", "c"], ["report"], ["d", "e"], ["f"]]


async def test_a_failing_runner_fails_its_batch_only_and_the_batcher_goes_on():
    batcher, recorder = Batcher(slots=1), Recorder(raise_on="b")
    outcomes = await _submit_all(batcher, recorder, ["a", "b", "c"])
    assert outcomes[0] == "done a"
    assert all(isinstance(o, RuntimeError) for o in outcomes[1:])
    assert await batcher.submit("e", recorder.run) == "done e"


async def test_a_requester_that_gave_up_is_left_out_of_the_batch():
    batcher, recorder = Batcher(slots=1), Recorder()
    first = asyncio.create_task(batcher.submit("a", recorder.run))
    gone = asyncio.create_task(batcher.submit("b", recorder.run))
    kept = asyncio.create_task(batcher.submit("c", recorder.run))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    recorder.release.set()
    assert await first == "done a" and await kept == "done c"
    assert recorder.batches == [["a"], ["c"]]


async def test_with_two_slots_two_batches_run_at_once():
    batcher = Batcher(slots=2)
    running, peak, release = 0, 0, asyncio.Event()

    async def run(items: list) -> list:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1
        return items

    tasks = [asyncio.create_task(batcher.submit(i, run)) for i in range(6)]
    await asyncio.sleep(0.01)
    assert peak == 2
    release.set()
    assert await asyncio.gather(*tasks) == list(range(6))


# --- through the bot --------------------------------------------------------------------------------------

SECRETARY = "Nguyễn Văn An"
MEMBERS = [f"Trần Văn Thành {i}" for i in range(1, 13)]


async def _checked_in(scene: Scene) -> int:
    async with scene.sessions()() as session:
        return await session.scalar(select(func.count()).select_from(Attendance)
                                    .where(Attendance.checked_in_at.is_not(None))) or 0


def _batch_sizes() -> tuple[float, float]:
    """(requests counted in batches, batches) so far in this process."""
    return (REGISTRY.get_sample_value("chibo_request_batch_size_sum") or 0.0,
            REGISTRY.get_sample_value("chibo_request_batch_size_count") or 0.0)


async def _burst(scene: Scene, said: dict[str, str], silent: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Everyone in ``said`` writes at once (one getUpdates brings them all); each one's answers, once all but
    the ``silent`` ones are answered."""
    before = {name: scene.server.sent_count(scene.who(name).chat_id) for name in said}
    for name, text in said.items():
        person = scene.who(name)
        scene.server.send_text(person.user_id, text, first_name=name.split()[-1])
    await scene.server.wait_for(lambda: all(scene.server.sent_count(scene.who(n).chat_id) > before[n]
                                            for n in said if n not in silent), timeout=15)
    await scene.settle()
    return {name: [m.get("text", "") for m in scene.server.sent_messages(scene.who(name).chat_id)[before[name]:]]
            for name in said}


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_burst_of_check_ins_is_handled_together_and_every_member_is_answered(scene: Scene):
    await scene.meeting_in_progress(SECRETARY, MEMBERS)
    counted, batches = _batch_sizes()
    checked = await _checked_in(scene)  # the secretary, who started the meeting

    answers = await _burst(scene, dict.fromkeys(MEMBERS, "/diemdanh") | {SECRETARY: "/huongdan"})

    for name in MEMBERS:
        assert answers[name][0].startswith("✅"), (name, answers[name])
    assert "/diemdanh" in answers[SECRETARY][0]  # help, in the same burst
    requests, runs = _batch_sizes()
    assert requests - counted == len(MEMBERS) + 1
    assert runs - batches < len(MEMBERS) + 1, "some requests should have been handled together"
    async with scene.sessions()() as session:
        rows = (await session.scalars(select(Attendance).where(Attendance.checked_in_at.is_not(None)))).all()
        assert len(rows) == checked + len(MEMBERS)
        assert {r.status for r in rows} == {AttendanceStatus.PRESENT}
        unhandled = await session.scalar(select(func.count()).select_from(InboxUpdate)
                                         .where(InboxUpdate.handled_at.is_(None)))
        assert unhandled == 0

    again = await _burst(scene, dict.fromkeys(MEMBERS[:4], "/diemdanh"))  # a second time: already done
    assert all("đã điểm danh" in a[0].lower() for a in again.values()), again


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_failing_request_in_a_batch_costs_the_others_nothing(scene: Scene, monkeypatch):
    """A bug in one flow rolls its batch back; the batch is then handled one request at a time: the
    others are checked in, the failing one is skipped as it would have been alone."""
    await scene.meeting_in_progress(SECRETARY, MEMBERS)

    async def broken(ctx, req):
        raise RuntimeError("a bug in this flow")

    monkeypatch.setitem(router.FLOWS, "tasks", broken)
    split = REGISTRY.get_sample_value("chibo_request_batches_split_total") or 0.0
    failing = MEMBERS[6]
    checked = await _checked_in(scene)
    said = {name: "/viec" if name == failing else "/diemdanh" for name in MEMBERS}

    answers = await _burst(scene, said, silent=frozenset({failing}))

    for name in MEMBERS:
        if name != failing:
            assert answers[name][0].startswith("✅"), (name, answers[name])
    assert answers[failing] == []  # skipped and logged, as it would have been alone
    assert REGISTRY.get_sample_value("chibo_request_batches_split_total") == split + 1
    assert await _checked_in(scene) == checked + len(MEMBERS) - 1
    async with scene.sessions()() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)
                                    .where(InboxUpdate.handled_at.is_(None))) == 0


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_an_update_handled_already_in_a_batch_is_answered_as_a_duplicate_and_the_rest_are_handled(
        scene: Scene):
    """The batch's handled mark finds one of its updates handled already (a second delivery taken by another
    process): the batch is rolled back and handled one by one, so that one changes nothing."""
    await scene.meeting_in_progress(SECRETARY, MEMBERS)
    services = scene.runtime.services
    services.handling = Batcher(slots=1)  # whatever the database: the first request alone, the others together
    people = MEMBERS[:5]
    keys = [f"tg:batch-{i}" for i in range(len(people))]
    await inbox.keep(services.sessions, "telegram", None,
                     [Incoming(update_key=k, chat_key=f"tg:{i}", payload={}) for i, k in enumerate(keys)],
                     scene.clock.now())
    requests = [Request(platform="telegram", update_key=k, user_id=str(scene.who(n).user_id),
                        chat_id=str(scene.who(n).chat_id), command="checkin", args="", raw_command="/diemdanh")
                for k, n in zip(keys, people, strict=True)]
    first = await router.handle(services, requests[1])  # handled before the burst
    assert first.replies and first.replies[0].text.startswith("✅")
    split = REGISTRY.get_sample_value("chibo_request_batches_split_total") or 0.0
    checked = await _checked_in(scene)

    responses: list[Response] = await asyncio.gather(*(router.handle(services, r) for r in requests))

    assert responses[1].duplicate and not responses[1].replies
    for i in (0, 2, 3, 4):
        assert responses[i].replies[0].text.startswith("✅"), responses[i]
    assert (REGISTRY.get_sample_value("chibo_request_batches_split_total") or 0.0) == split + 1
    assert await _checked_in(scene) == checked + len(people) - 1


async def test_stopping_cancels_what_waits_and_what_runs_too_long():
    batcher = Batcher(slots=1)
    started = asyncio.Event()

    async def slow(items: list) -> list:
        started.set()
        await asyncio.sleep(30)
        return items

    running = asyncio.create_task(batcher.submit("a", slow))
    waiting = asyncio.create_task(batcher.submit("b", slow))
    await started.wait()
    await batcher.stop(timeout=0.05)
    for task in (running, waiting):
        with pytest.raises(asyncio.CancelledError):
            await task
    with pytest.raises(asyncio.CancelledError):
        await batcher.submit("c", slow)  # stopped: nothing new


async def test_a_requester_that_gives_up_while_its_batch_runs_leaves_the_others_their_outcomes():
    batcher, recorder = Batcher(slots=1), Recorder()
    first = asyncio.create_task(batcher.submit("a", recorder.run))
    others = [asyncio.create_task(batcher.submit(i, recorder.run)) for i in ("b", "c", "d")]
    await asyncio.sleep(0)
    recorder.release.set()
    await first
    await asyncio.sleep(0)  # the batch of b, c, d is running
    others[1].cancel()
    assert await others[0] == "done b" and await others[2] == "done d"
    assert recorder.batches == [["a"], ["b", "c", "d"]]


@pytest.mark.parametrize(("request_", "together"), [
    (dict(command="checkin"), True),
    (dict(text="điểm danh"), True),
    (dict(text="xin chào"), True),
    (dict(button="checkin:12"), True),
    (dict(button="rsvp:yes:12"), True),
    (dict(command="end_meeting"), False),
    (dict(text="ket thuc"), False),  # a command typed in words (the usual way on Zalo) is the command
    (dict(text="báo cáo"), False),
    (dict(command="minutes"), False),
    (dict(button="cancel:yes:12"), False),  # cancels a meeting and tells the cell
    (dict(button="qa:12:1"), False),
    (dict(text="Có mặt"), True),  # a check-in in other words
    (dict(text="co mat a"), True),
    (dict(button="ampm:1930"), False),  # "7:30 sáng or tối?" answered: schedules and tells the cell
    (dict(text="tối"), False),  # the same answer typed
    (dict(text="Sáng"), False),
])
def test_long_requests_go_alone_however_they_are_asked(request_, together):
    """What decides it is the request's kind (``router.classify``), the one the routing reads as well."""
    req = Request(platform="telegram", user_id="1", chat_id="1", update_key="tg:1", **request_)
    assert router.classify(req).together is together


async def _requests(scene: Scene, wanted: list[tuple[str, dict]]) -> list[Request]:
    """Requests as the adapters make them, each with its update kept in the inbox."""
    services = scene.runtime.services
    keys = [f"tg:direct-{i}" for i in range(len(wanted))]
    await inbox.keep(services.sessions, "telegram", None,
                     [Incoming(update_key=k, chat_key=f"tg:{i}", payload={}) for i, k in enumerate(keys)],
                     scene.clock.now())
    return [Request(platform="telegram", update_key=k, user_id=str(scene.who(n).user_id) if n else "5559999999",
                    chat_id=str(scene.who(n).chat_id) if n else "5559999999", **fields)
            for k, (n, fields) in zip(keys, wanted, strict=True)]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_one_batch_of_every_kind_of_request_is_answered_as_each_would_be_alone(scene: Scene):
    """The meeting in progress (a check-in), a meeting by its button, no meeting (/viec), an account nobody
    linked: one query for each kind, each request its own answer."""
    await scene.meeting_in_progress(SECRETARY, MEMBERS)
    services = scene.runtime.services
    services.handling = Batcher(slots=1)
    button = scene.last_with_button(MEMBERS[1], "checkin:")["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    requests = await _requests(scene, [
        (MEMBERS[0], dict(command="checkin", raw_command="/diemdanh")),  # alone: the slot was free
        (MEMBERS[2], dict(command="checkin", raw_command="/diemdanh")),
        (MEMBERS[1], dict(button=button)),
        (MEMBERS[3], dict(command="tasks", raw_command="/viec")),
        (None, dict(command="tasks", raw_command="/viec")),
        (MEMBERS[4], dict(text="điểm danh")),
    ])
    split = REGISTRY.get_sample_value("chibo_request_batches_split_total") or 0.0
    counted, batches = _batch_sizes()
    checked = await _checked_in(scene)

    responses = await asyncio.gather(*(router.handle(services, r) for r in requests))

    assert _batch_sizes() == (counted + 6, batches + 2)  # the first alone, the five others together
    for i in (0, 1, 5):
        assert responses[i].replies[0].text.startswith("✅"), responses[i]
    assert responses[2].toast and "điểm danh" in responses[2].toast.lower(), responses[2]
    assert responses[3].replies and not responses[3].failed
    assert "chưa được liên kết" in responses[4].replies[0].text
    assert (REGISTRY.get_sample_value("chibo_request_batches_split_total") or 0.0) == split  # together, not split
    assert await _checked_in(scene) == checked + 4


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_same_member_twice_in_a_batch_is_checked_in_once(scene: Scene):
    """Two updates of one member in one batch (two chats: the intake keeps each chat's order, not a person's):
    both would write their attendance row; the batch is handled again one by one, and the second is told."""
    await scene.meeting_in_progress(SECRETARY, MEMBERS)
    services = scene.runtime.services
    services.handling = Batcher(slots=1)
    requests = await _requests(scene, [(MEMBERS[0], dict(command="help", raw_command="/huongdan"))] + [
        (MEMBERS[1], dict(command="checkin", raw_command="/diemdanh"))] * 2)
    split = REGISTRY.get_sample_value("chibo_request_batches_split_total") or 0.0
    checked = await _checked_in(scene)

    responses = await asyncio.gather(*(router.handle(services, r) for r in requests))

    assert responses[1].replies[0].text.startswith("✅")
    assert "đã điểm danh" in responses[2].replies[0].text.lower()
    assert REGISTRY.get_sample_value("chibo_request_batches_split_total") == split + 1
    assert await _checked_in(scene) == checked + 1


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_press_on_another_cells_meeting_in_a_batch_is_refused_and_writes_nothing(scene: Scene):
    """A member of another cell presses (a forwarded or forged button) the check-in of a meeting not theirs,
    in the same batch as that meeting's own members: they are refused, the others are checked in."""
    await scene.meeting_in_progress(SECRETARY, MEMBERS)
    other_committee = await scene.add_committee("Đảng ủy xã <Tân Lập> & Hòa Bình")
    outsider = "Lê Thị Hoa"
    await scene.add_cell(other_committee, "Chi bộ thôn 2", [(outsider, Role.DANG_VIEN)])
    await scene.link(outsider)
    services = scene.runtime.services
    services.handling = Batcher(slots=1)
    button = scene.last_with_button(MEMBERS[1], "checkin:")["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    requests = await _requests(scene, [
        (MEMBERS[0], dict(command="checkin", raw_command="/diemdanh")),  # alone: the slot was free
        (MEMBERS[2], dict(command="checkin", raw_command="/diemdanh")),
        (outsider, dict(button=button)),
        (MEMBERS[1], dict(button=button)),
    ])
    split = REGISTRY.get_sample_value("chibo_request_batches_split_total") or 0.0
    checked = await _checked_in(scene)

    responses = await asyncio.gather(*(router.handle(services, r) for r in requests))

    assert responses[2].toast == "Cuộc họp này không phải của chi bộ đồng chí.", responses[2]
    assert responses[1].replies[0].text.startswith("✅") and responses[3].toast
    assert (REGISTRY.get_sample_value("chibo_request_batches_split_total") or 0.0) == split
    assert await _checked_in(scene) == checked + 3
    async with scene.sessions()() as session:
        member_id = scene.who(outsider).member_id
        assert await session.scalar(select(func.count()).select_from(Attendance)
                                    .where(Attendance.member_id == member_id)) == 0
