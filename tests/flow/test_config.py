"""Configuration: one documented table in step with the settings, warnings for unknown names, refused
bad values, secrets from files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

from bot.cli.app import app
from core.config_sources import SecretFileError, file_values, unknown_names
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _default(name: str) -> str:
    value = Settings.model_fields[name].default
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return "" if value is None else str(value)


def _readme_rows() -> list[tuple[str, str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Cấu hình / Configuration"):]
    section = section[:section.index("\n## ", 5)]
    return re.findall(r"^\| `(CHIBO_[A-Z_]+)` \| (.*?) \| (.*?) \|$", section, flags=re.MULTILINE)


def test_the_readme_table_lists_every_setting_with_its_default():
    rows = _readme_rows()
    names = [name for name, _, _ in rows]
    assert len(names) == len(set(names)), f"listed twice: {sorted({n for n in names if names.count(n) > 1})}"
    table = {name: (default, meaning) for name, default, meaning in rows}
    expected = {f"CHIBO_{name.upper()}" for name in Settings.model_fields}
    assert set(table) == expected, f"missing: {expected - set(table)}; not settings: {set(table) - expected}"
    for name in Settings.model_fields:
        default, meaning = table[f"CHIBO_{name.upper()}"]
        assert meaning.strip(), name
        if _default(name):
            assert default == f"`{_default(name)}`", f"CHIBO_{name.upper()}: README says {default}"
        else:
            assert not default.startswith("`"), f"CHIBO_{name.upper()} has no default value"


def test_the_env_example_lists_every_setting_with_its_default():
    text = (ROOT / "deploy" / ".env.example").read_text(encoding="utf-8")
    lines = dict(re.findall(r"^#?(CHIBO_[A-Z_]+)=(.*)$", text, flags=re.MULTILINE))
    assert set(lines) == {f"CHIBO_{name.upper()}" for name in Settings.model_fields}
    for name in Settings.model_fields:
        assert lines[f"CHIBO_{name.upper()}"] == _default(name), name


@pytest.mark.parametrize("value", ["25:99", "24:00", "7h", "07:60", ""])
def test_a_bad_planner_time_is_refused_not_replaced(value):
    with pytest.raises(ValidationError, match="time of day like 07:00"):
        Settings(_env_file=None, daily_planner_time=value)
    assert Settings(_env_file=None, daily_planner_time="7:05").daily_planner_time == "07:05"


def test_unknown_names_warn_with_the_closest_known_one():
    fields = Settings.model_fields
    warnings = unknown_names(["CHIBO_TELEGRAM_TOKN", "CHIBO_DAILY_PLANER_TIME", "CHIBO_QQQQQQQQ", "PATH",
                              "CHIBO_TELEGRAM_TOKEN", "CHIBO_TELEGRAM_TOKEN_FILE", "CHIBO_SECRETS_DIR",
                              "CHIBO_TEST_POSTGRES_URL"], fields)
    assert warnings == [  # Vietnamese first, as every answer to the operator
        "biến lạ CHIBO_DAILY_PLANER_TIME; có phải CHIBO_DAILY_PLANNER_TIME? / "
        "unknown setting CHIBO_DAILY_PLANER_TIME; did you mean CHIBO_DAILY_PLANNER_TIME?",
        "biến lạ CHIBO_QQQQQQQQ / unknown setting CHIBO_QQQQQQQQ",
        "biến lạ CHIBO_TELEGRAM_TOKN; có phải CHIBO_TELEGRAM_TOKEN? / "
        "unknown setting CHIBO_TELEGRAM_TOKN; did you mean CHIBO_TELEGRAM_TOKEN?",
    ]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    import os

    for name in list(os.environ):
        if name.startswith("CHIBO_") and not name.startswith("CHIBO_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_cli_warns_about_an_unknown_variable_and_an_unknown_env_key(clean_env, monkeypatch):
    (clean_env / ".env").write_text("CHIBO_QUIET_HOUR=off\nexport CHIBO_LANGUAGE=en\n# CHIBO_COMMENTED=1\n"
                                    "TELEGRAM_TOKEN=123:abc\n")
    monkeypatch.setenv("CHIBO_REMINDER_OFFSET", "1d")
    monkeypatch.setenv("CHIBO_DATABASE_URL", f"sqlite+aiosqlite:///{clean_env / 'chibo.db'}")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0
    assert "unknown setting CHIBO_QUIET_HOUR in .env; did you mean CHIBO_QUIET_HOURS?" in result.output
    assert "unknown setting TELEGRAM_TOKEN in .env; did you mean CHIBO_TELEGRAM_TOKEN?" in result.output
    assert "unknown setting CHIBO_REMINDER_OFFSET; did you mean CHIBO_REMINDER_OFFSETS?" in result.output
    assert "CHIBO_LANGUAGE" not in result.output and "COMMENTED" not in result.output


def test_the_cli_refuses_a_bad_planner_time_with_exit_2(clean_env, monkeypatch):
    monkeypatch.setenv("CHIBO_DAILY_PLANNER_TIME", "25:99")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2 and "CHIBO_DAILY_PLANNER_TIME" in result.output and "25:99" in result.output


def test_secrets_from_files_and_from_a_secrets_directory(clean_env, monkeypatch):
    token = clean_env / "token"
    token.write_text("123456:FROM-FILE\n")
    monkeypatch.setenv("CHIBO_TELEGRAM_TOKEN_FILE", str(token))
    secrets = clean_env / "credentials"
    secrets.mkdir()
    (secrets / "CHIBO_ZALO_TOKEN").write_text("zalo-from-dir")
    (secrets / "chibo_files_secret").write_text("files-from-dir\n")
    (secrets / "unrelated").write_text("ignored")
    monkeypatch.setenv("CHIBO_SECRETS_DIR", str(secrets))
    settings = Settings(_env_file=None)
    assert settings.token_value() == "123456:FROM-FILE"  # the trailing newline of the file is not part of it
    assert settings.zalo_token_value() == "zalo-from-dir"
    assert settings.files_secret.get_secret_value() == "files-from-dir"
    monkeypatch.setenv("CHIBO_TELEGRAM_TOKEN", "123456:DIRECT")  # a variable set directly wins
    assert Settings(_env_file=None).token_value() == "123456:DIRECT"
    assert "FROM-FILE" not in repr(Settings(_env_file=None))


def test_an_unreadable_secret_file_is_refused_with_exit_2(clean_env, monkeypatch):
    monkeypatch.setenv("CHIBO_TELEGRAM_TOKEN_FILE", str(clean_env / "missing"))
    with pytest.raises(SecretFileError, match="CHIBO_TELEGRAM_TOKEN_FILE"):
        file_values(Settings.model_fields, {"CHIBO_TELEGRAM_TOKEN_FILE": str(clean_env / "missing")})
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2 and "CHIBO_TELEGRAM_TOKEN_FILE" in result.output and "cannot read" in result.output
