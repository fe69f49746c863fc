"""Signed, expiring links to the report files chibo serves itself (for Zalo, which takes photos by URL)."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from core.settings import Settings

LINK_VALIDITY = timedelta(days=7)
SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def files_secret(settings: Settings) -> bytes:
    if settings.files_secret:
        return settings.files_secret.get_secret_value().encode()
    seed = (settings.token_value() or "") + (settings.zalo_token_value() or "") + settings.database_url
    return hashlib.sha256(b"chibo-files:" + seed.encode()).digest()


def signature(secret: bytes, name: str, expires: int) -> str:
    return hmac.new(secret, f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def signed_url(settings: Settings, path: Path, now: datetime) -> str | None:
    """A link to ``path`` (a file in the reports folder) valid for 7 days; None without a public URL."""
    if not settings.public_url or not SAFE_NAME.match(path.name):
        return None
    expires = int((now + LINK_VALIDITY).timestamp())
    sig = signature(files_secret(settings), path.name, expires)
    return f"{settings.public_url}/files/{quote(path.name)}?exp={expires}&sig={sig}"


def resolve(settings: Settings, name: str, expires: str, sig: str, now: datetime) -> Path | None:
    """The file a link points to, if the link is genuine, unexpired, and the file exists."""
    if not SAFE_NAME.match(name) or not expires.isdigit():
        return None
    if int(expires) < now.timestamp():
        return None
    if not hmac.compare_digest(signature(files_secret(settings), name, int(expires)), sig):
        return None
    path = Path(settings.reports_dir) / name
    return path if path.is_file() else None
