"""``python -m benchmarks [--quick] [--json FILE]``: run every measure, print a table, save figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks import busy_report, checkin, district, fanout, fanout_processes, idle, presses, summary, web
from benchmarks.common import DEFAULT_POSTGRES_URL, machine_info, postgres_ready, python_speed, rounded, sqlite_url
from benchmarks.report import render_table

FULL = {"checkins": 2000, "fanout": 5000, "cells": 10_000, "settle": 300.0, "fanout_processes": 3000,
        "report_cells": 300, "report_asks": 20, "city_scale": 0.1, "district_wards": 30, "district_cells": 2000,
        "presses": 4170, "presses_per_s": presses.PEAK_PER_S, "press_reminders": 3000}
QUICK = {"checkins": 300, "fanout": 500, "cells": 600, "settle": 30.0, "fanout_processes": 300,
         "report_cells": 60, "report_asks": 10, "city_scale": 0.01, "district_wards": 5, "district_cells": 200,
         "presses": 300, "presses_per_s": 30.0, "press_reminders": 300}
TARGETS = {
    "checkin_vs_one_insert": 1.0,  # chibo's check-ins / a bare bot's that write one row each (#12)
    "checkin_vs_bare_postgresql": 0.5,  # chibo's check-ins on PostgreSQL / a bare bot's that only reply (#12)
    "fanout_ratio": 0.95,
    "one_committee_s": 0.3,  # one 300-cell committee's weekly summary (#23)
    "all_committees_s": 30.0,
    "peak_rss_mb": 300.0,
    "web_page_s": 0.3,
    "busy_answer_s": 1.0,
    "district_page_s": 2.0,  # a district's pages and its year workbook on PostgreSQL (#22)
    "press_ack_p99_s": 5.0,  # a check-in button press acknowledged (answerCallbackQuery) at a city's peak (#23)
}
CHECKIN_NOW = datetime(2026, 12, 5, 19, 35, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # 5 minutes into the meetings
PARTS = ("checkin", "presses", "fanout", "processes", "summary", "web", "district", "idle", "report_latency", "city")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, same measures (under two minutes)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--postgres-url", default=os.environ.get("CHIBO_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
                        help="PostgreSQL database for the check-in measure (created if missing, emptied)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL check-in measure")
    parser.add_argument("--only", help="comma-separated subset of: " + ", ".join(PARTS))
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="profile chibo's check-ins with pyinstrument into DIR (slows them down)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the generated databases in DIR")
    # Hidden: sizes, for the smoke test and for trying things out.
    parser.add_argument("--checkins", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fanout", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cells", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fanout-processes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--settle-timeout", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--report-cells", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--report-asks", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--city-scale", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--presses", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--press-reminders", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--district-wards", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--district-cells", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _part(name: str, errors: list[str], fn):
    """Run one measure; a failure is reported (and the run goes on) rather than hiding the others."""
    try:
        return fn()
    except Exception as exc:  # reported in the table and the JSON
        traceback.print_exc()
        errors.append(f"{name}: {type(exc).__name__}: {exc}"[:500])
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}


def _processes(args: argparse.Namespace, count: int, work: Path, errors: list[str]) -> dict:
    """Fan-out with two and three chibo processes on one PostgreSQL database, and a kill -9 of the
    active sender part-way (real subprocesses; the benchmark database is emptied before each)."""
    if args.no_postgres:
        return {"skipped": "--no-postgres"}
    results: dict = {}
    for name, processes, kill_at in (("two", 2, None), ("three", 3, None), ("two_kill_9", 2, count // 4)):
        note = asyncio.run(postgres_ready(args.postgres_url))
        if note:
            return {"skipped": note}
        print(f"fan-out with {processes} processes: {count} reminders" + (" (kill -9 of the sender)" if kill_at else ""),
              flush=True)
        results[name] = _part(f"fanout {name}", errors, lambda p=processes, k=kill_at, n=name: asyncio.run(
            fanout_processes.measure(args.postgres_url, count, p, work / n, kill_active_at=k)))
    return results


def _report_latency(args: argparse.Namespace, sizes: dict, data: Path, work: Path, errors: list[str]) -> dict:
    """A committee's /baocao delivered while another member asks /huongdan: SQLite, then PostgreSQL
    (a copy of the same database, made before the SQLite run adds to it)."""
    cells, asks = sizes["report_cells"], sizes["report_asks"]
    print(f"report latency: generating a committee of {cells} cells", flush=True)
    db = data / "report.db"
    prepared = _part("report latency generation", errors, lambda: busy_report.prepare(db, cells))
    if "error" in prepared:
        return prepared
    users = prepared.pop("users")
    results: dict = {"database": prepared}
    note = "--no-postgres" if args.no_postgres else asyncio.run(postgres_ready(args.postgres_url))
    if note is None:
        print("report latency: copying it to PostgreSQL", flush=True)
        copied = _part("report latency copy", errors, lambda: asyncio.run(busy_report.copy_to(db, args.postgres_url)))
        note = copied.get("error") if isinstance(copied, dict) else None
    for kind, url in (("sqlite", sqlite_url(db)), ("postgresql", args.postgres_url)):
        if kind == "postgresql" and note is not None:
            results[kind] = {"skipped": note}
            continue
        print(f"report latency: /baocao on {cells} cells, {asks} /huongdan meanwhile, {kind}", flush=True)
        results[kind] = _part(f"report latency {kind}", errors, lambda u=url: asyncio.run(
            busy_report.measure(u, work / "report", asks, users)))
    return results


def _presses(args: argparse.Namespace, sizes: dict, work: Path, errors: list[str]) -> dict:
    """Check-in button presses at a city's peak rate during a reminder burst, on PostgreSQL (benchmarks/presses.py)."""
    note = "--no-postgres" if args.no_postgres else asyncio.run(postgres_ready(args.postgres_url))
    if note is not None:
        return {"skipped": note}
    count, rate, reminders = sizes["presses"], sizes["presses_per_s"], sizes["press_reminders"]
    print(f"presses: {count} check-in presses at {rate:g} a second, {reminders} reminders queued, PostgreSQL",
          flush=True)
    return _part("presses", errors, lambda: asyncio.run(
        presses.measure(args.postgres_url, count, rate, reminders, CHECKIN_NOW, work / "presses")))


def _district(args: argparse.Namespace, sizes: dict, errors: list[str]) -> dict:
    """A district's pages, year workbook and weekly summary on PostgreSQL (benchmarks/district.py)."""
    note = "--no-postgres" if args.no_postgres else asyncio.run(postgres_ready(args.postgres_url))
    if note is not None:
        return {"skipped": note}
    wards, cells = sizes["district_wards"], sizes["district_cells"]
    print(f"district: generating {wards} wards, {cells} cells on PostgreSQL", flush=True)
    generated = _part("district generation", errors, lambda: district.prepare(args.postgres_url, wards, cells))
    if "error" in generated:
        return generated
    print("district: its pages, its year workbook and its weekly summary", flush=True)
    measured = _part("district", errors, lambda: asyncio.run(district.measure(args.postgres_url)))
    return {"wards": wards, **measured, "database": generated}


def _city(args: argparse.Namespace, scale: float, work: Path, errors: list[str]) -> dict:
    """A city's month in virtual time (benchmarks/city.py), in its own process so its peak memory is its own."""
    if args.no_postgres:
        return {"skipped": "--no-postgres"}
    print(f"city: a month at scale {scale}", flush=True)
    out = work / "city.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks.city", "--scale", str(scale), "--json", str(out),
                           "--postgres-url", args.postgres_url], capture_output=True, text=True)
    if done.returncode != 0 or not out.exists():
        errors.append(f"city: {done.stderr[-400:]}")
        return {"error": done.stderr[-400:]}
    return json.loads(out.read_text())


def run(args: argparse.Namespace) -> dict:
    sizes: dict[str, Any] = dict(QUICK if args.quick else FULL)
    for key in ("checkins", "fanout", "cells", "fanout_processes", "report_cells", "report_asks", "city_scale",
                "district_wards", "district_cells", "presses", "press_reminders"):
        if getattr(args, key):
            sizes[key] = getattr(args, key)
    if args.settle_timeout is not None:
        sizes["settle"] = args.settle_timeout
    parts = set(args.only.split(",")) if args.only else set(PARTS)
    unknown = parts - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown part(s): {', '.join(sorted(unknown))}")
    results: dict = {"machine": machine_info()}
    speed_before = python_speed()
    errors: list[str] = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="chibo-bench-") as tmp:
        work = Path(tmp)
        data = args.keep or work
        data.mkdir(parents=True, exist_ok=True)

        if "checkin" in parts:
            print(f"check-in: {sizes['checkins']} check-ins, SQLite", flush=True)
            results["checkin"] = {}
            profile = args.profile / "checkin-sqlite" if args.profile else None
            results["checkin"]["sqlite"] = _part("checkin sqlite", errors, lambda: asyncio.run(checkin.measure(
                "sqlite", sqlite_url(data / "checkin.db"), sizes["checkins"], CHECKIN_NOW, work, profile)))
            if args.no_postgres:
                results["checkin"]["postgresql"] = {"skipped": "--no-postgres"}
            else:
                note = asyncio.run(postgres_ready(args.postgres_url))
                if note:
                    print(f"check-in: PostgreSQL skipped: {note}", flush=True)
                    results["checkin"]["postgresql"] = {"skipped": note}
                else:
                    print(f"check-in: {sizes['checkins']} check-ins, PostgreSQL", flush=True)
                    profile = args.profile / "checkin-postgresql" if args.profile else None
                    results["checkin"]["postgresql"] = _part(
                        "checkin postgresql", errors, lambda: asyncio.run(checkin.measure(
                            "postgresql", args.postgres_url, sizes["checkins"], CHECKIN_NOW, work, profile)))

        if "presses" in parts:
            results["presses"] = _presses(args, sizes, work, errors)

        if "fanout" in parts:
            print(f"fan-out: {sizes['fanout']} reminders", flush=True)
            results["fanout"] = _part("fanout", errors, lambda: asyncio.run(
                fanout.measure(sqlite_url(data / "fanout.db"), sizes["fanout"], work)))

        if "processes" in parts:
            results["fanout_processes"] = _processes(args, sizes["fanout_processes"], work, errors)

        db = data / "summary.db"
        if parts & {"summary", "web", "idle"}:
            print(f"summary: generating {sizes['cells']} cells", flush=True)
            generated = _part("summary generation", errors, lambda: summary.generate(db, sizes["cells"]))
        if "summary" in parts:
            if "error" in generated:
                results["summary"] = generated
            else:
                print("summary: timing reports.weekly.compute", flush=True)
                timed = _part("summary", errors, lambda: summary.time_in_subprocess(db))
                results["summary"] = {"cells": sizes["cells"], **timed, "database": generated} if "error" not in timed \
                    else timed

        if "web" in parts:
            if "error" in generated:
                results["web"] = generated
            else:
                print("web: the committee's pages over HTTP", flush=True)
                results["web"] = _part("web", errors, lambda: asyncio.run(web.measure(db)))

        if "district" in parts:
            results["district"] = _district(args, sizes, errors)

        if "report_latency" in parts:
            results["report_latency"] = _report_latency(args, sizes, data, work, errors)

        if "idle" in parts:
            print("idle: chibo run", flush=True)
            measured = _part("idle", errors, lambda: asyncio.run(
                idle.measure(sqlite_url(db), work / "idle", settle_timeout=sizes["settle"])))
            if "error" in measured:  # a measure that could not be made is an error of the run, not a blank
                errors.append(f"idle: {measured['error']}"[:500])
            results["idle_rss_mb"] = measured.get("idle_rss_mb")
            results["idle"] = measured
            results["idle"]["cells"] = sizes["cells"]

        if "city" in parts:
            results["city"] = _city(args, sizes["city_scale"], work, errors)

    seconds = time.perf_counter() - began
    results["machine"]["python_loop_10M_s"] = [speed_before, python_speed()]  # at the start and at the end
    results["run"] = {
        "quick": args.quick,
        "seconds": rounded(seconds, 1),
        "sizes": sizes,
        "targets": TARGETS,
        "errors": errors,
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["city"]:  # python -m benchmarks city [--scale S]: the city's month alone
        from benchmarks import city
        return city.main(argv[1:])
    args = parse_args(argv)
    results = run(args)
    print()
    print(render_table(results, TARGETS))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 1 if results["run"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
