"""Shared fixtures: databases (SQLite always, PostgreSQL when CHIBO_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import asyncio
import compileall
import gc
import json
import logging
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from sqlalchemy import make_url, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from bot.demo.scene import Scene
from core.clock import REAL_PACE, FakeClock, PaceTime
from core.settings import Settings
from fakeapi.telegram import FakeTelegramServer
from fakeapi.zalo import FakeZaloServer
from storage.db import create_engine, upgrade
from storage.models import Role


def _worker_url(url: str | None) -> str | None:
    """Each pytest-xdist worker (gw0, gw1, ...) gets its own database beside the one named: test_gw0, ..."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    target = make_url(url)
    return target.set(database=f"{target.database}_{worker}").render_as_string(hide_password=False)


PG_URL = _worker_url(os.environ.get("CHIBO_TEST_POSTGRES_URL"))
needs_postgres = pytest.mark.skipif(not PG_URL, reason="CHIBO_TEST_POSTGRES_URL is not set")

DB_KINDS = ["sqlite", pytest.param("postgresql", marks=needs_postgres)]


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now (for a server a test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Migrating takes 0.2-0.6 s (over a second on PostgreSQL under load): every test that asks for `engine`
# gets instead a database just as one migrated once per test session. SQLite: a copy of that file.
# PostgreSQL: the tests' database with its tables emptied when its schema is still the template's, else
# a copy of the template database. A test that asks for `db_url` alone gets an empty database, as before.


async def _on_server(url: str, *statements: str) -> None:
    """Run ``statements`` on the server of ``url``, from its maintenance database ``postgres``."""
    admin = create_engine(make_url(url).set(database="postgres").render_as_string(hide_password=False),
                          isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await admin.dispose()


async def _recreate_postgres(url: str, template: str | None = None) -> None:
    """Drop the database of ``url`` (closing any connection a test left open) and create it again: empty,
    or a copy of the database ``template``."""
    name = make_url(url).database
    copy = f' TEMPLATE "{template}"' if template else ""
    await _on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"{copy}')


async def _migrate(url: str) -> None:
    eng = create_engine(url, poolclass=NullPool)
    await upgrade(eng)
    if eng.dialect.name == "sqlite":  # everything into the main file, so that copying that file is enough
        async with eng.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    await eng.dispose()


# Everything a test could change in the schema of `public` (a test renames a table, downgrades, dies
# half-way through an ALTER): when a database's fingerprint is the template's, emptying its tables is
# enough; otherwise it is replaced by a copy of the template.
_SCHEMA_FINGERPRINT = """
SELECT md5(string_agg(item, E'\\n' ORDER BY item)) FROM (
  SELECT concat_ws(':', c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid)) AS item
    FROM pg_class c
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
   WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL SELECT concat_ws(':', conrelid::regclass, conname, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
  UNION ALL SELECT concat_ws(':', t.typname, e.enumsortorder, e.enumlabel) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
   WHERE t.typnamespace = 'public'::regnamespace
  UNION ALL SELECT concat_ws(':', proname, md5(prosrc)) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'alembic:' || version_num FROM alembic_version
) AS items
"""

_EMPTY_TABLES = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
    EXECUTE format('DELETE FROM public.%I', r.tablename);
  END LOOP;
  PERFORM setval(format('public.%I', sequencename)::regclass, start_value, false)
     FROM pg_sequences WHERE schemaname = 'public';
END $$
"""


class MigratedTemplates:
    """The session's migrated databases, each made on first use (inside the test's event loop)."""

    def __init__(self, folder: Path):
        self.sqlite_file = folder / "chibo.db"
        self.sqlite_ready = False
        self.postgres_url: str | None = None
        self.postgres_fingerprint: str | None = None

    async def copy_to_sqlite(self, path: Path) -> None:
        if not self.sqlite_ready:
            self.sqlite_file.unlink(missing_ok=True)  # what a failed first try left
            await _migrate(f"sqlite+aiosqlite:///{self.sqlite_file}")
            self.sqlite_ready = True
        assert not path.exists(), f"{path} should not exist before the template is copied there"
        shutil.copy(self.sqlite_file, path)

    async def copy_to_postgres(self, url: str) -> None:
        """Make the database of ``url`` what the template is: schema at head, every table empty, every
        sequence at its start. Emptying takes a tenth of what copying the template does (CREATE DATABASE
        ... TEMPLATE), so it is done whenever the schema is still the template's."""
        if self.postgres_url is None:  # beside the tests' own database, named after it: test_x_template
            target = make_url(url)
            template = target.set(database=f"{target.database}_template").render_as_string(hide_password=False)
            await _recreate_postgres(template)
            await _migrate(template)
            self.postgres_url = template
            self.postgres_fingerprint = await _emptied_if_unchanged(template, None)
        elif await _emptied_if_unchanged(url, self.postgres_fingerprint) == self.postgres_fingerprint:
            return
        await _recreate_postgres(url, template=make_url(self.postgres_url).database)

    async def drop(self) -> None:
        if self.postgres_url:
            await _on_server(self.postgres_url, f'DROP DATABASE IF EXISTS "{make_url(self.postgres_url).database}"')


async def _emptied_if_unchanged(url: str, expected: str | None) -> str | None:
    """The schema fingerprint of ``url``'s database (None when it cannot be read); when it is ``expected``,
    the database's tables are emptied too, after closing every connection a test left open."""
    eng = create_engine(url, poolclass=NullPool)
    try:
        async with eng.begin() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            fingerprint = (await conn.execute(text(_SCHEMA_FINGERPRINT))).scalar()
            if expected is not None and fingerprint == expected:
                await conn.execute(text("SET LOCAL session_replication_role = replica"))  # no foreign key order
                await conn.execute(text(_EMPTY_TABLES))
        return fingerprint
    except DBAPIError:  # no such database, no alembic_version, not allowed to skip the foreign keys
        return None
    finally:
        await eng.dispose()


def pytest_sessionstart(session) -> None:
    """A worker's database is made here, from the server's maintenance database, when it does not exist yet
    (a test that uses ``PG_URL`` directly expects it to be there)."""
    if PG_URL and os.environ.get("CHIBO_TEST_POSTGRES_URL") != PG_URL:
        asyncio.run(_recreate_postgres(PG_URL))


ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "core", "handlers", "scheduler", "storage", "rules", "reports", "fakeapi", "benchmarks", "tests")


def pytest_configure(config) -> None:
    """Each process that imports chibo compiled its 200 modules again (0.5 CPU-seconds, 2-4 s of wall on a busy
    machine) when nothing writes their bytecode (PYTHONDONTWRITEBYTECODE, or several workers starting at once on
    a fresh checkout): every xdist worker and every `chibo` process a test starts (kill -9, outages, several
    processes). The main process compiles them once, before the workers start; each process then reads them
    (a file changed since is compiled again, as Python checks each one's time and size)."""
    if hasattr(config, "workerinput"):
        return
    if config.getoption("store_durations"):
        config.pluginmanager.register(StoreDurations(), "store-durations")
    for package in PACKAGES:
        if (ROOT / package).is_dir():
            compileall.compile_dir(ROOT / package, quiet=1)
    _rewrite_tests_once(config)


def _rewrite_tests_once(config) -> None:
    """pytest rewrites the asserts of every test module it imports (half of a worker's 8 CPU-seconds of
    collection) and keeps the result beside it only when it may write bytecode: done here once, in pytest's
    own format, so that each worker reads it (pytest checks each file's hash, and rewrites one changed since)."""
    try:  # pytest's own helpers (private): should a pytest release change them, each worker rewrites, as before
        from _pytest.assertion import rewrite

        state = config.stash.get(rewrite.assertstate_key, None)
        if state is None:  # --assert=plain
            return
        for source in sorted((ROOT / "tests").rglob("*.py")):
            if not (source.name.startswith("test_") or source.name == "conftest.py"):
                continue
            pyc = rewrite.get_cache_dir(source) / (source.name[:-3] + rewrite.PYC_TAIL)
            if rewrite._read_pyc(source, pyc) is not None:
                continue
            pyc.parent.mkdir(exist_ok=True)
            source_hash, code = rewrite._rewrite_test(source, config)
            rewrite._write_pyc(state, code, source_hash, pyc)
    except Exception as exc:  # a speed-up only: the workers rewrite the tests themselves
        print(f"tests: asserts not rewritten ahead ({type(exc).__name__}); each worker rewrites them", file=sys.stderr)


GC_THRESHOLDS = (20_000, 20, 20)  # the collector's: Python's are (700, 10, 10)


def pytest_collection_finish(session) -> None:
    """The garbage collector took an eighth of a worker's CPU: with Python's thresholds it ran every 700
    allocations (thousands of times a test) and its full passes went over every module, ORM mapping and text
    loaded at start-up, again and again. Those live as long as the worker: moved out of its sight (``gc.freeze``,
    as a running chibo does after start-up), and it runs every 20,000 allocations. It still collects everything
    (a few dozen passes a file); a worker holds some 10 MB more between passes."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_sessionfinish(session) -> None:
    if PG_URL and os.environ.get("CHIBO_TEST_POSTGRES_URL") != PG_URL:  # a worker's own database: dropped
        asyncio.run(_on_server(PG_URL, f'DROP DATABASE IF EXISTS "{make_url(PG_URL).database}" WITH (FORCE)'))


GROUPS = ("unit", "flow", "postgres", "browser")  # the folders under tests/, each a marker (pytest -m unit)


def pytest_itemcollected(item) -> None:  # each test marked by its folder: pytest -m unit
    group = item.path.parent.name
    if group in GROUPS:
        item.add_marker(group)


# --- the order parallel workers take the tests in ---------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config) -> None:
    """`-n 4` without a `--dist` distributes with worksteal (below), where xdist would choose load."""
    if getattr(config.option, "numprocesses", None) and config.option.dist == "no":
        config.option.dist = "worksteal"


# `-n 4` (with `--dist worksteal`, set above) gives each worker a quarter of the tests in order, and
# a worker done early takes the second half of what another has not begun. A test of a minute begun last
# keeps the whole run waiting for it: the long ones begin first, each at the head of the quarter with the least
# long work yet. How long each one takes is read from tests/durations.json, which a full run with
# `--store-durations` writes again (its seconds, the slowest of a test's parameters, for tests of 5 s or more).
# The tests of the demo's month (`demo_run`, played once by each worker that runs one of them) stay together,
# in one quarter.
DURATIONS = Path(__file__).with_name("durations.json")
LONG_SECONDS = 5.0  # a test that takes less is placed as it comes


def _long_tests() -> dict[str, float]:
    try:
        seconds = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or damaged: the tests go in collection order, all still run
        return {}
    return {str(test): float(s) for test, s in seconds.items()} if isinstance(seconds, dict) else {}


LONG_TESTS = _long_tests()


def pytest_addoption(parser) -> None:
    parser.addoption("--store-durations", action="store_true",
                     help="write tests/durations.json from this run (the order parallel workers take tests in)")


class StoreDurations:
    """Sums each test's setup, call and teardown as the reports come in (from every worker) and writes the long
    ones at the end of a run that had no failure, over what the file said of the tests this run took."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.skipped: set[str] = set()
        self.failed = False

    def pytest_runtest_logreport(self, report) -> None:
        self.failed |= report.failed
        if report.skipped:  # not run here (no PostgreSQL, no Chromium): the file keeps what it said of it
            self.skipped.add(report.nodeid)
            return
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        if self.failed or exitstatus != 0:
            print("tests/durations.json kept: the run did not pass", file=sys.stderr)
            return
        longest: dict[str, float] = {}
        for nodeid, seconds in self.seconds.items():
            if nodeid in self.skipped:
                continue
            test = nodeid.split("[")[0]
            longest[test] = max(longest.get(test, 0.0), seconds)
        # The tests this run did not take (pytest tests/flow ...) keep their seconds.
        merged = {**{test: s for test, s in _long_tests().items() if test not in longest}, **longest}
        kept = {test: round(s) for test, s in sorted(merged.items(), key=lambda kv: -kv[1]) if s >= LONG_SECONDS}
        DURATIONS.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")




def _share_sizes(count: int, workers: int) -> list[int]:
    """How many tests each worker gets first under --dist worksteal: len(pending) // workers left, in turn."""
    sizes = []
    for worker in range(workers):
        sizes.append(count // (workers - worker))
        count -= sizes[-1]
    return sizes


def pytest_collection_modifyitems(config, items) -> None:
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    if workers < 2:
        return
    demo = [item for item in items if "demo_run" in getattr(item, "fixturenames", ())]
    in_demo = {id(item) for item in demo}
    weight = {id(item): LONG_TESTS.get(item.nodeid.split("[")[0], 0) for item in items}
    units = [[item] for item in items if weight[id(item)] and id(item) not in in_demo]
    if demo:
        units.append(demo)
    sizes = _share_sizes(len(items), workers)
    shares: list[list] = [[] for _ in sizes]
    loads = [0.0] * workers
    placed: set[int] = set()
    # The demo's month is timed in tests/durations.json with the first of its tests that ran (its setup).
    for unit in sorted(units, key=lambda u: -sum(weight[id(i)] for i in u)):
        room = [w for w in range(workers) if sizes[w] - len(shares[w]) >= len(unit)]
        if not room:
            continue
        least = min(room, key=lambda w: loads[w])
        shares[least] += unit
        loads[least] += sum(weight[id(i)] for i in unit)
        placed |= {id(i) for i in unit}
    rest = iter([item for item in items if id(item) not in placed])
    for worker, share in enumerate(shares):
        share += [next(rest) for _ in range(sizes[worker] - len(share))]
    items[:] = [item for share in shares for item in share]


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("template"))
    yield templates
    asyncio.run(templates.drop())


@pytest.fixture
async def db_url(request, tmp_path) -> str:
    """An empty database URL; parametrize with ``DB_KINDS`` to run on both. With ``engine`` the same database
    holds the migrated schema instead (and nothing else)."""
    kind = getattr(request, "param", "sqlite")
    if kind == "postgresql":
        if "engine" not in request.fixturenames:  # `engine` replaces the database with a migrated copy
            await _recreate_postgres(PG_URL)
        return PG_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}"


@pytest.fixture
async def engine(db_url, migrated_templates) -> AsyncIterator[AsyncEngine]:
    """A migrated database at ``db_url``, with no rows: as the one migrated once per test session."""
    if db_url.startswith("sqlite"):
        await migrated_templates.copy_to_sqlite(Path(make_url(db_url).database))
    else:
        await migrated_templates.copy_to_postgres(db_url)
    eng = create_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session", autouse=True)
def _one_tls_context() -> Iterator[None]:
    """Every httpx client (python-telegram-bot's two per bot, the Zalo client's, the tests' own) builds a TLS
    context from certifi's bundle: 15-25 ms of CPU each, four or five per scene, over a thousand scenes. The
    tests talk plain HTTP on loopback: the default context is built once per worker and shared (httpx
    supports one context for many clients); a client given other TLS options builds its own as before."""
    import httpx._transports.default as transports

    build = transports.create_ssl_context
    shared: dict[bool, object] = {}

    def once(verify=True, cert=None, trust_env=True):
        if verify is not True or cert is not None:
            return build(verify=verify, cert=cert, trust_env=trust_env)
        if trust_env not in shared:
            shared[trust_env] = build(verify=verify, cert=cert, trust_env=trust_env)
        return shared[trust_env]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transports, "create_ssl_context", once)
        yield


class _CompiledForEveryEngine(dict):
    """SQLAlchemy's cache of compiled statements, keyed by the dialect's settings instead of its instance."""

    @staticmethod
    def _key(key: tuple) -> tuple:
        d = key[0]
        if not isinstance(d, Dialect):  # a key SQLAlchemy builds otherwise (a later release): the engine's own
            return key
        return (type(d), d.server_version_info, d.paramstyle, d.positional, d.label_length, d.max_identifier_length,
                getattr(d, "_json_serializer", None), getattr(d, "_json_deserializer", None), *key[1:])

    def get(self, key, default=None):
        return super().get(self._key(key), default)

    def __getitem__(self, key):
        return super().__getitem__(self._key(key))

    def __setitem__(self, key, value) -> None:
        if len(self) >= 20_000:  # SQLAlchemy's own is an LRU of 500 an engine: never reached by the suite
            self.clear()
        super().__setitem__(self._key(key), value)

    def __contains__(self, key) -> bool:
        return super().__contains__(self._key(key))


@pytest.fixture(scope="session", autouse=True)
def _one_compiled_cache() -> Iterator[None]:
    """SQLAlchemy compiles each statement once per engine (its cache of compiled SQL is the engine's), and
    every test makes new engines (the bot's, the scene's, a restart's): a test compiled again every statement
    it ran, a fifth of a short scene's CPU. In a worker the engines share one cache, keyed by what a compiled
    statement depends on (the dialect's class, server version and settings) instead of the dialect object;
    an engine made without a cache (query_cache_size=0) still has none. A running chibo has one engine."""
    from sqlalchemy.engine import base

    shared = _CompiledForEveryEngine()

    def cache(engine):
        return None if engine.__dict__.get("_no_compiled_cache") else shared

    def set_cache(engine, value) -> None:
        engine.__dict__["_no_compiled_cache"] = value is None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(base.Engine, "_compiled_cache", property(cache, set_cache), raising=False)
        yield


@pytest.fixture(autouse=True)
def _no_leftover_log_handler():
    """`chibo run`/`worker` driven through the CLI install chibo's log handler on the root logger: remove it after."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == "chibo":
            root.removeHandler(handler)


DEMO_WEB_PAGES: dict[str, tuple[int, str]] = {}  # person -> (status, page) of the demo's web view


async def _open_web_view(demo, links: dict[str, str]) -> None:
    """What `chibo demo --serve` serves until Enter: each viewer's page, fetched while it is up."""
    import httpx

    async with httpx.AsyncClient(follow_redirects=True, timeout=60) as client:
        for person, link in links.items():
            response = await client.get(link)
            DEMO_WEB_PAGES[person] = (response.status_code, response.text)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo's month, played once per test session: (demo, output folder, its SQLite database).
    Its web view was served at the end, and each viewer's page fetched (``DEMO_WEB_PAGES``)."""
    from bot.demo.demo import simulate

    out = tmp_path_factory.mktemp("demo")
    database = out / "demo.db"
    demo = asyncio.run(simulate(out, show_progress=False, keep_database=database, serve=_open_web_view,
                                pace=PaceTime(SCENE_PACE_SPEED)))
    return demo, out, database


@pytest.fixture
def settings(db_url, tmp_path) -> Settings:
    # The reports folder is the test's own: the default (./chibo-reports) is shared by every worker of a
    # parallel run, and two weekly jobs of the same week would write the same workbook there at once.
    return Settings(_env_file=None, database_url=db_url, telegram_token="123456:TEST-TOKEN",
                    telegram_bot_username="chibo_test_bot", quiet_hours="off", reports_dir=str(tmp_path / "reports"))


VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args) -> datetime:
    """A time in Hà Nội: vn(2026, 12, 5, 19, 30)."""
    return datetime(*args, tzinfo=VN)


#: The scene counts the platforms' limits this many times faster, its fake Bot API too (core.clock.PaceTime): a chat's
#: one message a second and a group's twenty a minute keep their order and their 429s, in a tenth of the real wait
#: (the suite waited about 500 s of its 1,900 on them). A test of the pace itself is marked ``real_pace``.
SCENE_PACE_SPEED = 10.0


@pytest.fixture
async def scene(engine, settings, request) -> AsyncIterator[Scene]:
    """The real bot against a fake Telegram Bot API on loopback, the clock at 08:00 on 1 Dec 2026."""
    pace = REAL_PACE if request.node.get_closest_marker("real_pace") else PaceTime(SCENE_PACE_SPEED)
    server = FakeTelegramServer(pace_speed=pace.speed)
    await server.start()
    settings.telegram_api_url = server.root
    sc = Scene(server=server, settings=settings, clock=FakeClock(vn(2026, 12, 1, 8, 0)), pace=pace)
    yield sc
    await sc.close()
    await server.stop()


@pytest.fixture
async def zalo_scene(scene: Scene) -> AsyncIterator[Scene]:
    """The same scene with a fake Zalo Bot API too: a cell whose members use Telegram, Zalo or both."""
    scene.zalo = FakeZaloServer()
    await scene.zalo.start()
    scene.settings.zalo_token = SecretStr("zalo-test-token")
    scene.settings.zalo_api_url = scene.zalo.root
    yield scene
    await scene.stop_bot()  # before the fake Zalo goes away, so the bot never polls a closed server
    await scene.zalo.stop()


@pytest.fixture
def port() -> int:
    """A free TCP port on 127.0.0.1, for a server or a `chibo` process the test starts (never a fixed one:
    other tests, other workers and other chibos on the machine run beside it)."""
    return free_port()


async def linked_cell(scene: Scene, members: list[tuple[str, Role]], *, committee: str = "Đảng ủy",
                      name: str = "Chi bộ 1", exempt: set[str] | frozenset[str] = frozenset(),
                      link: bool | list[str] = True, zalo: bool = False) -> int:
    """Where most stories start: a committee with one cell of ``members``, the bot started and every member
    linked (on Zalo when ``zalo``; only those named when ``link`` is a list; nobody when it is False).
    Returns the cell's id."""
    committee_id = await scene.add_committee(committee)
    cell_id = await scene.add_cell(committee_id, name, members, exempt=exempt)
    await scene.start_bot()
    names = link if isinstance(link, list) else [n for n, _ in members] if link else []
    if names:
        await (scene.link_zalo if zalo else scene.link)(*names)
    return cell_id


SMALL_CELL = [("Bí Thư", Role.BI_THU), ("Đảng Viên A", Role.DANG_VIEN), ("Đảng Viên B", Role.DANG_VIEN)]


@pytest.fixture
async def cell(scene: Scene) -> int:
    """``SMALL_CELL`` (a secretary, two members) in "Đảng ủy", all linked on Telegram, the bot running: its id.
    A meeting in progress: ``scene.meeting_in_progress(secretary, members)`` (bot/demo/scene.py)."""
    return await linked_cell(scene, SMALL_CELL)

