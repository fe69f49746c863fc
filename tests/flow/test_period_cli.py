"""``chibo report period`` and ``chibo committee rate``: a committee's period from the command line, and the
yearly level set by the operator, audited like the committee's own decisions on the web (tests/flow/test_period.py).

A past year (2025) keeps the test independent of the day it runs: its months are all over."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select, update

from storage.models import Cell, CellYearRating, Meeting, MeetingKind
from tests.flow.test_cli import Cli, cli, migrated_sqlite, on_both, ready  # noqa: F401  (fixtures)


@on_both
def test_the_operator_reports_a_year_and_rates_a_cell(ready: Cli, tmp_path):  # noqa: F811
    def run(*args: str, code: int = 0):
        return ready(*args, ok=code == 0)

    run("committee", "add", "Đảng ủy phường Hàng Bạc")
    run("cell", "add", "Chi bộ số 1", "--committee", "1")
    run("cell", "add", "Chi bộ số 2", "--committee", "1")

    async def history(session):
        # Both cells on chibo since 1 January 2025; cell 1 met every month but two, cell 2 in January only.
        await session.execute(update(Cell).values(created_at=datetime(2024, 12, 31, 17, 0, tzinfo=UTC)))
        for cell_id, months in ((1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), (2, [1])):
            for month in months:
                start = datetime(2025, month, 5, 12, 30, tzinfo=UTC)
                session.add(Meeting(cell_id=cell_id, kind=MeetingKind.THUONG_KY, period=f"2025-{month:02d}",
                                    scheduled_at=start, started_at=start, ended_at=start.replace(hour=14, minute=10),
                                    created_at=start))

    ready.db(history)
    shown = json.loads(run("report", "period", "--committee", "1", "--period", "2025", "--out",
                           str(tmp_path / "nam.xlsx"), "--json").stdout)
    cells = {c["cell"]: c for c in shown["cells"]}
    assert shown["period"] == "2025"
    assert (cells["Chi bộ số 1"]["held"], cells["Chi bộ số 1"]["months"]) == (10, 12)
    assert cells["Chi bộ số 1"]["missed"] == ["2025-11", "2025-12"]
    assert cells["Chi bộ số 1"]["proposed"] == "trung_binh"  # two months missed: not Khá; none assessed
    assert cells["Chi bộ số 2"]["proposed"] == "kem" and len(cells["Chi bộ số 2"]["missed"]) == 11
    wb = load_workbook(tmp_path / "nam.xlsx")
    assert wb.sheetnames == ["Tổng hợp", "Đảng ủy phường Hàng Bạc", "Thường kỳ theo tháng"]
    assert wb["Thường kỳ theo tháng"].max_row == 1 + 2 * 12  # each cell's twelve months
    quarter = json.loads(run("report", "period", "--committee", "1", "--period", "2025-Q4", "--json").stdout)
    assert {c["cell"]: c["missed"] for c in quarter["cells"]}["Chi bộ số 1"] == ["2025-11", "2025-12"]

    # Refusals say what to type, and write nothing.
    assert "2026-Q4" in run("report", "period", "--committee", "1", "--period", "quý 4", code=1).output
    assert "--reason" in run("committee", "rate", "Chi bộ số 1", "2025", "kha", code=1).output
    assert "trung_binh" in run("committee", "rate", "1", "2025", "xuất sắc", code=1).output
    assert run("committee", "rate", "Chi bộ số 9", "2025", "kem", code=1)

    changed = json.loads(run("committee", "rate", "Chi bộ số 1", "2025", "kha", "--reason",
                             "Họp bù tháng 11 và 12 ngoài chibo", "--json").stdout)
    assert (changed["level"], changed["previous"], changed["proposed"]) == ("kha", None, "trung_binh")
    confirmed = json.loads(run("committee", "rate", "2", "2025", "Kém", "--json").stdout)  # the proposal: no reason needed
    assert (confirmed["level"], confirmed["previous"]) == ("kem", None)
    again = json.loads(run("committee", "rate", "1", "2025", "trung bình", "--json").stdout)
    assert again["previous"] == "kha"

    async def audit(session):
        return [(r.cell_id, r.year, r.previous_level, r.level, r.proposed_level, r.actor, r.reason)
                for r in await session.scalars(select(CellYearRating).order_by(CellYearRating.id))]

    assert ready.db(audit) == [
        (1, 2025, None, "kha", "trung_binh", "operator", "Họp bù tháng 11 và 12 ngoài chibo"),
        (2, 2025, None, "kem", "kem", "operator", None),
        (1, 2025, "kha", "trung_binh", "trung_binh", "operator", None)]
    rated = json.loads(run("report", "period", "--committee", "1", "--period", "2025", "--json").stdout)
    assert {c["cell"]: c["level"] for c in rated["cells"]} == {"Chi bộ số 1": "trung_binh", "Chi bộ số 2": "kem"}

    # Under a district: the district's year workbook has one sheet per level of the tree.
    run("committee", "add", "Quận ủy Hoàn Kiếm")
    run("cell", "add", "Chi bộ cơ quan quận", "--committee", "2")
    run("committee", "move", "1", "--parent", "2")
    run("report", "period", "--committee", "2", "--period", "2025", "--out", str(tmp_path / "quan.xlsx"))
    district = load_workbook(tmp_path / "quan.xlsx")
    assert district.sheetnames == ["Tổng hợp", "Đơn vị trực thuộc", "Chi bộ", "Thường kỳ theo tháng"]
    units = [row[:4] for row in district["Đơn vị trực thuộc"].iter_rows(min_row=2, values_only=True)]
    assert units == [("Đảng ủy phường Hàng Bạc", 2, 24, 11), ("Chi bộ trực thuộc Quận ủy Hoàn Kiếm", 1, 0, 0)]
    assert {row[0]: row[1] for row in district["Chi bộ"].iter_rows(min_row=2, values_only=True)} == {
        "Chi bộ số 1": "Đảng ủy phường Hàng Bạc", "Chi bộ số 2": "Đảng ủy phường Hàng Bạc",
        "Chi bộ cơ quan quận": "Chi bộ trực thuộc Quận ủy Hoàn Kiếm"}
