"""The city's month (``python -m benchmarks city``) runs end to end at a tiny scale and keeps its promises there:
every reminder sent before its time, none dropped, no 429, nothing left unsent, and the figures of the table
(the Zalo month among them). How fast is the benchmark's to say, not this test's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, needs_postgres

REPO = Path(__file__).resolve().parents[2]
SCALE = 0.0005  # 10 cells, 200 members, 600 reminders


@needs_postgres
def test_a_tiny_city_month_sends_every_reminder_in_time(tmp_path):
    assert PG_URL is not None  # needs_postgres
    url = make_url(PG_URL)
    out = tmp_path / "city.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIBO_")}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "city", "--scale", str(SCALE), "--json", str(out), "--postgres-url",
         url.set(database=f"{url.database}_city").render_as_string(hide_password=False)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    city = json.loads(out.read_text())

    assert city["city"]["cells"] == 10 and city["city"]["members"] == 200
    assert city["reminders"] == city["reminders_sent"] == 600  # 3 offsets x 200 members
    assert city["reminders_dropped"] == city["late_reminders"] == city["http_429"] == city["unsent_rows"] == 0
    assert city["lateness_max_s"] <= 0 and 0 < city["earliest_share_of_offset"] <= 0.25
    assert city["checkin_answers"] == 200 and city["messages_sent"] >= 600 + 200
    assert city["zalo_sent"] > 0 and city["zalo_sent_full_city"] == round(city["zalo_sent"] / SCALE)
    assert city["zalo_bots_for_quota"] == -(-city["zalo_sent_full_city"] // city["zalo_monthly_quota"])
    assert city["weekly"]["committees"] >= 1
    assert "Zalo: the meetings' messages of a month" in done.stdout and "429 answers" in done.stdout
