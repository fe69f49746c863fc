"""What Telegram limits, as the fake Bot API enforces it: lengths after parsing, and flood control
(with ``enforce_limits=True``)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

#: What Telegram accepts for ``sendMessage``/``editMessageText`` and captions,
#: counted in Unicode code points after entity parsing and trimming.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

#: Flood limits applied with ``enforce_limits=True`` (see Telegram's bot FAQ).
GLOBAL_MESSAGES_PER_SECOND = 30
PRIVATE_CHAT_MESSAGES_PER_SECOND = 1.0
PRIVATE_CHAT_BURST = 3
GROUP_MESSAGES_PER_MINUTE = 20




class _FloodControl:
    """Telegram-like limits: 30 messages/s overall, about 1/s per private chat
    (with a small burst), 20/min per group.  Rejected attempts do not count."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._global: deque[float] = deque()
        self._groups: dict[int | str, deque[float]] = {}
        self._private: dict[int | str, tuple[float, float]] = {}  # chat -> (tokens, at)

    def admit(self, chat_id: int | str, is_group: bool) -> int | None:
        """Record one message; return ``retry_after`` seconds instead if over a limit."""
        now = self._clock()
        while self._global and self._global[0] <= now - 1.0:
            self._global.popleft()
        if len(self._global) >= GLOBAL_MESSAGES_PER_SECOND:
            return _seconds(self._global[0] + 1.0 - now)

        if is_group:
            window = self._groups.setdefault(chat_id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= GROUP_MESSAGES_PER_MINUTE:
                return _seconds(window[0] + 60.0 - now)
            window.append(now)
        else:
            tokens, at = self._private.get(chat_id, (float(PRIVATE_CHAT_BURST), now))
            tokens = min(
                float(PRIVATE_CHAT_BURST), tokens + (now - at) * PRIVATE_CHAT_MESSAGES_PER_SECOND
            )
            if tokens < 1.0:
                return _seconds((1.0 - tokens) / PRIVATE_CHAT_MESSAGES_PER_SECOND)
            self._private[chat_id] = (tokens - 1.0, now)
        self._global.append(now)
        return None


def _seconds(delay: float) -> int:
    return max(1, math.ceil(delay))
