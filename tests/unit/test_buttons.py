"""The data buttons carry (core.buttons): what chibo wrote into chats before the codec still decodes to
the same press, every kind round-trips, and forged or malformed data are refused in one place."""

from __future__ import annotations

import pytest

from core import buttons
from core.buttons import (
    Absent,
    Cancel,
    Checkin,
    EndNow,
    ExcuseFor,
    Guest,
    PartOfDay,
    Quality,
    Rsvp,
    TaskDone,
)

# Data strings as the f-strings before core.buttons wrote them (buttons already under messages in chats).
OLD = [
    ("absent:5", Absent(5)),
    ("checkin:12", Checkin(12)),
    ("guest:3", Guest(3)),
    ("rsvp:yes:7", Rsvp("yes", 7)),
    ("rsvp:no:7", Rsvp("no", 7)),
    ("cancel:yes:9", Cancel("yes", 9)),
    ("cancel:no:9", Cancel("no", 9)),
    ("end:1796651400:m:4", EndNow(1796651400, "m", 4)),
    ("end:1796651400:n:4", EndNow(1796651400, "n", 4)),
    ("excuse_for:31:8", ExcuseFor(31, 8)),
    ("task_done:11", TaskDone(11)),
    ("qa:members_spoke:yes:5", Quality("members_spoke", "yes", 5)),
    ("qa:skip:-:5", Quality("skip", "-", 5)),
    ("qa:resume:-:5", Quality("resume", "-", 5)),
    ("ampm:0730", PartOfDay("0730")),
    ("ampm:1930", PartOfDay("1930")),
]


@pytest.mark.parametrize(("data", "pressed"), OLD)
def test_old_data_decode_to_the_same_press(data, pressed):
    assert buttons.decode(data) == pressed
    assert pressed.encode() == data  # and are written the same way today


def test_the_end_button_says_how_the_end_was_given():
    assert EndNow.of(1796651400, True, 4).encode() == "end:1796651400:m:4"
    assert EndNow.of(1796651400, False, 4).manual is False


def test_meeting_buttons_name_their_meeting_and_lock():
    assert Cancel("yes", 9).meeting == 9 and Cancel("yes", 9).FOR_UPDATE
    assert Absent(5).meeting == 5 and Absent(5).AFTER_END
    assert TaskDone(11).meeting is None and not Guest(3).MEETING and not Quality("skip", "-", 5).MEETING


@pytest.mark.parametrize("data", [
    None, "", ":", "::::", "checkin", "checkin:", "checkin:1:extra", "checkin:0", "checkin:-5", "checkin:01",
    "checkin:" + "9" * 40, "checkin:٣", "rsvp:maybe:1", "rsvp:yes", "rsvp:yes:1:2", "cancel:yes:abc",
    "end:12:x:4", "end:abc:m:4", "end:1234567890123:m:4", "end:12:m", "excuse_for:1", "excuse_for:a:1",
    "task_done:1:2", "qa:12:1", "qa::-:5", "ampm:730", "ampm:7h30", "ampm:", "unknown:1", "x" * 64,
    "checkin:1" + " " * 60,
])
def test_forged_or_malformed_data_are_refused(data):
    assert buttons.decode(data) is None


def test_data_over_telegrams_64_bytes_cannot_be_written():
    with pytest.raises(ValueError, match="64 bytes"):
        Quality("k" * 40, "a" * 20, 5).encode()
    with pytest.raises(ValueError):
        Quality("a:b", "c", 5).encode()  # a part with the separator would be read back otherwise
    assert len(Quality("members_spoke", "yes", 2_147_483_647).encode()) <= buttons.MAX_BYTES
