"""Every text chibo sends, Vietnamese first, English available.

Texts are Telegram-style HTML. ``t()`` escapes every argument, so a name with ``<`` or ``&``
can never break a message; pass ``Html(...)`` for a fragment that is already safe HTML.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo


class Html(str):
    """A string that is already valid HTML and must not be escaped again."""


def esc(value: object) -> str:
    return value if isinstance(value, Html) else html.escape(str(value), quote=False)


TEXTS: dict[str, dict[str, str]] = {
    # --- onboarding ---
    "start.no_code": {
        "vi": "Xin chào đồng chí! Đây là <b>chibo</b>, trợ lý sinh hoạt chi bộ.\n"
        "Để liên kết tài khoản, đồng chí gõ: <code>/start MÃ-MỜI</code> (mã do bí thư chi bộ cung cấp).",
        "en": "Hello! This is <b>chibo</b>, the cell meeting assistant.\n"
        "To link your account, type: <code>/start INVITE-CODE</code> (your cell secretary has the code).",
    },
    "start.linked_member": {
        "vi": "Chào đồng chí <b>{name}</b>! Tài khoản đã được liên kết với {cell}.\nGõ /huongdan để xem đồng chí có thể làm gì.",
        "en": "Welcome, <b>{name}</b>! Your account is now linked to {cell}.\nType /help to see what you can do.",
    },
    "start.linked_committee": {
        "vi": "Chào đồng chí <b>{name}</b>! Tài khoản đã được liên kết với {committee}. Đồng chí sẽ nhận tóm tắt hằng tuần.",
        "en": "Welcome, <b>{name}</b>! Your account is now linked to {committee}. You will receive the weekly summary.",
    },
    "start.already": {
        "vi": "Tài khoản này đã được liên kết với đồng chí <b>{name}</b>. Gõ /huongdan để xem hướng dẫn.",
        "en": "This account is already linked to <b>{name}</b>. Type /help for help.",
    },
    "code.unknown": {
        "vi": "Mã mời <code>{code}</code> không đúng. Đồng chí kiểm tra lại mã (chữ và số, không dấu cách) hoặc xin mã mới từ bí thư chi bộ.",
        "en": "The invite code <code>{code}</code> is not valid. Check the code or ask your secretary for a new one.",
    },
    "code.used": {
        "vi": "Mã mời <code>{code}</code> đã được dùng. Mỗi mã chỉ dùng một lần; đồng chí xin mã mới từ bí thư chi bộ.",
        "en": "The invite code <code>{code}</code> has already been used. Ask your secretary for a new one.",
    },
    "code.expired": {
        "vi": "Mã mời <code>{code}</code> đã hết hạn ngày {date}. Đồng chí xin mã mới từ bí thư chi bộ.",
        "en": "The invite code <code>{code}</code> expired on {date}. Ask your secretary for a new one.",
    },
    "not_linked": {
        "vi": "Tài khoản này chưa được liên kết. Đồng chí gõ <code>/start MÃ-MỜI</code> (mã do bí thư chi bộ cung cấp).",
        "en": "This account is not linked yet. Type <code>/start INVITE-CODE</code> (ask your cell secretary for the code).",
    },
    "unknown_command": {
        "vi": "Lệnh không có trong danh sách. Gõ /huongdan để xem các lệnh đồng chí dùng được.",
        "en": "Unknown command. Type /help to see the commands you can use.",
    },
    "plain_text": {
        "vi": "chibo chỉ hiểu các lệnh bắt đầu bằng dấu /. Gõ /huongdan để xem các lệnh.",
        "en": "chibo understands commands that start with /. Type /help to see them.",
    },
    "not_leader": {
        "vi": "Lệnh này dành cho bí thư và phó bí thư chi bộ. Đồng chí có thể dùng /diemdanh, /vang và /huongdan.",
        "en": "This command is for the cell secretary and deputy. You can use /checkin, /absent and /help.",
    },
    "not_member": {
        "vi": "Lệnh này dành cho đảng viên của chi bộ. Đồng chí dùng /baocao để xem báo cáo.",
        "en": "This command is for cell members. Use /report to see the reports.",
    },
    "private_only": {
        "vi": "Lệnh này chỉ dùng trong tin nhắn riêng với chibo, không dùng trong nhóm.",
        "en": "Please use this command in a private chat with chibo, not in a group.",
    },
    "group_not_linked": {
        "vi": "Nhóm này chưa liên kết với chi bộ nào. Bí thư gõ /lienket trong tin nhắn riêng với chibo để lấy mã, rồi gõ <code>/lienket MÃ</code> trong nhóm.",
        "en": "This group is not linked to a cell. The secretary types /link_group privately to get a code, then <code>/link_group CODE</code> here.",
    },
    "busy_retry": {
        "vi": "Hệ thống đang bận, chưa ghi được. Đồng chí vui lòng thử lại sau ít phút.",
        "en": "The system is busy and nothing was saved. Please try again in a few minutes.",
    },
    # --- help ---
    "help.anyone": {
        "vi": "<b>chibo</b> – trợ lý sinh hoạt chi bộ.\n/start MÃ – liên kết tài khoản bằng mã mời\n/huongdan – hướng dẫn",
        "en": "<b>chibo</b> – the cell meeting assistant.\n/start CODE – link your account with an invite code\n/help – this help",
    },
    "help.member": {
        "vi": "Đồng chí <b>{name}</b> – {cell}\n/diemdanh – điểm danh cuộc họp đang diễn ra\n/vang LÝ DO – xin vắng cuộc họp tới\n/lichhop – xem lịch họp sắp tới\n/huongdan – hướng dẫn",
        "en": "<b>{name}</b> – {cell}\n/checkin – check in to the meeting in progress\n/absent REASON – excuse yourself from the next meeting\n/schedule – upcoming meetings\n/help – this help",
    },
    "help.leader": {
        "vi": "\n\n<b>Bí thư, phó bí thư:</b>\n/lichhop YYYY-MM-DD HH:MM [chuyende] [địa điểm] – đặt lịch họp\n/doilich YYYY-MM-DD HH:MM – đổi giờ cuộc họp sắp tới\n/huyhop – hủy cuộc họp sắp tới\n/batdau [HH:MM] – bắt đầu cuộc họp hôm nay, mở điểm danh\n/diemdanh_ho HỌ TÊN – điểm danh hộ đảng viên\n/ketthuc [HH:MM] – kết thúc cuộc họp, nhận tóm tắt\n/baocao – tóm tắt cuộc họp gần nhất\n/lienket – liên kết nhóm chat với chi bộ",
        "en": "\n\n<b>Secretary, deputy:</b>\n/schedule YYYY-MM-DD HH:MM [chuyende] [place] – schedule a meeting\n/reschedule YYYY-MM-DD HH:MM – move the next meeting\n/cancel_meeting – cancel the next meeting\n/start_meeting [HH:MM] – start today's meeting, open check-in\n/checkin_for FULL NAME – check a member in\n/end_meeting [HH:MM] – end the meeting, get the summary\n/report – latest meeting summary\n/link_group – link a group chat to the cell",
    },
    "help.committee": {
        "vi": "Đồng chí <b>{name}</b> – {committee}\n/baocao – tóm tắt cuộc họp gần nhất của từng chi bộ\nTóm tắt hằng tuần được gửi tự động.\n/huongdan – hướng dẫn",
        "en": "<b>{name}</b> – {committee}\n/report – latest meeting summary of every cell\nThe weekly summary arrives automatically.\n/help – this help",
    },
    # --- scheduling ---
    "schedule.usage": {
        "vi": "Cách đặt lịch: <code>/lichhop 2026-12-05 19:30 Hội trường tổ dân phố</code>\nHọp chuyên đề: <code>/lichhop 2026-12-15 19:30 chuyende Nhà văn hóa</code>",
        "en": "To schedule: <code>/schedule 2026-12-05 19:30 Community hall</code>\nThematic meeting: <code>/schedule 2026-12-15 19:30 chuyende Community hall</code>",
    },
    "schedule.bad_date": {
        "vi": "Ngày giờ <code>{value}</code> không hợp lệ. Đồng chí gõ theo mẫu năm-tháng-ngày giờ:phút, ví dụ <code>/lichhop 2026-12-05 19:30</code>.",
        "en": "<code>{value}</code> is not a valid date and time. Use year-month-day hour:minute, e.g. <code>/schedule 2026-12-05 19:30</code>.",
    },
    "schedule.past": {
        "vi": "Thời điểm {when} đã qua. Đồng chí chọn một thời điểm sau bây giờ ({now}).",
        "en": "{when} is in the past. Choose a time after now ({now}).",
    },
    "schedule.duplicate_regular": {
        "vi": "Chi bộ đã có cuộc họp thường kỳ tháng {month} (ngày {when}). Mỗi tháng chỉ một cuộc họp thường kỳ; để đổi giờ, đồng chí gõ /huyhop rồi đặt lại, hoặc thêm <code>chuyende</code> nếu đây là họp chuyên đề.",
        "en": "The cell already has a regular meeting in {month} (on {when}). Only one regular meeting per month: use /cancel_meeting and schedule again, or add <code>chuyende</code> for a thematic meeting.",
    },
    "schedule.done": {
        "vi": "Đã đặt lịch {kind} {when}{place}. Đã báo cho {count} đảng viên.",
        "en": "Scheduled the {kind} for {when}{place}. {count} members were notified.",
    },
    "schedule.notice": {
        "vi": "📅 Thông báo: {cell} họp {kind} lúc <b>{when}</b>{place}{topic}.\nĐồng chí vui lòng xác nhận tham dự.",
        "en": "📅 Notice: {cell} holds its {kind} at <b>{when}</b>{place}{topic}.\nPlease confirm whether you will attend.",
    },
    "schedule.list_header": {"vi": "<b>Lịch họp sắp tới của {cell}:</b>", "en": "<b>Upcoming meetings of {cell}:</b>"},
    "schedule.list_item": {"vi": "• {when} – {kind}{place}", "en": "• {when} – {kind}{place}"},
    "schedule.list_empty": {
        "vi": "{cell} chưa có lịch họp sắp tới.",
        "en": "{cell} has no upcoming meeting.",
    },
    "place": {"vi": ", tại {place}", "en": ", at {place}"},
    "topic": {"vi": "\nChủ đề: {topic}", "en": "\nTopic: {topic}"},
    "kind.thuong_ky": {"vi": "sinh hoạt thường kỳ", "en": "regular meeting"},
    "kind.chuyen_de": {"vi": "sinh hoạt chuyên đề", "en": "thematic meeting"},
    "button.attend": {"vi": "Tham dự", "en": "Attend"},
    "button.absent": {"vi": "Xin vắng", "en": "Excuse me"},
    "button.checkin": {"vi": "Điểm danh", "en": "Check in"},
    "cancel.none": {
        "vi": "Chi bộ không có cuộc họp nào sắp tới để hủy.",
        "en": "The cell has no upcoming meeting to cancel.",
    },
    "cancel.done": {
        "vi": "Đã hủy cuộc họp {when}. Đã báo cho các đảng viên.",
        "en": "Cancelled the meeting of {when}. Members were told.",
    },
    "cancel.notice": {
        "vi": "❌ Cuộc họp {kind} của {cell} lúc {when} đã được hủy.",
        "en": "❌ The {kind} of {cell} at {when} has been cancelled.",
    },
    # --- RSVP and absence ---
    "rsvp.yes": {
        "vi": "Đã ghi nhận đồng chí sẽ tham dự cuộc họp {when}. Cảm ơn đồng chí!",
        "en": "Noted: you will attend the meeting of {when}. Thank you!",
    },
    "absent.ask_reason": {
        "vi": "Đồng chí vui lòng gửi lý do xin vắng cuộc họp {when} (một tin nhắn ngắn, ví dụ: <i>đi công tác</i>).",
        "en": "Please send the reason for missing the meeting of {when} (one short message, e.g. <i>business trip</i>).",
    },
    "absent.done": {
        "vi": "Đã ghi nhận đồng chí xin vắng cuộc họp {when}, lý do: {reason}. Bí thư chi bộ đã được báo.",
        "en": "Noted: you are excused from the meeting of {when}, reason: {reason}. The secretary has been told.",
    },
    "absent.notify_leader": {
        "vi": "ℹ️ Đồng chí {name} xin vắng cuộc họp {when}. Lý do: {reason}",
        "en": "ℹ️ {name} asks to be excused from the meeting of {when}. Reason: {reason}",
    },
    "absent.already_checked_in": {
        "vi": "Đồng chí đã điểm danh lúc {time}, không thể xin vắng cuộc họp này.",
        "en": "You checked in at {time}; you cannot be excused from this meeting.",
    },
    "absent.reason_too_long": {
        "vi": "Lý do dài quá ({length} ký tự). Đồng chí viết ngắn lại, tối đa 300 ký tự.",
        "en": "The reason is too long ({length} characters). Please keep it under 300.",
    },
    "no_upcoming": {
        "vi": "Chi bộ chưa có cuộc họp nào sắp tới.",
        "en": "Your cell has no upcoming meeting.",
    },
    "stale_button": {
        "vi": "Cuộc họp này đã kết thúc hoặc đã hủy, nút này không còn dùng được.",
        "en": "This meeting has ended or was cancelled; this button no longer works.",
    },
    "foreign_meeting": {
        "vi": "Cuộc họp này không phải của chi bộ đồng chí.",
        "en": "This meeting is not your cell's.",
    },
    # --- start and end ---
    "start_meeting.none_today": {
        "vi": "Hôm nay ({date}) chi bộ không có lịch họp. Đồng chí đặt lịch trước, ví dụ: <code>/lichhop {date} 19:30</code>.",
        "en": "Your cell has no meeting scheduled today ({date}). Schedule one first, e.g. <code>/schedule {date} 19:30</code>.",
    },
    "start_meeting.already": {
        "vi": "Cuộc họp đã bắt đầu lúc {time}. Khi xong, đồng chí gõ /ketthuc.",
        "en": "The meeting already started at {time}. When it is over, type /end_meeting.",
    },
    "start_meeting.bad_time": {
        "vi": "Giờ <code>{value}</code> không hợp lệ. Đồng chí gõ giờ:phút, ví dụ <code>/batdau 19:30</code>, hoặc chỉ <code>/batdau</code> để lấy giờ hiện tại.",
        "en": "<code>{value}</code> is not a valid time. Use hour:minute, e.g. <code>/start_meeting 19:30</code>, or just <code>/start_meeting</code> for now.",
    },
    "time.future": {
        "vi": "Giờ {time} chưa tới (bây giờ là {now}). Đồng chí gõ giờ đã qua, hoặc bỏ giờ để lấy giờ hiện tại.",
        "en": "{time} has not come yet (it is {now}). Give a time that has passed, or none for now.",
    },
    "start_meeting.done": {
        "vi": "▶️ Cuộc họp bắt đầu lúc {time}{manual}. Đã mở điểm danh và báo cho {count} đảng viên. Đồng chí đã được điểm danh.",
        "en": "▶️ The meeting started at {time}{manual}. Check-in is open and {count} members were told. You are checked in.",
    },
    "manual_mark": {"vi": " (nhập tay)", "en": " (entered by hand)"},
    "checkin.prompt": {
        "vi": "▶️ {cell}: cuộc họp {kind} đã bắt đầu lúc {time}. Đồng chí bấm <b>Điểm danh</b> khi có mặt.",
        "en": "▶️ {cell}: the {kind} started at {time}. Press <b>Check in</b> when you are there.",
    },
    "checkin.done": {
        "vi": "✅ Đã điểm danh đồng chí {name} lúc {time}.",
        "en": "✅ {name} checked in at {time}.",
    },
    "checkin.done_late": {
        "vi": "✅ Đã điểm danh đồng chí {name} lúc {time} – <b>muộn {minutes} phút</b> so với giờ bắt đầu {start}.",
        "en": "✅ {name} checked in at {time} – <b>{minutes} minutes late</b> (start {start}).",
    },
    "checkin.again": {
        "vi": "Đồng chí đã điểm danh lúc {time} rồi.",
        "en": "You already checked in at {time}.",
    },
    "checkin.no_open": {
        "vi": "Hiện không có cuộc họp nào đang diễn ra. Cuộc họp tới: {when}.",
        "en": "No meeting is in progress. Next meeting: {when}.",
    },
    "checkin.no_open_none": {
        "vi": "Hiện không có cuộc họp nào đang diễn ra, và chi bộ chưa có lịch họp sắp tới.",
        "en": "No meeting is in progress and your cell has none scheduled.",
    },
    "checkin.exempt_note": {
        "vi": " (đồng chí được miễn sinh hoạt, không tính vào tỷ lệ)",
        "en": " (you are exempt; not counted in the rate)",
    },
    "checkin_for.usage": {
        "vi": "Cách dùng: <code>/diemdanh_ho Họ và tên</code>, ví dụ <code>/diemdanh_ho Nguyễn Văn An</code>.",
        "en": "Usage: <code>/checkin_for Full name</code>, e.g. <code>/checkin_for Nguyen Van An</code>.",
    },
    "checkin_for.not_found": {
        "vi": "Không tìm thấy đảng viên <b>{query}</b> trong chi bộ. Đồng chí gõ đúng họ tên như trong danh sách.",
        "en": "No member named <b>{query}</b> in your cell. Type the full name as in the member list.",
    },
    "checkin_for.ambiguous": {
        "vi": "Có nhiều đảng viên khớp với <b>{query}</b>: {names}. Đồng chí gõ đầy đủ họ tên.",
        "en": "Several members match <b>{query}</b>: {names}. Type the full name.",
    },
    "checkin_for.done": {
        "vi": "✅ Đã điểm danh hộ đồng chí {name} lúc {time}{late} (ghi nhận do bí thư điểm danh).",
        "en": "✅ Checked in {name} at {time}{late} (recorded as done by the secretary).",
    },
    "late_mark": {"vi": " – muộn {minutes} phút", "en": " – {minutes} minutes late"},
    "end_meeting.none_open": {
        "vi": "Không có cuộc họp nào đang diễn ra. Đồng chí gõ /batdau để bắt đầu cuộc họp hôm nay.",
        "en": "No meeting is in progress. Type /start_meeting to start today's meeting.",
    },
    "end_meeting.before_start": {
        "vi": "Giờ kết thúc {time} sớm hơn giờ bắt đầu {start}. Đồng chí kiểm tra lại giờ.",
        "en": "The end time {time} is before the start {start}. Please check the time.",
    },
    "start_meeting.too_early": {
        "vi": "Giờ {time} sớm hơn cuộc họp trước kết thúc ({end}). Đồng chí kiểm tra lại giờ.",
        "en": "{time} is before the previous meeting ended ({end}). Please check the time.",
    },
    # --- summary ---
    "summary.title": {
        "vi": "📋 <b>Tóm tắt {kind} – {cell}</b>\nNgày {date}",
        "en": "📋 <b>Summary of the {kind} – {cell}</b>\n{date}",
    },
    "summary.time": {
        "vi": "⏱ Bắt đầu {start}{start_manual}, kết thúc {end}{end_manual}: <b>{minutes} phút</b>.",
        "en": "⏱ Started {start}{start_manual}, ended {end}{end_manual}: <b>{minutes} minutes</b>.",
    },
    "summary.in_progress": {
        "vi": "⏱ Bắt đầu {start}{start_manual}, đang diễn ra.",
        "en": "⏱ Started {start}{start_manual}, in progress.",
    },
    "summary.not_started": {"vi": "⏱ Chưa bắt đầu (lịch: {when}).", "en": "⏱ Not started (scheduled {when})."},
    "summary.duration_ok": {
        "vi": "✅ Đạt thời lượng tối thiểu {minimum} phút ({why}).",
        "en": "✅ Meets the minimum of {minimum} minutes ({why}).",
    },
    "summary.duration_fail": {
        "vi": "❌ KHÔNG ĐẠT thời lượng tối thiểu {minimum} phút ({why}): thiếu {short} phút.",
        "en": "❌ FAILS the minimum of {minimum} minutes ({why}): {short} minutes short.",
    },
    "why.regular": {"vi": "sinh hoạt thường kỳ: tối thiểu {minimum} phút", "en": "regular meeting: at least {minimum} minutes"},
    "why.thematic": {"vi": "sinh hoạt chuyên đề: tối thiểu {minimum} phút", "en": "thematic meeting: at least {minimum} minutes"},
    "why.small_cell": {
        "vi": "chi bộ dưới {size} đảng viên: tối thiểu {minimum} phút",
        "en": "cell of fewer than {size} members: at least {minimum} minutes",
    },
    "summary.attendance_ok": {
        "vi": "✅ Có mặt <b>{present}/{expected}</b> ({rate}) – đạt mục tiêu {target}.",
        "en": "✅ Present <b>{present}/{expected}</b> ({rate}) – meets the {target} target.",
    },
    "summary.attendance_fail": {
        "vi": "❌ Có mặt <b>{present}/{expected}</b> ({rate}) – KHÔNG ĐẠT mục tiêu {target}.",
        "en": "❌ Present <b>{present}/{expected}</b> ({rate}) – BELOW the {target} target.",
    },
    "summary.expected_note": {
        "vi": "(Số phải dự = {active} đảng viên trừ {exempt} miễn sinh hoạt)",
        "en": "(Expected = {active} members minus {exempt} exempt)",
    },
    "summary.late": {"vi": "⏰ Đến muộn: {names}", "en": "⏰ Late: {names}"},
    "summary.excused": {"vi": "📝 Vắng có lý do: {names}", "en": "📝 Excused: {names}"},
    "summary.absent": {"vi": "⚠️ Vắng không lý do: {names}", "en": "⚠️ Absent without reason: {names}"},
    "summary.exempt": {"vi": "🕊 Miễn sinh hoạt: {names}", "en": "🕊 Exempt: {names}"},
    "summary.manual": {"vi": "✍️ Nhập tay: {items}", "en": "✍️ Entered by hand: {items}"},
    "summary.manual_start": {"vi": "giờ bắt đầu", "en": "start time"},
    "summary.manual_end": {"vi": "giờ kết thúc", "en": "end time"},
    "summary.manual_checkin": {"vi": "điểm danh hộ {names}", "en": "checked in by the secretary: {names}"},
    "summary.unreachable": {
        "vi": "📵 Chưa liên lạc được qua chibo: {names}",
        "en": "📵 Not reachable through chibo: {names}",
    },
    "summary.verdict_ok": {"vi": "👉 Cuộc họp <b>ĐẠT</b> yêu cầu.", "en": "👉 The meeting <b>MEETS</b> the rules."},
    "summary.verdict_fail": {
        "vi": "👉 Cuộc họp <b>CHƯA ĐẠT</b> yêu cầu.",
        "en": "👉 The meeting <b>does NOT meet</b> the rules.",
    },
    "report.none": {
        "vi": "Chưa có cuộc họp nào kết thúc để báo cáo.",
        "en": "No meeting has ended yet, nothing to report.",
    },
    "report.no_cells": {"vi": "{committee} chưa có chi bộ nào.", "en": "{committee} has no cells yet."},
    "report.cell_none": {"vi": "{cell}: chưa có cuộc họp nào kết thúc.", "en": "{cell}: no meeting has ended yet."},
    # --- groups ---
    "group.code": {
        "vi": "Mã liên kết nhóm: <code>{code}</code> (hết hạn {expires}). Đồng chí thêm chibo vào nhóm chat của chi bộ rồi gõ trong nhóm: <code>/lienket {code}</code>",
        "en": "Group link code: <code>{code}</code> (expires {expires}). Add chibo to the cell's group chat, then type there: <code>/link_group {code}</code>",
    },
    "group.linked": {
        "vi": "Đã liên kết nhóm này với {cell}. Khi cuộc họp bắt đầu, nút Điểm danh sẽ được gửi vào nhóm.",
        "en": "This group is now linked to {cell}. When a meeting starts, the Check in button is posted here.",
    },
    "group.wrong_cell": {
        "vi": "Mã này là của chi bộ khác. Chỉ bí thư, phó bí thư của chi bộ đó mới liên kết được.",
        "en": "This code belongs to another cell; only its secretary or deputy can link it.",
    },
    "group.usage": {
        "vi": "Trong nhóm, gõ <code>/lienket MÃ</code> với mã bí thư nhận được khi gõ /lienket trong tin nhắn riêng.",
        "en": "In the group, type <code>/link_group CODE</code> with the code the secretary got from /link_group in private.",
    },
    "group.members_only": {
        "vi": "Trong nhóm, chibo chỉ nhận điểm danh bằng nút. Các lệnh khác đồng chí gõ trong tin nhắn riêng với chibo.",
        "en": "In groups chibo only takes check-ins by button. Use other commands in a private chat with chibo.",
    },
    # --- delivery problems ---
    "unreachable.notice": {
        "vi": "📵 Không gửi được tin nhắn cho đồng chí {name} (đã chặn hoặc rời chibo). Đồng chí vui lòng báo trực tiếp.",
        "en": "📵 Could not reach {name} (they blocked or left chibo). Please tell them directly.",
    },
    "delivery.failed": {
        "vi": "⚠️ Không gửi được tin nhắn cho đồng chí {name} sau nhiều lần thử.",
        "en": "⚠️ Could not deliver a message to {name} after several tries.",
    },
}


def t(lang: str, key: str, **kwargs: object) -> str:
    """The text ``key`` in ``lang`` (falls back to Vietnamese), arguments HTML-escaped."""
    entry = TEXTS[key]
    template = entry.get(lang) or entry["vi"]
    return template.format(**{k: esc(v) for k, v in kwargs.items()})


def fmt_time(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%H:%M")


def fmt_date(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%d/%m/%Y")


def fmt_datetime(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%H:%M %d/%m/%Y")


def fmt_rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"

TEXTS.update({
    "reminder": {
        "vi": "🔔 Nhắc lịch: {cell} họp {kind} lúc <b>{when}</b>{place}{topic}.\nĐồng chí vui lòng xác nhận tham dự.",
        "en": "🔔 Reminder: {cell} holds its {kind} at <b>{when}</b>{place}{topic}.\nPlease confirm whether you will attend.",
    },
    "prep_nudge": {
        "vi": "🗂 Còn 7 ngày đến cuộc họp {kind} ngày {when}. Đồng chí chuẩn bị: nội dung, dự thảo nghị quyết, phân công nhiệm vụ cụ thể cho từng đảng viên; gửi thời gian, địa điểm, nội dung cho đảng viên và cấp ủy viên phụ trách.",
        "en": "🗂 7 days to the {kind} on {when}. Please prepare: the content, a draft resolution, concrete tasks for every member; send the time, place and content to members and the committee member who follows the cell.",
    },
})

TEXTS.update({
    "weekly.title": {
        "vi": "📊 <b>Tóm tắt tuần {week} – {committee}</b>\nSinh hoạt thường kỳ tháng {month}",
        "en": "📊 <b>Weekly summary {week} – {committee}</b>\nRegular meetings of {month}",
    },
    "weekly.totals": {
        "vi": "Đã họp: <b>{held}/{cells}</b> chi bộ · Tỷ lệ dự họp chung: <b>{rate}</b> (mục tiêu {target})",
        "en": "Held: <b>{held}/{cells}</b> cells · Overall attendance: <b>{rate}</b> (target {target})",
    },
    "weekly.attention_header": {"vi": "<b>Cần quan tâm trước ({count}):</b>", "en": "<b>Needs attention first ({count}):</b>"},
    "weekly.attention_line": {"vi": "⚠️ {cell}: {why}", "en": "⚠️ {cell}: {why}"},
    "weekly.flagged_line": {"vi": "   – {name}: {why}", "en": "   – {name}: {why}"},
    "weekly.cells_header": {"vi": "<b>Từng chi bộ:</b>", "en": "<b>Every cell:</b>"},
    "weekly.cell_held": {
        "vi": "họp {date}, {minutes}/{minimum} phút, dự {present}/{expected} ({rate})",
        "en": "met {date}, {minutes}/{minimum} min, present {present}/{expected} ({rate})",
    },
    "weekly.cell_line": {"vi": "{mark} {cell}: {detail}; {thematic}", "en": "{mark} {cell}: {detail}; {thematic}"},
    "weekly.thematic_yes": {"vi": "đã có chuyên đề quý", "en": "thematic held this quarter"},
    "weekly.thematic_no": {"vi": "chưa có chuyên đề quý", "en": "no thematic this quarter"},
    "weekly.unreachable": {"vi": "; {count} đảng viên chưa liên lạc được", "en": "; {count} members unreachable"},
    "weekly.more_cells": {
        "vi": "… và {count} chi bộ khác: xem tệp Excel.",
        "en": "… and {count} more cells: see the Excel file.",
    },
    "weekly.files_attached": {
        "vi": "Kèm theo: tệp Excel (chi bộ, cuộc họp, điểm danh) và biểu đồ tỷ lệ dự họp.",
        "en": "Attached: the Excel workbook (cells, meetings, attendance) and the attendance chart.",
    },
    "nudge.schedule_regular": {
        "vi": "📌 {cell} chưa có lịch sinh hoạt thường kỳ tháng {month}. Đồng chí đặt lịch: <code>/lichhop YYYY-MM-DD HH:MM địa điểm</code>",
        "en": "📌 {cell} has no regular meeting scheduled for {month}. Schedule it: <code>/schedule YYYY-MM-DD HH:MM place</code>",
    },
    "nudge.schedule_thematic": {
        "vi": "📌 {cell} chưa có buổi sinh hoạt chuyên đề trong quý {quarter}. Đồng chí đặt lịch: <code>/lichhop YYYY-MM-DD HH:MM chuyende địa điểm</code>",
        "en": "📌 {cell} has no thematic meeting this quarter ({quarter}). Schedule one: <code>/schedule YYYY-MM-DD HH:MM chuyende place</code>",
    },
    "nudge.auto_created": {
        "vi": "📅 chibo đã tự đặt lịch sinh hoạt thường kỳ của {cell}: <b>{when}</b>{place} (theo lịch cố định). Các đảng viên đã được báo; đồng chí gõ /huyhop nếu cần đổi.",
        "en": "📅 chibo scheduled {cell}'s regular meeting: <b>{when}</b>{place} (standing schedule). Members were told; type /cancel_meeting to change it.",
    },
    "absence.warning": {
        "vi": "⚠️ <b>Cần nhắc nhở</b> (Điều lệ Đảng, Điều 8.1: 3 lần vắng không lý do trong năm thì đề nghị xóa tên):\n{lines}",
        "en": "⚠️ <b>Members to talk to</b> (Party Statute, art. 8.1: three unexcused absences in a year lead to striking off):\n{lines}",
    },
    "absence.unexcused": {"vi": "• {name}: vắng không lý do {count} lần trong năm", "en": "• {name}: {count} unexcused absences this year"},
    "absence.excused_streak": {"vi": "• {name}: vắng có lý do {count} lần liên tiếp", "en": "• {name}: excused {count} times in a row"},
    "reschedule.usage": {
        "vi": "Cách đổi lịch: <code>/doilich 2026-12-06 19:30</code> (đổi cuộc họp sắp tới sang thời điểm mới).",
        "en": "To reschedule: <code>/reschedule 2026-12-06 19:30</code> (moves the next meeting).",
    },
    "reschedule.done": {
        "vi": "Đã đổi cuộc họp sang {when}. Lời nhắc đã được dời theo và đảng viên đã được báo.",
        "en": "Moved the meeting to {when}. Reminders moved too and members were told.",
    },
    "reschedule.notice": {
        "vi": "🔁 {cell}: cuộc họp {kind} đổi sang <b>{when}</b>{place}.",
        "en": "🔁 {cell}: the {kind} is moved to <b>{when}</b>{place}.",
    },
    "reschedule.other_month": {
        "vi": "Cuộc họp thường kỳ tháng {month} chỉ đổi được trong tháng đó. Đồng chí hủy (/huyhop) rồi đặt lịch mới.",
        "en": "The regular meeting of {month} can only move within that month. Cancel it (/cancel_meeting) and schedule a new one.",
    },
})

TEXTS.update({
    "channel.usage": {
        "vi": "Chọn nơi nhận tin nhắn của chibo: <code>/kenh telegram</code> hoặc <code>/kenh zalo</code> (trên Zalo gõ: <code>kenh zalo</code>). Hiện tại: {current}.",
        "en": "Choose where chibo writes to you: <code>/channel telegram</code> or <code>/channel zalo</code>. Now: {current}.",
    },
    "channel.last_used": {"vi": "ứng dụng đồng chí dùng gần nhất", "en": "the app you used last"},
    "channel.not_linked": {
        "vi": "Tài khoản {platform} của đồng chí chưa được liên kết. Đồng chí gửi mã mời cho chibo trên {platform} trước.",
        "en": "Your {platform} account is not linked yet. Send your invite code to chibo on {platform} first.",
    },
    "channel.done": {
        "vi": "Từ nay chibo gửi nhắc lịch và thông báo cho đồng chí qua {platform}.",
        "en": "From now on chibo sends reminders and notices to you on {platform}.",
    },
    "choices.hint": {"vi": "Trả lời {choices}.", "en": "Reply {choices}."},
    "choices.item": {"vi": "{number} để {label}", "en": "{number} to {label}"},
    "files.link": {
        "vi": "📎 {name}: {url} (liên kết hết hạn sau 7 ngày)",
        "en": "📎 {name}: {url} (the link expires in 7 days)",
    },
    "files.no_public_url": {
        "vi": "📎 Tệp Excel và biểu đồ không gửi được qua Zalo vì chưa đặt CHIBO_PUBLIC_URL. Người vận hành lấy tệp bằng lệnh: chibo report weekly --committee {committee} --out tuan.xlsx",
        "en": "📎 The workbook and chart cannot be sent on Zalo because CHIBO_PUBLIC_URL is not set. The operator can get them with: chibo report weekly --committee {committee} --out week.xlsx",
    },
})

TEXTS.update({
    "start.wrong_bot": {
        "vi": "Chi bộ của đồng chí dùng một bot Zalo khác của chibo (mã “{bot}”). Đồng chí hỏi bí thư chi bộ tên bot đúng rồi gửi mã mời cho bot đó.",
        "en": "Your cell uses another chibo Zalo bot (“{bot}”). Ask your secretary which bot, and send your invite code there.",
    },
})

TEXTS.update({
    "why.unexcused": {"vi": "vắng không lý do {count} lần trong năm", "en": "{count} unexcused absences this year"},
    "why.excused_streak": {"vi": "vắng có lý do {count} lần liên tiếp", "en": "excused {count} times in a row"},
    "attention.no_regular": {"vi": "chưa có lịch sinh hoạt thường kỳ tháng này", "en": "no regular meeting this month"},
    "attention.short": {"vi": "họp {minutes}/{minimum} phút", "en": "met {minutes}/{minimum} min"},
    "attention.low_rate": {"vi": "dự họp {rate}", "en": "attendance {rate}"},
    "attention.no_thematic": {"vi": "chưa sinh hoạt chuyên đề quý này", "en": "no thematic meeting this quarter"},
    "attention.flagged": {"vi": "{count} đảng viên cần nhắc nhở", "en": "{count} members to talk to"},
})

TEXTS.update({
    "member.inactive": {
        "vi": "Đồng chí không còn sinh hoạt tại {cell} nên không dùng được lệnh này. Nếu đã chuyển sinh hoạt, đồng chí xin mã mời của chi bộ mới.",
        "en": "You are no longer a member of {cell}, so this command is not available. If you moved, ask your new cell for an invite code.",
    },
})

TEXTS.update({
    "end_meeting.bad_time": {
        "vi": "Giờ <code>{value}</code> không hợp lệ. Đồng chí gõ giờ:phút, ví dụ <code>/ketthuc 21:00</code>, hoặc chỉ <code>/ketthuc</code> để lấy giờ hiện tại.",
        "en": "<code>{value}</code> is not a valid time. Use hour:minute, e.g. <code>/end_meeting 21:00</code>, or just <code>/end_meeting</code> for now.",
    },
})
