"""``chibo db backup | restore | current | copy``: the database tools of the operator CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import load_settings
from bot.runtime.db_problems import DatabaseProblem, check_url, run_on_database
from core.settings import Settings
from storage.backup import BackupError, backup, check_backup, find_tool, restore, sqlite_path
from storage.copy import TargetNotEmpty, copy_database
from storage.db import create_engine, current_revision, head_revision, schema_state
from storage.locks import chibo_running, running_alone


def register(db_app: typer.Typer) -> None:
    """Add the commands to ``chibo db``; ``load_settings`` reads the configuration (exit 2 if it is bad)."""

    @db_app.command("backup")
    def db_backup(file: Annotated[Path, typer.Argument(dir_okay=False, help="tệp sao lưu mới / the new backup file")]
                  ) -> None:
        """Sao lưu toàn bộ cơ sở dữ liệu (an toàn khi chibo đang chạy) / back up the whole database, live."""
        settings: Settings = load_settings()
        _check(settings.database_url, must_exist=True)
        if sqlite_path(settings.database_url) is None:
            _tool(lambda: find_tool("pg_dump"))  # before connecting: say what to install first
        _revision(settings.database_url)  # the server answers (one clear line if not)
        _tool(lambda: backup(settings.database_url, file))
        typer.echo(f"Đã sao lưu vào / backed up to {file}")

    @db_app.command("restore")
    def db_restore(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="tệp sao lưu / the backup file")],
        yes: Annotated[bool, typer.Option("--yes", help="không hỏi lại / do not ask")] = False,
        force: Annotated[bool, typer.Option(
            "--force", help="khôi phục cả khi chibo đang chạy / restore even while chibo runs")] = False,
    ) -> None:
        """Thay cơ sở dữ liệu bằng bản sao lưu (dừng chibo trước) / replace the database with a backup."""
        settings: Settings = load_settings()
        _check(settings.database_url)
        if sqlite_path(settings.database_url) is None:
            _tool(lambda: find_tool("pg_restore"))
        _tool(lambda: check_backup(settings.database_url, file))  # before anything touches the database
        if not force and _running(settings.database_url):
            typer.echo(RUNNING_NOW, err=True)
            raise typer.Exit(2)
        if not yes:
            typer.confirm("Dữ liệu hiện có sẽ bị thay thế; chibo đã dừng chưa? / the current data will be replaced; "
                          "is chibo stopped?", abort=True)
        _revision(settings.database_url, must_exist=False)
        alone: list[bool] = []
        _tool(lambda: alone.append(_restore_alone(settings.database_url, file, force)))
        if not alone[0]:  # a chibo started since the check above
            typer.echo(RUNNING_NOW, err=True)
            raise typer.Exit(2)
        state = schema_state(_revision(settings.database_url))
        typer.echo(f"Đã khôi phục từ / restored from {file}")
        if state == "behind":
            typer.echo("Bản sao lưu có phiên bản cũ hơn mã: chạy chibo db upgrade / older schema: run chibo db upgrade.")

    @db_app.command("current")
    def db_current() -> None:
        """Phiên bản lược đồ của cơ sở dữ liệu và của mã / the schema revision of the database and the code."""
        settings: Settings = load_settings()
        current = _revision(settings.database_url)
        state = schema_state(current)
        words = {"ok": "đúng phiên bản của mã / up to date",
                 "missing": "chưa tạo, chạy chibo db upgrade / not created, run chibo db upgrade",
                 "behind": "cũ hơn mã, chạy chibo db upgrade / behind the code, run chibo db upgrade",
                 "ahead": "mới hơn mã, cài bản chibo mới / ahead of the code, install the newer chibo"}
        typer.echo(f"cơ sở dữ liệu / database: {current or '-'}  mã / code: {head_revision()}  ({words[state]})")
        if state != "ok":
            raise typer.Exit(1)

    @db_app.command("copy")
    def db_copy(to: Annotated[str, typer.Option("--to", help="URL cơ sở dữ liệu đích, trống / the empty target")]
                ) -> None:
        """Chép toàn bộ dữ liệu sang một cơ sở dữ liệu trống (SQLite → PostgreSQL) / copy everything over."""
        settings: Settings = load_settings()
        _check(settings.database_url, must_exist=True)
        _check(to)

        async def _main():
            source, target = create_engine(settings.database_url), create_engine(to)
            try:
                return await copy_database(source, target)
            finally:
                await source.dispose()
                await target.dispose()

        try:
            counts = run_on_database(to, _main, must_exist=False)
        except TargetNotEmpty as exc:
            typer.echo(f"Cơ sở dữ liệu đích đã có dữ liệu, không chép / the target is not empty: {exc}", err=True)
            raise typer.Exit(2) from None
        for count in counts:
            typer.echo(f"{count.table:<20} {count.rows}")
        typer.echo(f"Đã chép {sum(c.rows for c in counts)} dòng. Đặt CHIBO_DATABASE_URL={_shown(to)} rồi khởi động lại "
                   "chibo / copied; point CHIBO_DATABASE_URL at the target and restart.")


def _revision(url: str, *, must_exist: bool = True) -> str | None:
    """The database's schema revision; connecting proves the server and the database are there."""

    async def _main() -> str | None:
        engine = create_engine(url)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    return run_on_database(url, _main, must_exist=must_exist)


RUNNING_NOW = ("chibo đang chạy trên cơ sở dữ liệu này, không khôi phục. Dừng chibo trước (ví dụ: systemctl stop "
               "chibo), rồi chạy lại lệnh; chỉ thêm --force khi chắc chắn như vậy là đúng / chibo is running against "
               "this database: stop it first (or add --force).")


def _restore_alone(url: str, file: Path, force: bool) -> bool:
    """Restore while holding the running mark alone, so a chibo that starts meanwhile waits for the restore to
    end (``storage.locks.running_alone``). False (nothing done) when a chibo runs, unless ``force``."""

    async def _main() -> bool:
        engine = create_engine(url)
        try:
            async with running_alone(engine) as alone:
                if not alone and not force:
                    return False
                await asyncio.to_thread(restore, url, file)
                return True
        finally:
            await engine.dispose()

    return run_on_database(url, _main, must_exist=False)


def _running(url: str) -> bool:
    """A chibo process runs against the database now (it holds the running mark: storage.locks)."""

    async def _main() -> bool:
        engine = create_engine(url)
        try:
            return await chibo_running(engine)
        finally:
            await engine.dispose()

    return run_on_database(url, _main, must_exist=False)


def _check(url: str, *, must_exist: bool = False) -> None:
    try:
        check_url(url, must_exist=must_exist)
    except DatabaseProblem as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _tool(action) -> None:
    try:
        action()
    except BackupError as exc:
        typer.echo(f"Không làm được / failed: {exc}", err=True)
        raise typer.Exit(2) from None


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
