"""Telegram Mini App ``initData``, validated as Telegram documents it.

"Validating data received via the Mini App" (core.telegram.org/bots/webapps): the data-check-string
is every received field but ``hash``, sorted by key, as ``key=value`` lines joined by "\\n" (values
URL-decoded); the secret key is HMAC-SHA256 of the bot token with the key "WebAppData"; the data is
genuine when HMAC-SHA256 of the data-check-string with that secret key, in hex, equals ``hash``.
``auth_date`` (Unix seconds) must also be recent: an old initData could have been copied."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def telegram_user_id(init_data: str, bot_token: str, now: datetime, max_age: timedelta) -> str | None:
    """The Telegram user id (text) of a genuine, recent ``initData``; None for anything else."""
    if not init_data or not bot_token or len(init_data) > 8192:
        return None
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:  # a field twice: refuse rather than guess
        return None
    expected = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["hash"]):
        return None
    try:
        auth_date = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
        user_id = user["id"]
    except (ValueError, TypeError, KeyError):
        return None
    age = now.timestamp() - auth_date
    if age > max_age.total_seconds() or age < -300:  # from the future (beyond clock drift): refuse too
        return None
    return str(int(user_id))


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """``initData`` as Telegram would send it for ``fields`` (for tests and the demo's browser)."""
    digest = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})
