"""The table of outgoing messages: stored kinds, keys and priorities are those existing databases hold."""

from core import outgoing
from core.outgoing import Quota


def test_keys_are_the_ones_existing_outbox_rows_have():
    assert outgoing.REMINDER.key_for(meeting=7, stamp=1700000000, offset=7200, to="12") == "reminder:7:1700000000:7200:12"
    assert outgoing.NOTICE.key_for(meeting=7, stamp=1700000000, to="12") == "notice:7:1700000000:12"
    assert outgoing.CHECKIN_PROMPT.key_for(meeting=7, to="group:-100") == "checkin:7:group:-100"
    assert outgoing.TASK_REMINDER.key_for(task=3, days=0) == "task_reminder:3:0"
    assert outgoing.FOLLOW_SUMMARY.key_for(meeting=7, edit="", to="4") == "summary:7:cm4"
    assert outgoing.SUMMARY.key_for(meeting=7, edit=":99", to="4") == "summary:7:99:4"
    assert outgoing.NUDGE_THEMATIC.key_for(cell=2, quarter="2026Q4", to="5") == "nudge_thematic:2:2026Q4:5"
    assert outgoing.REPLY.key_for(update="tg:41", index=1) == "reply:tg:41:1"
    assert outgoing.ROLL_CALL.key_for(meeting=7, to="group:-100") == "rollcall:7:group:-100"
    job = outgoing.REPORT_JOB.key_for(platform="telegram", update="tg:42")
    assert outgoing.REPORT_PART.key_for(job=job, part=2, to="9") == "report:telegram:tg:42:2"


def test_a_field_is_read_back_from_a_stored_key_and_a_key_of_another_shape_gives_none():
    assert outgoing.REMINDER.field("reminder:7:1700000000:7200:12", "offset") == "7200"
    assert outgoing.TASK_REMINDER.field("task_reminder:3:1", "task") == "3"
    assert outgoing.REMINDER.field("reminder:7:12", "offset") is None


def test_priorities_and_quota_classes():
    priorities = {m.kind: m.priority for m in outgoing.TABLE if m.kind not in {"summary", "absence_notice"}}
    assert priorities["checkin_prompt"] == 1 and priorities["reminder"] == 6 and priorities["task_reminder"] == 5
    assert outgoing.SUMMARY.quota is Quota.ESSENTIAL and outgoing.FOLLOW_SUMMARY.quota is Quota.REPEATABLE
    assert outgoing.REMINDER.quota is Quota.REPEATABLE and outgoing.NOTICE.quota is Quota.ESSENTIAL
    assert {"prep_nudge", "task_reminder", "comments", "roll_call"} == outgoing.REFRESHED_KINDS
    assert {"roll_call"} == outgoing.EDITED_KINDS  # edited in place: every edited kind is refreshed
    assert outgoing.EDITED_KINDS <= outgoing.REFRESHED_KINDS
    # one stored kind, one refresh rule
    for kind in {m.kind for m in outgoing.TABLE}:
        assert len({m.refreshed for m in outgoing.TABLE if m.kind == kind}) == 1


def test_only_core_outgoing_writes_outbox_rows():
    """One place queues messages: every other module calls ``outgoing.send``, ``send_parts`` or ``defer_reply``
    (a loop of its own over recipients or parts, or a key formatted by hand, would bypass the table)."""
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]  # tests/unit/ -> the repository
    writers = re.compile(r"\benqueue(_chat|_raw|_many)?\(|insert\(OutboxMessage\)")
    found = sorted(str(p.relative_to(repo)) for d in ("bot", "core", "handlers", "reports", "scheduler", "storage")
                   for p in (repo / d).rglob("*.py") if writers.search(p.read_text(encoding="utf-8")))
    assert found == ["core/outgoing.py", "storage/outbox.py"]
