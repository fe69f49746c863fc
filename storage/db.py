"""The async engine, sessions, and the migration entry points."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.private_files import create_private

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class SchemaNotReady(RuntimeError):
    """The database has not been created, or its schema is behind or ahead of the code's migrations."""

    def __init__(self, current: str | None, head: str | None = None, state: str = "missing"):
        super().__init__(current or "")
        self.current, self.head, self.state = current, head, state  # state: missing, behind, ahead


def create_engine(url: str, **kwargs) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:  # a connection PostgreSQL dropped (restart, idle timeout) is replaced before it is used
        kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("hide_parameters", True)  # SQL errors must never log names or phone numbers
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        database = engine.url.database or ""

        @event.listens_for(engine.sync_engine, "do_connect")
        def _private_file(_dialect, _record, _cargs, _cparams):  # pragma: no cover - exercised by every test
            path = Path(database)
            if database and database != ":memory:" and not database.startswith("file:") and path.parent.is_dir():
                create_private(path)  # SQLite would create it with the umask's mode: world-readable

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache  # the migrations are the code's: read once a process (a runtime, a CLI command checks each start)
def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "storage/migrations/versions holds the migrations"
    return head


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Create or migrate the schema (Alembic), inside the engine's own event loop."""

    def _run(sync_conn: Connection) -> None:
        command.upgrade(_alembic_config(sync_conn), revision)

    async with engine.begin() as conn:
        await conn.run_sync(_run)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def _run(sync_conn: Connection) -> None:
        command.downgrade(_alembic_config(sync_conn), revision)

    async with engine.begin() as conn:
        await conn.run_sync(_run)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def schema_state(current: str | None) -> str:
    """``current`` (the database's revision) against the code: ok, missing, behind or ahead."""
    head = head_revision()
    if current == head:
        return "ok"
    if current is None:
        return "missing"
    return "behind" if current in known_revisions() else "ahead"


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every schema revision the code's migrations know."""
    return frozenset(rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions())


@functools.cache
def tables_at(revision: str) -> dict[str, frozenset[str]]:
    """chibo's tables and their columns at ``revision`` (a known one): the migrations run up to it in a
    scratch SQLite file. Used to tell a chibo backup from another application's database."""
    from sqlalchemy import create_engine as create_sync_engine
    from sqlalchemy import inspect

    with tempfile.TemporaryDirectory() as folder:
        engine = create_sync_engine(f"sqlite:///{Path(folder) / 'schema.db'}")
        try:
            with engine.begin() as conn:
                command.upgrade(_alembic_config(conn), revision)
            inspector = inspect(engine)
            return {name: frozenset(c["name"] for c in inspector.get_columns(name))
                    for name in inspector.get_table_names() if name != "alembic_version"}
        finally:
            engine.dispose()


async def ensure_ready(engine: AsyncEngine) -> None:
    """Raise SchemaNotReady unless the database is at the code's head revision."""
    current = await current_revision(engine)
    state = schema_state(current)
    if state != "ok":
        raise SchemaNotReady(current, head_revision(), state)
