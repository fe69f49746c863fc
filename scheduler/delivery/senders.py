"""What a platform sender may raise, in words the dispatcher understands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from storage.models import OutboxMessage


class DeliveryError(Exception):
    """Base of the neutral delivery errors."""


class Blocked(DeliveryError):
    """The person blocked the bot or the chat is gone: mark them unreachable."""


class RateLimited(DeliveryError):
    def __init__(self, retry_after: float):
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class Transient(DeliveryError):
    """5xx, a time-out, a network error: try again later."""


class Permanent(DeliveryError):
    """The platform refused the message itself (e.g. 400): trying again will not help."""


@dataclass(frozen=True)
class Admission:
    """A sender's answer to "may this row go now?", handed back to its ``send``."""

    refused: str | None = None  # why the row is dropped instead (a platform with a budget cuts rows)
    reserved: bool = False  # a unit of the budget is held for this send, released when it is counted


ADMITTED = Admission()  # no budget to keep (Telegram, direct answers)


class Sender(Protocol):
    """What the dispatcher needs of a platform to deliver outbox rows (one per registered platform)."""

    async def admit(self, row: OutboxMessage) -> Admission:
        """Whether the row goes now or is dropped (a platform with a message budget cuts rows)."""
        ...

    async def send(self, chat_id: str, payload: dict, admission: Admission = ADMITTED) -> str | None:
        """Deliver one neutral payload (``admission``: what ``admit`` answered for it); raise the errors
        above, never the platform's own. A payload with ``edit`` (the id of a message sent before, on a
        platform of ``core.outgoing.EDITABLE_PLATFORMS``) edits that message instead; "not modified" is no
        error. Returns the id of the (last) message sent or edited, where the platform gives one."""
        ...

    def is_group(self, chat_id: str) -> bool:
        """Whether the chat is a group (groups are paced more slowly)."""
        ...
