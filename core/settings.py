"""Configuration from the environment (prefix ``CHIBO_``) and an optional ``.env`` file.

Secrets (the bot tokens) are ``SecretStr`` so that printing the settings never shows them.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.config_sources import SecretFilesSource

_OFFSET_RE = re.compile(r"^\s*(\d+)\s*([dhms])\s*$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Parse ``"3d,1d,2h"`` into timedeltas, largest first. Raises ValueError with the bad part."""
    offsets = set()
    for part in text.split(","):
        if not part.strip():
            continue
        match = _OFFSET_RE.match(part)
        if not match:
            raise ValueError(f"'{part.strip()}' không phải khoảng thời gian như 3d, 2h, 30m, 45s / not an offset like 3d, 2h, 30m or 45s")
        offsets.add(timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)]))
    return tuple(sorted(offsets, reverse=True))


def parse_days(text: str) -> tuple[int, ...]:
    """'3,0' -> (3, 0): whole days before a deadline; '' or 'off' -> no reminder."""
    if text.strip().lower() in ("", "off"):
        return ()
    try:
        days = {int(part) for part in text.split(",") if part.strip()}
    except ValueError as exc:
        raise ValueError(f"'{text}' không phải danh sách số ngày như '3,0' / not a list of whole days like '3,0'") from exc
    if any(d < 0 or d > 60 for d in days):
        raise ValueError(f"'{text}': số ngày phải từ 0 đến 60 / days must be between 0 and 60")
    return tuple(sorted(days, reverse=True))


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """Parse ``"22:00-06:00"`` (or ``off``) into a (start, end) pair of local times."""
    if text.strip().lower() in {"off", "none", ""}:
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not match:
        raise ValueError(f"'{text}' không phải khoảng giờ như 22:00-06:00 (hoặc 'off') / not a range like 22:00-06:00 (or 'off')")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return time(h1, m1), time(h2, m2)


DEFAULT_ZALO_BOT = "zalo"
DEFAULT_TELEGRAM_BOT = "telegram"  # CHIBO_TELEGRAM_TOKEN's bot; its chats keep bot_key NULL (as before several bots)
_BOT_KEY = re.compile(r"^[a-z0-9_-]{1,40}$")


def parse_bots(text: str) -> dict[str, str]:
    """"hangbac=123:abc,hangdao=456:def" -> {key: token}. The error never shows a token."""
    bots = {}
    for number, part in enumerate(p for p in text.split(",") if p.strip()):
        key, sep, token = part.strip().partition("=")
        if not sep or not _BOT_KEY.match(key.strip()) or not token.strip():
            raise ValueError(f"bot thứ {number + 1} phải viết khoa=token (khóa: a-z, 0-9, - hoặc _) / bot #{number + 1} is not written as key=token")
        bots[key.strip()] = token.strip()
    return bots


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHIBO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///./chibo.db"
    timezone: str = "Asia/Ho_Chi_Minh"
    language: Literal["vi", "en"] = "vi"
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_bot_username: str | None = None
    # Several Telegram bots: "key=token,key2=token2", each serving the committees and cells assigned to it
    # (`chibo cell telegram-bot`, `chibo committee telegram-bot`) and paced on its own; with their usernames
    # ("key=username,...") for the links chibo gives out.
    telegram_bots: SecretStr | None = None
    telegram_bot_usernames: str | None = None
    webhook_secret: SecretStr | None = None
    zalo_token: SecretStr | None = None
    # Several Zalo bots: "key=token,key2=token2" (each serves the cells assigned with `chibo cell zalo-bot`).
    zalo_bots: SecretStr | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_monthly_quota: int = 3000
    zalo_webhook_secret: SecretStr | None = None
    public_url: str | None = None  # where chibo's own HTTP endpoint is reachable (signed file links)
    files_secret: SecretStr | None = None
    web_link_hours: int = 24  # how long a signed link to the web view (from /baocao) stays valid
    web_auth_max_age_seconds: int = 86400  # the oldest Telegram Mini App initData (auth_date) accepted
    reminder_offsets: str = "3d,1d,2h"
    weekly_summary_cron: str = "0 8 * * mon"
    quiet_hours: str = "22:00-06:00"
    dispatch_interval_seconds: float = 2.0
    # What one bot may send (messages a second; Telegram: about 30 to different users) and the share of it
    # reminders are planned to use (the rest is kept for answers and other messages): the planner lets a
    # burst of reminders go early enough that the last arrives in time (rules.release).
    telegram_per_second: float = Field(default=30.0, gt=0)
    zalo_per_second: float = Field(default=30.0, gt=0)
    reminder_share: float = Field(default=0.9, gt=0, le=1)
    # Several processes on one PostgreSQL database: how often a standby checks whether the active
    # sender (or poller) is gone, and how long a new sender waits before taking over its claimed rows.
    election_interval_seconds: float = 5.0
    # How often the intake renews its leases and takes again what a dead process (or a refused write) left.
    intake_maintenance_seconds: float = Field(default=3.0, gt=0)
    reports_dir: str = "./chibo-reports"
    daily_planner_time: str = "07:00"
    task_reminder_days: str = "3,0"  # remind a task this many days before its deadline (0: on the day)
    task_reminder_time: str = "08:00"  # at this local time (moved out of the quiet hours)
    max_meeting_hours: float = 6.0  # a longer meeting is refused at /ketthuc as a wrong or forgotten end time
    # Retention: the inbox's updates (a platform re-delivers within a day; they hold message texts, so
    # not for long) and sent or dropped outbox rows (their keys also stop a quarter's nudge from going
    # twice, hence at least 100 days).
    keep_updates_days: int = Field(default=7, ge=2)
    keep_sent_days: int = Field(default=180, ge=100)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # /healthz, /readyz, /metrics: the port of `chibo run` / `chibo worker` (0: none); unset: the
    # webhook's port in webhook mode, else 8443 for `run` and 8444 for `worker`.
    http_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_token: SecretStr | None = None  # lets a scraper that is not on this host read /metrics

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        return value.upper() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"múi giờ lạ / unknown time zone '{value}' (ví dụ / try Asia/Ho_Chi_Minh)") from exc
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _check_offsets(cls, value: str) -> str:
        parse_offsets(value)
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @field_validator("task_reminder_days")
    @classmethod
    def _check_task_days(cls, value: str) -> str:
        parse_days(value)
        return value

    @field_validator("task_reminder_time")
    @classmethod
    def _check_task_time(cls, value: str) -> str:
        from core.parsing import parse_time

        if parse_time(value) is None:
            raise ValueError(f"'{value}' không phải giờ như 08:00 / not a time of day like 08:00")
        return value

    @field_validator("weekly_summary_cron")
    @classmethod
    def _check_cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"'{value}' không phải dòng crontab như '0 8 * * mon' / not a crontab line: {exc}") from exc
        return value

    @field_validator("daily_planner_time")
    @classmethod
    def _check_planner_time(cls, value: str) -> str:
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise ValueError(f"'{value}' không phải giờ như 07:00 (00:00 đến 23:59) / not a time of day like 07:00")
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    @field_validator("telegram_api_url", "zalo_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _strip_public(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        """A variable set directly wins; then CHIBO_<NAME>_FILE and CHIBO_SECRETS_DIR; then .env."""
        return init_settings, env_settings, SecretFilesSource(settings_cls), dotenv_settings, file_secret_settings

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def offsets(self) -> tuple[timedelta, ...]:
        return parse_offsets(self.reminder_offsets)

    @cached_property
    def task_days(self) -> tuple[int, ...]:
        return parse_days(self.task_reminder_days)

    @cached_property
    def quiet(self) -> tuple[time, time] | None:
        return parse_quiet_hours(self.quiet_hours)

    def token_value(self) -> str | None:
        return self.telegram_token.get_secret_value() if self.telegram_token else None

    def telegram_tokens(self) -> dict[str, str]:
        """Every Telegram bot by key; the single CHIBO_TELEGRAM_TOKEN is the bot "telegram" (the default)."""
        bots = {}
        if self.telegram_token:
            bots[DEFAULT_TELEGRAM_BOT] = self.telegram_token.get_secret_value()
        if self.telegram_bots:
            bots.update(parse_bots(self.telegram_bots.get_secret_value()))
        return bots

    def telegram_username(self, bot_key: str | None) -> str | None:
        """The username of a Telegram bot (None: the default bot), for t.me links."""
        if bot_key in (None, DEFAULT_TELEGRAM_BOT):
            return self.telegram_bot_username.lstrip("@") if self.telegram_bot_username else None
        for part in (self.telegram_bot_usernames or "").split(","):
            key, _, name = part.strip().partition("=")
            if key.strip() == bot_key and name.strip():
                return name.strip().lstrip("@")
        return None

    def zalo_token_value(self) -> str | None:
        return self.zalo_token.get_secret_value() if self.zalo_token else None

    def zalo_tokens(self) -> dict[str, str]:
        """Every Zalo bot by key; the single CHIBO_ZALO_TOKEN is the bot "zalo" (the default)."""
        bots = {}
        if self.zalo_token:
            bots[DEFAULT_ZALO_BOT] = self.zalo_token.get_secret_value()
        if self.zalo_bots:
            bots.update(parse_bots(self.zalo_bots.get_secret_value()))
        return bots

    @field_validator("zalo_bots", "telegram_bots")
    @classmethod
    def _check_bots(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_bots(value.get_secret_value())
        return value
