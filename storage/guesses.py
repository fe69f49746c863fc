"""Failed invite-code guesses per account and platform (see ``rules.guessing``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.guessing import GuessState, after_failure
from storage.models import CodeGuesses


async def state_of(session: AsyncSession, platform: str, user_id: str) -> GuessState | None:
    row = await _row(session, platform, user_id)
    return None if row is None else GuessState(row.failures, row.window_start, row.locked_until)


async def record_failure(session: AsyncSession, platform: str, user_id: str, now: datetime
                         ) -> tuple[GuessState, int]:
    """Count one wrong code; the new state (``locked_until`` is set when this failure locked the account) and
    the id of the account's code_guesses row (what a log names: never the platform's user id)."""
    row = await _row(session, platform, user_id, for_update=True)
    before = None if row is None else GuessState(row.failures, row.window_start, row.locked_until)
    state = after_failure(before, now)
    if row is None:
        row = CodeGuesses(platform=platform, platform_user_id=user_id, failures=state.failures,
                          window_start=state.window_start, locked_until=state.locked_until)
        session.add(row)
    else:
        row.failures, row.window_start, row.locked_until = state.failures, state.window_start, state.locked_until
    await session.flush()
    return state, row.id


async def _row(session: AsyncSession, platform: str, user_id: str, *, for_update: bool = False) -> CodeGuesses | None:
    query = select(CodeGuesses).where(CodeGuesses.platform == platform, CodeGuesses.platform_user_id == user_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)
