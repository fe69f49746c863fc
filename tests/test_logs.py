"""CHIBO_LOG_LEVEL and CHIBO_LOG_FORMAT=text|json."""

from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import ValidationError

from bot.logs import setup_logging
from core.settings import Settings


@pytest.fixture
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_format_is_one_object_per_line_with_the_traceback(restore_root_logger):
    stream = io.StringIO()
    setup_logging("INFO", "json", stream)
    log = logging.getLogger("scheduler.jobs")
    log.info("job %s outcome=ok duration=%.2fs", "daily", 0.5)
    log.debug("not shown at INFO")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("job %s outcome=error", "weekly")
    logging.getLogger("httpx").info("GET https://api.telegram.org/bot123:SECRET/getMe")  # kept quiet
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["level"], e["logger"], e["message"]) for e in lines] == [
        ("INFO", "scheduler.jobs", "job daily outcome=ok duration=0.50s"),
        ("ERROR", "scheduler.jobs", "job weekly outcome=error")]
    assert "RuntimeError: boom" in lines[1]["exception"] and lines[0]["time"].endswith("+00:00")


def test_text_format_and_the_level_from_the_environment(restore_root_logger, monkeypatch):
    monkeypatch.setenv("CHIBO_LOG_LEVEL", "debug")
    monkeypatch.setenv("CHIBO_LOG_FORMAT", "text")
    settings = Settings(_env_file=None)
    assert (settings.log_level, settings.log_format) == ("DEBUG", "text")
    stream = io.StringIO()
    setup_logging(settings.log_level, settings.log_format, stream)
    logging.getLogger("bot.runner").debug("chibo started")
    assert stream.getvalue().rstrip().endswith("DEBUG bot.runner: chibo started")
    assert logging.getLogger("sqlalchemy.engine").getEffectiveLevel() >= logging.WARNING  # SQL parameters: never


@pytest.mark.parametrize(("name", "value"), [("CHIBO_LOG_FORMAT", "xml"), ("CHIBO_LOG_LEVEL", "loud")])
def test_a_bad_log_setting_is_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)
