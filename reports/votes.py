"""A vote's result as every place says it: the reply to /ketthucbq, the summary, the minutes."""

from __future__ import annotations

from collections.abc import Callable

from core.texts import Html
from rules.votes import VoteResult
from storage.models import Vote


def result_of(vote: Vote) -> VoteResult:
    """The result kept when the vote was closed (rules.votes counted it)."""
    assert vote.closed_at is not None and vote.counted is not None, "a closed vote"
    return VoteResult(vote.approve or 0, vote.against or 0, vote.not_voted or 0, vote.counted, bool(vote.adopted))


def result_text(tr: Callable[..., str], vote: Vote) -> str:
    """The result with its counts, in chat (HTML)."""
    r = result_of(vote)
    verdict = Html(tr("vote.adopted" if r.adopted else "vote.not_adopted", needed=r.needed, of=r.of))
    return tr("vote.result_line", subject=vote.subject, approve=r.approve, against=r.against,
              not_voted=r.not_voted, of=r.of, verdict=verdict)


def minutes_line(tr: Callable[..., str], number: int, vote: Vote) -> str:
    """The result as one line of the minutes (plain text)."""
    r = result_of(vote)
    verdict = tr("vote.minutes_adopted" if r.adopted else "vote.minutes_not_adopted", needed=r.needed, of=r.of)
    return tr("vote.minutes_item", number=number, subject=vote.subject, approve=r.approve, against=r.against,
              not_voted=r.not_voted, of=r.of, verdict=verdict)
