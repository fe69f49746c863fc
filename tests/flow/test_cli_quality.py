"""``chibo committee quality``: a committee's own weights, checked to add up to 100, used by the bot."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.cli.app import app


def test_a_committee_sets_and_resets_its_quality_weights(tmp_path):
    env = {"CHIBO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, result.output
        return result

    run("db", "upgrade")
    run("committee", "add", "Đảng ủy phường Hàng Bạc")
    shown = json.loads(run("committee", "quality", "1", "--json").stdout)
    assert {r["criterion"]: r["weight"] for r in shown["criteria"]}["attendance"] == 10
    assert all(r["source"] for r in shown["criteria"])

    changed = json.loads(run("committee", "quality", "1", "--set", "attendance=15", "--set", "on_time=0",
                             "--json").stdout)
    weights = {r["criterion"]: r["weight"] for r in changed["criteria"]}
    assert (weights["attendance"], weights["on_time"], sum(weights.values())) == (15, 0, 100)

    refused = run("committee", "quality", "1", "--set", "minutes=30", code=1)
    assert "100" in refused.output
    assert "ví dụ --set attendance=15" in run("committee", "quality", "1", "--set", "attendance", code=1).output
    assert run("committee", "quality", "9", code=1)
    kept = json.loads(run("committee", "quality", "1", "--json").stdout)
    assert {r["criterion"]: r["weight"] for r in kept["criteria"]}["attendance"] == 15  # the refusal wrote nothing

    reset = json.loads(run("committee", "quality", "1", "--reset", "--json").stdout)
    assert {r["criterion"]: r["weight"] for r in reset["criteria"]}["attendance"] == 10
