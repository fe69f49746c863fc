"""What a platform sender may raise, in words the dispatcher understands."""

from __future__ import annotations

from typing import Protocol


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


class Sender(Protocol):
    async def send(self, chat_id: str, payload: dict) -> None: ...

    def is_group(self, chat_id: str) -> bool: ...
