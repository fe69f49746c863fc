"""Reading a member list (CSV or XLSX) and writing it all or nothing."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.dues import parse_amount
from rules.names import fold
from storage.models import AuditLog, Cell, Committee, Member, MemberStatus, Role

FIELDS = ("cell", "full_name", "role", "status", "exempt", "phone", "dues", "committee")
HEADER_ALIASES = {
    "cell": "cell", "chi bo": "cell",
    "full_name": "full_name", "ho va ten": "full_name", "ho ten": "full_name",
    "role": "role", "chuc vu": "role",
    "status": "status", "tinh trang": "status",
    "exempt": "exempt", "mien sinh hoat": "exempt",
    "phone": "phone", "dien thoai": "phone", "so dien thoai": "phone",
    "sdt": "phone", "so dt": "phone",  # "SĐT", the usual short form in Vietnamese lists
    "dues": "dues", "dang phi": "dues", "muc dang phi": "dues",  # the monthly amount the cell set (VND)
    # The cell's committee (its parent in the tree), by id or name: two wards may each have a "Khu phố 1".
    "committee": "committee", "parent": "committee", "dang uy": "committee", "cap tren": "committee",
    "dang uy cap tren": "committee",
}
ROLE_WORDS = {
    "bi_thu": Role.BI_THU, "bi thu": Role.BI_THU,
    "pho_bi_thu": Role.PHO_BI_THU, "pho bi thu": Role.PHO_BI_THU,
    "chi_uy": Role.CHI_UY, "chi uy": Role.CHI_UY, "chi uy vien": Role.CHI_UY,
    "dang_vien": Role.DANG_VIEN, "dang vien": Role.DANG_VIEN, "": Role.DANG_VIEN,
}
STATUS_WORDS = {
    "chinh_thuc": MemberStatus.CHINH_THUC, "chinh thuc": MemberStatus.CHINH_THUC, "": MemberStatus.CHINH_THUC,
    "du_bi": MemberStatus.DU_BI, "du bi": MemberStatus.DU_BI,
}
YES = {"1", "yes", "y", "co", "true", "x"}
NO = {"0", "no", "n", "khong", "false", ""}
MAX_NAME = 200


def same_person_name(name: str) -> str:
    """A name as compared for duplicates: case and spacing do not matter, diacritics do
    ('Hùng' and 'Hưng', 'Tú' and 'Tư' are different people)."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


class ImportFileError(ValueError):
    """The file itself cannot be read (format, header)."""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class MemberRow:
    line: int
    cell: str
    full_name: str
    role: Role
    status: MemberStatus
    exempt: bool
    phone: str | None
    dues: int | None = None  # the monthly Party dues the cell set (VND), if the file has them
    committee: str = ""  # the cell's committee (id or name), when the file names it


def read_table(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs with canonical keys; the header is line 1."""
    rows: Sequence[Sequence[object]] = _read_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _read_csv(path)
    if not rows:
        raise ImportFileError("tệp trống / the file is empty")
    header = [HEADER_ALIASES.get(fold(str(h or "")).strip()) for h in rows[0]]
    missing = [f for f in ("cell", "full_name") if f not in header]
    if missing:
        raise ImportFileError(
            "thiếu cột / missing column(s) " + ", ".join(missing) + "; cần / expected " + ",".join(FIELDS)
            + " hoặc / or Chi bộ, Họ và tên, Chức vụ, Tình trạng, Miễn sinh hoạt, Điện thoại"
        )
    out = []
    for number, values in enumerate(rows[1:], start=2):
        cells = [_cell_text(v) for v in values]
        if not any(cells):
            continue
        out.append((number, {key: cells[i] if i < len(cells) else "" for i, key in enumerate(header) if key}))
    return out


def _cell_text(value: object) -> str:
    """A spreadsheet value as text: 912345678.0 (a phone typed as a number) reads as 912345678."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def normalize_phone(raw: str) -> str | None:
    """Digits (and a leading +) only; a Vietnamese number that lost its leading 0 in a spreadsheet
    (9 digits, as Excel stores 0912345678) gets it back."""
    phone = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
    if phone.isdigit() and len(phone) == 9 and not phone.startswith("0"):
        phone = "0" + phone
    return phone or None


def _read_csv(path: Path) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")  # with or without the BOM Excel writes
    except UnicodeDecodeError as exc:
        raise ImportFileError("tệp không phải văn bản UTF-8; lưu lại dạng 'CSV UTF-8' hoặc .xlsx / "
                              "the file is not UTF-8 text; save it as 'CSV UTF-8' or as .xlsx") from exc
    # Read as Excel and Python's csv module write: fields quoted with ", a quote inside doubled; only the
    # delimiter varies (";" from Excel in a Vietnamese or European locale, a tab from "Unicode text").
    return list(csv.reader(io.StringIO(text), csv.excel, delimiter=_delimiter(text)))


def _delimiter(text: str) -> str:
    """The delimiter of the header line: the most frequent of , ; and tab outside quotes (, if none)."""
    counts: dict[str, int] = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in text.split("\n", 1)[0]:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _read_xlsx(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(f"không mở được tệp Excel / the workbook cannot be opened ({type(exc).__name__})") from exc
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def validate(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[MemberRow], list[RowError]]:
    good, errors = [], []
    for line, row in rows:
        problems = []
        name = " ".join(row.get("full_name", "").split())
        if not name:
            problems.append("Họ và tên trống / full name is missing")
        elif len(name) > MAX_NAME:
            problems.append(f"họ tên dài quá {MAX_NAME} ký tự / full name longer than {MAX_NAME} characters")
        cell = row.get("cell", "").strip()
        if not cell:
            problems.append("Chi bộ trống / cell is missing")
        role = ROLE_WORDS.get(fold(row.get("role", "")).strip())
        if role is None:
            problems.append(f"chức vụ không rõ / unknown role '{row.get('role')}' (bi_thu, pho_bi_thu, chi_uy, dang_vien)")
        status = STATUS_WORDS.get(fold(row.get("status", "")).strip())
        if status is None:
            problems.append(f"tình trạng không rõ / unknown status '{row.get('status')}' (chinh_thuc, du_bi)")
        exempt_word = fold(row.get("exempt", "")).strip()
        if exempt_word not in YES | NO:
            problems.append(f"miễn sinh hoạt phải là có/không, 1/0 / exempt must be 1/0, yes/no or có/không, "
                            f"not '{row.get('exempt')}'")
        phone = normalize_phone(row.get("phone", ""))
        dues_text = row.get("dues", "").strip()
        dues = parse_amount(dues_text) if dues_text else None
        if dues_text and dues is None:
            problems.append(f"đảng phí không hợp lệ / dues not an amount '{dues_text}' (30000, 30.000, 30k)")
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
        else:
            assert role is not None and status is not None  # each one missing is a problem above
            good.append(MemberRow(line, cell, name, role, status, exempt_word in YES, phone, dues,
                                  " ".join(row.get("committee", "").split())))
    return good, errors


async def resolve_cells(session: AsyncSession, rows: list[MemberRow]) -> tuple[dict[tuple[str, str], Cell],
                                                                            list[RowError]]:
    """Each row's cell by (cell, committee) as the file gives them: a cell id, or a cell name, narrowed to the
    committee the row names (its id or exact name) when it names one."""
    cells = list(await session.scalars(select(Cell)))
    committees = list(await session.scalars(select(Committee)))
    committee_ids = {str(c.id): c.id for c in committees}
    for committee in committees:
        committee_ids.setdefault(committee.name, committee.id)
    by_id = {str(c.id): c for c in cells}
    by_name: dict[str, list[Cell]] = {}
    for c in cells:
        by_name.setdefault(c.name, []).append(c)
    found, errors = {}, []
    for r in rows:
        key = (r.cell, r.committee)
        named = by_name.get(r.cell, [])
        if r.committee:
            if r.committee not in committee_ids:
                errors.append(RowError(r.line, f"không có đảng ủy '{r.committee}' (ID hoặc đúng tên) / unknown "
                                                f"committee '{r.committee}' (give its id or exact name)"))
                continue
            named = [c for c in named if c.committee_id == committee_ids[r.committee]]
        if r.cell in by_id and (not r.committee or by_id[r.cell].committee_id == committee_ids[r.committee]):
            found[key] = by_id[r.cell]
        elif len(named) == 1:
            found[key] = named[0]
        elif len(named) > 1:
            errors.append(RowError(r.line, f"nhiều chi bộ tên '{r.cell}', dùng ID hoặc thêm cột đảng ủy / cell name "
                                            f"'{r.cell}' is ambiguous; use the cell id or add a committee column"))
        else:
            where = f" thuộc đảng ủy '{r.committee}' / under '{r.committee}'" if r.committee else ""
            errors.append(RowError(r.line, f"không có chi bộ '{r.cell}'{where} (ID hoặc đúng tên) / unknown cell "
                                            f"'{r.cell}' (give a cell id or its exact name)"))
    return found, errors


async def import_members(session: AsyncSession, path: Path, today: date, now: datetime) -> tuple[int, list[RowError]]:
    """Import every row or none. Returns (members written, errors)."""
    table = read_table(path)
    rows, errors = validate(table)
    cells, cell_errors = await resolve_cells(session, rows)
    errors += cell_errors
    seen: dict[tuple[int, str, str | None], int] = {}
    existing = {
        (m.cell_id, same_person_name(m.full_name), m.phone)
        for m in await session.scalars(select(Member).where(Member.active_to.is_(None)))
    }
    for r in rows:
        cell = cells.get((r.cell, r.committee))
        if cell is None:
            continue
        key = (cell.id, same_person_name(r.full_name), r.phone)
        if key in seen:
            errors.append(RowError(r.line, f"trùng dòng {seen[key]} / duplicate of line {seen[key]}: {r.full_name}"))
        elif key in existing:
            errors.append(RowError(r.line, f"{r.full_name} đã là đảng viên của / is already a member of {cell.name}"))
        seen.setdefault(key, r.line)
    if errors:
        return 0, sorted(errors, key=lambda e: e.line)
    for r in rows:
        session.add(Member(
            cell_id=cells[r.cell, r.committee].id, full_name=r.full_name, role=r.role, status=r.status, phone=r.phone,
            exempt=r.exempt, exempt_reason="(nhập từ danh sách)" if r.exempt else None,
            exempt_since=today if r.exempt else None, active_from=today, created_at=now, dues_amount=r.dues,
        ))
    session.add(AuditLog(actor="operator", action="import_members", entity="member", entity_id=None,
                         before=None, after={"count": len(rows), "file": path.name}, at=now))
    return len(rows), []
