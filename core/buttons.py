"""The data a button carries (Telegram's ``callback_data``, Zalo's numbered choices): one typed codec.

Every place that builds a button's data calls ``encode()`` on one of the dataclasses below, and the
router decodes a press with ``decode()``: the 64-byte limit is checked here, and forged or malformed
data (an unknown kind, a wrong number of parts, an id that cannot be a row's, a choice not offered)
decode to None, here only. The wire format is the one buttons already sent in chats carry
(``kind:part:part``); it must not change, or the buttons under old messages stop working
(tests/unit/test_buttons.py decodes old strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from core.parsing import button_id

MAX_BYTES = 64  # Telegram's limit on callback_data
SEP = ":"

Answer = Literal["yes", "no"]


class ButtonData:
    """One kind of button. ``KIND`` is the first part of its data; ``TOGETHER`` whether a press may be
    handled with others in a batch (core.batching); ``MEETING`` whether its last part is a meeting's id
    that the router loads with the actor; ``AFTER_END`` whether that meeting may have ended;
    ``FOR_UPDATE`` whether the press changes the meeting's row (locked as /ketthuc locks it)."""

    KIND: ClassVar[str]
    TOGETHER: ClassVar[bool] = False
    MEETING: ClassVar[bool] = False
    AFTER_END: ClassVar[bool] = False
    FOR_UPDATE: ClassVar[bool] = False

    @property
    def meeting(self) -> int | None:
        """The meeting's id the button names, if it names one."""
        return getattr(self, "meeting_id", None)

    def encode(self) -> str:
        parts = [self.KIND, *(_out(v) for v in vars(self).values())]
        if any(SEP in p or not p for p in parts):
            raise ValueError(f"button part empty or with {SEP!r}: {parts[0]}")
        data = SEP.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data over {MAX_BYTES} bytes: {parts[0]}")
        return data

    @classmethod
    def _parse(cls, parts: list[str]) -> ButtonData | None:
        raise NotImplementedError


def _out(value: object) -> str:
    if isinstance(value, bool):
        raise TypeError("a flag is encoded by its kind")
    return str(value)


def _id(text: str) -> int | None:
    """A row's id as written by ``encode`` (digits, no leading zero, in the columns' range)."""
    value = button_id(text)
    return value if value is not None and str(value) == text else None


def _answer(text: str) -> Answer | None:
    return "yes" if text == "yes" else "no" if text == "no" else None


@dataclass(frozen=True)
class Absent(ButtonData):
    """absent:<meeting>: "which meeting?" after /vang answered."""

    KIND = "absent"
    TOGETHER, MEETING, AFTER_END = True, True, True
    meeting_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> Absent | None:
        meeting_id = _id(parts[0]) if len(parts) == 1 else None
        return cls(meeting_id) if meeting_id is not None else None


@dataclass(frozen=True)
class Checkin(ButtonData):
    """checkin:<meeting>: the check-in button under the "meeting started" message."""

    KIND = "checkin"
    TOGETHER, MEETING = True, True
    meeting_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> Checkin | None:
        meeting_id = _id(parts[0]) if len(parts) == 1 else None
        return cls(meeting_id) if meeting_id is not None else None


@dataclass(frozen=True)
class Guest(ButtonData):
    """guest:<meeting>: a committee member's choice of the meeting they attend."""

    KIND = "guest"
    TOGETHER = True
    meeting_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> Guest | None:
        meeting_id = _id(parts[0]) if len(parts) == 1 else None
        return cls(meeting_id) if meeting_id is not None else None


@dataclass(frozen=True)
class Rsvp(ButtonData):
    """rsvp:<yes|no>:<meeting>: under a reminder, "I will attend" / "I cannot"."""

    KIND = "rsvp"
    TOGETHER, MEETING = True, True
    answer: Answer
    meeting_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> Rsvp | None:
        if len(parts) != 2:
            return None
        answer, meeting_id = _answer(parts[0]), _id(parts[1])
        return cls(answer, meeting_id) if answer is not None and meeting_id is not None else None


@dataclass(frozen=True)
class Cancel(ButtonData):
    """cancel:<yes|no>:<meeting>: the confirmation of /huyhop."""

    KIND = "cancel"
    MEETING, FOR_UPDATE = True, True
    answer: Answer
    meeting_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> Cancel | None:
        if len(parts) != 2:
            return None
        answer, meeting_id = _answer(parts[0]), _id(parts[1])
        return cls(answer, meeting_id) if answer is not None and meeting_id is not None else None


@dataclass(frozen=True)
class EndNow(ButtonData):
    """end:<unix time of the end>:<m: typed, n: live>:<meeting>: "end now" under the early-end question."""

    KIND = "end"
    MEETING, FOR_UPDATE = True, True
    ended_at: int  # unix time
    mode: Literal["m", "n"]  # m: the end time was typed, n: the end is now
    meeting_id: int

    @property
    def manual(self) -> bool:
        return self.mode == "m"

    @classmethod
    def of(cls, ended_at: int, manual: bool, meeting_id: int) -> EndNow:
        return cls(ended_at, "m" if manual else "n", meeting_id)

    @classmethod
    def _parse(cls, parts: list[str]) -> EndNow | None:
        if len(parts) != 3:
            return None
        stamp, mode, meeting_id = parts[0], parts[1], _id(parts[2])
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or meeting_id is None:
            return None
        if mode == "m":
            return cls(int(stamp), "m", meeting_id)
        if mode == "n":
            return cls(int(stamp), "n", meeting_id)
        return None


@dataclass(frozen=True)
class ExcuseFor(ButtonData):
    """excuse_for:<member>:<meeting>: "which meeting?" after /vang_ho answered."""

    KIND = "excuse_for"
    MEETING, AFTER_END = True, True
    member_id: int
    meeting_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> ExcuseFor | None:
        if len(parts) != 2:
            return None
        member_id, meeting_id = _id(parts[0]), _id(parts[1])
        return cls(member_id, meeting_id) if member_id is not None and meeting_id is not None else None


@dataclass(frozen=True)
class TaskDone(ButtonData):
    """task_done:<task>: "done" under a task."""

    KIND = "task_done"
    TOGETHER = True
    task_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> TaskDone | None:
        task_id = _id(parts[0]) if len(parts) == 1 else None
        return cls(task_id) if task_id is not None else None


@dataclass(frozen=True)
class DuesPaid(ButtonData):
    """dues:<member>:<YYYYMM>: "paid" for one member under the cell's month of dues (/dangphi)."""

    KIND = "dues"
    member_id: int
    month: int  # YYYYMM

    @classmethod
    def _parse(cls, parts: list[str]) -> DuesPaid | None:
        if len(parts) != 2:
            return None
        member_id, month = _id(parts[0]), _id(parts[1])
        if member_id is None or month is None or not 200001 <= month <= 299912 or not 1 <= month % 100 <= 12:
            return None
        return cls(member_id, month)


@dataclass(frozen=True)
class Quality(ButtonData):
    """qa:<question key|skip|resume>:<answer|->:<meeting>: the meeting's quality assessment. The key and
    the answer are checked against the questions by handlers.quality."""

    KIND = "qa"
    key: str
    answer: str
    meeting_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> Quality | None:
        if len(parts) != 3 or not parts[0] or not parts[1]:
            return None
        meeting_id = _id(parts[2])
        return cls(parts[0], parts[1], meeting_id) if meeting_id is not None else None


@dataclass(frozen=True)
class Spoke(ButtonData):
    """spoke:<member>:<meeting>: a member present marked as having spoken, or unmarked (/phatbieu's tap list)."""

    KIND = "spoke"
    MEETING, AFTER_END = True, True
    member_id: int
    meeting_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> Spoke | None:
        if len(parts) != 2:
            return None
        member_id, meeting_id = _id(parts[0]), _id(parts[1])
        return cls(member_id, meeting_id) if member_id is not None and meeting_id is not None else None


@dataclass(frozen=True)
class PartOfDay(ButtonData):
    """ampm:<HHMM>: "7:30 in the morning or the evening?" answered."""

    KIND = "ampm"
    hhmm: str

    @classmethod
    def _parse(cls, parts: list[str]) -> PartOfDay | None:
        if len(parts) != 1 or len(parts[0]) != 4 or not (parts[0].isascii() and parts[0].isdigit()):
            return None
        return cls(parts[0])


@dataclass(frozen=True)
class VoteChoice(ButtonData):
    """vote:<yes|no|end>:<vote>: a ballot under an open vote (tán thành / không tán thành), or the
    secretary's "close the vote"."""

    KIND = "vote"
    choice: Literal["yes", "no", "end"]
    vote_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> VoteChoice | None:
        if len(parts) != 2:
            return None
        vote_id = _id(parts[1])
        if vote_id is None:
            return None
        if parts[0] == "yes":
            return cls("yes", vote_id)
        if parts[0] == "no":
            return cls("no", vote_id)
        if parts[0] == "end":
            return cls("end", vote_id)
        return None


@dataclass(frozen=True)
class Unit(ButtonData):
    """unit:<committee|cell>:<id>: a committee member's /baocao one level down, to a committee or a cell
    below theirs (checked on the press: a forged id of a unit beside theirs is refused)."""

    KIND = "unit"
    kind: Literal["committee", "cell"]
    unit_id: int

    @classmethod
    def _parse(cls, parts: list[str]) -> Unit | None:
        if len(parts) != 2:
            return None
        unit_id = _id(parts[1])
        if unit_id is None:
            return None
        if parts[0] == "committee":
            return cls("committee", unit_id)
        if parts[0] == "cell":
            return cls("cell", unit_id)
        return None


KINDS: dict[str, type[ButtonData]] = {kind.KIND: kind for kind in (
    Absent, Checkin, Guest, Rsvp, Cancel, EndNow, ExcuseFor, TaskDone, DuesPaid, Quality, PartOfDay, VoteChoice,
    Spoke, Unit)}


def decode(data: str | None) -> ButtonData | None:
    """The button a press carries, or None when its data are not one chibo writes (forged, malformed,
    too long)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    kind, *parts = data.split(SEP)
    cls = KINDS.get(kind)
    return cls._parse(parts) if cls is not None else None
