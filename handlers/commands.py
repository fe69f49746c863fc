"""Command names: Vietnamese first, English aliases, one canonical name each."""

from __future__ import annotations

import re

from rules.names import fold

# canonical name -> names accepted (the first is the one shown in the menu)
COMMANDS: dict[str, tuple[str, ...]] = {
    "start": ("start", "batdau_lienket"),
    "help": ("huongdan", "help", "trogiup"),
    "schedule": ("lichhop", "schedule"),
    "cancel_meeting": ("huyhop", "cancel_meeting"),
    "reschedule": ("doilich", "reschedule"),
    "absent": ("vang", "absent", "xinvang"),
    "start_meeting": ("batdau", "start_meeting"),
    "checkin": ("diemdanh", "checkin"),
    "checkin_for": ("diemdanh_ho", "checkin_for"),
    "excuse_for": ("vang_ho", "excuse_for", "excuse", "xinvang_ho"),
    "correct": ("suadiemdanh", "correct", "sua_diemdanh"),
    "end_meeting": ("ketthuc", "end_meeting"),
    "correct_time": ("suagio", "correct_time", "sua_gio"),
    "report": ("baocao", "report"),
    "link_group": ("lienket", "link_group"),
    "channel": ("kenh", "channel"),
    "assign": ("giaoviec", "assign"),
    "tasks": ("viec", "tasks"),
    "done": ("xong", "done"),
    "edit_task": ("suaviec", "edit_task", "sua_viec"),
    "withdraw_task": ("xoaviec", "withdraw_task", "xoa_viec", "rutviec"),
    "assess": ("danhgia", "assess"),
    "minutes": ("bienban", "minutes"),
}

ALIASES: dict[str, str] = {alias: name for name, aliases in COMMANDS.items() for alias in aliases}

# What the command menu shows (setMyCommands), per language.
MENU: dict[str, list[tuple[str, str]]] = {
    "vi": [
        ("diemdanh", "Điểm danh cuộc họp đang diễn ra"),
        ("vang", "Xin vắng cuộc họp tới, kèm lý do"),
        ("lichhop", "Xem hoặc đặt lịch họp"),
        ("batdau", "Bắt đầu cuộc họp (bí thư)"),
        ("ketthuc", "Kết thúc cuộc họp (bí thư)"),
        ("diemdanh_ho", "Điểm danh hộ đảng viên (bí thư)"),
        ("vang_ho", "Ghi vắng có lý do cho đảng viên (bí thư)"),
        ("suadiemdanh", "Sửa điểm danh cuộc họp vừa qua (bí thư)"),
        ("suagio", "Sửa giờ bắt đầu, kết thúc cuộc họp vừa qua (bí thư)"),
        ("baocao", "Tóm tắt cuộc họp gần nhất"),
        ("danhgia", "Đánh giá chất lượng cuộc họp (bí thư)"),
        ("bienban", "Dự thảo biên bản cuộc họp (bí thư)"),
        ("doilich", "Đổi giờ cuộc họp sắp tới (bí thư)"),
        ("huyhop", "Hủy cuộc họp sắp tới (bí thư)"),
        ("lienket", "Liên kết nhóm chat với chi bộ"),
        ("kenh", "Chọn kênh nhận tin: telegram hoặc zalo"),
        ("viec", "Việc được giao: xem, báo đã xong"),
        ("xong", "Báo đã xong một việc: /xong SỐ kết quả"),
        ("giaoviec", "Giao việc cho đảng viên (bí thư)"),
        ("suaviec", "Sửa việc đã giao: /suaviec SỐ | VIỆC | HẠN (bí thư)"),
        ("xoaviec", "Rút việc giao nhầm: /xoaviec SỐ (bí thư)"),
        ("huongdan", "Hướng dẫn sử dụng"),
    ],
    "en": [
        ("checkin", "Check in to the meeting in progress"),
        ("absent", "Excuse yourself from the next meeting"),
        ("schedule", "See or schedule meetings"),
        ("start_meeting", "Start the meeting (secretary)"),
        ("end_meeting", "End the meeting (secretary)"),
        ("checkin_for", "Check a member in (secretary)"),
        ("excuse_for", "Record a member's excused absence (secretary)"),
        ("correct", "Correct the last meeting's attendance (secretary)"),
        ("correct_time", "Correct the last meeting's start or end time (secretary)"),
        ("report", "Latest meeting summary"),
        ("assess", "Assess the meeting's quality (secretary)"),
        ("minutes", "Draft minutes of the meeting (secretary)"),
        ("reschedule", "Move the next meeting (secretary)"),
        ("cancel_meeting", "Cancel the next meeting (secretary)"),
        ("link_group", "Link a group chat to the cell"),
        ("channel", "Choose where to get messages: telegram or zalo"),
        ("tasks", "Your tasks: see them, report one done"),
        ("done", "Report a task done: /done NUMBER result"),
        ("assign", "Give a member a task (secretary)"),
        ("edit_task", "Correct a task: /edit_task NUMBER | TASK | DEADLINE (secretary)"),
        ("withdraw_task", "Withdraw a task given by mistake: /withdraw_task NUMBER (secretary)"),
        ("help", "Help"),
    ],
}

# Commands typed as words, without the slash and with or without diacritics (Zalo has no menu):
# "diem danh", "điểm danh", "diemdanh". Longest phrases first so "diem danh ho" wins over "diem danh".
PHRASES: dict[str, str] = {
    "diem danh ho": "checkin_for", "diemdanh ho": "checkin_for", "diemdanh_ho": "checkin_for",
    "vang ho": "excuse_for", "xin vang ho": "excuse_for", "vang_ho": "excuse_for", "vangho": "excuse_for",
    "sua diem danh": "correct", "suadiemdanh": "correct", "sua diemdanh": "correct",
    "sua gio": "correct_time", "suagio": "correct_time",
    "diem danh": "checkin", "diemdanh": "checkin", "checkin": "checkin",
    "xin vang": "absent", "xinvang": "absent",  # not "vang" alone: "Vâng" means "yes"
    "lich hop": "schedule", "lichhop": "schedule", "dat lich": "schedule",
    "doi lich": "reschedule", "doilich": "reschedule",
    "huy hop": "cancel_meeting", "huyhop": "cancel_meeting",
    "bat dau": "start_meeting", "batdau": "start_meeting",
    "ket thuc": "end_meeting", "ketthuc": "end_meeting",
    "bao cao": "report", "baocao": "report",
    "danh gia": "assess", "danhgia": "assess",
    "bien ban": "minutes", "bienban": "minutes",
    "huong dan": "help", "huongdan": "help", "tro giup": "help", "help": "help",
    "lien ket": "link_group", "lienket": "link_group",
    "kenh": "channel", "chon kenh": "channel",
    "giao viec": "assign", "giaoviec": "assign",
    "sua viec": "edit_task", "suaviec": "edit_task",
    "xoa viec": "withdraw_task", "xoaviec": "withdraw_task", "rut viec": "withdraw_task",
    "viec cua toi": "tasks", "danh sach viec": "tasks", "viec": "tasks",
    "xong viec": "done", "xong": "done", "da xong": "done",
    "start": "start",
}
_PHRASE_ORDER = sorted(PHRASES, key=len, reverse=True)
# Said alone (a polite word after them at most), they check in: "Có mặt!", "co mat a", "Đã đến rồi".
# Not as the start of a sentence: "Đã đến giờ họp chưa?" is a question, not a check-in.
ALONE: dict[str, str] = {
    "co mat": "checkin", "comat": "checkin", "da co mat": "checkin", "toi co mat": "checkin", "em co mat": "checkin",
    "da den": "checkin", "toi da den": "checkin", "em da den": "checkin",
}
_POLITE = {"a", "roi", "nhe", "nha", "day", "oi"}
_PUNCTUATION = re.compile(r"[^\w\s]")

_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+(.*))?$", re.DOTALL)


def parse_command(text: str, bot_username: str | None = None) -> tuple[str | None, str, str | None] | None:
    """Split ``/cmd@bot args`` into (canonical name or None if unknown, args, name as typed).

    Returns None when ``text`` is not a command, or is addressed to another bot.
    """
    match = _COMMAND_RE.match(text.strip())
    if not match:
        return None
    typed, target, args = match.group(1), match.group(2), match.group(3) or ""
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return ALIASES.get(typed.lower()), args.strip(), typed


def parse_plain_command(text: str) -> tuple[str, str, str] | None:
    """A command typed as words: 'điểm danh', 'Diem danh', 'xin vắng ốm' -> (name, args, typed).

    The arguments keep their case and diacritics (names, reasons). None if ``text`` is no command.
    """
    words = text.strip().split()
    folded = [fold(w) for w in words]
    said = _PUNCTUATION.sub(" ", " ".join(folded)).split()
    while said and said[-1] in _POLITE:
        said.pop()
    if " ".join(said) in ALONE:
        return ALONE[" ".join(said)], "", text.strip()
    for phrase in _PHRASE_ORDER:
        size = len(phrase.split())
        if folded[:size] == phrase.split():
            return PHRASES[phrase], " ".join(words[size:]), " ".join(words[:size])
    return None
