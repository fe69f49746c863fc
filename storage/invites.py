"""Single-use invite codes."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InviteCode, InviteKind

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed by hand
CODE_LENGTH = 8
DEFAULT_VALIDITY = timedelta(days=30)
GROUP_CODE_VALIDITY = timedelta(days=2)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    return text.strip().upper().replace("-", "").replace(" ", "")


async def issue(
    session: AsyncSession,
    kind: InviteKind,
    now: datetime,
    *,
    member_id: int | None = None,
    committee_member_id: int | None = None,
    cell_id: int | None = None,
    validity: timedelta = DEFAULT_VALIDITY,
) -> InviteCode:
    invite = InviteCode(
        code=new_code(),
        kind=kind,
        member_id=member_id,
        committee_member_id=committee_member_id,
        cell_id=cell_id,
        created_at=now,
        expires_at=now + validity,
    )
    session.add(invite)
    await session.flush()
    return invite


async def find(session: AsyncSession, code: str) -> InviteCode | None:
    return await session.scalar(select(InviteCode).where(InviteCode.code == normalize_code(code)))


def looks_like_code(text: str) -> bool:
    """A message that is just an invite code (as people send it on Zalo, without /start): eight
    characters of the codes' alphabet (a dash or a space in the middle allowed) with a digit or in
    capitals as printed. A word ("hahahaha", "camonnhe") is chatter, not a guess."""
    raw = text.strip()
    code = normalize_code(raw)
    if len(code) != CODE_LENGTH or not all(c in ALPHABET for c in code):
        return False
    if len(raw) > CODE_LENGTH + 1:
        return False
    return any(c.isdigit() for c in code) or raw == raw.upper()
