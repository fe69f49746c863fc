"""Logging for the long-running commands: ``CHIBO_LOG_LEVEL`` and ``CHIBO_LOG_FORMAT=text|json``.

Lines carry ids (row, member, meeting, job), never names, phones, tokens or message texts
(tests/flow/test_privacy.py). Libraries that would log a Bot API URL (it holds the token) or SQL parameters
stay at WARNING whatever the level.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import UTC, datetime

from bot.runtime import log_redaction

QUIET_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "tornado.access",
                 "aiosqlite", "asyncpg", "sqlalchemy.engine",  # these three log SQL parameters (names, reasons)
                 "alembic")  # its INFO lines would come before chibo's first line, which says what the process does


# python-telegram-bot logs an ERROR with the JSON parser's 12-line traceback for every answer that is not
# JSON (a 502 or 504 page from Telegram's front proxy), then raises a TelegramError that chibo handles and
# reports in one line of its own (a delivery retried, a reply deferred to the outbox, polling failed).
_TELEGRAM_REQUEST_LOGGER = "telegram.request.BaseRequest"


def _not_a_parse_failure(record: logging.LogRecord) -> bool:
    return not (isinstance(record.msg, str) and record.msg.startswith("Can not load invalid JSON data"))


def quiet_third_party_logs() -> None:
    """Libraries that log request URLs (which hold the bot token) or update contents stay at WARNING,
    and their records lose their arguments whatever the level (``bot.runtime.log_redaction``). A Bot API answer
    that is not JSON is not logged by the library: chibo says what it did about it, in one line."""
    log_redaction.install()
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    request_logger = logging.getLogger(_TELEGRAM_REQUEST_LOGGER)
    if _not_a_parse_failure not in request_logger.filters:
        request_logger.addFilter(_not_a_parse_failure)


def _one_line_for_a_dropped_connection(record: logging.LogRecord) -> bool:
    """SQLAlchemy's pool logs "Exception during reset or similar" with a traceback when a connection's
    rollback is interrupted (a job cancelled at SIGTERM, a backend gone): the connection is discarded and
    nothing is lost, so it is one line, naming the exception, and never a traceback or a CancelledError."""
    if record.name.startswith("sqlalchemy.pool") and record.exc_info and record.exc_info[1] is not None:
        kind = "cancelled" if isinstance(record.exc_info[1], asyncio.CancelledError) else type(record.exc_info[1]).__name__
        record.msg, record.args = f"a connection's reset was interrupted ({kind}): the connection is discarded", ()
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged (not when the handler was made)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def setup_logging(level: str = "INFO", fmt: str = "text", stream=None) -> None:
    """One handler of ours on the root logger (replacing an earlier one of ours, leaving others)."""
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.set_name("chibo")
    handler.addFilter(_one_line_for_a_dropped_connection)
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == "chibo":
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_third_party_logs()
