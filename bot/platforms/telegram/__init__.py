"""Telegram: the adapter (python-telegram-bot) and its registration; importing this package registers it."""

from bot.platforms.telegram import registration

__all__ = ["registration"]
