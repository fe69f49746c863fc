"""`chibo db backup | restore | current | copy`, and one clear line (exit 2) for a database chibo cannot use."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import stat
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from storage.db import create_engine, downgrade, head_revision
from storage.models import Base
from tests.conftest import DB_KINDS, PG_URL, needs_postgres, reset_postgres
from tests.flow import test_cli
from tests.flow.test_cli import Cli

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


# What the running chibo writes on its own (its start-up jobs, the outbox it sends): not the record a refused
# restore must leave as it was, and not still while the process runs.
BOOKKEEPING = {"job_runs", "outbox", "planned_messages", "inbox", "platform_usage"}


def _records(tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {name: rows for name, rows in tables.items() if name not in BOOKKEEPING}


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
    assert result.exit_code == 2 and "không phải bản sao lưu của chibo" in result.output
    ready("db", "current")  # the database is untouched


def _corrupt_a_page(path: Path, table: str) -> None:
    """Damage the first page of ``table`` in a SQLite file the way a bad disk does: the file opens, most of
    it reads, and ``PRAGMA integrity_check`` finds the damage."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    conn.close()
    with path.open("r+b") as f:
        f.seek((root - 1) * page_size + 3)
        f.write(b"\xff\xff\x00\x07")  # the page's cell count and where its cells start: nonsense


def test_restore_refuses_a_sqlite_backup_with_a_corrupt_page_and_leaves_the_database_as_it_was(
        cli: Cli, demo_db, tmp_path, monkeypatch):
    url = sqlite_url(demo_db)
    monkeypatch.setenv("CHIBO_DATABASE_URL", url)
    backup_file = tmp_path / "chibo.bak"
    cli("db", "backup", str(backup_file))
    _corrupt_a_page(backup_file, "attendance")
    cli("committee", "add", "Đảng ủy thêm sau sao lưu")
    before = dump(url)
    result = cli("db", "restore", str(backup_file), "--yes", ok=False)
    assert result.exit_code == 2 and "bị hỏng" in result.output and "bản sao lưu khác" in result.output
    assert "Traceback" not in result.output and result.output.startswith("Không làm được")
    assert dump(url) == before
    cli("db", "current")


def _other_application(path: Path, revision: str | None) -> Path:
    """Another application's SQLite database: its own tables, perhaps its own Alembic revision."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, phone TEXT)")
    conn.execute("INSERT INTO users (name, phone) VALUES ('Nguyễn Văn A', '0912345678')")
    if revision is not None:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("revision", [None, "3f2a9c1d7b64", "head"], ids=["no alembic", "its own revision",
                                                                        "stamped with chibo's revision"])
def test_restore_refuses_another_applications_database_and_leaves_the_database_as_it_was(ready: Cli, revision):
    ready("committee", "add", "Đảng ủy phường Hàng Bạc")
    before = dump(ready.url)
    other = _other_application(ready.tmp / "app.db", head_revision() if revision == "head" else revision)
    result = ready("db", "restore", str(other), "--yes", ok=False)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "không phải bản sao lưu của chibo" in result.output or "chibo này không biết" in result.output
    assert "giữ nguyên" in result.output
    assert dump(ready.url) == before


def test_restore_accepts_a_backup_at_an_older_revision_the_code_knows(ready: Cli):
    ready("committee", "add", "Đảng ủy cũ")
    asyncio.run(_downgrade(ready.url, "0005"))
    ready("db", "backup", str(ready.tmp / "old.bak"))
    ready("db", "upgrade")
    ready("committee", "add", "Đảng ủy thêm sau sao lưu")
    result = ready("db", "restore", str(ready.tmp / "old.bak"), "--yes")
    assert "chibo db upgrade" in result.output
    ready("db", "upgrade")
    assert [c["name"] for c in dump(ready.url)["committees"]] == ["Đảng ủy cũ"]


@needs_postgres
def test_postgres_restore_refuses_a_damaged_dump_or_another_applications_and_changes_nothing(
        cli: Cli, tmp_path, monkeypatch):
    asyncio.run(reset_postgres(PG_URL))
    monkeypatch.setenv("CHIBO_DATABASE_URL", PG_URL)

    async def another_application():
        engine = create_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT, phone TEXT)"))
            await conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": head_revision()})
        await engine.dispose()

    asyncio.run(another_application())
    cli("db", "backup", str(tmp_path / "other.dump"))
    asyncio.run(reset_postgres(PG_URL))
    cli("db", "upgrade")
    for n in range(3):
        cli("committee", "add", f"Đảng ủy số {n}")
    cli("db", "backup", str(tmp_path / "good.dump"))
    good = (tmp_path / "good.dump").read_bytes()
    (tmp_path / "truncated.dump").write_bytes(good[: len(good) * 2 // 3])
    damaged = bytearray(good)
    for i in range(len(good) // 2, len(good) - 16, 7):
        damaged[i] ^= 0x5A
    (tmp_path / "damaged.dump").write_bytes(bytes(damaged))
    cli("committee", "add", "Đảng ủy thêm sau sao lưu")
    before = dump(PG_URL)
    for name, says in (("other.dump", "không phải bản sao lưu của chibo"), ("truncated.dump", "bị hỏng"),
                       ("damaged.dump", "bị hỏng")):
        result = cli("db", "restore", str(tmp_path / name), "--yes", ok=False)
        assert result.exit_code == 2 and says in result.output, (name, result.output)
        assert "giữ nguyên" in result.output
        assert dump(PG_URL) == before, name
    cli("db", "restore", str(tmp_path / "good.dump"), "--yes")
    assert len(dump(PG_URL)["committees"]) == 3


@pytest.fixture
async def backed_up(scene, db_url, tmp_path, monkeypatch) -> tuple[Cli, str]:
    """The CLI on the scene's database (none of the developer's CHIBO_ variables), a backup of it holding one
    committee, and a second committee written after the backup: (cli, backup file)."""
    for name in list(os.environ):
        if name.startswith("CHIBO_") and not name.startswith("CHIBO_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHIBO_DATABASE_URL", db_url)
    cli = Cli(url=db_url, tmp=tmp_path, runner=CliRunner())
    await scene.add_committee("Đảng ủy phường Hàng Bạc")
    backup_file = str(tmp_path / "chibo.bak")
    await asyncio.to_thread(cli, "db", "backup", backup_file)
    await scene.add_committee("Đảng ủy thêm sau sao lưu")
    return cli, backup_file


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_restore_refuses_while_chibo_runs_against_the_database_unless_force(scene, db_url, backed_up):
    cli, backup_file = backed_up
    await scene.start_bot()
    before = _records(await _dump(db_url))
    result = await asyncio.to_thread(cli, "db", "restore", backup_file, "--yes", ok=False)
    assert result.exit_code == 2 and "chibo đang chạy" in result.output and "--force" in result.output
    assert _records(await _dump(db_url)) == before
    await scene.stop_bot()  # stopped: the restore goes ahead
    await asyncio.to_thread(cli, "db", "restore", backup_file, "--yes")
    assert [c["name"] for c in (await _dump(db_url))["committees"]] == ["Đảng ủy phường Hàng Bạc"]
    if db_url.startswith("sqlite"):  # --force: the operator knows better (a stale process on another host, say)
        await scene.start_bot()
        await asyncio.to_thread(cli, "db", "restore", backup_file, "--yes", "--force")
        await scene.stop_bot()


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_chibo_started_while_a_restore_runs_waits_for_it_to_end(scene, db_url, backed_up, monkeypatch, caplog):
    """The restore holds the running mark alone while it runs: a chibo started meanwhile does not take updates
    on the database being replaced; it waits, then starts on the restored one."""
    from bot.cli import db as cli_db

    cli, backup_file = backed_up
    restoring, go_on = threading.Event(), threading.Event()
    real_restore = cli_db.restore

    def slow_restore(url, file):  # a long restore: the test says when it goes on
        restoring.set()
        go_on.wait(60)
        real_restore(url, file)

    monkeypatch.setattr(cli_db, "restore", slow_restore)
    restore_run = asyncio.ensure_future(asyncio.to_thread(cli, "db", "restore", backup_file, "--yes"))
    assert await asyncio.to_thread(restoring.wait, 30)
    caplog.set_level(logging.WARNING, logger="storage.locks")
    start = asyncio.ensure_future(scene.start_bot())
    try:
        await asyncio.sleep(3)
        assert not start.done(), "chibo started on the database being restored"
        assert "chibo db restore is running against this database; waiting" in caplog.text
    finally:
        go_on.set()
        await restore_run
    await asyncio.wait_for(start, 30)
    try:
        assert [c["name"] for c in (await _dump(db_url))["committees"]] == ["Đảng ủy phường Hàng Bạc"]
    finally:
        await scene.stop_bot()


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
    debug = [r for r in caplog.records if r.name == "bot.runtime.db_problems"]
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


# --- files only their owner reads (names and phone numbers) ---
@pytest.fixture
def umask_022():
    old = os.umask(0o022)  # the usual umask: files come out readable by everyone unless chibo says otherwise
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_database_its_wal_and_its_backups_are_readable_by_their_owner_only(cli: Cli, tmp_path, umask_022):
    cli("db", "upgrade")
    database = tmp_path / "chibo.db"
    assert _mode(database) == 0o600

    async def write_and_look_while_open():
        engine = create_engine(cli.url)  # chibo running: the -wal and -shm files are there
        try:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO committees (name, created_at) VALUES ('x', '2026-12-01')"))
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                return {p.name: _mode(p) for p in tmp_path.glob("chibo.db-*")}
        finally:
            await engine.dispose()

    sidecars = asyncio.run(write_and_look_while_open())
    assert set(sidecars) == {"chibo.db-wal", "chibo.db-shm"} and set(sidecars.values()) == {0o600}, sidecars
    cli("db", "backup", str(tmp_path / "b" / "chibo.bak"))
    assert _mode(tmp_path / "b" / "chibo.bak") == 0o600
    database.unlink()  # a restore that creates the database file anew
    cli("db", "restore", str(tmp_path / "b" / "chibo.bak"), "--yes")
    assert _mode(database) == 0o600


@needs_postgres
def test_a_postgres_backup_is_readable_by_its_owner_only(cli: Cli, tmp_path, monkeypatch, umask_022):
    asyncio.run(reset_postgres(PG_URL))
    monkeypatch.setenv("CHIBO_DATABASE_URL", PG_URL)
    cli("db", "upgrade")
    cli("db", "backup", str(tmp_path / "pg.dump"))
    assert _mode(tmp_path / "pg.dump") == 0o600
