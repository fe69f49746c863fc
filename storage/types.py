"""Column types shared by the models."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so the value is stored as naive
    UTC text and made aware again when read. Naive datetimes are refused: every "now" in chibo
    comes from a clock that is aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


PLATFORM_NAME = re.compile(r"[a-z][a-z0-9_]{0,19}")


class PlatformName(TypeDecorator[str]):
    """A platform's name as a plain string (no CHECK constraint): validated here, loaded as ``str``."""

    impl = String(20)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        name = str(value)
        if not PLATFORM_NAME.fullmatch(name):
            raise ValueError(f"not a platform name: {name!r}")
        return name

    def process_result_value(self, value, dialect):
        return value
