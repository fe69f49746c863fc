"""The table ``python -m benchmarks`` prints: figure, value, target, ✓/✗."""

from __future__ import annotations

OK, MISSED = "✓", "✗"


def _num(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _check(ok: bool | None) -> str:
    return "" if ok is None else (OK if ok else MISSED)


def _rows(results: dict, targets: dict) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    checkin = results.get("checkin")
    if checkin is not None:
        for kind, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            r = checkin.get(kind)
            if r is None:
                continue
            if "skipped" in r or "error" in r:
                rows.append((f"check-in {label}", "skipped: " + r.get("skipped", "") if "skipped" in r
                             else "error: " + r["error"], "", ""))
                continue
            n = r.get("updates")
            rows.append((f"check-in {label}: chibo ({n} members)", f"{_num(r['chibo_per_s'])} updates/s", "", ""))
            rows.append((f"check-in {label}: bare PTB, same server", f"{_num(r['bare_per_s'])} updates/s", "", ""))
            if r.get("bare_one_insert_per_s") is not None:
                rows.append((f"check-in {label}: bare PTB + one INSERT per update",
                             f"{_num(r['bare_one_insert_per_s'])} updates/s ({_num(r['bare_one_insert_ratio'], 2)}"
                             " of bare)", "", ""))
            if r.get("ratio_one_insert") is not None:  # the least a bot that stores check-ins must do
                rows.append((f"check-in {label}: chibo / bare + one INSERT", _num(r["ratio_one_insert"], 2),
                             f"≥ {targets['checkin_vs_one_insert']}",
                             _check(r["ratio_one_insert"] >= targets["checkin_vs_one_insert"])))
            # Against the bare bot that only replies: a target on PostgreSQL, where chibo handles concurrently.
            bare_target = targets["checkin_vs_bare_postgresql"] if kind == "postgresql" else None
            rows.append((f"check-in {label}: chibo / bare", _num(r["ratio"], 2),
                         f"≥ {bare_target}" if bare_target else "",
                         _check(r["ratio"] >= bare_target) if bare_target else ""))
            rows.append((f"check-in {label}: latency p50 / p99", f"{_num(r['p50_ms'], 0)} / {_num(r['p99_ms'], 0)} ms"
                         f" (bare {_num(r['bare_p50_ms'], 0)} / {_num(r['bare_p99_ms'], 0)})", "", ""))
            chibo = r.get("chibo", {})
            if chibo.get("written") is not None:
                good = chibo["written"] == n and chibo.get("answered") == n and not chibo.get("wrong_answers")
                rows.append((f"check-in {label}: written and answered", f"{chibo['written']} / {chibo.get('answered')}",
                             f"{n} / {n}", _check(good)))
    rows += _presses_rows(results.get("presses"), targets)
    f = results.get("fanout")
    if f is not None:
        if "error" in f:
            rows.append(("fan-out", "error: " + f["error"], "", ""))
        else:
            rows.append((f"fan-out: {f['messages']} reminders delivered in",
                         f"{_num(f['seconds'])} s (ideal {_num(f['ideal_seconds'])} s)", "", ""))
            rows.append(("fan-out: ideal / actual", _num(f["ratio"], 3), f"≥ {targets['fanout_ratio']}",
                         _check(f["ratio"] >= targets["fanout_ratio"])))
            for key, label in (("http_429", "HTTP 429 answers"), ("duplicates", "duplicates"), ("lost", "lost")):
                rows.append((f"fan-out: {label}", _num(f[key]), "0", _check(f[key] == 0)))
    for name, m in (results.get("fanout_processes") or {}).items():
        if not isinstance(m, dict):
            continue
        label = {"two": "2 processes", "three": "3 processes", "two_kill_9": "2 processes, kill -9"}.get(name, name)
        if "error" in m:
            rows.append((f"fan-out, {label}", "error: " + m["error"], "", ""))
            continue
        rows.append((f"fan-out, {label}: ideal / actual", _num(m["ratio"], 3), f"≥ {targets['fanout_ratio']}",
                     _check(m["ratio"] >= targets["fanout_ratio"])))
        rows.append((f"fan-out, {label}: 429 / lost / duplicates",
                     f"{m['http_429']} / {m['lost']} / {m['duplicates']}",
                     # after a kill -9, what was sent but not yet marked goes again: at least once, never lost
                     "0 / 0 / 0" if "takeover_seconds" not in m else "0 / 0 / resent",
                     _check(m["http_429"] == m["lost"] == 0 and (m["duplicates"] == 0 or "takeover_seconds" in m))))
        if "takeover_seconds" in m:
            rows.append((f"fan-out, {label}: takeover", f"{_num(m['takeover_seconds'])} s", "< 30 s",
                         _check(m["takeover_seconds"] is not None and m["takeover_seconds"] < 30)))
    s = results.get("summary")
    if s is not None:
        if "error" in s:
            rows.append(("weekly summary", "error: " + s["error"], "", ""))
        else:
            per = s.get("one_committee_cells")
            runs = s.get("one_committee_runs_s") or []
            spread = f" (runs {min(runs):.2f}–{max(runs):.2f})" if runs else ""
            rows.append((f"summary: one committee ({per} cells), median", f"{_num(s['one_committee_s'], 3)} s{spread}",
                         f"< {targets['one_committee_s']} s", _check(s["one_committee_s"] < targets["one_committee_s"])))
            rows.append((f"summary: all {s.get('committees')} committees ({_num(s['cells'])} cells)",
                         f"{_num(s['all_committees_s'], 2)} s", f"< {targets['all_committees_s']:.0f} s",
                         _check(s["all_committees_s"] < targets["all_committees_s"])))
            if "all_committees_kept_s" in s:
                rows.append(("summary: all committees again (results kept)", f"{_num(s['all_committees_kept_s'], 2)} s",
                             f"< {targets['all_committees_s']:.0f} s",
                             _check(s["all_committees_kept_s"] < targets["all_committees_s"])))
            rows.append(("summary: peak RSS (VmHWM, own process)", f"{_num(s['peak_rss_mb'])} MB",
                         f"< {targets['peak_rss_mb']:.0f} MB", _check(s["peak_rss_mb"] < targets["peak_rss_mb"])))
    w = results.get("web")
    if w is not None:
        if "error" in w:
            rows.append(("web view", "error: " + w["error"], "", ""))
        else:
            for key, label in (("committee_page", f"web: committee page ({w.get('cells')} cells), median"),
                               ("cell_page", f"web: cell page ({w.get('largest_cell_members')} members), median"),
                               ("secretary_cell_page", "web: the same cell page as its secretary, median")):
                if w.get(f"{key}_s") is not None:
                    rows.append((label, f"{_num(w[f'{key}_s'], 3)} s (cold {_num(w[f'{key}_cold_s'], 3)})",
                                 f"< {targets['web_page_s']} s", _check(w[f"{key}_s"] < targets["web_page_s"])))
            if w.get("committee_chart_s") is not None:
                rows.append(("web: committee chart (SVG, a year of meetings)", f"{_num(w['committee_chart_s'], 3)} s",
                             "", ""))
            for key, label in (("year_page", "web: the committee's year (?ky=), median"),
                               ("rating_page", "web: the year's rating page"),
                               ("year_workbook", "web: the year's workbook (XLSX)")):
                if w.get(f"{key}_s") is not None:  # no target yet: the issue asks under 2 s on PostgreSQL
                    rows.append((label, f"{_num(w[f'{key}_s'], 3)} s", "", ""))
    rows += _district_rows(results.get("district"), targets)
    rows += _report_latency_rows(results.get("report_latency"), targets)
    c = results.get("city")
    if c is not None:
        if "skipped" in c or "error" in c:
            rows.append(("city month", c.get("skipped") or "error: " + c["error"], "", ""))
        else:
            rows.append((f"city month, scale {c['scale']}: {c['city']['cells']} cells, {c['city']['members']} members",
                         f"{_num(c['messages_sent'])} messages in {_num(c['wall_s'])} s", "", ""))
            rows.append(("city: reminder lateness p50 / p99 / max",
                         f"{_num(c['lateness_p50_s'])} / {_num(c['lateness_p99_s'])} / {_num(c['lateness_max_s'])} s",
                         "max ≤ 0", _check(c["lateness_max_s"] <= 0)))
            rows.append(("city: reminders dropped (too late)", _num(c["reminders_dropped"]), "0",
                         _check(c["reminders_dropped"] == 0)))
            rows.append(("city: 429 answers", _num(c["http_429"]), "0", _check(c["http_429"] == 0)))
            rows.append(("city: check-in answers p99 (as messages)", f"{_num(c['checkin_ack_p99_s'])} s", "", ""))
    i = results.get("idle")
    if i is not None:
        if "error" in i:
            rows.append(("idle `chibo run`", "error: " + i["error"], "", ""))
        else:
            rows.append((f"idle `chibo run` RSS ({_num(i.get('cells'))} cells), at start-up",
                         f"{_num(i['idle_rss_mb'])} MB", "", ""))
            settled = "still busy" if i.get("settled_s") is None else f"after {_num(i['settled_s'])} s"
            rows.append((f"idle `chibo run` RSS, start-up planner done ({settled})",
                         f"{_num(i['settled_rss_mb'])} MB (peak {_num(i['peak_rss_mb'])})", "", ""))
    return rows


def _presses_rows(p: dict | None, targets: dict) -> list[tuple[str, str, str, str]]:
    if p is None:
        return []
    if "skipped" in p or "error" in p:
        return [("check-in presses", "skipped: " + p["skipped"] if "skipped" in p else "error: " + p["error"], "", "")]
    target = targets["press_ack_p99_s"]
    prefix = (f"presses at {_num(p['per_second_asked'], 0)}/s during {_num(p['reminders_queued'])} reminders, "
              "PostgreSQL")
    ok = p["acknowledged"] == p["presses"] and p["ack_p99_s"] is not None and p["ack_p99_s"] <= target
    return [
        (f"{prefix}: ack p50 / p99 / max ({p['acknowledged']} of {p['presses']})",
         f"{_num(p['ack_p50_s'], 3)} / {_num(p['ack_p99_s'], 3)} / {_num(p['ack_max_s'], 3)} s",
         f"p99 ≤ {target} s", _check(ok)),
        (f"{prefix}: written, messages sent meanwhile, 429",
         f"{_num(p['written'])}, {_num(p['messages_sent_meanwhile'])}, {p['http_429']}",
         f"{_num(p['presses'])}, –, 0", _check(p["written"] == p["presses"] and p["http_429"] == 0)),
    ]


def _district_rows(d: dict | None, targets: dict) -> list[tuple[str, str, str, str]]:
    if d is None:
        return []
    if "skipped" in d or "error" in d:
        return [("district", "skipped: " + d["skipped"] if "skipped" in d else "error: " + d["error"], "", "")]
    rows: list[tuple[str, str, str, str]] = []
    target = targets["district_page_s"]
    prefix = f"district ({d['wards']} wards, {_num(d['cells'])} cells), PostgreSQL"
    for key, label in (("month_page", "this month's page"), ("year_page", "the year's page (?ky=)"),
                       ("year_workbook", "the year's workbook (XLSX)")):
        rows.append((f"{prefix}: {label}, median", f"{_num(d[f'{key}_s'], 3)} s (cold {_num(d[f'{key}_cold_s'], 3)})",
                     f"< {target} s", _check(d[f"{key}_s"] < target)))
    rows.append((f"{prefix}: weekly summary (beside them), median",
                 f"{_num(d['weekly_s'], 3)} s (cold {_num(d['weekly_cold_s'], 3)})", "", ""))
    return rows


def _report_latency_rows(r: dict | None, targets: dict) -> list[tuple[str, str, str, str]]:
    if r is None:
        return []
    if "error" in r:
        return [("answers during a committee report", "error: " + r["error"], "", "")]
    rows: list[tuple[str, str, str, str]] = []
    for kind, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        m = r.get(kind)
        if m is None:
            continue
        if "skipped" in m or "error" in m:
            rows.append((f"answers during a report, {label}", "skipped: " + m["skipped"] if "skipped" in m
                         else "error: " + m["error"], "", ""))
            continue
        prefix = f"during a {m['cells']}-cell /baocao, {label}"
        worst = m["help_max_s"]
        rows.append((f"{prefix}: /huongdan p50 / p99 / max ({m['answered']} of {m['asks']})",
                     f"{_num(m['help_p50_s'], 3)} / {_num(m['help_p99_s'], 3)} / {_num(worst, 3)} s",
                     f"max < {targets['busy_answer_s']} s",
                     _check(worst is not None and m["answered"] == m["asks"] and worst < targets["busy_answer_s"])))
        second = m.get("report_second_message_s")
        rows.append((f"{prefix}: its first answer", f"{_num(m['report_first_answer_s'], 3)} s"
                     + (f" (the next message {_num(second, 1)} s)" if second is not None else ""), "", ""))
        queued = f"{m['report_messages']} messages" if m["report_messages"] else "one message, in the answer"
        rows.append((f"{prefix}: {queued}, delivered in", f"{_num(m['report_delivered_s'])} s ({m['http_429']} × 429)",
                     "", ""))
    return rows


def render_table(results: dict, targets: dict) -> str:
    rows = [("figure", "value", "target", "")] + _rows(results, targets)
    widths = [max(len(r[c]) for r in rows) for c in range(3)]
    lines = []
    for n, r in enumerate(rows):
        lines.append(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip())
        if n == 0:
            lines.append("-" * (sum(widths) + 7))
    m = results.get("machine", {})
    lines.append("")
    lines.append(f"machine: {m.get('cpu')}, {m.get('cores')} cores, {_num(m.get('memory_mb'))} MB, "
                 f"Python {m.get('python')}, {m.get('os')}")
    speed = m.get("python_loop_10M_s")
    if speed:
        lines.append("Python speed (10M-addition loop, start / end of the run): "
                     + " / ".join(f"{s:.2f} s" for s in speed) + " (how fast Python ran: compare runs with it)")
    run = results.get("run", {})
    mode = "quick" if run.get("quick") else "full"
    lines.append(f"{mode} run took {_num(run.get('seconds'))} s")
    for error in run.get("errors", []):
        lines.append(f"error: {error}")
    return "\n".join(lines)
