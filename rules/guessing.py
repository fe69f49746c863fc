"""How many wrong invite codes an account may try: 5 an hour, then it waits out the hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class GuessState:
    failures: int
    window_start: datetime
    locked_until: datetime | None = None


def is_locked(state: GuessState | None, now: datetime) -> bool:
    return state is not None and state.locked_until is not None and now < state.locked_until


def after_failure(state: GuessState | None, now: datetime) -> GuessState:
    """The state after one more wrong code. Failures count within an hour of the first one; the fifth
    locks the account for an hour from now (every guess, right or wrong, is refused until then)."""
    if state is None or now - state.window_start >= WINDOW or (state.locked_until and now >= state.locked_until):
        state = GuessState(failures=0, window_start=now)
    failures = state.failures + 1
    locked_until = now + WINDOW if failures >= MAX_FAILURES else None
    return GuessState(failures=failures, window_start=state.window_start, locked_until=locked_until)
