"""Words of the web pages: Chinese first, English on request.

Statuses and rule names come from `planlog.i18n` so that the board reads the same in
the CLI, the API's documents and the browser; only page furniture lives here.
"""

from __future__ import annotations

from datetime import date, datetime

from planlog import i18n
from planlog.domain.clock import PLAN_TZ
from planlog.http.web.people_text import PEOPLE_TEXTS

LANGS = ("zh", "en")

_TEXTS: dict[str, tuple[str, str]] = {
    "colon": ("：", ": "),
    "app": ("工会工作计划台账", "Union work-plan tracker"),
    "home": ("首页", "Home"),
    "plans": ("工作计划", "Plans"),
    "calendar": ("时限日历", "Deadline calendar"),
    "audit": ("审计", "Audit"),
    "federation": ("组织汇总", "Federation"),
    "import": ("导入计划", "Import a plan"),
    "signin": ("登录", "Sign in"),
    "signout": ("退出", "Sign out"),
    "signin_title": ("登录工作计划台账", "Sign in to the work-plan tracker"),
    "signin_how": (
        "请使用管理员发放的访问令牌登录。令牌由管理员在服务器上创建：",
        "Sign in with the access token your administrator gave you. Tokens are created on "
        "the server:",
    ),
    "signin_roles": (
        "主席（chair）可管理计划；责任人（editor）可报告进度和完成情况；审计（auditor）只读。",
        "A chair manages plans; an editor reports progress and completion; an auditor reads.",
    ),
    "signin_revoke": (
        "令牌被撤销后，浏览器会自动退出登录。",
        "Revoking the token signs the browser out.",
    ),
    "token": ("访问令牌", "Access token"),
    "bad_token": ("令牌无效或已被撤销，请联系管理员。", "The token is unknown or revoked."),
    "signed_out": ("您已退出登录。", "You are signed out."),
    "confirm_signin": ("以 {who} 身份登录？", "Sign in as {who}?"),
    "confirm_signin_note": (
        "如果这不是您本人要打开的登录链接，请关闭此页面。",
        "If you did not mean to open this sign-in link, close this page.",
    ),
    "login_csrf_failed": (
        "登录请求无法验证（可能来自其他网站或已过期），未登录。请在本页重新登录。",
        "The sign-in could not be verified (from another site, or expired); nobody was "
        "signed in. Sign in again on this page.",
    ),
    "session_needed": ("请先登录。", "Please sign in first."),
    "role_chair": ("主席", "chair"),
    "role_editor": ("责任人", "editor"),
    "role_auditor": ("审计", "auditor"),
    # home
    "no_plans": ("您的组织范围内还没有工作计划。", "There is no plan in your organisations yet."),
    "org": ("组织", "Organisation"),
    "year": ("年度", "Year"),
    "title": ("标题", "Title"),
    # board
    "items": ("事项", "Items"),
    "deadlines": ("时限", "Deadlines"),
    "filter": ("筛选", "Filter"),
    "all": ("全部", "All"),
    "anyone": ("全部责任人", "Everyone"),
    "any_status": ("全部状态", "Any status"),
    "quick_month": ("本月到期", "Due this month"),
    "quick_next30": ("未来30天", "Next 30 days"),
    "quick_overdue": ("已逾期", "Overdue"),
    "no_match": ("没有符合条件的事项。", "No item matches."),
    "as_of_banner": (
        "这是截至 {when} 记录在案的计划状态（历史回放，只读）。",
        "This is the plan as recorded at {when} (replayed; read-only).",
    ),
    "not_recorded_yet": (
        "在该时间点，这个计划尚未创建。",
        "The plan had not been created yet at that time.",
    ),
    "back_to_now": ("回到当前", "Back to now"),
    "now_banner": ("红绿灯按 {day} 判断。", "Lights are judged on {day}."),
    "undelivered_banner": (
        "有 {n} 条提醒尚未送达（未设置通知渠道或渠道发送失败），渠道恢复后会自动补发：",
        "{n} reminders not delivered yet (no notification channel, or it fails); "
        "they go out once a channel works:",
    ),
    "undelivered_banner_one": (
        "有 {n} 条提醒尚未送达（未设置通知渠道或渠道发送失败），渠道恢复后会自动补发：",
        "{n} reminder not delivered yet (no notification channel, or it fails); "
        "it goes out once a channel works:",
    ),
    "set_channels": ("设置提醒渠道", "Set up a channel"),
    "lights_on": ("判断日", "Lights judged on"),
    "targets": ("目标", "Targets"),
    "current": ("当前", "current"),
    "no_responsible": ("（未指定）", "(none)"),
    "legend": ("图例", "Legend"),
    "of": ("共", "of"),
    # calendar
    "windows": ("申报/办理时段", "Windows"),
    "this_month": ("本月", "This month"),
    "today_marker": ("今天", "Today"),
    "nothing_due": ("本月无时限。", "Nothing due this month."),
    "month": ("月", ""),
    # item
    "goal": ("目标", "Goal"),
    "measures": ("措施", "Measures"),
    "source": ("原文", "Source"),
    "source_line": ("第 {line} 行", "line {line}"),
    "deadline_text": ("时限（原文）", "Deadline (as written)"),
    "soft": ("力争", "soft"),
    # Where an imported deadline came from, and what to check (issue 13).
    "source_label": ("时限", "label"),
    "source_column": ("表格列", "column"),
    "source_sentence": ("句中", "sentence"),
    "source_implicit": ("默认", "implicit"),
    "flag_implicit": ("按年底", "year end"),
    "flag_soft": ("力争/前后", "soft"),
    "flag_ambiguous": ("有歧义", "ambiguous"),
    "flag_next_year": ("次年", "next year"),
    "flag_ongoing": ("全年", "ongoing"),
    # Always in both languages: a chair checks these rows before confirming.
    "preview_legend": (
        "标黄的事项需要核对：时限是推断的（句中＝从任务文字读出，默认＝没有时限、按年底），"
        "或为力争/前后、有歧义、次年、全年持续。"
        "（Highlighted items need a check: the deadline was inferred (sentence = read from "
        "the task's text, implicit = none found, due at year end), or is soft, ambiguous, "
        "in the next year or ongoing.）",
        "Highlighted items need a check: the deadline was inferred (sentence = read from the "
        "task's text, implicit = none found, due at year end), or is soft, ambiguous, in the "
        "next year or ongoing.（标黄的事项需要核对：时限是推断的（句中＝从任务文字读出，"
        "默认＝没有时限、按年底），或为力争/前后、有歧义、次年、全年持续。）",
    ),
    "section": ("部分", "Section"),
    "due": ("截止", "Due"),
    "opens": ("开始", "Opens"),
    "done_on": ("完成日期", "Done on"),
    "note": ("说明", "Note"),
    "evidence": ("佐证材料链接", "Evidence link"),
    "report_progress": ("报告进度", "Report progress"),
    "percent": ("进度（%）", "Percent"),
    "target": ("目标项", "Target"),
    "target_value": ("目标当前值", "Current value"),
    "occurrence": ("时限", "Occurrence"),
    "save": ("提交", "Submit"),
    "complete": ("登记完成", "Record completion"),
    "reopen": ("重新打开", "Reopen"),
    "cancel_item": ("取消事项", "Cancel the item"),
    "reason": ("原因", "Reason"),
    "history": ("变更记录", "History"),
    "newest_first": ("最新在前", "newest first"),
    "when": ("时间", "When"),
    "who": ("操作人", "Who"),
    "what": ("内容", "What"),
    "why": ("原因", "Why"),
    "cancelled_because": ("已取消：{reason}", "Cancelled: {reason}"),
    "read_only": ("您的角色只能查看。", "Your role may only read."),
    "saved_progress": ("进度已记录。", "Progress recorded."),
    "saved_complete": ("已登记完成。", "Completion recorded."),
    "saved_reopen": ("已重新打开。", "Reopened."),
    "saved_cancel": ("事项已取消。", "Item cancelled."),
    "saved_move": ("时限已调整。", "Occurrence moved."),
    "move_occurrence": ("调整时限", "Move a deadline"),
    "new_due": ("新的截止日期", "New due date"),
    "version": ("版本", "version"),
    "no_open": ("所有时限均已完成。", "Every occurrence is done."),
    "item_as_of": (
        "这是该事项截至 {when} 的记录（只读）。",
        "This is the item as recorded at {when} (read-only).",
    ),
    # audit
    "audit_title": ("审计视图", "Auditor view"),
    "board_as_of": ("查看某日的计划状态", "The board as of a date"),
    "show": ("查看", "Show"),
    "diff": ("两个日期之间的变更", "Changes between two dates"),
    "from": ("从", "From"),
    "to": ("到", "To"),
    "no_changes": ("该时段内没有变更。", "No change in this period."),
    "audit_summary": ("变更概要", "Summary of the changes"),
    "audit_summary_hint": (
        "统计所选时段内的全部变更；下方按人员、类型、事项筛选的是变更明细。",
        "Counts every change in the period; the person, kind and item filters below "
        "narrow the timeline.",
    ),
    "changes_total": ("共 {n} 项变更", "{n} changes"),
    "changes_total_one": ("共 {n} 项变更", "{n} change"),
    "by_kind": ("按类型", "By kind"),
    "by_person": ("按人员", "By person"),
    "late_completions": ("逾期完成", "Completed late"),
    "days_late": ("晚 {n} 天", "{n} days late"),
    "days_late_one": ("晚 {n} 天", "{n} day late"),
    "postponements": ("调整时限（含延期）及原因", "Rescheduled (postponed) and why"),
    "none_found": ("无", "None"),
    "timeline": ("变更明细", "Timeline"),
    "person": ("人员", "Person"),
    "kind": ("类型", "Kind"),
    "any_item": ("全部事项", "Every item"),
    "page_of": ("第 {page}/{pages} 页，共 {n} 条", "page {page} of {pages}, {n} rows"),
    "page_of_one": ("第 {page}/{pages} 页，共 {n} 条", "page {page} of {pages}, {n} row"),
    "rows_shown": ("第 {first}–{last} 条", "rows {first}–{last}"),
    "prev_page": ("上一页", "Previous page"),
    "next_page": ("下一页", "Next page"),
    "chain": ("审计链", "Audit chain"),
    "chain_ok": (
        "完整：已校验 {n} 个事件，未发现改动。",
        "Intact: {n} events checked, nothing altered.",
    ),
    "chain_ok_one": (
        "完整：已校验 {n} 个事件，未发现改动。",
        "Intact: {n} event checked, nothing altered.",
    ),
    "chain_bad": (
        "发现问题：第 {position} 个事件（{type}）{problem}。",
        "Problem: event {position} ({type}) {problem}.",
    ),
    "chain_head": ("链头", "Head"),
    "chain_unchained": (
        "另有 {n} 个新事件尚未入链。",
        "{n} newer events are not chained yet.",
    ),
    "chain_unchained_one": (
        "另有 {n} 个新事件尚未入链。",
        "{n} newer event is not chained yet.",
    ),
    "chain_scope": (
        "审计链覆盖所有组织的记录，仅顶级组织的主席和审计可校验。",
        "The chain covers every organisation's records: only the chair or auditor of a "
        "top-level organisation may verify it.",
    ),
    "chain_role": (
        "仅主席和审计可校验审计链。",
        "Only chairs and auditors may verify the chain.",
    ),
    "quarantine_notice": (
        "以下 {n} 个已记录的事件暂未反映在看板或时间线中：读取模型无法应用，已将其隔离，"
        "其余事件照常显示。管理员可查看（planlog projections quarantine）、重试或放行。",
        "{n} recorded events below are not reflected in the board or timeline yet: a read "
        "model could not apply them and set them aside; every other event is shown. An "
        "administrator can list them (planlog projections quarantine), retry or release them.",
    ),
    "quarantine_notice_one": (
        "以下 {n} 个已记录的事件暂未反映在看板或时间线中：读取模型无法应用，已将其隔离，"
        "其余事件照常显示。管理员可查看（planlog projections quarantine）、重试或放行。",
        "{n} recorded event below is not reflected in the board or timeline yet: a read "
        "model could not apply it and set it aside; every other event is shown. An "
        "administrator can list it (planlog projections quarantine), retry or release it.",
    ),
    "quarantine_status_quarantined": ("无法应用", "could not be applied"),
    "quarantine_status_held": ("等待前一事件", "waiting for an earlier event"),
    "quarantine_status_released": ("已放行", "released"),
    "exports": ("导出", "Exports"),
    "export_csv": ("看板 CSV", "Board CSV"),
    "export_pdf": ("台账 PDF（A4 横向）", "Ledger PDF (A4 landscape)"),
    "export_xlsx": ("看板 Excel", "Board Excel"),
    "export_history": ("变更记录 JSONL", "History JSONL"),
    "export_ics": ("日历 ICS", "Calendar ICS"),
    "change_added": ("新增", "added"),
    "change_cancelled": ("取消", "cancelled"),
    "change_rescheduled": ("调整时限", "rescheduled"),
    "change_reassigned": ("更换责任人", "reassigned"),
    "change_completed": ("完成", "completed"),
    "change_backfilled": ("补录", "backfilled"),
    "change_reopened": ("重新打开", "reopened"),
    "change_revised": ("修改", "revised"),
    "change_progress_reported": ("报告进度", "progress"),
    "change_submitted": ("提交办结", "submitted"),
    # extension requests (延期申请) and sign-off (办结审核)
    "pending": ("待审批", "Awaiting decision"),
    "pending_title": (
        "待审批：延期申请与办结",
        "Awaiting decision: extension requests and completions",
    ),
    "request_open": ("延期申请中（至 {to}）", "extension asked (to {to})"),
    "request_approved": ("已批准延期", "extension approved"),
    "request_rejected": ("延期被驳回", "extension rejected"),
    "requests_open_n": ("延期申请 {n} 件", "{n} extension requests"),
    "requests_open_n_one": ("延期申请 {n} 件", "{n} extension request"),
    "request_extension": ("申请延期", "Request an extension"),
    "proposed_due": ("申请延至", "Proposed new due date"),
    "extension_requests_of_item": ("延期申请", "Extension requests"),
    "approve": ("批准", "Approve"),
    "reject": ("驳回", "Reject"),
    "submit_completion": ("提交办结", "Submit as completed"),
    "confirm_completion": ("确认办结", "Sign off"),
    "return_completion": ("退回", "Return"),
    "awaiting_sign_off": ("待确认办结", "Awaiting sign-off"),
    "sign_off_note": (
        "本计划实行办结审核：完成后须经主席确认。",
        "This plan has sign-off: a completion waits for the chair's confirmation.",
    ),
    "sign_off_switch": ("办结审核", "Sign-off"),
    "sign_off_on": ("开启办结审核", "Turn sign-off on"),
    "sign_off_off": ("关闭办结审核", "Turn sign-off off"),
    "sign_off_is_on": ("已开启：完成须经主席确认", "On: completions wait for the chair"),
    "sign_off_is_off": ("未开启：完成即办结", "Off: a completion is done at once"),
    "nothing_pending": ("没有待审批的事项", "Nothing awaits a decision"),
    "requested_by": ("申请人", "Asked by"),
    "decided_by": ("审批人", "Decided by"),
    "submitted_by_on": ("{when} 提交", "submitted {when}"),
    "saved_request": ("延期申请已提交，等待主席审批", "Extension requested; the chair decides"),
    "saved_approve": ("已批准延期，时限已调整", "Extension approved; the deadline moved"),
    "saved_reject": ("已驳回延期申请", "Extension request rejected"),
    "saved_confirm": ("已确认办结", "Signed off"),
    "saved_return": ("已退回", "Returned"),
    "saved_sign_off": ("办结审核设置已保存", "Sign-off setting saved"),
    "change_confirmed": ("确认办结", "signed off"),
    "change_returned": ("退回办结", "returned"),
    "change_extension_requested": ("申请延期", "extension requested"),
    "change_extension_approved": ("批准延期", "extension approved"),
    "change_extension_rejected": ("驳回延期", "extension rejected"),
    "extension_requests": ("延期申请及结果", "Extension requests and their outcome"),
    "change_plan_renamed": ("计划改名", "plan renamed"),
    "change_section_added": ("新增部分", "section added"),
    "change_section_renamed": ("部分改名", "section renamed"),
    "change_sections_reordered": ("调整部分顺序", "sections reordered"),
    "change_policy_set": ("修改提醒规则", "reminder policy"),
    # federation
    "fed_title": ("组织完成情况汇总", "Completion across the organisations"),
    "plans_n": ("{n} 个计划", "{n} plans"),
    "plans_n_one": ("{n} 个计划", "{n} plan"),
    "plans_below": (
        "下属 {orgs} 个组织的 {plans} 个计划不在此逐一列出，请看督办排名逐级查看：",
        "Not listed one by one here: the plans of the organisations below (plans: {plans}; "
        "organisations: {orgs}). Go down level by level from the ranking:",
    ),
    "orgs_cut": (
        "组织较多，此处只列到下一级；各级的工会见其督办排名。",
        "There are many organisations: this lists the next level only; each one's unions "
        "are in its ranking.",
    ),
    "overdue_n": ("逾期 {n}", "{n} overdue"),
    "done_of": ("已完成 {done}/{total}", "{done}/{total} done"),
    "own": ("本级", "own"),
    "chair_of": ("主席：{name}", "Chair: {name}"),
    # import
    "import_text": ("粘贴计划文本", "Paste the plan text"),
    "import_file": (
        "或上传文件（.txt .docx .xlsx .yaml）",
        "or upload a file (.txt .docx .xlsx .yaml)",
    ),
    "preview": ("预览", "Preview"),
    "confirm": ("确认导入", "Confirm the import"),
    "start_over": ("重新填写", "Start over"),
    "n_total": ("等 {n} 个", "{n} in all"),
    "preview_title": ("导入预览", "Import preview"),
    "review_hint": (
        "可直接修改任务、分类、时限和负责人，勾选“删除”的行不导入；"
        "改过时限后请点“更新预览”查看解读。确认导入的就是此处显示的内容。",
        'Edit a task, section, 时限 or responsible person here; rows marked "drop" are '
        "not imported. After changing a 时限, update the preview to see how it reads. "
        "What you confirm is what is shown.",
    ),
    "update_preview": ("更新预览", "Update the preview"),
    "drop_row": ("删除", "Drop"),
    "dropped": ("不导入", "not imported"),
    "source_typed": ("手填", "typed"),
    "preview_hint": (
        "以下是解析结果，尚未保存。确认后创建计划；同一文件重复导入只会得到同一个计划。",
        "This is what would be created; nothing is saved yet. Importing the same document "
        "twice gives the same plan.",
    ),
    "warnings": ("提示", "Warnings"),
    "already_imported": (
        "该文件此前已导入，这是当时创建的计划。",
        "This document was imported before; this is the plan it made.",
    ),
    "imported": ("计划已创建。", "The plan was created."),
    "need_document": ("请粘贴计划文本或选择文件。", "Paste the plan text or choose a file."),
    "file_too_large": (
        "文件过大：网页导入上限 {kb} KB，更大的文件请用命令行 planlog import 或 API 导入。",
        "The file is too large for the web import ({kb} KB); use planlog import or the API.",
    ),
    "chair_only": ("仅主席可导入计划。", "Only chairs may import plans."),
    # errors
    "error_title": ("出错了", "Something went wrong"),
    "not_found_page": (
        "未找到该页面，或它不在您的组织范围内。",
        "Not found, or outside your organisations.",
    ),
    "forbidden_page": ("您的角色无权执行此操作。", "Your role may not do this."),
    "csrf_failed": (
        "表单校验失败（可能已过期或来自其他网站），请返回页面刷新后重试。",
        "The form could not be verified (expired or from another site); reload and retry.",
    ),
    "refused_page": ("操作未被接受：", "Refused:"),
    "bad_input": ("输入有误：", "Invalid input:"),
    "back_home": ("返回首页", "Back to the start page"),
    "percent_invalid": ("进度须为 0–100 的整数", "percent must be a whole number 0–100"),
    "value_invalid": ("目标当前值须为数字", "the current value must be a number"),
    "nothing_reported": (
        "请填写说明、进度、目标当前值或上传佐证文件",
        "give a note, a percent, a target's current value or a file",
    ),
    "evidence_file": (
        "佐证文件（照片、PDF、Word、Excel，不超过 {mb} MB）",
        "Evidence file (photo, PDF, Word, Excel; at most {mb} MB)",
    ),
    "evidence_files": ("佐证材料", "Evidence files"),
    "download": ("下载", "Download"),
    "date_invalid": ("日期格式有误", "the date is not valid"),
    "reason_needed": ("须说明原因", "a reason is required"),
    # chair: add and edit items (planlog.http.web.chair)
    "add_item": ("添加任务", "Add item"),
    "edit_item": ("编辑", "Edit"),
    "edit_title": ("编辑任务", "Edit the item"),
    "number": ("序号", "Number"),
    "responsible_person": ("责任人", "Responsible"),
    "section_pick": ("所属部分", "Section"),
    "section_none": ("（不分部分）", "(no section)"),
    "section_new": ("或新建部分", "or a new section"),
    "deadline_typed": (
        "时限（按计划原文填写，如“6月;12月”“每季度末”）",
        "Deadline as written (e.g. 6月;12月, 每季度末)",
    ),
    "deadline_dates": (
        "或按日期（每行一个：2026-06-30，或时段 2026-06-01~2026-08-31）",
        "or by dates (one a line: 2026-06-30, or a window 2026-06-01~2026-08-31)",
    ),
    "deadline_reading": ("时限解读", "How the deadline reads"),
    "deadline_unreadable": (
        "无法识别这个时限，请改写或按日期填写。",
        "This deadline cannot be read: rewrite it or give dates.",
    ),
    "reading_none": ("输入时限后显示解读结果。", "Type a deadline to see how it reads."),
    "reading_soft": ("（力争）", "(soft)"),
    "reading_ambiguous": ("可能有歧义：{note}", "May be ambiguous: {note}"),
    "reading_repeats": ("按规则重复：{rule}", "Repeats: {rule}"),
    "preview_reading": ("预览时限解读", "Preview the reading"),
    "targets_edit": ("目标（名称、数值、单位）", "Targets (label, value, unit)"),
    "target_label": ("目标名称", "Target label"),
    "target_amount": ("目标数值", "Value"),
    "target_unit": ("单位", "Unit"),
    "schedule_change": ("调整时限", "Change the schedule"),
    "schedule_hint": (
        "修改时限或填写日期会重排未完成的时限（已完成的保留），须说明原因。",
        "A changed deadline or dates replace the open occurrences (done ones stay); give a reason.",
    ),
    "change_reason": ("修改原因（记入变更记录）", "Reason (kept in the history)"),
    "save_changes": ("保存修改", "Save the changes"),
    "back_to_item": ("返回任务", "Back to the item"),
    "nothing_changed": ("没有修改任何内容。", "Nothing was changed."),
    "saved_edit": ("修改已保存，已记入变更记录。", "Saved; the change is in the history."),
    "saved_add": ("任务已添加。", "The item was added."),
    "title_needed": ("须填写标题", "a title is required"),
    "deadline_needed": ("须填写时限或日期", "a deadline or dates are required"),
    "target_incomplete": (
        "目标第 {n} 行须同时填写名称和数值",
        "target line {n} needs both a label and a value",
    ),
    "dates_invalid": (
        "日期第 {n} 行有误（应为 2026-06-30 或 2026-06-01~2026-08-31）",
        "date line {n} is not valid (2026-06-30 or 2026-06-01~2026-08-31)",
    ),
    "chairs_only": ("仅主席可进行此操作。", "Only chairs may do this."),
    # settings
    "settings": ("设置", "Settings"),
    "sections": ("计划部分", "Sections"),
    "add_section": ("新增部分", "Add a section"),
    "rename": ("改名", "Rename"),
    "saved_section": ("部分已保存。", "Section saved."),
    "helpers": ("协办单位", "Helping units"),
    "helpers_hint": ("如：组织部、宣传部", "e.g. organisation and publicity departments"),
    "plan_title": ("计划名称", "Plan title"),
    "rename_plan": ("修改计划名称", "Rename the plan"),
    "saved_title": ("计划名称已修改。", "The plan was renamed."),
    "move_up": ("上移", "Move up"),
    "move_down": ("下移", "Move down"),
    "saved_order": ("部分顺序已调整。", "Sections reordered."),
    "policy": ("提醒规则", "Reminder policy"),
    "lead_days": (
        "提前提醒天数（逗号分隔，如 7,1）",
        "Days before due (comma-separated, e.g. 7,1)",
    ),
    "on_due_day": ("截止当天提醒", "Remind on the due day"),
    "opens_notice": ("时段开始时提醒", "Notify when a window opens"),
    "overdue_every_days": ("逾期后每隔几天催办", "Chase every N days when overdue"),
    "escalate_after_days": ("逾期几天后报告主席", "Escalate to the chair after N days"),
    "max_chases": ("最多催办次数（空：直到办结）", "Most chases (empty: until done)"),
    "widen_after_days": ("逾期几天后放宽间隔", "Widen the interval after N days"),
    "overdue_later_every_days": ("放宽后每隔几天催办", "Then chase every N days"),
    "escalate_parent_after_days": (
        "逾期几天后报上级工会主席",
        "Escalate to the chair above after N days",
    ),
    "send_at": ("发送时间（北京时间）", "Send at (China time)"),
    "timezone": ("时区", "Time zone"),
    "saved_policy": ("提醒规则已保存。", "Reminder policy saved."),
    "channels": ("提醒渠道", "Reminder channels"),
    "channels_hint": (
        "apprise 地址，每行一个，例如 wecombot://KEY（企业微信群机器人）、dingtalk://TOKEN、"
        "mailto://…；留空即删除。",
        "apprise URLs, one a line, e.g. wecombot://KEY, dingtalk://TOKEN, mailto://…; "
        "empty removes them.",
    ),
    "channel_union": ("全会（本组织）", "The whole union"),
    "channel_person": ("责任人（留空为全会）", "Responsible person (empty: the whole union)"),
    "channel_urls": ("渠道地址", "Channel URLs"),
    "no_channels": ("尚未设置提醒渠道。", "No channel is set up yet."),
    "saved_channels": ("提醒渠道已保存。", "Channels saved."),
    "channel_unusable": ("该渠道地址无法使用：", "This channel URL cannot be used:"),
    "send_test": ("发送测试消息", "Send a test message"),
    "test_title": ("planlog 测试消息", "planlog test message"),
    "test_body": (
        "这是来自工会工作计划台账的测试消息（{plan}）。收到即表示提醒渠道可用。",
        "A test message from the work-plan tracker ({plan}). If you can read it, the "
        "channel works.",
    ),
    "test_ok": ("发送成功", "sent"),
    "test_failed": ("发送失败：{error}", "failed: {error}"),
    "test_none": (
        "没有可测试的渠道：请先为全会或该责任人设置渠道。",
        "There is no channel to test: set one up first.",
    ),
    "feeds": ("日历订阅", "Calendar feeds"),
    "feeds_hint": (
        "订阅地址可加入手机或电脑日历；地址即凭证，只显示一次，可随时撤销。",
        "Add a feed link to a phone or desktop calendar; the link is the credential, shown "
        "once, and can be revoked.",
    ),
    "feed_kind_plan": ("本计划", "This plan"),
    "feed_kind_person": ("某责任人", "One responsible person"),
    "feed_kind_org": ("本组织全部计划", "Every plan of the union"),
    "feed_for": ("订阅内容", "Feed of"),
    "feed_person": ("责任人（按人订阅时填写）", "Responsible person (for a person's feed)"),
    "create_feed": ("创建订阅", "Create a feed"),
    "feed_created": (
        "订阅已创建，请复制地址（只显示这一次）：",
        "Feed created; copy the link (it is shown only now):",
    ),
    "copy": ("复制", "Copy"),
    "copied": ("已复制", "Copied"),
    "revoke": ("撤销", "Revoke"),
    "revoked": ("订阅已撤销。", "The feed was revoked."),
    "no_feeds": ("还没有日历订阅。", "No calendar feed yet."),
    "created": ("创建时间", "Created"),
    "person_needed": ("请填写责任人", "give the responsible person"),
    # onboarding mid-year (补录)
    "backfill_link": ("补录已完成", "Record work already done"),
    "backfill_title": ("补录已完成的工作", "Record work already done"),
    "backfill_hint": (
        "勾选已经完成的时限，填写实际完成日期（默认为截止日期）和说明，一次提交。每一行单独记录，"
        "历史中标为“补录”。",
        "Tick the deadlines already met, give the day each was done (the due date unless "
        "changed) and a note, and submit once. Each row is recorded on its own and marked "
        "as a backfill in the history.",
    ),
    "backfill_pick": ("选择", "Select"),
    "backfill_item": ("任务", "Item"),
    "backfill_submit": ("补录所选", "Record the selected"),
    "backfill_show_all": ("显示全部未完成时限", "Show every open deadline"),
    "backfill_only_late": ("只显示已过截止日期的", "Only those past their due date"),
    "backfill_nothing": ("没有需要补录的时限。", "There is nothing to record."),
    "backfill_none": ("请至少勾选一行", "tick at least one row"),
    "backfill_report": (
        "已补录 {recorded} 项，未能补录 {refused} 项",
        "{recorded} recorded, {refused} refused",
    ),
    "backfill_recorded": ("已补录", "recorded"),
    "backfill_refused": ("未补录：{error}", "not recorded: {error}"),
    "backfill_other_plan": ("该任务不属于本计划", "the item is not in this plan"),
    "done_on_invalid": (
        "完成日期无效（应为 2026-05-20）",
        "the day done is not a date (2026-05-20)",
    ),
    "back_to_board": ("返回工作计划", "Back to the plan"),
    # print (台账)
    "print": ("打印台账", "Print the ledger"),
    "ledger": ("工作台账", "Work ledger"),
    "ledger_as_of": ("截至 {day}", "as of {day}"),
    "ledger_printed": ("打印于 {when}", "printed {when}"),
    "days_overdue": ("逾期天数", "Days overdue"),
    "late_days": ("逾期{n}天", "{n} days overdue"),
    "late_days_one": ("逾期{n}天", "{n} day overdue"),
    "completed_on": ("完成日期", "Completed on"),
    "progress_note": ("进展情况", "Progress note"),
    "print_now": ("打印", "Print"),
    "as_of_date": ("截至日期", "As of"),
    # home
    "next_deadline": ("下一时限", "Next deadline"),
    "overdue_count": ("逾期", "Overdue"),
    # federation tasks (任务下达) and the ranking (督办)
    "send_task": ("下达任务", "Send down as a task"),
    "send_task_to": ("下达对象", "Send to"),
    "send_task_help": (
        "所选组织下的每个基层工会都会在本年度计划中收到此任务（区县总工会本身不收到副本）；"
        "已收到的工会不会重复下达。时限由上级统一调整。",
        "Every union below the chosen organisations gets this item in its plan for the "
        "year (a district itself gets no copy); unions that have it are skipped. Only "
        "the federation moves its deadlines.",
    ),
    "send_task_nobody": (
        "没有组织登记在本组织之下，任务无处下达。",
        "No organisation is registered below this one: there is nobody to send a task to.",
    ),
    "send_button": ("下达", "Send"),
    "task_status": ("任务完成情况", "Task status"),
    "task_counts": (
        "已完成 {done} · 已逾期 {overdue} · 未到期 {open} · 待确认办结 {submitted}",
        "done {done} · overdue {overdue} · not due yet {open} · submitted {submitted}",
    ),
    "task_union": ("基层工会", "Union"),
    "task_copy": ("任务副本", "Its copy"),
    "task_status_col": ("状态", "Status"),
    "task_copy_note": (
        "上级下达的任务：时限由上级工会调整。",
        "Sent down by the federation: only the federation moves its deadlines.",
    ),
    "task_status_done": ("已完成", "done"),
    "task_status_overdue": ("已逾期", "overdue"),
    # a copy neither done, handed in nor overdue (planlog.projections.tasks), started or
    # not: 未到期, as the unions' boards cannot be second-guessed from here
    "task_status_open": ("未到期", "not due yet"),
    "task_sent": ("下达 {n} 个工会", "sent to {n} unions"),
    "task_sent_one": ("下达 {n} 个工会", "sent to {n} union"),
    # an item's history entry that is its task's (PlanlogApp.history `sent_as`)
    "history_task": ("下达任务", "Task sent down"),
    # a board whose completion counts no deadline (a plan sent down whole, or none yet)
    "nothing_counted": ("本级没有计入完成率的时限", "no deadline of its own is counted"),
    "task_status_submitted": ("待确认办结", "submitted"),
    "task_status_cancelled": ("已取消", "cancelled"),
    "ranking": ("督办排名", "Who is lagging"),
    "ranking_help": (
        "按逾期数（多者在前）、完成率（低者在前）排序；点击组织逐级查看。",
        "Ordered by overdue deadlines (most first), then completion (least first); "
        "follow an organisation to look below it.",
    ),
    "rank_districts": ("区县", "Districts"),
    "rank_unions": ("基层工会", "Unions"),
    "rank_org": ("组织", "Organisation"),
    "rank_overdue": ("逾期", "Overdue"),
    "rank_done": ("完成率", "Completion"),
    "rank_unions_n": ("基层工会数", "Unions"),
    "rank_up": ("上一级", "Up"),
    "rank_plans": ("工作计划", "Plans"),
    "rank_more": ("另有 {n} 个基层工会未列出", "{n} more unions not listed"),
    "rank_more_one": ("另有 {n} 个基层工会未列出", "{n} more union not listed"),
}

_TEXTS.update(PEOPLE_TEXTS)  # the people pages' words (planlog.http.web.people)

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def tr(key: str, lang: str = "zh", **values: object) -> str:
    """The page text for `key`; statuses and rules fall back to planlog's own words.
    A count of one takes the key's `_one` form where it has one (English says "1 plan",
    Chinese has no plural): the count a text's noun agrees with is always named `n`."""
    if values.get("n") == 1 and f"{key}_one" in _TEXTS:
        key = f"{key}_one"
    pair = _TEXTS.get(key)
    text = i18n.t(key, lang) if pair is None else pair[1 if lang == "en" else 0]
    return text.format(**values) if values else text


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def day(value: date | str | None, lang: str = "zh", plan_year: int | None = None) -> str:
    """A business day as people write it: 6月1日 / Jun 1. A day outside the plan's year
    (a year-end report due next March) says its year: 2027年3月1日 / Mar 1, 2027."""
    if value is None:
        return ""
    d = _as_date(value)
    other_year = plan_year is not None and d.year != plan_year
    if lang == "en":
        return f"{_MONTHS_EN[d.month - 1]} {d.day}" + (f", {d.year}" if other_year else "")
    return (f"{d.year}年" if other_year else "") + f"{d.month}月{d.day}日"


def span(
    opens: date | str | None, due: date | str, lang: str = "zh", plan_year: int | None = None
) -> str:
    """A due date, or a window as a range (6月1日—8月31日)."""
    if not opens:
        return day(due, lang, plan_year)
    return f"{day(opens, lang, plan_year)}—{day(due, lang, plan_year)}"


def month_name(month: int, lang: str = "zh") -> str:
    return _MONTHS_EN[month - 1] if lang == "en" else f"{month}月"


def moment(value: str | datetime | None) -> str:
    """A recorded time (stored in UTC) in China time, to the minute."""
    if not value:
        return ""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when.astimezone(PLAN_TZ).strftime("%Y-%m-%d %H:%M")


def number(value: float | int | None) -> str:
    """4.0 → 4, 0.5 → 0.5: targets are mostly counts and percentages."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)
