"""The tree of committees set up with the CLI, as an operator does: a city over a district over two wards,
moves, cycles refused, rules and quality weights inherited down the tree (and where each value comes
from), and the member import telling apart two wards' cells of the same name. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.committees import find_units, inherited, rules_for, subtree
from storage.models import AuditLog, Cell, Committee, Member
from tests.flow import test_cli
from tests.flow.test_cli import Cli, on_both

cli, migrated_sqlite, ready = test_cli.cli, test_cli.migrated_sqlite, test_cli.ready


def tree(ready: Cli) -> dict[str, int]:
    city = ready.json("committee", "add", "Thành ủy Thử Nghiệm")["id"]
    district = ready.json("committee", "add", "Quận ủy Ba Đình", "--parent", str(city))
    assert district["parent_id"] == city
    ward_a = ready.json("committee", "add", "Đảng ủy phường Điện Biên", "--parent", str(district["id"]))["id"]
    ward_b = ready.json("committee", "add", "Đảng ủy phường Kim Mã", "--parent", str(district["id"]))["id"]
    ids = {"city": city, "district": district["id"], "ward_a": ward_a, "ward_b": ward_b}
    for ward in ("ward_a", "ward_b"):  # the same cell name in both wards, as real wards have
        ready("cell", "add", "Chi bộ khu phố 1", "--committee", str(ids[ward]))
    return ids


@on_both
def test_add_under_a_parent_move_and_refuse_a_cycle(ready: Cli):
    ids = tree(ready)
    assert "under" in ready("committee", "add", "Đảng ủy X", "--parent", str(ids["ward_a"])).output
    refused = ready("committee", "add", "Đảng ủy Y", "--parent", "999", ok=False)
    assert "#999" in refused.output and "chibo committee tree" in refused.output

    shown = ready("committee", "tree").output.splitlines()
    assert shown[0].startswith(f"#{ids['city']} Thành ủy")
    assert shown[1].startswith("  #") and "Quận ủy Ba Đình" in shown[1]
    assert any(line.startswith("    #") and "Kim Mã (1 chi bộ" in line for line in shown)

    # A cycle: the city under its own ward, or a committee under itself. Refused, nothing changed.
    for committee, parent in ((ids["city"], ids["ward_a"]), (ids["district"], ids["district"])):
        result = ready("committee", "move", str(committee), "--parent", str(parent), ok=False)
        assert "cycle" in result.output and "vòng" in result.output
    assert "--parent ID" in ready("committee", "move", str(ids["ward_a"]), ok=False).output

    moved = ready.json("committee", "move", str(ids["ward_b"]), "--parent", str(ids["city"]))
    assert moved["parent_id"] == ids["city"]

    async def check(session):
        below_district = await subtree(session, ids["district"])
        below_city = await subtree(session, ids["city"])
        parents = {c.id: c.parent_id for c in await session.scalars(select(Committee))}
        audit = [a.after for a in await session.scalars(select(AuditLog).where(AuditLog.action == "move"))]
        return below_district, below_city, parents, audit

    below_district, below_city, parents, audit = ready.db(check)
    assert ids["ward_b"] not in below_district and ids["ward_a"] in below_district
    assert {ids["ward_a"], ids["ward_b"], ids["district"], ids["city"]} <= below_city
    assert parents[ids["city"]] is None and parents[ids["district"]] == ids["city"]
    assert audit == [{"parent_id": ids["city"]}]
    top = ready.json("committee", "move", str(ids["ward_b"]), "--top")
    assert top["parent_id"] is None


@on_both
def test_rules_set_above_apply_below_unless_set_lower_and_say_where_they_come_from(ready: Cli):
    ids = tree(ready)
    ready("committee", "rules", str(ids["city"]), "--set", "min_regular_minutes=100", "--set", "attendance_target=80%")
    ready("committee", "rules", str(ids["district"]), "--set", "attendance_target=85%")
    ready("committee", "rules", str(ids["ward_b"]), "--set", "min_regular_minutes=120")

    ward_a = ready.json("committee", "rules", str(ids["ward_a"]))
    assert ward_a["min_regular_minutes"]["value"] == 100
    assert ward_a["min_regular_minutes"]["source"] == {"id": ids["city"], "name": "Thành ủy Thử Nghiệm"}
    assert ward_a["attendance_target"]["value"] == pytest.approx(0.85)
    assert ward_a["attendance_target"]["source"]["id"] == ids["district"]
    assert ward_a["late_after_minutes"]["source"] is None and not ward_a["min_regular_minutes"]["overridden"]
    ward_b = ready.json("committee", "rules", str(ids["ward_b"]))
    assert ward_b["min_regular_minutes"]["value"] == 120 and ward_b["min_regular_minutes"]["overridden"]
    human = ready("committee", "rules", str(ids["ward_a"])).output
    assert f"theo / from #{ids['city']} Thành ủy Thử Nghiệm" in human and "mặc định / default" in human
    assert "đặt riêng / set here" in ready("committee", "rules", str(ids["ward_b"])).output

    # The quality weights likewise: set on the district, used by both wards; a ward sets its own.
    ready("committee", "quality", str(ids["district"]), "--set", "attendance=15", "--set", "on_time=0")
    shown = ready.json("committee", "quality", str(ids["ward_a"]))
    assert {r["criterion"]: r["weight"] for r in shown["criteria"]}["attendance"] == 15
    assert shown["weights_from"] == {"id": ids["district"], "name": "Quận ủy Ba Đình"}
    assert "Quận ủy Ba Đình" in ready("committee", "quality", str(ids["ward_a"])).output

    async def applied(session):
        return (await rules_for(session, ids["ward_a"]), await rules_for(session, ids["ward_b"]),
                (await inherited(session, ids["ward_b"])).quality_weights)

    rules_a, rules_b, weights_b = ready.db(applied)  # what the flows and the reports use
    assert (rules_a.min_regular_minutes, rules_a.attendance_target) == (100, 0.85)
    assert (rules_b.min_regular_minutes, rules_b.attendance_target) == (120, 0.85)
    assert weights_b["attendance"] == 15

    # Cleared on the district: the city's value comes back below it.
    ready("committee", "rules", str(ids["district"]), "--clear", "attendance_target")
    again = ready.json("committee", "rules", str(ids["ward_a"]))
    assert again["attendance_target"]["value"] == pytest.approx(0.80)
    assert again["attendance_target"]["source"]["id"] == ids["city"]


@on_both
def test_the_import_tells_apart_two_wards_cells_of_the_same_name_by_their_committee(ready: Cli):
    ids = tree(ready)
    ambiguous = ready.file("a.csv", "cell,full_name\nChi bộ khu phố 1,Nguyễn Văn An\n")
    refused = ready("members", "import", ambiguous, ok=False)
    assert "ambiguous" in refused.output and "committee column" in refused.output

    good = ready.file("b.csv", "Đảng ủy,Chi bộ,Họ và tên\n"
                      f"Đảng ủy phường Kim Mã,Chi bộ khu phố 1,Nguyễn Văn An\n"
                      f"{ids['ward_a']},Chi bộ khu phố 1,Trần Thị Bình\n")
    assert "2" in ready("members", "import", good).output
    unknown = ready.file("c.csv", "committee,cell,full_name\nPhường Không Có,Chi bộ khu phố 1,Lê Văn Cường\n"
                         "Quận ủy Ba Đình,Chi bộ khu phố 1,Lê Văn Dũng\n")
    result = ready("members", "import", unknown, ok=False)
    assert "line 2" in result.output and "Phường Không Có" in result.output
    assert "line 3" in result.output and "under 'Quận ủy Ba Đình'" in result.output

    async def where(session):
        rows = await session.execute(select(Member.full_name, Cell.committee_id).join(Cell, Cell.id == Member.cell_id))
        return dict(rows.all())

    assert ready.db(where) == {"Nguyễn Văn An": ids["ward_b"], "Trần Thị Bình": ids["ward_a"]}


@on_both
def test_a_unit_is_found_by_name_with_or_without_diacritics_nearest_first(ready: Cli):
    ids = tree(ready)

    async def find(session):
        return ([u.id for u in await find_units(session, ids["district"], "dang uy phuong kim ma")],
                [u.kind for u in await find_units(session, ids["district"], "CHI BỘ KHU PHỐ 1")],
                await find_units(session, ids["ward_a"], "Đảng ủy phường Kim Mã"),
                [u.id for u in await find_units(session, ids["city"], "Đảng ủy phường Điện Biên")])

    by_folded, both_cells, beside, deep = ready.db(find)
    assert by_folded == [ids["ward_b"]]
    assert both_cells == ["cell", "cell"]  # one in each ward: the caller asks which
    assert beside == []  # a ward never finds the ward beside it
    assert deep == [ids["ward_a"]]  # two levels down, when nothing directly below has the name


@on_both
def test_a_district_member_may_follow_its_wards_cells_a_ward_member_not_the_other_wards(ready: Cli):
    ids = tree(ready)
    district_person = ready.json("committee", "invite", str(ids["district"]), "--name", "Lâm Thị Quận")
    ward_person = ready.json("committee", "invite", str(ids["ward_a"]), "--name", "Đào Văn Phường")

    async def cells(session):
        return {c.committee_id: c.id for c in await session.scalars(select(Cell))}

    by_committee = ready.db(cells)
    followed = ready.json("committee", "follow", str(district_person["committee_member_id"]),
                          str(by_committee[ids["ward_a"]]), str(by_committee[ids["ward_b"]]))
    assert [c["id"] for c in followed["cells"]] == sorted([by_committee[ids["ward_a"]], by_committee[ids["ward_b"]]])
    refused = ready("committee", "follow", str(ward_person["committee_member_id"]), str(by_committee[ids["ward_b"]]),
                    ok=False)
    assert "another committee's cell" in refused.output


@on_both
def test_the_operator_rates_a_wards_cell_below_a_district_by_its_id(ready: Cli):
    """``chibo committee rate`` takes any cell, at any depth: two wards' cells of one name are told apart by id."""
    import json

    ids = tree(ready)
    ward_b_cell = ready.db(lambda s: s.scalar(select(Cell.id).where(Cell.committee_id == ids["ward_b"])))
    assert "ID" in ready("committee", "rate", "Chi bộ khu phố 1", "2026", "kem", "--reason", "Chưa họp", ok=False).output
    rated = ready.json("committee", "rate", str(ward_b_cell), "2026", "kem", "--reason", "Chưa họp")
    assert (rated["cell"], rated["level"]) == ("Chi bộ khu phố 1", "kem")

    def levels(committee: int) -> list[str | None]:
        shown = json.loads(ready("report", "period", "--committee", str(committee), "--period", "2026", "--json").stdout)
        return [c["level"] for c in shown["cells"]]

    assert levels(ids["ward_b"]) == ["kem"] and levels(ids["ward_a"]) == [None]
    assert sorted(levels(ids["district"]), key=str) == [None, "kem"]  # the district's year: both wards' cells
