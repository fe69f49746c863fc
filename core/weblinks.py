"""Signed, expiring links to the committee's web view, bound to the chat account that asked.

A link is ``/web/<token>/``: the token names a chat link (a row number, no personal data), when it
expires, and an HMAC of both with chibo's files secret. It never carries a name, a phone or a
platform id, and it dies with the chat link (an account unlinked is refused at once)."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

from core.files import files_secret
from core.settings import Settings

TOKEN = re.compile(r"^([0-9]{1,12})-([0-9]{1,12})-([0-9a-f]{32})$")
TOKEN_PATTERN = r"[0-9]{1,12}-[0-9]{1,12}-[0-9a-f]{32}"  # the same, for a URL route
LOOPBACK = re.compile(r"^http://(127\.0\.0\.1|localhost)(:[0-9]+)?$")


def _signature(settings: Settings, link_id: int, expires: int) -> str:
    return hmac.new(files_secret(settings), f"web:{link_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def web_token(settings: Settings, link_id: int, now: datetime, valid: timedelta | None = None) -> str:
    expires = int((now + (valid or timedelta(hours=settings.web_link_hours))).timestamp())
    return f"{link_id}-{expires}-{_signature(settings, link_id, expires)}"


def read_web_token(settings: Settings, token: str, now: datetime) -> int | None:
    """The chat link id a token was made for, if it is genuine and unexpired."""
    match = TOKEN.match(token)
    if match is None:
        return None
    link_id, expires, sig = int(match.group(1)), int(match.group(2)), match.group(3)
    if expires < now.timestamp():
        return None
    if not hmac.compare_digest(_signature(settings, link_id, expires), sig):
        return None
    return link_id


def web_link(settings: Settings, link_id: int, now: datetime) -> str | None:
    """The signed link to the web view for a chat account; None without a public URL."""
    if not settings.public_url:
        return None
    return f"{settings.public_url}/web/{web_token(settings, link_id, now)}/"


def mini_app_url(settings: Settings) -> str | None:
    """Where the Telegram Mini App opens (it signs the person in with Telegram's initData).

    Telegram refuses a Mini App button that is not HTTPS (and with it the whole message), so a plain
    ``http://`` public address gets none, except on loopback (the tests and the demo, on the fake API)."""
    url = settings.public_url
    if not url or not (url.startswith("https://") or LOOPBACK.match(url)):
        return None
    return f"{url}/web/tg"


def form_token(settings: Settings, token: str) -> str:
    """The hidden field of a form on the page at ``/web/<token>/``: an HMAC of the page's token, so a post is
    taken only from a page chibo itself served to that link (the token in the path is the link's secret;
    this binds the form to it as well, whatever a browser sends or leaves out of its Origin header)."""
    return hmac.new(files_secret(settings), f"form:{token}".encode(), hashlib.sha256).hexdigest()[:32]


def form_token_ok(settings: Settings, token: str, given: str) -> bool:
    return hmac.compare_digest(form_token(settings, token), given)
