"""Who votes in a cell's open vote (biểu quyết) and whether a motion is adopted: one pure function.

- Probationary members (đảng viên dự bị) have no vote (Điều lệ Đảng, Điều 5).
- A motion is adopted when MORE THAN HALF of the official members called to the meeting approve; that
  number leaves out those excused for the whole meeting, the exempt (miễn sinh hoạt) who are absent and
  those suspended (Quy định 24-QĐ/TW 2021, point 9.3.2). An exempt member who attends may vote and is then
  counted. Guests of the committee above are not members of the cell: they never vote.
Sources in docs/quy-dinh.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Voter:
    """A member of the cell called to the meeting, as the vote rules see them."""

    member_id: int
    official: bool  # chính thức (False: dự bị, no vote)
    present: bool  # checked in (on time or late)
    excused: bool = False  # excused for the whole meeting
    exempt: bool = False  # miễn sinh hoạt
    suspended: bool = False  # đình chỉ sinh hoạt

    @property
    def may_vote(self) -> bool:
        return self.official and self.present and not self.suspended

    @property
    def counted(self) -> bool:
        """In the denominator of "more than half"."""
        if not self.official or self.suspended:
            return False
        if self.present:
            return True
        return not (self.excused or self.exempt)


@dataclass(frozen=True)
class VoteResult:
    approve: int  # tán thành
    against: int  # không tán thành
    not_voted: int  # chưa biểu quyết (counted, no ballot)
    of: int  # the denominator N
    adopted: bool  # approve > of / 2, judged on whole numbers

    @property
    def needed(self) -> int:
        """The fewest approvals that are more than half of ``of``."""
        return self.of // 2 + 1


def vote_result(voters: Iterable[Voter], ballots: Mapping[int, bool]) -> VoteResult:
    """The result of a vote: ``ballots`` maps a member's id to True (tán thành) or False (không tán thành);
    a ballot of anyone who may not vote (dự bị, absent, not called) is not counted."""
    counted = [v for v in voters if v.counted]
    valid = {v.member_id: ballots[v.member_id] for v in counted if v.may_vote and v.member_id in ballots}
    approve = sum(1 for b in valid.values() if b)
    against = len(valid) - approve
    of = len(counted)
    return VoteResult(approve, against, of - approve - against, of, of > 0 and 2 * approve > of)
