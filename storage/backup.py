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

from storage.private_files import create_private


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


NOT_CHIBO = ("{source} không phải bản sao lưu của chibo ({why}); cơ sở dữ liệu hiện tại giữ nguyên. Hãy chọn "
             "tệp do chibo db backup tạo ra / not a chibo backup ({why}); the database is unchanged.")


def _inspect_sqlite(source: Path) -> tuple[str | None, dict[str, frozenset[str]]]:
    """(schema revision, tables and their columns) of a SQLite file, after ``PRAGMA integrity_check``."""
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(NOT_CHIBO.format(source=source, why=f"không mở được: {exc}")) from None
    try:
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):
                raise
            problems = [str(exc)]  # "database disk image is malformed"
        if problems != ["ok"]:
            raise BackupError(
                f"Tệp sao lưu {source} bị hỏng (integrity_check: {problems[0]}); cơ sở dữ liệu hiện tại giữ "
                "nguyên. Hãy dùng một bản sao lưu khác / the backup is corrupt; the database is unchanged, "
                "use another backup.")
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        tables = {name: frozenset(row[1] for row in conn.execute(f'PRAGMA table_info("{_quoted(name)}")'))
                  for name in names if name != "alembic_version"}
        revision = None
        if "alembic_version" in names:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return revision, tables
    except sqlite3.DatabaseError as exc:  # not a database at all ("file is not a database")
        raise BackupError(NOT_CHIBO.format(source=source, why=str(exc))) from None
    finally:
        conn.close()


def _quoted(name: str) -> str:
    """A table name from a file we do not trust yet, safe inside double quotes."""
    return name.replace('"', '""')


def _check_schema(source: Path, revision: str | None, tables: dict[str, frozenset[str]], *,
                  columns: bool) -> str:
    """The backup's revision if it is one the code knows and the backup holds chibo's tables at it."""
    from storage.db import known_revisions, tables_at

    if revision is None:
        raise BackupError(NOT_CHIBO.format(source=source, why="không có phiên bản lược đồ / no schema revision"))
    if revision not in known_revisions():
        raise BackupError(
            f"Tệp {source} có phiên bản lược đồ {revision}, chibo này không biết: đó là cơ sở dữ liệu của ứng dụng "
            "khác, hoặc của một bản chibo mới hơn (khi đó hãy cài bản chibo mới rồi khôi phục); cơ sở dữ liệu hiện "
            f"tại giữ nguyên / schema revision {revision} is unknown to this chibo; the database is unchanged.")
    expected = tables_at(revision)
    missing = sorted(set(expected) - set(tables))
    extra = sorted(set(tables) - set(expected))
    changed = sorted(name for name in set(expected) & set(tables) if columns and expected[name] != tables[name])
    if missing or extra or changed:
        why = "; ".join(part for part in (
            f"thiếu bảng / missing tables {', '.join(missing[:5])}" if missing else "",
            f"bảng lạ / other tables {', '.join(extra[:5])}" if extra else "",
            f"cột khác / other columns in {', '.join(changed[:5])}" if changed else "") if part)
        raise BackupError(NOT_CHIBO.format(source=source, why=f"phiên bản {revision}, {why}"))
    return revision


def check_backup(url: str, source: Path) -> str:
    """Read ``source`` through before anything touches the database at ``url``: it must be whole and hold
    chibo's tables at a schema revision the code knows. Returns that revision; BackupError if not."""
    if not source.is_file():
        raise BackupError(f"{source} không phải một tệp / is not a file")
    if sqlite_path(url) is not None:
        revision, tables = _inspect_sqlite(source)
        return _check_schema(source, revision, tables, columns=True)
    with source.open("rb") as f:
        if f.read(5) != b"PGDMP":
            raise BackupError(NOT_CHIBO.format(source=source, why="không phải định dạng pg_dump custom / "
                                                                  "not a pg_dump custom-format file"))
    tool = find_tool("pg_restore")
    env = dict(os.environ)
    try:
        # Every block read and decompressed: a damaged file fails here, not half-way into the database.
        _run([tool, "--file", os.devnull, str(source)], env)
        listing = _output([tool, "--list", str(source)], env)
        data = _output([tool, "--data-only", "--table", "alembic_version", "--file", "-", str(source)], env)
    except BackupError as exc:
        raise BackupError(
            f"Tệp sao lưu {source} bị hỏng hoặc không đọc được ({exc}); cơ sở dữ liệu hiện tại giữ nguyên. Hãy "
            "dùng một bản sao lưu khác / the backup is damaged; the database is unchanged.") from None
    tables = {}
    for line in listing.splitlines():
        parts = line.split()
        if not line.startswith(";") and len(parts) > 5 and parts[3] == "TABLE" and parts[4] == "public":
            tables[parts[5]] = frozenset()
    tables.pop("alembic_version", None)
    return _check_schema(source, _revision_in_copy(data), tables, columns=False)


def _revision_in_copy(sql: str) -> str | None:
    """The first row of ``COPY public.alembic_version ... FROM stdin;`` in pg_restore's SQL output."""
    lines = sql.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            value = lines[i + 1].strip()
            return None if value == "\\." else value
    return None


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


def _output(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()] or [f"exit status {done.returncode}"]
        raise BackupError(lines[0].removeprefix(f"{Path(args[0]).name}: "))
    return done.stdout


def backup(url: str, target: Path) -> None:
    """Write a full backup of the database at ``url`` to ``target`` (not overwritten if it exists)."""
    if target.exists():
        raise BackupError(f"{target} đã có, chọn tên tệp khác / exists already; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise BackupError(f"không có {path} / does not exist")
    create_private(target, exclusive=True)  # names and phone numbers: the owner's eyes only, whatever the umask
    if path is not None:
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
    """Replace the database at ``url`` with the backup ``source``, once ``check_backup`` found it whole and
    chibo's. chibo must be stopped."""
    check_backup(url, source)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path)
        _copy_sqlite(source, path)
        return
    dsn, env = _libpq(url)
    _run([find_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", "--dbname", dsn, str(source)], env)
