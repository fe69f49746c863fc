"""rules.release: when a burst of reminders is let go so each arrives in its window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.release import Burst, release_schedule

MEETING = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 19:00 in Hà Nội
TWO_HOURS = timedelta(hours=2)


def _burst(key, count, meeting=MEETING, offset=TWO_HOURS, bot="telegram", **kw):
    return Burst(key, bot, count, meeting, offset, **kw)


def test_a_small_burst_goes_just_before_its_time():
    r = release_schedule([_burst("a", 30)], {"telegram": 30.0})["a"]
    assert r.deadline == MEETING - TWO_HOURS
    assert r.send_not_before == MEETING - TWO_HOURS - timedelta(seconds=1)
    assert r.last_arrival == r.deadline and r.late == 0 and r.too_late == 0


def test_a_burst_too_big_for_the_hour_starts_early_but_never_more_than_a_quarter():
    # 54,000 messages at 30/s take 30 minutes: all of the quarter (2 h 30 to 2 h before) is used.
    r = release_schedule([_burst("a", 54_000)], {"telegram": 30.0})["a"]
    assert r.send_not_before == MEETING - TWO_HOURS - timedelta(minutes=30)
    assert r.on_time and r.last_arrival == r.deadline
    # One more message cannot fit: it is late, but it still arrives long before the meeting.
    r = release_schedule([_burst("a", 54_001)], {"telegram": 30.0})["a"]
    assert r.send_not_before == MEETING - TWO_HOURS - timedelta(minutes=30)
    assert r.late == 1 and r.too_late == 0


def test_meetings_spread_over_an_hour_chain_backwards_from_the_last():
    # 5 meetings, 19:00 to 20:00; 18,000 messages each = 10 minutes each at 30/s.
    bursts = [_burst(i, 18_000, meeting=MEETING + timedelta(minutes=15 * i)) for i in range(5)]
    releases = release_schedule(bursts, {"telegram": 30.0})
    assert all(r.on_time for r in releases.values())
    for r in releases.values():
        assert r.send_not_before >= r.deadline - TWO_HOURS / 4
        assert r.send_not_before <= r.deadline - timedelta(minutes=10)
    # Only one of them ends on its deadline; all are done by the last one's.
    assert releases[4].last_arrival == releases[4].deadline


def test_bots_do_not_share_their_pace():
    bursts = [_burst("t", 54_000, bot="telegram"), _burst("z", 54_000, bot="zalo")]
    releases = release_schedule(bursts, {"telegram": 30.0, "zalo": 30.0})
    assert releases["t"].on_time and releases["z"].on_time
    together = release_schedule([_burst("t", 54_000), _burst("u", 54_000)], {"telegram": 30.0})
    assert sum(r.late for r in together.values()) == 54_000


def test_what_could_only_arrive_after_the_meeting_began_is_counted_too_late():
    # A 5-minute offset: at most 6 min 15 s before; 30/s for 75 s is 2,250 messages in time.
    offset = timedelta(minutes=5)
    r = release_schedule([_burst("a", 2_250 + 9_000 + 30, offset=offset)], {"telegram": 30.0})["a"]
    assert r.late == 9_030  # past 5 minutes before
    assert r.too_late == 30  # past the meeting's start: 300 s after the deadline hold 9,000
    assert r.last_arrival == MEETING + timedelta(seconds=1)


def test_messages_already_queued_push_the_burst_later():
    backlog = Burst("backlog", "telegram", 3_000, MEETING + timedelta(days=1), timedelta(0),
                    intended_at=MEETING - TWO_HOURS - timedelta(minutes=30),
                    earliest_at=MEETING - TWO_HOURS - timedelta(minutes=30))
    releases = release_schedule([backlog, _burst("a", 54_000)], {"telegram": 30.0})
    assert releases["a"].late == 3_000 and releases["a"].too_late == 0


def test_a_moved_intended_time_and_earliest_moment_are_kept():
    intended = MEETING - timedelta(hours=1)  # moved later, out of the quiet hours
    earliest = MEETING - timedelta(hours=1, minutes=10)
    r = release_schedule([_burst("a", 60_000, intended_at=intended, earliest_at=earliest)], {"telegram": 30.0})["a"]
    assert r.deadline == intended and r.send_not_before == earliest
    assert r.late == 60_000 - 30 * 600


def test_empty_and_bad_input():
    assert release_schedule([], {"telegram": 30.0}) == {}
    assert release_schedule([_burst("a", 0)], {"telegram": 30.0})["a"].on_time
    with pytest.raises(ValueError):
        release_schedule([_burst("a", 1, bot="zalo")], {"telegram": 30.0})
    with pytest.raises(ValueError):
        release_schedule([_burst("a", -1)], {"telegram": 30.0})
