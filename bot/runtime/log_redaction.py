"""No library logger writes what people wrote, at any level.

python-telegram-bot logs the parameters and results of every Bot API call at DEBUG (message texts,
names) and, when an update cannot be parsed, every pending update at CRITICAL; httpx logs URLs with
the bot token. chibo raises those loggers to WARNING (``quiet_third_party_logs``), but a level can be
lowered by whoever configures logging. So every record from these libraries is redacted when it is
created: its message template (the library's own words) is kept, and its arguments, except numbers,
become ``<redacted>``. Exceptions keep their type and traceback.
"""

from __future__ import annotations

import logging

LIBRARIES = ("telegram", "httpx", "httpcore", "tornado", "apscheduler", "aiosqlite", "asyncpg", "sqlalchemy")
REDACTED = "<redacted>"

_installed = False


def _library(name: str) -> bool:
    return any(name == lib or name.startswith(lib + ".") for lib in LIBRARIES)


def _safe(value: object) -> object:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else REDACTED


def install() -> None:
    """Wrap the log record factory (once per process) so that library records lose their arguments."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(name, level, fn, lno, msg, args, exc_info, func=None, sinfo=None, **kwargs):
        record = previous(name, level, fn, lno, msg, args, exc_info, func, sinfo, **kwargs)
        if _library(name) and record.args:
            if isinstance(record.args, dict):
                record.args = {key: _safe(value) for key, value in record.args.items()}
            else:
                record.args = tuple(_safe(value) for value in record.args)
        if _library(name) and not isinstance(record.msg, str):
            record.msg = REDACTED
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
