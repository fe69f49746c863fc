"""A committee's rule overrides: every RuleSet figure has its column and its CLI, and they stay in step."""

from __future__ import annotations

from dataclasses import fields

import pytest
from sqlalchemy import select

from rules.ruleset import LIMITS, RuleSet, parse_override
from storage.models import AuditLog, Committee
from tests.flow import test_cli
from tests.flow.test_cli import Cli

cli, migrated_sqlite, ready = test_cli.cli, test_cli.migrated_sqlite, test_cli.ready
NOT_RULES = {"id", "name", "parent_id", "created_at", "quality_weights",  # the weights have their own command
             "telegram_bot"}  # which Telegram bot serves the committee: not a rule figure


def test_every_ruleset_figure_has_a_committee_column_and_a_limit_and_nothing_else_does():
    figures = {f.name for f in fields(RuleSet)}
    columns = {c.name for c in Committee.__table__.columns} - NOT_RULES
    assert figures == columns, "a RuleSet figure without its override column (or a column without a figure)"
    assert figures == set(LIMITS)
    for f in fields(RuleSet):
        low, high, _ = LIMITS[f.name]
        assert low <= f.default <= high, f.name
        nullable = Committee.__table__.columns[f.name].nullable
        assert nullable, f"{f.name}: NULL must mean 'the default'"


@pytest.mark.parametrize(("name", "text", "value"), [
    ("min_regular_minutes", "100", 100),
    ("attendance_target", "0.85", 0.85),
    ("attendance_target", "85%", 0.85),
    ("attendance_target", "0,8", 0.8),
    ("late_after_minutes", "0", 0),
    ("unexcused_warn_at", "1", 1),
])
def test_parse_override_accepts(name, text, value):
    assert parse_override(name, text) == pytest.approx(value)


@pytest.mark.parametrize(("name", "text", "says"), [
    ("min_regular_minutes", "ninety", "whole number"),
    ("min_regular_minutes", "10", "outside 30–480"),
    ("attendance_target", "90", "outside 0.5–1"),
    ("attendance_target", "lots", "0.9 or 90%"),
    ("unexcused_warn_at", "4", "outside 1–3"),
    ("min_minutes", "90", "unknown figure"),
])
def test_parse_override_refuses_saying_what_to_type(name, text, says):
    with pytest.raises(ValueError, match=says):
        parse_override(name, text)


def test_set_show_and_clear_a_committees_figures_with_the_cli(ready: Cli):
    committee = ready.json("committee", "add", "Đảng ủy phường")["id"]
    shown = ready.json("committee", "rules", str(committee))
    assert {name: f["value"] for name, f in shown.items()} == {f.name: f.default for f in fields(RuleSet)}
    assert not any(f["overridden"] for f in shown.values())

    changed = ready.json("committee", "rules", str(committee), "--set", "min_regular_minutes=100",
                         "--set", "attendance_target=85%", "--set", "excused_streak_over=2")
    assert changed["min_regular_minutes"] == {"value": 100, "default": 90, "overridden": True,
                                              "source": {"id": committee, "name": "Đảng ủy phường"}}
    assert changed["attendance_target"]["value"] == pytest.approx(0.85)
    assert changed["excused_streak_over"]["value"] == 2 and not changed["late_after_minutes"]["overridden"]

    async def row(session):
        c = await session.get(Committee, committee)
        audit = list(await session.scalars(select(AuditLog).where(AuditLog.action == "rules")))
        return RuleSet.from_overrides(c), audit

    rules, audit = ready.db(row)
    assert (rules.min_regular_minutes, rules.excused_streak_over) == (100, 2)  # what the flows and reports use
    assert audit and audit[0].before["min_regular_minutes"] is None and audit[0].after["min_regular_minutes"] == 100

    human = ready("committee", "rules", str(committee)).output
    assert "min_regular_minutes" in human and "100" in human and "mặc định 90" in human

    cleared = ready.json("committee", "rules", str(committee), "--clear", "min_regular_minutes")
    assert cleared["min_regular_minutes"] == {"value": 90, "default": 90, "overridden": False, "source": None}
    assert cleared["excused_streak_over"]["overridden"]
    everything = ready.json("committee", "rules", str(committee), "--clear", "all")
    assert not any(f["overridden"] for f in everything.values())


def test_a_bad_figure_changes_nothing(ready: Cli):
    committee = ready.json("committee", "add", "Đảng ủy phường")["id"]
    result = ready("committee", "rules", str(committee), "--set", "min_regular_minutes=100",
                   "--set", "attendance_target=120%", ok=False)
    assert "attendance_target" in result.output and "0.5–1" in result.output
    assert not ready.json("committee", "rules", str(committee))["min_regular_minutes"]["overridden"]
    assert "figure=value" in ready("committee", "rules", str(committee), "--set", "100", ok=False).output
    assert "unknown figure" in ready("committee", "rules", str(committee), "--clear", "nope", ok=False).output
    assert "no such committee" in ready("committee", "rules", "999", ok=False).output
