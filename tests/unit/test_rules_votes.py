"""rules.votes: who is counted and "more than half" at its edge (Điều lệ Điều 5; QĐ 24-QĐ/TW 9.3.2)."""

from __future__ import annotations

from rules.votes import Voter, vote_result


def _cell() -> list[Voter]:
    """10 called: 7 official present, 1 exempt present, 1 exempt absent, 1 excused, 1 unexcused absent,
    1 probationary present, 1 suspended: N = 7 + 1 + 1 (unexcused) = 9."""
    return [Voter(i, official=True, present=True) for i in range(1, 8)] + [
        Voter(8, official=True, present=True, exempt=True),
        Voter(9, official=True, present=False, exempt=True),
        Voter(10, official=True, present=False, excused=True),
        Voter(11, official=True, present=False),
        Voter(12, official=False, present=True),
        Voter(13, official=True, present=True, suspended=True),
    ]


def test_five_of_nine_is_more_than_half_four_is_not():
    yes5 = {1: True, 2: True, 3: True, 4: True, 8: True, 5: False}
    result = vote_result(_cell(), yes5)
    assert (result.approve, result.against, result.not_voted, result.of, result.adopted) == (5, 1, 3, 9, True)
    yes4 = {**yes5, 8: False}
    result = vote_result(_cell(), yes4)
    assert (result.approve, result.against, result.not_voted, result.of, result.adopted) == (4, 2, 3, 9, False)


def test_ballots_of_those_without_a_vote_are_not_counted():
    ballots = {12: True, 13: True, 9: True, 10: True, 11: True, 99: True, 1: True}
    result = vote_result(_cell(), ballots)
    assert (result.approve, result.of) == (1, 9)


def test_exactly_half_is_not_adopted():
    voters = [Voter(i, official=True, present=True) for i in range(1, 5)]
    assert not vote_result(voters, {1: True, 2: True}).adopted
    assert vote_result(voters, {1: True, 2: True, 3: True}).adopted
    assert not vote_result([], {}).adopted
