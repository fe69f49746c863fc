"""`chibo db backup | restore | current | copy`, and one clear line (exit 2) for a database chibo cannot use."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import test_cli
from conftest import PG_URL, needs_postgres, reset_postgres
from sqlalchemy import select, text
from test_cli import Cli

from storage.db import create_engine, downgrade, head_revision
from storage.models import Base

cli, migrated_sqlite, ready = test_cli.cli, test_cli.migrated_sqlite, test_cli.ready  # the CLI tests' fixtures
ALL_TABLES = [t.name for t in Base.metadata.sorted_tables]


async def _dump(url: str) -> dict[str, list[dict]]:
    """Every row of every table of the schema, in primary-key order."""
    engine = create_engine(url)
    try:
        out = {}
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
                out[table.name] = [dict(r) for r in rows.mappings()]
        return out
    finally:
        await engine.dispose()


def dump(url: str) -> dict[str, list[dict]]:
    return asyncio.run(_dump(url))


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def demo_db(demo_run, tmp_path) -> Path:
    """A copy of the database the demo built (a month of three cells: links, invites, history, outbox)."""
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_run[2], path)
    return path


def test_the_demo_database_has_rows_in_the_tables_that_matter(demo_db):
    rows = dump(sqlite_url(demo_db))
    for table in ("committees", "cells", "members", "chat_links", "invite_codes", "meetings", "attendance",
                  "outbox", "inbox", "audit_log"):
        assert rows[table], f"the demo left {table} empty: the copy and backup tests would prove little"


# --- backup and restore ---
def test_sqlite_backup_while_chibo_writes_then_restore_finds_every_row(cli: Cli, demo_db, tmp_path, monkeypatch):
    url = sqlite_url(demo_db)
    monkeypatch.setenv("CHIBO_DATABASE_URL", url)
    before = dump(url)

    async def backup_while_a_writer_holds_the_database():
        engine = create_engine(url)  # chibo running: an open connection in the middle of a write
        try:
            async with engine.connect() as conn:
                await conn.execute(text("INSERT INTO job_runs (job, key, at) VALUES ('x', 'uncommitted', "
                                        "'2026-12-01 00:00:00')"))
                result = await asyncio.to_thread(cli, "db", "backup", str(tmp_path / "b" / "chibo.bak"))
                await conn.rollback()
                return result
        finally:
            await engine.dispose()

    result = asyncio.run(backup_while_a_writer_holds_the_database())
    assert "chibo.bak" in result.output
    cli("committee", "add", "Đảng ủy thêm sau sao lưu")  # a change after the backup …
    cli("db", "restore", str(tmp_path / "b" / "chibo.bak"), "--yes")
    assert dump(url) == before  # … is gone, and every row of the backup is back (the uncommitted one is not)
    again = cli("db", "backup", str(tmp_path / "b" / "chibo.bak"), ok=False)  # never overwrites a backup
    assert "exists" in again.output


def test_restore_refuses_a_file_that_is_not_a_backup(ready: Cli):
    junk = ready.file("junk.bak", b"not a database at all")
    result = ready("db", "restore", junk, "--yes", ok=False)
    assert result.exit_code == 2 and "not a chibo SQLite backup" in result.output
    ready("db", "current")  # the database is untouched


@needs_postgres
def test_postgres_backup_and_restore_with_pg_dump(cli: Cli, demo_db, tmp_path, monkeypatch):
    asyncio.run(reset_postgres(PG_URL))
    monkeypatch.setenv("CHIBO_DATABASE_URL", sqlite_url(demo_db))
    cli("db", "copy", "--to", PG_URL)
    monkeypatch.setenv("CHIBO_DATABASE_URL", PG_URL)
    before = dump(PG_URL)
    cli("db", "backup", str(tmp_path / "pg.dump"))
    cli("committee", "add", "Đảng ủy thêm sau sao lưu")
    cli("db", "restore", str(tmp_path / "pg.dump"), "--yes")
    assert dump(PG_URL) == before
    cli("db", "current")


def test_postgres_backup_without_pg_dump_says_what_to_install(cli: Cli, monkeypatch, tmp_path):
    monkeypatch.setenv("CHIBO_DATABASE_URL", "postgresql+asyncpg://chibo@127.0.0.1:5432/chibo")
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump anywhere
    result = cli("db", "backup", str(tmp_path / "x.dump"), ok=False)
    assert result.exit_code == 2 and "pg_dump is not installed" in result.output and "postgresql-client" in result.output
    assert not (tmp_path / "x.dump").exists()


# --- copy ---
@needs_postgres
def test_copy_the_demo_database_into_an_empty_postgres_finds_every_row_of_every_table(cli: Cli, demo_db, monkeypatch):
    asyncio.run(reset_postgres(PG_URL))
    monkeypatch.setenv("CHIBO_DATABASE_URL", sqlite_url(demo_db))
    result = cli("db", "copy", "--to", PG_URL)
    source, target = dump(sqlite_url(demo_db)), dump(PG_URL)
    assert set(target) == set(ALL_TABLES)
    for table in ALL_TABLES:
        assert target[table] == source[table], table
        assert f"{table} " in result.output
    # The copy is usable: new rows get fresh ids (the sequences moved past the copied ones).
    monkeypatch.setenv("CHIBO_DATABASE_URL", PG_URL)
    added = cli.json("committee", "add", "Đảng ủy mới")
    assert added["id"] == max(r["id"] for r in source["committees"]) + 1
    # A second copy into the now filled database is refused, and changes nothing.
    monkeypatch.setenv("CHIBO_DATABASE_URL", sqlite_url(demo_db))
    again = cli("db", "copy", "--to", PG_URL, ok=False)
    assert again.exit_code == 2 and "not empty" in again.output
    assert len(dump(PG_URL)["committees"]) == len(source["committees"]) + 1


def test_copy_into_sqlite_works_too_and_refuses_a_wrong_target_url(cli: Cli, demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("CHIBO_DATABASE_URL", sqlite_url(demo_db))
    target = tmp_path / "copy.db"
    cli("db", "copy", "--to", sqlite_url(target))
    assert dump(sqlite_url(target)) == dump(sqlite_url(demo_db))
    result = cli("db", "copy", "--to", "postgres://chibo@localhost/chibo", ok=False)
    assert result.exit_code == 2 and "postgresql+asyncpg://" in result.output


# --- current, and a schema behind or ahead of the code ---
def test_db_current_shows_both_revisions(ready: Cli):
    result = ready("db", "current")
    assert f"cơ sở dữ liệu / database: {head_revision()}" in result.output and "up to date" in result.output


def test_a_schema_behind_the_code_is_one_line_and_exit_2_for_every_command(ready: Cli):
    asyncio.run(_downgrade(ready.url, "0005"))
    current = ready("db", "current", ok=False)
    assert "database: 0005" in current.output and "behind" in current.output
    for args in (["members", "list", "1"], ["committee", "add", "X"], ["invites", "1"], ["committee", "rules", "1"]):
        result = ready(*args, ok=False)
        assert result.exit_code == 2, args
        assert "chibo db upgrade" in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    ready("db", "upgrade")
    ready("db", "current")


def test_a_schema_ahead_of_the_code_says_install_the_newer_chibo(ready: Cli):
    async def stamp_future():
        engine = create_engine(ready.url)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '0999_future'"))
        await engine.dispose()

    asyncio.run(stamp_future())
    result = ready("members", "list", "1", ok=False)
    assert result.exit_code == 2 and "ahead" in result.output and "0999_future" in result.output
    assert "newer chibo" in ready("db", "current", ok=False).output


async def _downgrade(url: str, revision: str) -> None:
    engine = create_engine(url)
    await downgrade(engine, revision)
    await engine.dispose()


# --- the server or the database cannot be used ---
BAD_URLS = [
    ("postgres://chibo@127.0.0.1/chibo", "postgresql+asyncpg://"),
    ("postgresql://chibo@127.0.0.1/chibo", "postgresql+asyncpg://"),
    ("mysql+aiomysql://chibo@127.0.0.1/chibo", "unsupported URL scheme"),
    ("not a url", "not a database URL"),
    ("postgresql+asyncpg://chibo@127.0.0.1:1/chibo", "cannot reach the database server"),
    ("postgresql+asyncpg://chibo@no-such-host.invalid/chibo", "unknown database host"),
    ("sqlite+aiosqlite:///no/such/folder/chibo.db", "does not exist"),
]


@pytest.mark.parametrize(("url", "says"), BAD_URLS, ids=[u for u, _ in BAD_URLS])
def test_an_unusable_database_is_one_line_and_exit_2(cli: Cli, monkeypatch, caplog, url, says):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CHIBO_DATABASE_URL", url)
    for args in (["members", "list", "1"], ["db", "current"], ["db", "backup", "x.bak"], ["worker"]):
        if args == ["worker"]:
            monkeypatch.setenv("CHIBO_TELEGRAM_TOKEN", "123:abc")
        result = cli(*args, ok=False)
        assert result.exit_code == 2, (args, result.output)
        assert says in result.output, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_the_traceback_goes_to_the_log_at_debug_only(cli: Cli, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CHIBO_DATABASE_URL", "postgresql+asyncpg://chibo:hunter2@127.0.0.1:1/chibo")
    result = cli("members", "list", "1", ok=False)
    assert "hunter2" not in result.output
    debug = [r for r in caplog.records if r.name == "bot.db_problems"]
    assert debug and all(r.levelno == logging.DEBUG for r in debug) and debug[0].exc_info


@needs_postgres
def test_a_missing_postgres_database(cli: Cli, monkeypatch):
    parts = urlsplit(PG_URL)
    missing = urlunsplit(parts._replace(path=parts.path + "_does_not_exist"))
    monkeypatch.setenv("CHIBO_DATABASE_URL", missing)
    result = cli("members", "list", "1", ok=False)
    assert result.exit_code == 2 and "does not exist on the server" in result.output
    result = cli("db", "upgrade", ok=False)
    assert result.exit_code == 2 and "createdb" in result.output
