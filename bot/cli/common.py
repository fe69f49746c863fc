"""What every part of the operator CLI shares: reading the settings, one transaction on the database,
printing (human or JSON), failing with a message. The parts import it; app.py wires them together."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime.db_problems import run_on_database
from core.clock import SystemClock
from core.config_sources import SecretFileError, dotenv_names, unknown_names
from core.settings import Settings
from storage.db import create_engine, ensure_ready, session_factory

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="In JSON (chỉ JSON) ra stdout / print JSON only")]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    warnings = unknown_names(os.environ, Settings.model_fields)
    warnings += unknown_names(dotenv_names(Path(".env")), Settings.model_fields, where=" in .env")
    for warning in warnings:
        typer.echo(f"Cảnh báo / warning: {warning}", err=True)
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"CHIBO_{'_'.join(str(p) for p in e['loc']).upper()}: {_problem(e['msg'])}"
                             for e in exc.errors())
        fail(f"Cấu hình sai / bad configuration: {problems}", 2)
    except SecretFileError as exc:
        fail(f"Cấu hình sai / bad configuration: {exc}", 2)
    raise AssertionError("unreachable")


def _problem(message: str) -> str:
    """A setting's problem, Vietnamese first: chibo's own checks say it in both languages already;
    pydantic's ("Input should be a valid integer") get a Vietnamese head."""
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    return f"giá trị không hợp lệ / {message}"


def with_db(work: Callable[[AsyncSession, Settings], Awaitable[T]], *, migrate_check: bool = True) -> T:
    """Run ``work`` in one transaction on a migrated database."""
    settings = load_settings()

    async def _main() -> T:
        engine = create_engine(settings.database_url)
        try:
            if migrate_check:
                await ensure_ready(engine)
            async with session_factory(engine)() as session, session.begin():
                return await work(session, settings)
        finally:
            await engine.dispose()

    return run_on_database(settings.database_url, _main)


def emit(as_json: bool, data: Any, human: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False) if as_json else human)


def now():
    return SystemClock().now()
