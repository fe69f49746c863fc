"""scheduler.delivery.coalesce: what is asked while a statement is in flight goes as the next one."""

import asyncio

import pytest

from scheduler.delivery.coalesce import Coalesced


async def test_asked_meanwhile_go_together_each_gets_its_own():
    calls: list[list[int]] = []
    gate = asyncio.Event()

    async def run(items: list[int]) -> dict[int, int]:
        calls.append(items)
        await gate.wait()
        return {i: i * 10 for i in items if i != 3}

    coalesced: Coalesced[int, int] = Coalesced(run)
    first = asyncio.create_task(coalesced(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert calls == [[1]]  # on its way before the others asked
    others = [asyncio.create_task(coalesced(i)) for i in (2, 3, 4)]
    await asyncio.sleep(0)
    assert calls == [[1]]  # they wait for a statement issued after they asked
    gate.set()
    assert await first == 10
    assert [await o for o in others] == [20, None, 40]
    assert calls == [[1], [2, 3, 4]]


async def test_an_error_reaches_every_caller_of_that_statement_and_the_next_goes():
    fail = True

    async def run(items: list[str]) -> dict[str, str]:
        await asyncio.sleep(0)
        if fail:
            raise ConnectionError("database gone")
        return {i: i.upper() for i in items}

    coalesced: Coalesced[str, str] = Coalesced(run)
    results = await asyncio.gather(coalesced("a"), coalesced("b"), return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    fail = False
    assert await coalesced("c") == "C"


async def test_a_caller_cancelled_does_not_cancel_the_statement_the_others_wait_for():
    written: list[list[int]] = []
    gate = asyncio.Event()

    async def run(items: list[int]) -> None:
        await gate.wait()
        written.append(items)

    coalesced: Coalesced[int, None] = Coalesced(run)
    one, two = asyncio.create_task(coalesced(1)), asyncio.create_task(coalesced(2))
    await asyncio.sleep(0)
    one.cancel()
    with pytest.raises(asyncio.CancelledError):
        await one
    gate.set()
    await two
    assert written == [[1, 2]]
