"""When each chat link was last heard from, written behind the requests.

``last_seen_at`` only orders a member's links (the platform they used last gets the reminders), so a
request does not spend a database round trip on it: the request notes the time here, and the process
writes the notes in one statement every few seconds (the intake's upkeep) and before the dispatcher
picks chats. A kill -9 loses at most those few seconds of "last seen", never a record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Base, ChatLink


class LastSeen:
    def __init__(self) -> None:
        self._notes: dict[int, datetime] = {}

    def note(self, link_id: int, when: datetime) -> None:
        current = self._notes.get(link_id)
        if current is None or when > current:
            self._notes[link_id] = when

    def __len__(self) -> int:
        return len(self._notes)

    async def flush(self, sessions: async_sessionmaker[AsyncSession]) -> int:
        """Write the notes (a later time never goes back to an earlier one); returns how many."""
        notes, self._notes = self._notes, {}
        if not notes:
            return 0
        try:
            async with sessions() as session, session.begin():
                table = Base.metadata.tables[ChatLink.__tablename__]  # Core: the notes go as one executemany
                await session.execute(
                    update(table)
                    .where(table.c.id == bindparam("link_id"),
                           (table.c.last_seen_at.is_(None)) | (table.c.last_seen_at < bindparam("seen")))
                    .values(last_seen_at=bindparam("seen")),
                    [{"link_id": k, "seen": v} for k, v in notes.items()],
                )
        except Exception:
            for link_id, when in notes.items():  # kept for the next try (the database may be down)
                self.note(link_id, when)
            raise
        return len(notes)
