"""Backups and restores of the whole database.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot page by
page while chibo keeps running and writing (WAL mode); restoring goes through the same API into the
live file, so readers never see a half-written file. PostgreSQL: ``pg_dump`` in its custom format and
``pg_restore``, which must be installed (the client tools of the server's major version or newer).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(RuntimeError):
    """The backup or restore could not be done; ``str()`` says why in one line."""


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("không sao lưu được SQLite trong bộ nhớ / an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def _copy_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=1024)  # in steps: writers are held up for one step at most
        finally:
            dst.close()
    finally:
        src.close()


def _revision_of_sqlite(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and an environment that carries it."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def find_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"chưa cài {name} / {name} is not installed (Debian/Ubuntu: apt install postgresql-client)")
    return path


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()] or [f"exit status {done.returncode}"]
        first = lines[0].removeprefix(f"{Path(args[0]).name}: ")
        raise BackupError(f"{Path(args[0]).name}: {first}")


def backup(url: str, target: Path) -> None:
    """Write a full backup of the database at ``url`` to ``target`` (not overwritten if it exists)."""
    if target.exists():
        raise BackupError(f"{target} đã có, chọn tên tệp khác / exists already; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            raise BackupError(f"không có {path} / does not exist")
        try:
            _copy_sqlite(path, target)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return
    dsn, env = _libpq(url)
    try:
        _run([find_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), "--dbname", dsn], env)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup ``source``. chibo must be stopped."""
    if not source.is_file():
        raise BackupError(f"{source} không phải một tệp / is not a file")
    path = sqlite_path(url)
    if path is not None:
        if _revision_of_sqlite(source) is None:
            raise BackupError(f"{source} không phải bản sao lưu SQLite của chibo / is not a chibo SQLite backup (no schema revision in it)")
        path.parent.mkdir(parents=True, exist_ok=True)
        _copy_sqlite(source, path)
        return
    with source.open("rb") as f:
        if f.read(5) != b"PGDMP":
            raise BackupError(f"{source} không phải bản sao lưu pg_dump (custom) / is not a pg_dump custom-format backup")
    dsn, env = _libpq(url)
    _run([find_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", "--dbname", dsn, str(source)], env)
