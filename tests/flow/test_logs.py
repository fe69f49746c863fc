"""CHIBO_LOG_LEVEL and CHIBO_LOG_FORMAT=text|json."""

from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import ValidationError

from bot.runtime.logs import setup_logging
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
    logging.getLogger("bot.runtime.runner").debug("chibo started")
    assert stream.getvalue().rstrip().endswith("DEBUG bot.runtime.runner: chibo started")
    assert logging.getLogger("sqlalchemy.engine").getEffectiveLevel() >= logging.WARNING  # SQL parameters: never


@pytest.mark.parametrize(("name", "value"), [("CHIBO_LOG_FORMAT", "xml"), ("CHIBO_LOG_LEVEL", "loud")])
def test_a_bad_log_setting_is_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


# --- a bad day at the Bot API: one line per failure, no library traceback ---------------------------------

async def test_bot_api_502s_log_one_line_each_without_a_traceback(scene, caplog):
    """Telegram's front answers a 502 with nginx's HTML page: python-telegram-bot logs an ERROR with the
    JSON parser's traceback for each; chibo says one line per failure of its own."""
    from storage.models import Role
    from tests.conftest import vn

    caplog.set_level(logging.INFO)
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 1", [("Bí Thư", Role.BI_THU), ("Đảng Viên A", Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link("Bí Thư", "Đảng Viên A")
    member = scene.who("Đảng Viên A")
    before = scene.server.sent_count(member.chat_id)
    caplog.clear()
    nginx = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>" \
            "</center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
    scene.server.fail_next("sendMessage", status=502, times=6, chat_id=member.chat_id, description=nginx)
    for _ in range(3):
        scene.server.send_text(member.user_id, "/huongdan", first_name="A")
    await scene.server.wait_for(lambda: len([e for e in scene.server.errors if e[1] == 502]) >= 3, timeout=20)
    for minute in range(1, 8):  # the outbox retries what could not go, until it goes
        scene.at(vn(2026, 12, 1, 8, minute))
        await scene.settle()
    await scene.server.wait_for(lambda: scene.server.sent_count(member.chat_id) >= before + 3, timeout=20)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.exc_info], [(r.name, r.getMessage()) for r in caplog.records
                                                            if r.exc_info]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], text
    assert "Traceback" not in caplog.text
    assert 1 <= len([r for r in caplog.records if r.levelno == logging.WARNING]) <= 6, text



def test_an_interrupted_connection_reset_is_one_warning_line_without_traceback():
    """SIGTERM while a job's connection rolls back: SQLAlchemy's pool logs its reset failure with a
    traceback (seen as a CancelledError traceback after a batch); chibo's handler makes it one line."""
    import asyncio
    import io

    from bot.runtime.logs import setup_logging

    out = io.StringIO()
    setup_logging("INFO", "text", out)
    for error in (asyncio.CancelledError(), OSError("connection lost")):
        try:
            raise error
        except BaseException:
            logging.getLogger("sqlalchemy.pool.impl.AsyncAdaptedQueuePool").error(
                "Exception during reset or similar", exc_info=True)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert "WARNING" in lines[0] and "(cancelled)" in lines[0] and "(OSError)" in lines[1]
    assert "Traceback" not in out.getvalue() and "CancelledError" not in out.getvalue()
