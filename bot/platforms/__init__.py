"""The registered chat platforms (see ``bot.platforms.base``); importing this package registers them."""

from __future__ import annotations

from bot.platforms.base import REGISTRY, PlatformProblem, Registration, Route, Running, WebhookOptions, register
from core.settings import Settings


def registered() -> list[Registration]:
    """Every platform chibo knows, in registration order."""
    return list(REGISTRY.values())


def configured(settings: Settings) -> list[Registration]:
    """The platforms that have a token in ``settings``: the ones a run starts."""
    return [p for p in REGISTRY.values() if p.configured(settings)]


from bot.platforms import telegram, zalo

__all__ = ["REGISTRY", "PlatformProblem", "Registration", "Route", "Running", "WebhookOptions", "configured", "register", "registered",
           "telegram", "zalo"]
