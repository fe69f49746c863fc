"""A database that cannot be used, told in one line (and an exit status of 2), never as a traceback.

Every command that touches the database goes through ``explain``: an unreachable server, a missing
database, a wrong URL scheme, refused credentials, or a schema behind or ahead of the code each get
one sentence saying what to do. The traceback goes to the log at DEBUG only.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot.platforms.base import PlatformProblem
from storage.db import SchemaNotReady
from storage.outage import sqlstate

log = logging.getLogger(__name__)
T = TypeVar("T")

SUPPORTED = ("sqlite+aiosqlite", "postgresql+asyncpg")
EXIT_DB = 2


class DatabaseProblem(Exception):
    """A database chibo cannot use; ``str()`` is the one line to show the operator."""


def check_url(url: str, *, must_exist: bool = False) -> None:
    """Refuse a URL chibo cannot use before connecting; ``must_exist``: a SQLite file must be there."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseProblem(
            "CHIBO_DATABASE_URL không phải một URL cơ sở dữ liệu, ví dụ sqlite+aiosqlite:///./chibo.db "
            "hoặc postgresql+asyncpg://user@host/chibo / not a database URL.") from None
    if parsed.drivername not in SUPPORTED:
        hint = "postgresql+asyncpg://" if parsed.drivername.startswith("postgres") else "sqlite+aiosqlite:///"
        raise DatabaseProblem(
            f"CHIBO_DATABASE_URL bắt đầu bằng '{parsed.drivername}://', chibo cần '{hint}…' "
            f"(sqlite+aiosqlite hoặc postgresql+asyncpg) / unsupported URL scheme, use {hint}…")
    if must_exist and parsed.drivername.startswith("sqlite"):
        path = parsed.database or ""
        if path and path != ":memory:" and not Path(path).exists():
            raise DatabaseProblem(
                f"Không có tệp cơ sở dữ liệu {path}. Chạy: chibo db upgrade (hoặc sửa CHIBO_DATABASE_URL) / "
                "the database file does not exist; run chibo db upgrade.")


def explain(exc: BaseException, url: str) -> str | None:
    """One line for a database problem, or None if ``exc`` is not one (then it is a bug: re-raise)."""
    if isinstance(exc, DatabaseProblem | PlatformProblem):
        return str(exc)
    if isinstance(exc, SchemaNotReady):
        if exc.state == "ahead":
            return (f"Cơ sở dữ liệu ở phiên bản {exc.current}, mới hơn mã chibo này ({exc.head}): hãy cài bản "
                    f"chibo mới, đừng hạ cấp / the schema ({exc.current}) is ahead of this code ({exc.head}); "
                    "install the newer chibo.")
        if exc.state == "behind":
            return (f"Cơ sở dữ liệu ở phiên bản {exc.current}, cần {exc.head}. Chạy: chibo db upgrade / "
                    "the schema is behind the code; run chibo db upgrade.")
        return ("Cơ sở dữ liệu chưa được tạo. Chạy: chibo db upgrade / the database is not created; "
                "run chibo db upgrade.")
    if isinstance(exc, NoSuchModuleError | ArgumentError):
        try:
            check_url(url)
        except DatabaseProblem as problem:
            return str(problem)
        return f"CHIBO_DATABASE_URL không dùng được / unusable database URL: {type(exc).__name__}"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (f"Cổng đã có chương trình khác dùng; chọn cổng khác (--port, --http-port) / "
                f"the port is in use: {exc.strerror}")
    where = _where(url)
    state = sqlstate(exc)
    if state == "3D000":
        return (f"Máy chủ {where} không có cơ sở dữ liệu này; tạo nó (createdb) rồi chạy chibo db upgrade / "
                "the database does not exist on the server.")
    if state in {"28P01", "28000"}:
        return (f"Máy chủ {where} từ chối tên người dùng hoặc mật khẩu trong CHIBO_DATABASE_URL / "
                "the server refused the credentials.")
    if isinstance(exc, socket.gaierror):
        return f"Không tìm thấy máy chủ cơ sở dữ liệu {where} / unknown database host."
    if isinstance(exc, OSError | TimeoutError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return (f"Không kết nối được máy chủ cơ sở dữ liệu {where} (máy chủ có chạy không?) / "
                "cannot reach the database server.")
    if isinstance(exc, DBAPIError) and "unable to open database file" in str(exc.orig):
        return f"Không mở được tệp cơ sở dữ liệu {where} (thư mục có tồn tại, có quyền ghi?) / cannot open the file."
    return None


def _where(url: str) -> str:
    """Host and port (or the SQLite file), never the password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "?"
    if parsed.drivername.startswith("sqlite"):
        return parsed.database or ":memory:"
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def find_problem(exc: BaseException, url: str) -> str | None:
    """``explain`` ``exc`` or the first exception it was raised from or in (a traceback's chain)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        line = explain(current, url)
        if line is not None:
            log.debug("database problem", exc_info=exc)
            return line
        if isinstance(current, BaseExceptionGroup) and current.exceptions:
            current = current.exceptions[0]
        else:
            current = current.__cause__ or current.__context__
    return None


def run_on_database(url: str, main: Callable[[], Coroutine[Any, Any, T]], *, must_exist: bool = True) -> T:
    """``asyncio.run(main())`` for a CLI command: a database problem is one line on stderr and exit 2."""
    try:
        check_url(url, must_exist=must_exist)
        return asyncio.run(main())
    except typer.Exit:
        raise
    except Exception as exc:
        line = find_problem(exc, url)
        if line is None:
            raise
        typer.echo(line, err=True)
        raise typer.Exit(EXIT_DB) from None
