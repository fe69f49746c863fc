"""The tests' scene counts the platforms' limits faster (core.clock.PaceTime): the bot's pacer and the fake Bot API
must count them in the same time, or the scene would hide 429s (fake slower) or pace for nothing (fake faster)."""

from __future__ import annotations

import time

from core.clock import REAL_PACE, PaceTime
from fakeapi.telegram_limits import _FloodControl
from scheduler.delivery.pacing import Pacer


async def twelve_to_one_chat(pace: PaceTime) -> tuple[list[int | None], float]:
    """Twelve messages to one private chat through a pacer counting in ``pace``, offered to a fake counting in it."""
    pacer, flood = Pacer.counting_in(pace), _FloodControl(pace.monotonic)
    answers = []
    began = time.monotonic()
    for _ in range(12):
        async with pacer.slot("42"):
            answers.append(flood.admit("42", is_group=False))
    return answers, time.monotonic() - began


async def test_ten_times_faster_keeps_the_limit_and_waits_a_tenth():
    answers, took = await twelve_to_one_chat(PaceTime(10))
    assert answers == [None] * 12  # the fake refused none: both counted one a second after a burst of three
    assert 0.8 <= took < 3.0  # nine waits of a (tenth of a) second each: paced, in a tenth of the 9 s


async def test_a_fake_counting_in_real_seconds_refuses_what_a_faster_pacer_lets_go():
    pacer, slow_fake = Pacer.counting_in(PaceTime(10)), _FloodControl(REAL_PACE.monotonic)
    refused = 0
    for _ in range(6):
        async with pacer.slot("7"):
            refused += slow_fake.admit("7", is_group=False) is not None
    assert refused >= 2  # a scene whose fake kept real seconds would show the mismatch as 429s


async def test_real_pace_is_the_machines_time():
    assert abs(REAL_PACE.monotonic() - time.monotonic()) < 0.5
    began = time.monotonic()
    await REAL_PACE.sleep(0.2)
    assert time.monotonic() - began >= 0.19
