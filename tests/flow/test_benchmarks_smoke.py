"""The benchmark suite runs end to end at tiny sizes and writes figures of the right shape.

Only the shape and the sanity of the figures are checked (positive numbers, nothing lost or sent
twice), never how fast: timings belong to ``python -m benchmarks``, not to unit tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from numbers import Number
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.conftest import PG_URL

REPO = Path(__file__).resolve().parents[2]
CHECKIN_KEYS = {"chibo_per_s", "bare_per_s", "ratio", "p50_ms", "p99_ms"}


def positive(value) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool) and value > 0


def run_benchmarks(tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "figures.json"
    cmd = [sys.executable, "-m", "benchmarks", "--quick", "--cells", "20", "--checkins", "20", "--fanout", "50",
           "--report-cells", "6", "--report-asks", "2", "--district-wards", "2", "--district-cells", "6",
           "--presses", "20", "--press-reminders", "40",
           # the several-process fan-out spawns chibo processes: tests/postgres/test_multiprocess.py runs the same measure
           "--only", "checkin,presses,fanout,summary,web,district,idle,report_latency", "--json", str(out)]
    if PG_URL:  # the benchmarks' own database beside the tests' one (named after it, so that two runs on
        # one server, each with its own test database, never share it)
        url = make_url(PG_URL)
        cmd += ["--postgres-url", url.set(database=f"{url.database}_bench").render_as_string(hide_password=False)]
    else:
        cmd += ["--no-postgres"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIBO_")}
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)  # eight parts now
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done, json.loads(out.read_text())


def test_tiny_run_writes_every_figure(tmp_path):
    done, figures = run_benchmarks(tmp_path)

    assert {"checkin", "fanout", "summary", "idle_rss_mb", "machine"} <= figures.keys()
    assert figures["run"]["errors"] == []
    kinds = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
    for kind in kinds:
        checkin = figures["checkin"][kind]
        assert checkin.keys() >= CHECKIN_KEYS, kind
        assert all(positive(checkin[key]) for key in CHECKIN_KEYS), (kind, checkin)
        assert checkin["p50_ms"] <= checkin["p99_ms"]
        assert checkin["chibo"]["answered"] == checkin["chibo"]["written"] == 20  # every check-in stored and answered
        assert checkin["chibo"]["wrong_answers"] == 0 and checkin["bare"]["answered"] == 20
    if not PG_URL:
        assert "skipped" in figures["checkin"]["postgresql"]

    fanout = figures["fanout"]
    assert {"messages", "seconds", "ideal_seconds", "ratio", "http_429", "duplicates", "lost"} <= fanout.keys()
    assert fanout["messages"] == 50
    assert all(positive(fanout[key]) for key in ("seconds", "ideal_seconds", "ratio"))
    assert fanout["http_429"] == 0  # the pacer keeps under the fake Bot API's limits
    assert fanout["duplicates"] == 0 and fanout["lost"] == 0 and fanout["unsent_rows"] == 0

    summary = figures["summary"]
    assert summary["cells"] == 20 and summary["one_committee_cells"] == 20
    assert all(positive(summary[key]) for key in ("one_committee_s", "all_committees_s", "peak_rss_mb"))

    web = figures["web"]  # the web view's pages over HTTP, on the same generated committee
    assert web["cells"] == 20 and all(positive(web[f"{page}_s"]) for page in ("committee_page", "cell_page"))

    district = figures["district"]  # a district's pages and workbook on PostgreSQL, beside its weekly summary
    if PG_URL:
        assert district["wards"] == 2 and district["cells"] == 6 and district["database"]["committees"] == 3
        assert all(positive(district[f"{key}_s"]) for key in ("month_page", "year_page", "year_workbook", "weekly"))
        assert district["year_workbook_bytes"] > 0
    else:
        assert "skipped" in district

    presses = figures["presses"]  # check-in buttons pressed during a reminder burst, on PostgreSQL
    if PG_URL:
        assert presses["presses"] == presses["acknowledged"] == presses["written"] == 20, presses
        assert presses["http_429"] == 0 and presses["messages_sent_meanwhile"] > 0
        assert 0 < presses["ack_p50_s"] <= presses["ack_p99_s"] <= presses["ack_max_s"]
    else:
        assert "skipped" in presses

    for kind in kinds:  # a committee's /baocao, and another member's /huongdan meanwhile
        busy = figures["report_latency"][kind]
        assert busy["cells"] == 6 and busy["asks"] == busy["answered"] == 2 and busy["wrong_answers"] == 0
        assert all(positive(busy[key]) for key in ("help_p50_s", "help_max_s", "report_first_answer_s")), busy
        assert busy["report_unsent"] == 0 and busy["report_delivered_s"] >= busy["report_first_answer_s"]
    if not PG_URL:
        assert "skipped" in figures["report_latency"]["postgresql"]

    assert positive(figures["idle_rss_mb"])
    machine = figures["machine"]
    assert {"cpu", "cores", "memory_mb", "python", "os"} <= machine.keys() and positive(machine["cores"])

    # The table says the same, with a mark per target.
    assert "chibo / bare" in done.stdout and "ideal / actual" in done.stdout and "quick run took" in done.stdout
    assert "/huongdan p50 / p99 / max" in done.stdout
