"""Words of the people pages (sign-in as a person, my tasks, the chair's people page):
Chinese first, English on request. Kept apart from `text` so that the pages' words
live with them; `text._TEXTS` takes them in."""

from __future__ import annotations

PEOPLE_TEXTS: dict[str, tuple[str, str]] = {
    "people": ("人员", "People"),
    "my_tasks": ("我的任务", "My tasks"),
    "bad_link": (
        "登录链接无效、已使用或已过期，请向主席索取新的链接。",
        "This sign-in link is unknown, used or expired: ask your chair for a new one.",
    ),
    "link_question": ("以 {who} 身份登录？", "Sign in as {who}?"),
    "link_note": (
        "此链接只能使用一次。若不是您本人，请关闭此页。",
        "This link works once. If you are not this person, close this page.",
    ),
    "password_title": ("用密码登录", "Sign in with a password"),
    "account": ("手机号码或电子邮件", "Mobile number or e-mail"),
    "password": ("密码", "Password"),
    "bad_password": ("账号或密码不正确。", "Wrong account or password."),
    "me_intro": (
        "您负责或协办的未完成任务，逾期的排在最前。",
        "Your open deadlines as responsible or helping unit, overdue first.",
    ),
    "me_not_person": (
        "当前登录不属于任何人员，没有“我的任务”。请使用主席发给您的登录链接。",
        "This sign-in is not a person's, so there are no tasks of yours: use the sign-in "
        "link your chair sent you.",
    ),
    "me_none": ("没有未完成的任务。", "No open deadlines."),
    "me_reported": ("已报告。", "Reported."),
    "days_left": ("剩 {n} 天", "{n} days left"),
    "days_left_one": ("剩 {n} 天", "{n} day left"),
    "due_today": ("今天到期", "due today"),
    "overdue_days": ("逾期 {n} 天", "{n} days overdue"),
    "overdue_days_one": ("逾期 {n} 天", "{n} day overdue"),
    "note_placeholder": ("进展说明（只写说明也可以）", "What happened (a note alone will do)"),
    "percent_optional": ("进度 %（可不填）", "Percent (optional)"),
    "report": ("报告进展", "Report"),
    "person_added": ("已添加人员。", "Person added."),
    "person_saved": ("已保存。", "Saved."),
    "person_retired": ("已停用该人员。", "Person retired."),
    "add_person": ("添加人员", "Add a person"),
    "name": ("姓名", "Name"),
    "department": ("部门", "Department"),
    "role": ("角色", "Role"),
    "mobile": ("手机号码", "Mobile"),
    "email": ("电子邮件", "E-mail"),
    "im_id": ("企业微信/钉钉账号", "WeCom/DingTalk id"),
    "retired": ("已停用", "retired"),
    "edit": ("编辑", "Edit"),
    "person_save": ("保存", "Save"),
    "retire": ("停用", "Retire"),
    "retire_note": (
        "停用后此人不能再登录，其链接和令牌失效；历史记录保留。",
        "A retired person can no longer sign in; their links and tokens stop working; the "
        "history keeps them.",
    ),
    "sign_in_link": ("登录链接", "Sign-in link"),
    "show_link": ("生成登录链接", "Make a sign-in link"),
    "send_link": ("生成并发送到此人的提醒渠道", "Make and send to their reminder channel"),
    "link_shown": (
        "一次性登录链接（7 天内有效，只能使用一次）：",
        "One-time sign-in link (works once, within 7 days):",
    ),
    "link_sent": ("已发送到此人的提醒渠道。", "Sent to their reminder channel."),
    "link_not_sent": (
        "未能发送：此人没有个人提醒渠道或发送失败，请复制链接转交。",
        "Not sent: they have no personal reminder channel, or sending failed. Copy the "
        "link and pass it on.",
    ),
    "link_message_title": ("planlog 登录链接", "planlog sign-in link"),
    "link_message_body": (
        "{who}，请用此链接登录查看您的任务（7 天内有效，只能使用一次）：{url}",
        "{who}, sign in with this link to see your tasks (works once, within 7 days): {url}",
    ),
    "set_password": ("设置密码", "Set password"),
    "clear_password": ("清除密码", "Clear password"),
    "password_is_set": ("已设置密码。", "A password is set."),
    "password_hint": ("至少 8 个字符", "at least 8 characters"),
    "back_to_people": ("返回人员列表", "Back to people"),
}
