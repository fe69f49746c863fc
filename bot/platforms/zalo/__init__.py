"""Zalo Bot API: the client, the adapter and its registration; importing this package registers it."""

from bot.platforms.zalo import registration

__all__ = ["registration"]
