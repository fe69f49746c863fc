"""The operator CLI driven through Typer's runner, on a real database (SQLite file, or PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from bot.cli.app import app
from storage.db import create_engine, current_revision, head_revision, session_factory
from storage.invites import ALPHABET, CODE_LENGTH
from storage.models import (
    AuditLog,
    Cell,
    ChatLink,
    Committee,
    CommitteeMember,
    InviteCode,
    InviteKind,
    Meeting,
    MeetingKind,
    Member,
    OutboxMessage,
    Platform,
)
from tests.conftest import DB_KINDS, PG_URL, reset_postgres

BOM = "\ufeff"
VI_HEADER = "Chi bộ,Họ và tên,Chức vụ,Tình trạng,Miễn sinh hoạt,Điện thoại"
EN_HEADER = "cell,full_name,role,status,exempt,phone"
CODE_RE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


@dataclass
class Cli:
    url: str
    tmp: Path
    runner: CliRunner

    def __call__(self, *args: str, ok: bool = True):
        result = self.runner.invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a crash, not a refusal
        if ok:
            assert result.exit_code == 0, f"{args}: {result.output}"
        else:
            assert result.exit_code != 0, f"{args} should have failed: {result.output}"
        return result

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        lines = result.stdout.splitlines()
        assert len(lines) == 1, f"stdout must hold only the JSON: {result.stdout!r}"
        return json.loads(lines[0])

    def db(self, work: Callable[[Any], Any]) -> Any:
        """Run ``await work(session)`` in a committed transaction on the same database."""

        async def main():
            engine = create_engine(self.url)
            try:
                async with session_factory(engine)() as session, session.begin():
                    return await work(session)
            finally:
                await engine.dispose()

        return asyncio.run(main())

    def file(self, name: str, content: str | bytes) -> str:
        path = self.tmp / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return str(path)

    def members(self, cell: str | int) -> list[dict[str, Any]]:
        return self.json("members", "list", str(cell))


# Every CLI test runs on a SQLite file; those marked ``on_both`` on PostgreSQL too (when it is set).
on_both = pytest.mark.parametrize("cli", DB_KINDS, indirect=True)


@pytest.fixture(params=["sqlite"])
def cli(request, tmp_path, monkeypatch) -> Cli:
    for name in list(os.environ):
        if name.startswith("CHIBO_") and not name.startswith("CHIBO_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's is read
    if request.param == "postgresql":
        asyncio.run(reset_postgres(PG_URL))
        url = PG_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}"
    monkeypatch.setenv("CHIBO_DATABASE_URL", url)
    return Cli(url=url, tmp=tmp_path, runner=CliRunner())


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file migrated once by ``chibo db upgrade``; each test gets a copy (it is faster)."""
    path = tmp_path_factory.mktemp("template") / "chibo.db"
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"CHIBO_DATABASE_URL": f"sqlite+aiosqlite:///{path}"})
    assert result.exit_code == 0, result.output
    assert not path.with_name("chibo.db-wal").exists()  # everything is in the one file
    return path


@pytest.fixture
def ready(cli: Cli, migrated_sqlite: Path) -> Cli:
    """A migrated, empty database."""
    if cli.url.startswith("sqlite"):
        shutil.copyfile(migrated_sqlite, cli.tmp / "chibo.db")
    else:
        cli("db", "upgrade")
    return cli


@pytest.fixture
def cell(ready: Cli) -> dict[str, Any]:
    """A committee with one cell named 'Chi bộ số 1' (written directly: ``cell add`` is tested on its own)."""

    async def work(s):
        committee = Committee(name="Đảng ủy phường Hàng Bạc", created_at=datetime.now(UTC))
        c = Cell(committee=committee, name="Chi bộ số 1", created_at=datetime.now(UTC))
        s.add_all([committee, c])
        await s.flush()
        return {"id": c.id, "name": c.name}

    return ready.db(work)


def count(cli: Cli, model) -> int:
    return cli.db(lambda s: s.scalar(select(func.count()).select_from(model)))


# --- the database -----------------------------------------------------------------------------

@on_both
def test_db_upgrade_creates_the_schema(cli: Cli):
    result = cli("db", "upgrade")
    assert "database is up to date" in result.stdout

    async def revision():
        engine = create_engine(cli.url)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    assert asyncio.run(revision()) == head_revision()
    cli("db", "upgrade")  # again: nothing to do, no error
    assert cli.json("committee", "add", "Đảng ủy") == {"id": 1, "name": "Đảng ủy"}


@on_both
@pytest.mark.parametrize(
    "args",
    [("committee", "add", "Đảng ủy"), ("members", "list", "1"), ("invites", "1")],
    ids=["committee add", "members list", "invites"],
)
def test_a_command_before_db_upgrade_says_to_run_it(cli: Cli, args):
    result = cli(*args, ok=False)
    assert result.exit_code == 2
    assert "chibo db upgrade" in result.stderr
    assert result.stdout == ""


def test_a_bad_setting_is_named(cli: Cli, monkeypatch):
    monkeypatch.setenv("CHIBO_QUIET_HOURS", "all night")
    result = cli("db", "upgrade", ok=False)
    assert result.exit_code == 2
    assert "CHIBO_QUIET_HOURS" in result.stderr and "all night" in result.stderr


# --- committees and cells ---------------------------------------------------------------------

def test_committee_and_cell_add_print_one_json_object(ready: Cli):
    committee = ready.json("committee", "add", "  Đảng ủy   phường  Hàng Bạc ")
    assert committee == {"id": committee["id"], "name": "Đảng ủy phường Hàng Bạc"}
    assert isinstance(committee["id"], int)
    cell = ready.json("cell", "add", "Chi bộ khu dân cư số 1", "--committee", str(committee["id"]),
                      "--day", "5", "--time", "19:30", "--place", "Nhà văn hóa")
    assert cell == {"id": cell["id"], "name": "Chi bộ khu dân cư số 1"}

    stored = ready.db(lambda s: s.get(Cell, cell["id"]))
    assert (stored.committee_id, stored.standing_day, str(stored.standing_time), stored.standing_place) == \
        (committee["id"], 5, "19:30:00", "Nhà văn hóa")
    log = ready.db(lambda s: s.scalar(select(AuditLog).where(AuditLog.entity == "committee")))
    assert (log.action, log.entity_id, log.after) == ("add", committee["id"], {"name": "Đảng ủy phường Hàng Bạc"})


def test_without_json_the_output_is_a_sentence(ready: Cli):
    result = ready("committee", "add", "Đảng ủy")
    assert result.stdout.strip() == "Đã thêm đảng ủy #1: Đảng ủy"


@on_both
def test_a_name_with_markup_characters_is_stored_as_is(ready: Cli):
    name = "Chi bộ <Khu 1> & \"Tổ 2\""
    committee = ready.json("committee", "add", "Đảng ủy <A> & B")
    cell = ready.json("cell", "add", name, "--committee", str(committee["id"]))
    assert cell["name"] == name and committee["name"] == "Đảng ủy <A> & B"
    assert ready.db(lambda s: s.scalar(select(Cell.name).where(Cell.id == cell["id"]))) == name
    assert ready.db(lambda s: s.scalar(select(Committee.name))) == "Đảng ủy <A> & B"
    # and the cell is found by that exact name
    assert "Chi bộ #" in ready("members", "list", name).stdout and name in ready("members", "list", name).stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--committee", "99"], "#99"),
        (["--committee", "1", "--day", "31"], "--day"),
        (["--committee", "1", "--time", "7pm"], "7pm"),
    ],
    ids=["an unknown committee", "a standing day not in every month", "a time not HH:MM"],
)
def test_a_bad_cell_is_refused(ready: Cli, extra, message):
    ready.json("committee", "add", "Đảng ủy")
    result = ready("cell", "add", "Chi bộ 1", *extra, ok=False)
    assert message in result.stderr
    assert count(ready, Cell) == 0


def test_the_same_cell_name_twice_in_a_committee_is_refused(ready: Cli, cell):
    result = ready("cell", "add", "Chi bộ số 1", "--committee", "1", ok=False)
    assert "exists already" in result.stderr
    assert count(ready, Cell) == 1


# --- importing members ------------------------------------------------------------------------

@on_both
def test_import_a_utf8_csv_with_bom_and_vietnamese_headers(ready: Cli, cell):
    path = ready.file("ds.csv", BOM + VI_HEADER + "\r\n"
                      "Chi bộ số 1,Nguyễn Thị Ánh,Bí thư,Chính thức,không,0912 345 678\r\n"
                      "Chi bộ số 1,Trần Đức Đạt,Đảng viên,Dự bị,có,\r\n"
                      ",,,,,\r\n"
                      f"{cell['id']},Lê Văn Hùng,Chi ủy viên,,,+84 98 765 4321\r\n")
    result = ready("members", "import", path)
    assert "imported 3 members" in result.stdout
    members = ready.members("Chi bộ số 1")
    assert [(m["full_name"], m["role"], m["status"], m["exempt"], m["active"], m["linked"]) for m in members] == [
        ("Nguyễn Thị Ánh", "bi_thu", "chinh_thuc", False, True, False),
        ("Trần Đức Đạt", "dang_vien", "du_bi", True, True, False),
        ("Lê Văn Hùng", "chi_uy", "chinh_thuc", False, True, False),
    ]
    stored = ready.db(lambda s: s.scalars(select(Member).order_by(Member.id)))
    stored = list(stored)
    assert [m.phone for m in stored] == ["0912345678", None, "+84987654321"]
    assert stored[1].exempt_reason and stored[1].exempt_since == stored[1].active_from
    log = ready.db(lambda s: s.scalar(select(AuditLog).where(AuditLog.action == "import_members")))
    assert log.after == {"count": 3, "file": "ds.csv"}


def test_import_a_csv_without_bom_with_english_headers(ready: Cli, cell):
    path = ready.file("members.csv", EN_HEADER + "\n"
                      f"{cell['id']},Phạm Văn Cụ,pho_bi_thu,chinh_thuc,0,0901000001\n"
                      "Chi bộ số 1,Đỗ Thị Mai,dang_vien,du_bi,yes,\n")
    ready("members", "import", path)
    assert [(m["full_name"], m["role"], m["status"], m["exempt"]) for m in ready.members(cell["id"])] == [
        ("Phạm Văn Cụ", "pho_bi_thu", "chinh_thuc", False),
        ("Đỗ Thị Mai", "dang_vien", "du_bi", True),
    ]


def test_import_a_semicolon_csv_as_excel_writes_it_in_some_locales(ready: Cli, cell):
    path = ready.file("members.csv", BOM + "Chi bộ;Họ và tên;Chức vụ\n"
                      "Chi bộ số 1;Nguyễn Thị Ánh;Bí thư\nChi bộ số 1;Trần Đức Đạt;\n")
    ready("members", "import", path)
    assert [(m["full_name"], m["role"]) for m in ready.members(cell["id"])] == [
        ("Nguyễn Thị Ánh", "bi_thu"), ("Trần Đức Đạt", "dang_vien")]


@on_both
@pytest.mark.parametrize("delimiter", [",", ";"], ids=["comma", "semicolon (Excel, Vietnamese locale)"])
@pytest.mark.parametrize("bom", [BOM, ""], ids=["bom", "no bom"])
def test_import_reads_quoted_fields_as_excel_and_python_write_them(ready: Cli, cell, delimiter, bom):
    import csv

    rows = [["Chi bộ", "Họ và tên", "Chức vụ", "Điện thoại"],
            ["Chi bộ số 1", 'Nguyễn Văn "Tư" An', "Đảng viên", "0912 345 678"],
            ["Chi bộ số 1", "Trần, Thị Bé", "Bí thư", ""],
            ["Chi bộ số 1", f"Lê Văn{delimiter} Hai", "Đảng viên", ""]]
    buffer = io.StringIO()
    csv.writer(buffer, dialect="excel", delimiter=delimiter).writerows(rows)  # as Excel and Python write it
    text = buffer.getvalue()
    assert '"Nguyễn Văn ""Tư"" An"' in text and f'"Lê Văn{delimiter} Hai"' in text
    ready("members", "import", ready.file("ds.csv", bom + text))
    assert [(m["full_name"], m["role"]) for m in ready.members(cell["id"])] == [
        ('Nguyễn Văn "Tư" An', "dang_vien"), ("Trần, Thị Bé", "bi_thu"), (f"Lê Văn{delimiter} Hai", "dang_vien")]


def test_import_a_quoted_header_with_semicolons(ready: Cli, cell):
    # Excel quotes a header only when it must; a header line with a quoted field still picks the delimiter.
    path = ready.file("ds.csv", BOM + '"Chi bộ";"Họ và tên"\r\n"Chi bộ số 1";"Phạm ""Út"" Văn, Ba"\r\n')
    ready("members", "import", path)
    assert [m["full_name"] for m in ready.members(cell["id"])] == ['Phạm "Út" Văn, Ba']


def test_import_an_xlsx_workbook(ready: Cli, cell):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["STT", "Chi bộ", "Họ và tên", "Chức vụ", "Tình trạng", "Miễn sinh hoạt", "SĐT"])
    ws.append([1, cell["id"], "Nguyễn Thị Ánh", "Bí thư", "Chính thức", None, "0912345678"])
    ws.append([2, "Chi bộ số 1", "Trần Đức Đạt", "Đảng viên", "Dự bị", "Có", None])
    ws.append([None, None, None, None, None, None, None])
    ws.append([3, cell["id"], "  Hoàng   Văn  Muộn ", None, None, 0, None])
    path = ready.tmp / "ds.xlsx"
    wb.save(path)
    ready("members", "import", str(path))
    assert [(m["full_name"], m["role"], m["status"], m["exempt"]) for m in ready.members(cell["id"])] == [
        ("Nguyễn Thị Ánh", "bi_thu", "chinh_thuc", False),
        ("Trần Đức Đạt", "dang_vien", "du_bi", True),
        ("Hoàng Văn Muộn", "dang_vien", "chinh_thuc", False),
    ]
    # "SĐT" is read as the phone column; the "STT" (row number) column is ignored
    assert list(ready.db(lambda s: s.scalars(select(Member.phone).order_by(Member.id)))) == ["0912345678", None, None]


@on_both
def test_names_that_differ_only_by_diacritics_are_two_people(ready: Cli, cell):
    # Hùng and Hưng, Tú and Tư are different names; neither pair is a duplicate.
    path = ready.file("ds.csv", "cell,full_name\n"
                      "Chi bộ số 1,Nguyễn Văn Hùng\nChi bộ số 1,Nguyễn Văn Hưng\n"
                      "Chi bộ số 1,Lê Văn Tú\nChi bộ số 1,Lê Văn Tư\n")
    ready("members", "import", path)
    assert [m["full_name"] for m in ready.members(cell["id"])] == [
        "Nguyễn Văn Hùng", "Nguyễn Văn Hưng", "Lê Văn Tú", "Lê Văn Tư"]


def bad_lines(stderr: str) -> list[int]:
    """The line numbers reported, one per output line ("dòng 3 / line 3: …")."""
    return [int(n) for n in re.findall(r"^dòng (\d+) / line \1: ", stderr, flags=re.M)]


def import_fails(cli: Cli, cell_id: int, name: str, content: str | bytes) -> str:
    """Import a broken file; check that it fails and writes nothing. Returns stderr."""
    before = cli.members(cell_id)
    members_before = count(cli, Member)
    result = cli("members", "import", cli.file(name, content), ok=False)
    assert "imported" not in result.stdout
    assert cli.members(cell_id) == before
    assert count(cli, Member) == members_before
    return result.stderr


@on_both
def test_every_bad_row_is_reported_and_nothing_is_written(ready: Cli, cell):
    content = (BOM + VI_HEADER + "\n"
               "Chi bộ số 1,Nguyễn Thị Ánh,Bí thư,,,\n"           # 2: good
               "Chi bộ số 1,,Đảng viên,,,\n"                      # 3: no name
               "Chi bộ số 1,Trần Đức Đạt,Chủ tịch,,,\n"           # 4: unknown role
               "Chi bộ số 9,Lê Văn Hùng,,,,\n"                    # 5: unknown cell
               "Chi bộ số 1,Phạm Thị Hoa,,Tạm,,\n"               # 6: unknown status
               "Chi bộ số 1,Vũ Văn Bình,,,hmm,\n"                 # 7: bad exempt
               "Chi bộ số 1,Đỗ Thị Mai,,,,\n"                     # 8: good
               ",Bùi Văn Ba,,,,\n")                               # 9: no cell
    err = import_fails(ready, cell["id"], "ds.csv", content)
    assert bad_lines(err) == [3, 4, 5, 6, 7, 9]
    assert "dòng 3 / line 3: Họ và tên trống / full name is missing" in err
    assert "dòng 4 / line 4: chức vụ không rõ / unknown role 'Chủ tịch'" in err
    assert "không có chi bộ 'Chi bộ số 9' (ID hoặc đúng tên) / unknown cell 'Chi bộ số 9'" in err
    assert "dòng 6 / line 6: tình trạng không rõ / unknown status 'Tạm'" in err
    assert "dòng 7 / line 7: miễn sinh hoạt phải là có/không" in err
    assert "dòng 9 / line 9: Chi bộ trống / cell is missing" in err
    assert "Nguyễn Thị Ánh" not in err and "Đỗ Thị Mai" not in err


def test_a_row_with_several_problems_reports_them_all(ready: Cli, cell):
    err = import_fails(ready, cell["id"], "ds.csv", EN_HEADER + "\n,,boss,maybe,perhaps,\n")
    assert bad_lines(err) == [2]
    for problem in ("full name is missing", "cell is missing", "unknown role 'boss'", "unknown status 'maybe'",
                    "exempt must be"):
        assert problem in err


@on_both
def test_a_person_twice_in_the_file_is_refused(ready: Cli, cell):
    content = (EN_HEADER + "\n"
               "Chi bộ số 1,Nguyễn Thị Ánh,bi_thu,,,0912345678\n"
               "Chi bộ số 1,Trần Đức Đạt,,,,\n"
               f"{cell['id']},Nguyễn  Thị Ánh,,,,0912 345 678\n"
               "Chi bộ số 1,Trần Đức Đạt,,,,\n")
    err = import_fails(ready, cell["id"], "ds.csv", content)
    assert bad_lines(err) == [4, 5]
    assert "dòng 4 / line 4: trùng dòng 2 / duplicate of line 2: Nguyễn Thị Ánh" in err
    assert "dòng 5 / line 5: trùng dòng 3 / duplicate of line 3: Trần Đức Đạt" in err


def test_the_same_name_with_another_phone_is_another_person(ready: Cli, cell):
    ready("members", "import", ready.file("ds.csv", EN_HEADER + "\n"
                                          "Chi bộ số 1,Nguyễn Văn An,,,,0911000001\n"
                                          "Chi bộ số 1,Nguyễn Văn An,,,,0911000002\n"))
    assert [m["full_name"] for m in ready.members(cell["id"])] == ["Nguyễn Văn An", "Nguyễn Văn An"]


@on_both
def test_importing_an_already_imported_person_again_is_refused(ready: Cli, cell):
    first = EN_HEADER + "\nChi bộ số 1,Nguyễn Thị Ánh,bi_thu,,,0912345678\n"
    ready("members", "import", ready.file("first.csv", first))
    again = EN_HEADER + "\nChi bộ số 1,Trần Đức Đạt,,,,\nChi bộ số 1,Nguyễn Thị Ánh,,,,0912345678\n"
    err = import_fails(ready, cell["id"], "again.csv", again)
    assert bad_lines(err) == [3]
    assert "dòng 3 / line 3: Nguyễn Thị Ánh đã là đảng viên của / is already a member of Chi bộ số 1" in err
    # the same name written in decomposed Unicode (as macOS may save it) and in capitals is the same person
    decomposed = unicodedata.normalize("NFD", "NGUYỄN THỊ ÁNH")
    err = import_fails(ready, cell["id"], "nfd.csv", f"{EN_HEADER}\nChi bộ số 1,{decomposed},,,,0912345678\n")
    assert bad_lines(err) == [2] and "already a member" in err
    assert [m["full_name"] for m in ready.members(cell["id"])] == ["Nguyễn Thị Ánh"]


def test_a_person_who_left_can_be_imported_again(ready: Cli, cell):
    ready("members", "import", ready.file("first.csv", EN_HEADER + "\nChi bộ số 1,Nguyễn Thị Ánh,,,,\n"))

    async def leave(s):
        await s.execute(update(Member).values(active_to=date(2026, 1, 1)))

    ready.db(leave)
    ready("members", "import", ready.file("again.csv", EN_HEADER + "\nChi bộ số 1,Nguyễn Thị Ánh,,,,\n"))
    assert [m["active"] for m in ready.members(cell["id"])] == [False, True]


@pytest.mark.parametrize("encoding", ["cp1258", "utf-16"], ids=["Windows Vietnamese", "Excel's Unicode text"])
def test_a_file_that_is_not_utf8_is_refused(ready: Cli, cell, encoding):
    content = f"{EN_HEADER}\n{cell['id']},Lê Văn Tâm,,,,\n".encode(encoding)
    err = import_fails(ready, cell["id"], "ds.csv", content)
    assert "not UTF-8" in err and "CSV UTF-8" in err


def test_a_file_without_the_required_header_is_refused(ready: Cli, cell):
    err = import_fails(ready, cell["id"], "ds.csv", "name,phone\nNguyễn Thị Ánh,0912345678\n")
    assert "missing column(s) cell, full_name" in err
    err = import_fails(ready, cell["id"], "ds2.csv", "Chi bộ,Điện thoại\nChi bộ số 1,0912345678\n")
    assert "missing column(s) full_name" in err


def test_an_empty_file_and_a_broken_workbook_are_refused(ready: Cli, cell):
    assert "empty" in import_fails(ready, cell["id"], "empty.csv", b"")
    assert "workbook cannot be opened" in import_fails(ready, cell["id"], "ds.xlsx", b"not a zip file")


# --- members ----------------------------------------------------------------------------------

def add_members(cli: Cli, cell_id: int, *names: str) -> list[int]:
    async def work(s):
        stamp = datetime.now(UTC)
        rows = [Member(cell_id=cell_id, full_name=n, active_from=date(2020, 1, 1), created_at=stamp) for n in names]
        s.add_all(rows)
        await s.flush()
        return [m.id for m in rows]

    return cli.db(work)


@pytest.fixture
def two_members(ready: Cli, cell) -> list[dict[str, Any]]:
    add_members(ready, cell["id"], "Nguyễn Thị Ánh", "Trần Đức Đạt")
    return ready.members(cell["id"])


def test_members_list_of_an_unknown_cell_is_refused(ready: Cli, cell):
    assert "no such cell" in ready("members", "list", "Chi bộ số 9", ok=False).stderr
    assert "no such cell" in ready("members", "list", "42", ok=False).stderr


def test_members_list_shows_who_is_linked(ready: Cli, cell, two_members):
    anh = two_members[0]["id"]
    ready.db(lambda s: _link(s, anh))
    assert [m["linked"] for m in ready.members(cell["id"])] == [True, False]
    human = ready("members", "list", "Chi bộ số 1").stdout
    assert "2 đảng viên" in human and "đã liên kết" in human


async def _link(session, member_id: int) -> None:
    session.add(ChatLink(platform=Platform.TELEGRAM, platform_user_id=str(1000 + member_id),
                         chat_id=str(1000 + member_id), member_id=member_id, linked_at=datetime.now(UTC)))


@on_both
def test_member_exempt_then_clear(ready: Cli, cell, two_members):
    dat = two_members[1]["id"]
    result = ready("member", "exempt", str(dat), "--reason", "Tuổi cao, sức yếu")
    assert "Trần Đức Đạt" in result.stdout and "Tuổi cao, sức yếu" in result.stdout
    assert [m["exempt"] for m in ready.members(cell["id"])] == [False, True]
    member = ready.db(lambda s: s.get(Member, dat))
    assert member.exempt_reason == "Tuổi cao, sức yếu" and member.exempt_since is not None

    ready("member", "exempt", str(dat), "--clear")
    assert [m["exempt"] for m in ready.members(cell["id"])] == [False, False]
    member = ready.db(lambda s: s.get(Member, dat))
    assert (member.exempt, member.exempt_reason, member.exempt_since) == (False, None, None)
    logs = ready.db(lambda s: s.scalars(select(AuditLog).where(AuditLog.action == "exempt").order_by(AuditLog.id)))
    assert [(l.entity_id, l.after["exempt"]) for l in logs] == [(dat, True), (dat, False)]


def test_a_member_whose_exemption_is_lifted_hears_of_the_meetings_ahead(ready: Cli, cell, two_members):
    dat = two_members[1]["id"]
    ready.db(lambda s: _link(s, dat))
    ready("member", "exempt", str(dat), "--reason", "Tuổi cao")

    async def schedule(s):
        start = datetime.now(UTC) + timedelta(days=3)
        s.add_all([Meeting(cell_id=cell["id"], kind=MeetingKind.THUONG_KY, period="2099-01", scheduled_at=start,
                           created_at=datetime.now(UTC)),
                   Meeting(cell_id=cell["id"], kind=MeetingKind.CHUYEN_DE, period="2099-01",
                           scheduled_at=start - timedelta(days=10), created_at=datetime.now(UTC))])  # already past
    ready.db(schedule)
    ready("member", "exempt", str(dat), "--clear")
    ready("member", "exempt", str(dat), "--reason", "Ốm")
    ready("member", "exempt", str(dat), "--clear")  # told once, not twice
    rows = ready.db(lambda s: s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notice")))
    assert [(r.member_id, r.chat_id) for r in rows] == [(dat, str(1000 + dat))]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "--reason"),
        (("--reason", "ốm", "--clear"), "--reason"),
    ],
    ids=["neither reason nor clear", "both reason and clear"],
)
def test_member_exempt_needs_exactly_one_of_reason_or_clear(ready: Cli, cell, two_members, args, message):
    result = ready("member", "exempt", str(two_members[0]["id"]), *args, ok=False)
    assert message in result.stderr
    assert [m["exempt"] for m in ready.members(cell["id"])] == [False, False]


def test_member_exempt_of_an_unknown_member_is_refused(ready: Cli, cell):
    assert "no such member" in ready("member", "exempt", "77", "--reason", "ốm", ok=False).stderr


# --- invites ----------------------------------------------------------------------------------

@on_both
def test_invites_give_one_code_per_unlinked_member_and_the_same_codes_again(ready: Cli, cell, two_members,
                                                                             monkeypatch):
    add_members(ready, cell["id"], "Lê Văn Hùng", "Phạm Văn Cụ")
    members = ready.members(cell["id"])  # in the Vietnamese order, as every list: given name, middle, family
    assert [m["full_name"] for m in members] == ["Nguyễn Thị Ánh", "Phạm Văn Cụ", "Trần Đức Đạt", "Lê Văn Hùng"]
    anh, cu, dat, hung = (m["id"] for m in members)
    ready.db(lambda s: _link(s, anh))  # already linked: no code

    async def leave(s):  # no longer a member: no code
        await s.execute(update(Member).where(Member.id == cu).values(active_to=date(2026, 1, 1)))

    ready.db(leave)

    first = ready.json("invites", str(cell["id"]))
    assert [(r["member_id"], r["full_name"], r["link"]) for r in first] == [
        (dat, "Trần Đức Đạt", None), (hung, "Lê Văn Hùng", None)]
    codes = [r["code"] for r in first]
    assert all(CODE_RE.match(c) for c in codes) and len(set(codes)) == 2

    monkeypatch.setenv("CHIBO_TELEGRAM_BOT_USERNAME", "chibo_bot")
    second = ready.json("invites", "Chi bộ số 1")
    assert [r["code"] for r in second] == codes
    assert [r["link"] for r in second] == [f"https://t.me/chibo_bot?start={c}" for c in codes]

    stored = ready.db(lambda s: s.scalars(select(InviteCode).order_by(InviteCode.id)))
    assert [(i.code, i.kind, i.member_id) for i in stored] == [
        (codes[0], InviteKind.MEMBER, dat), (codes[1], InviteKind.MEMBER, hung)]

    human = ready("invites", "Chi bộ số 1").stdout
    assert f"Trần Đức Đạt: {codes[0]}  https://t.me/chibo_bot?start={codes[0]}" in human


def test_a_used_or_expired_invite_is_replaced(ready: Cli, cell, two_members):
    anh, dat = (m["id"] for m in two_members)
    old = {r["member_id"]: r["code"] for r in ready.json("invites", str(cell["id"]))}

    async def spoil(s):
        past = datetime.now(UTC) - timedelta(minutes=1)
        await s.execute(update(InviteCode).where(InviteCode.member_id == anh).values(used_at=past))
        await s.execute(update(InviteCode).where(InviteCode.member_id == dat).values(expires_at=past))

    ready.db(spoil)
    new = {r["member_id"]: r["code"] for r in ready.json("invites", str(cell["id"]))}
    assert set(new) == {anh, dat}
    assert new[anh] != old[anh] and new[dat] != old[dat]
    assert count(ready, InviteCode) == 4


def test_invites_when_everyone_is_linked(ready: Cli, cell, two_members):
    for m in two_members:
        ready.db(lambda s, i=m["id"]: _link(s, i))
    assert ready.json("invites", str(cell["id"])) == []
    assert "everyone is linked" in ready("invites", str(cell["id"])).stdout


@on_both
def test_committee_invite(ready: Cli, cell, monkeypatch):
    monkeypatch.setenv("CHIBO_TELEGRAM_BOT_USERNAME", "@chibo_bot")
    first = ready.json("committee", "invite", "1", "--name", "  Lê  Văn Cấp ")
    assert set(first) == {"committee_member_id", "full_name", "code", "link"}
    assert first["full_name"] == "Lê Văn Cấp" and CODE_RE.match(first["code"])
    assert first["link"] == f"https://t.me/chibo_bot?start={first['code']}"
    invite = ready.db(lambda s: s.scalar(select(InviteCode).where(InviteCode.code == first["code"])))
    assert (invite.kind, invite.committee_member_id, invite.member_id) == \
        (InviteKind.COMMITTEE, first["committee_member_id"], None)
    person = ready.db(lambda s: s.get(CommitteeMember, first["committee_member_id"]))
    assert (person.committee_id, person.full_name) == (1, "Lê Văn Cấp")

    # the same person again: no second person, and the code still valid is handed out again
    second = ready.json("committee", "invite", "1", "--name", "Lê Văn Cấp")
    assert second["committee_member_id"] == first["committee_member_id"] and second["code"] == first["code"]
    assert count(ready, CommitteeMember) == 1

    assert "no such committee" in ready("committee", "invite", "9", "--name", "Ai Đó", ok=False).stderr
    assert count(ready, CommitteeMember) == 1


# --- running ----------------------------------------------------------------------------------

def test_run_without_a_token_explains_how_to_get_one(ready: Cli):
    result = ready("run", ok=False)
    assert result.exit_code == 2
    assert "@BotFather" in result.stderr and "CHIBO_TELEGRAM_TOKEN" in result.stderr
    assert "create a bot with @BotFather and set CHIBO_TELEGRAM_TOKEN" in result.stderr


def test_phone_numbers_typed_as_numbers_in_excel_keep_their_leading_zero():
    from storage.member_import import _cell_text, normalize_phone

    assert normalize_phone(_cell_text(912345678.0)) == "0912345678"
    assert normalize_phone("0912 345 678") == "0912345678"
    assert normalize_phone("+84 912 345 678") == "+84912345678"
    assert normalize_phone("") is None


# Vietnamese letters no English word has: a line says something in Vietnamese if it holds one.
VIETNAMESE = re.compile(r"[ăâđêôơưàáạảãằắặẳẵầấậẩẫèéẹẻẽềếệểễìíịỉĩòóọỏõồốộổỗờớợởỡùúụủũừứựửữỳýỵỷỹ]", re.IGNORECASE)


def vietnamese_first(line: str) -> bool:
    """The operator reads Vietnamese first, as in the chat; English may follow after ' / '."""
    found = VIETNAMESE.search(line)
    return found is not None and (" / " not in line or found.start() < line.index(" / "))


def test_every_refusal_to_the_operator_is_in_vietnamese_first(ready: Cli, cell, two_members, monkeypatch):
    bad_rows = ready.file("bad.csv", EN_HEADER + "\n,,boss,maybe,perhaps,\nKhông Có,Lê Văn Tư,,,,\n")
    refusals = {  # what the operator typed: what they read (the detail too, not only the head of the line)
        ("members", "import", ready.file("empty.csv", "")): ["tệp trống"],
        ("members", "import", ready.file("cols.csv", "a,b\n1,2\n")): ["thiếu cột"],
        ("members", "import", ready.file("latin1.csv", b"cell,full_name\n1,L\xe9\n")): ["không phải văn bản UTF-8"],
        ("members", "import", bad_rows): ["Họ và tên trống", "Chi bộ trống", "chức vụ không rõ", "tình trạng không rõ",
                                          "miễn sinh hoạt phải là", "không có chi bộ 'Không Có'"],
        ("committee", "rules", "1", "--set", "nope=1"): ["không có con số 'nope'"],
        ("committee", "rules", "1", "--set", "min_regular_minutes=abc"): ["không phải / is not một số nguyên"],
        ("committee", "rules", "1", "--set", "min_regular_minutes=5"): ["ngoài khoảng"],
        ("committee", "quality", "1", "--set", "attendance=15"): ["tổng trọng số phải bằng 100"],
        ("committee", "follow", "99", "1"): ["không có cấp ủy viên #99"],
        ("db", "backup", str(ready.tmp / "chibo.db")): ["đã có, chọn tên tệp khác"],
    }
    for args, said in refusals.items():
        result = ready(*args, ok=False)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert lines and all(vietnamese_first(line) for line in lines), (args, result.output)
        assert all(words in result.output for words in said), (args, result.output)
    monkeypatch.setenv("CHIBO_QUIET_HOURS", "ban đêm")
    monkeypatch.setenv("CHIBO_REMINDER_OFSETS", "3d")
    result = ready("members", "list", "1", ok=False)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 2 and all(vietnamese_first(line) for line in lines), result.output
    assert "biến lạ CHIBO_REMINDER_OFSETS; có phải CHIBO_REMINDER_OFFSETS?" in result.output
    assert "không phải khoảng giờ như 22:00-06:00" in result.output and "Value error" not in result.output


@on_both
def test_member_status_and_suspension_for_votes(ready: Cli, cell, two_members):
    dat = two_members[1]["id"]
    assert "đảng viên dự bị" in ready("member", "status", str(dat), "du_bi").stdout
    assert ready.db(lambda s: s.get(Member, dat)).status.value == "du_bi"
    refused = ready("member", "status", str(dat), "dubi", ok=False)
    assert "chinh_thuc" in refused.stderr and f"chibo member status {dat} chinh_thuc" in refused.stderr
    assert "đảng viên chính thức" in ready("member", "status", str(dat), "chinh_thuc").stdout
    assert "đang bị đình chỉ" in ready("member", "suspend", str(dat)).stdout
    assert ready.db(lambda s: s.get(Member, dat)).suspended is True
    ready("member", "suspend", str(dat), "--clear")
    assert ready.db(lambda s: s.get(Member, dat)).suspended is False
    assert "no such member" in ready("member", "suspend", "77", ok=False).stderr
    logs = ready.db(lambda s: s.scalars(select(AuditLog).where(AuditLog.action.in_(("member_status", "suspend")))
                                        .order_by(AuditLog.id)))
    assert [(l.action, l.after) for l in logs] == [
        ("member_status", {"status": "du_bi"}), ("member_status", {"status": "chinh_thuc"}),
        ("suspend", {"suspended": True}), ("suspend", {"suspended": False})]
# --- Party dues: the amount the cell set, by file or one at a time ---------------------------------

def test_member_dues_set_by_the_operator_and_imported(ready: Cli, cell, two_members):
    dat = two_members[1]["id"]
    result = ready("member", "dues", str(dat), "30.000")
    assert "Trần Đức Đạt: đảng phí 30.000 đ/tháng" in result.stdout
    assert ready.db(lambda s: s.get(Member, dat)).dues_amount == 30000
    ready("member", "dues", str(dat), "45k")
    assert ready.db(lambda s: s.get(Member, dat)).dues_amount == 45000
    logs = ready.db(lambda s: s.scalars(select(AuditLog).where(AuditLog.action == "dues_amount").order_by(AuditLog.id)))
    assert [(l.before, l.after) for l in logs] == [({"dues_amount": None}, {"dues_amount": 30000}),
                                                   ({"dues_amount": 30000}, {"dues_amount": 45000})]
    assert "không hợp lệ" in ready("member", "dues", str(dat), "ba chục", ok=False).stderr
    assert "no such member" in ready("member", "dues", "999", "30000", ok=False).stderr

    path = ready.file("dp.csv", VI_HEADER + ",Đảng phí\n"
                      "Chi bộ số 1,Vũ Văn Hà,Đảng viên,,,,30.000\n"
                      "Chi bộ số 1,Bùi Thị Lan,Đảng viên,,,,\n")
    ready("members", "import", path)
    stored = {m.full_name: m.dues_amount for m in ready.db(lambda s: s.scalars(select(Member)))}
    assert (stored["Vũ Văn Hà"], stored["Bùi Thị Lan"]) == (30000, None)
    bad = ready.file("bad.csv", VI_HEADER + ",Đảng phí\nChi bộ số 1,Ngô Văn Tư,Đảng viên,,,,ba chục\n")
    result = ready("members", "import", bad, ok=False)
    assert "đảng phí không hợp lệ" in result.output and "Ngô Văn Tư" not in str(ready.members(cell["id"]))
