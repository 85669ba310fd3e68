"""One readable sentence per recorded event: Chinese first, English on request.

Timelines, diffs and item histories show these; they are worded when shown, from the
event's own payload, so rewording one never needs a rebuild. A presenter, like
`planlog.service.views`: it knows only the domain's event classes, so the timeline read
model and the doors both use it without either depending on the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planlog.domain.events import event_name
from planlog.domain.model import Plan, PlanItem
from planlog.domain.organisation import Organisation
from planlog.domain.person import Person
from planlog.domain.registry import ImportedDocument, PlanIndex, PlanIndexOrigin, PlanRegistry
from planlog.domain.task import FederationTask
from planlog.i18n import count_of

Summary = Callable[[dict[str, Any]], str]

#: what a timeline shows for an event its log no longer holds (only tampering does that)
MISSING = {"zh": "（日志中已无此事件）", "en": "(event no longer in the log)"}


#: An item's revisable details (planlog.domain.model.REVISABLE) as a chair calls them.
FIELD_NAMES = {
    "title": "标题",
    "section_id": "所属部分",
    "number": "序号",
    "goal": "目标",
    "measures": "措施",
    "targets": "量化指标",
    "helpers": "协办单位",
}


def _fields_zh(d: dict[str, Any]) -> str:
    """The changed details in the order the item shows them."""
    changed = d.get("changes", {})
    known = [label for name, label in FIELD_NAMES.items() if name in changed]
    return "、".join(known + sorted(name for name in changed if name not in FIELD_NAMES))


def _behind(d: dict[str, Any]) -> int:
    """The lagging unions of a digest: those it names and those it only counts."""
    return len(d.get("lagging") or []) + int(d.get("more") or 0)


def _digest_to(d: dict[str, Any], language: str) -> str:
    """Whom a digest was addressed to. Version 1 recorded only the names it greeted
    (`recipients`), not whether a chair was registered: it says those names, never
    "no chair is registered", which it cannot know."""
    zh = language == "zh"
    if d.get("chairs"):
        names = [str(c.get("name")) for c in d["chairs"]]
        return "致 " + "、".join(names) if zh else "to " + ", ".join(names)
    if d.get("addressed_to"):  # version 2 addressed to the organisation: none registered
        return (
            "未登记主席，发至本组织的通知渠道"
            if zh
            else "to the organisation's channels: no chair is registered"
        )
    recipients = [str(r) for r in d.get("recipients") or []]
    if recipients:
        return "致 " + "、".join(recipients) if zh else "to " + ", ".join(recipients)
    return "发至本组织的通知渠道" if zh else "to the organisation's channels"


def _dates(d: dict[str, Any], joiner: str, span: str) -> str:
    return joiner.join(
        f"{o['opens']}{span}{o['due']}" if o.get("opens") else str(o["due"])
        for o in d.get("occurrences") or []
    )


def _note(d: dict[str, Any], colon: str) -> str:
    return f"{colon}{d['note']}" if d.get("note") else ""


def _progress_zh(d: dict[str, Any]) -> str:
    percent = f" {d['percent']}%" if d.get("percent") is not None else ""
    index = d.get("target_index")
    target = f"（目标{index + 1}：{d.get('target_value')}）" if index is not None else ""
    return f"报告进度{percent}{target}{_note(d, '：')}"


def _progress_en(d: dict[str, Any]) -> str:
    percent = f" {d['percent']}%" if d.get("percent") is not None else ""
    index = d.get("target_index")
    target = f" (target {index + 1}: {d.get('target_value')})" if index is not None else ""
    return f"Reported progress{percent}{target}{_note(d, ': ')}"


def _file(d: dict[str, Any]) -> dict[str, Any]:
    file = d.get("file")
    return file if isinstance(file, dict) else {}


def _evidence_zh(d: dict[str, Any]) -> str:
    f, due = _file(d), f"（{d['occurrence']} 时限）" if d.get("occurrence") else ""
    return f"上传佐证材料“{f.get('name')}”{due} SHA-256 {f.get('sha256')}{_note(d, '：')}"


def _evidence_en(d: dict[str, Any]) -> str:
    f, due = _file(d), f" (the {d['occurrence']} deadline)" if d.get("occurrence") else ""
    return f"Attached evidence “{f.get('name')}”{due} SHA-256 {f.get('sha256')}{_note(d, ': ')}"


#: event type → its sentence in Chinese and in English, side by side so that no event
#: is worded in one language only
_WORDING: dict[str, tuple[Summary, Summary]] = {
    event_name(Plan.Created): (
        lambda d: f"创建计划《{d.get('title')}》（{d.get('org')}，{d.get('year')}年）",
        lambda d: f"Created plan “{d.get('title')}” ({d.get('org')}, {d.get('year')})",
    ),
    event_name(Plan.SectionAdded): (
        lambda d: f"新增部分“{d.get('title')}”",
        lambda d: f"Added section “{d.get('title')}”",
    ),
    event_name(Plan.SectionRenamed): (
        lambda d: f"部分更名为“{d.get('title')}”",
        lambda d: f"Renamed a section to “{d.get('title')}”",
    ),
    event_name(Plan.Renamed): (
        lambda d: f"计划更名为《{d.get('title')}》",
        lambda d: f"Renamed the plan to “{d.get('title')}”",
    ),
    event_name(Plan.SectionsReordered): (
        lambda d: "调整部分顺序",
        lambda d: "Reordered the sections",
    ),
    event_name(Plan.ItemAttached): (
        lambda d: "计划新增事项",
        lambda d: "Added an item to the plan",
    ),
    event_name(Plan.ReminderPolicySet): (
        lambda d: "设置提醒规则",
        lambda d: "Set the reminder policy",
    ),
    event_name(PlanRegistry.Created): (
        lambda d: "建立计划登记簿",
        lambda d: "Opened the register of plans",
    ),
    event_name(PlanRegistry.PlanRegistered): (
        lambda d: f"登记计划《{d.get('title')}》",
        lambda d: f"Registered plan “{d.get('title')}”",
    ),
    event_name(PlanRegistry.PlanRetitled): (
        lambda d: f"登记簿中计划更名为《{d.get('title')}》",
        lambda d: f"Renamed plan to “{d.get('title')}” in the register",
    ),
    event_name(ImportedDocument.Recorded): (
        lambda d: f"记录导入文件（{d.get('year')} 年），对应计划 {d.get('plan_id')}",
        lambda d: f"Recorded the imported document ({d.get('year')}) of plan {d.get('plan_id')}",
    ),
    event_name(PlanIndex.Started): (
        lambda d: f"{d.get('org')} {d.get('year')} 年计划索引：计划 {d.get('plan_id')}",
        lambda d: f"Indexed plan {d.get('plan_id')} of {d.get('org')} for {d.get('year')}",
    ),
    event_name(PlanIndex.PlanAdded): (
        lambda d: f"计划索引新增计划 {d.get('plan_id')}",
        lambda d: f"Indexed plan {d.get('plan_id')}",
    ),
    event_name(PlanIndex.EarlierPlansAdded): (
        lambda d: f"计划索引补入此前的计划 {len(d.get('plan_ids') or [])} 个",
        lambda d: f"Indexed {len(d.get('plan_ids') or [])} plan(s) made before the index",
    ),
    event_name(PlanIndexOrigin.Recorded): (
        lambda d: "开始按组织和年度索引计划" + ("" if d.get("complete") else "（此前已有计划）"),
        lambda d: (
            "Began indexing plans by organisation and year"
            + ("" if d.get("complete") else " (plans made before are not indexed)")
        ),
    ),
    event_name(PlanIndexOrigin.Completed): (
        lambda d: "此前的计划均已补入索引",
        lambda d: "Indexed every plan made before the index",
    ),
    event_name(PlanItem.Planned): (
        lambda d: f"新增事项“{d.get('title')}”，时限 " + (_dates(d, "、", "至") or "无"),
        lambda d: f"Added item “{d.get('title')}”, due " + (_dates(d, ", ", " to ") or "never"),
    ),
    event_name(PlanItem.Revised): (
        lambda d: "修改事项：" + _fields_zh(d),
        lambda d: "Revised " + ", ".join(sorted(d.get("changes", {}))),
    ),
    event_name(PlanItem.Rescheduled): (
        lambda d: "调整时限为 " + _dates(d, "、", "至"),
        lambda d: "Deadlines changed to " + _dates(d, ", ", " to "),
    ),
    event_name(PlanItem.Reassigned): (
        lambda d: f"责任人改为 {d.get('responsible') or '（无）'}",
        lambda d: f"Responsible changed to {d.get('responsible') or '(none)'}",
    ),
    event_name(PlanItem.ProgressReported): (_progress_zh, _progress_en),
    event_name(PlanItem.OccurrenceCompleted): (
        lambda d: f"完成 {d.get('occurrence')} 时限（{d.get('done_on')} 完成）{_note(d, '：')}",
        lambda d: (
            f"Completed the {d.get('occurrence')} deadline (done {d.get('done_on')})"
            + _note(d, ": ")
        ),
    ),
    event_name(PlanItem.OccurrenceBackfilled): (
        lambda d: f"补录 {d.get('occurrence')} 时限已于 {d.get('done_on')} 完成{_note(d, '：')}",
        lambda d: (
            f"Backfilled the {d.get('occurrence')} deadline as done {d.get('done_on')}"
            + _note(d, ": ")
        ),
    ),
    event_name(PlanItem.OccurrenceReopened): (
        lambda d: f"重新打开 {d.get('occurrence')} 时限",
        lambda d: f"Reopened the {d.get('occurrence')} deadline",
    ),
    event_name(PlanItem.Cancelled): (lambda d: "取消事项", lambda d: "Cancelled the item"),
    event_name(PlanItem.EvidenceAttached): (_evidence_zh, _evidence_en),
    event_name(PlanItem.OccurrenceSubmitted): (
        lambda d: f"提交办结 {d.get('occurrence')} 时限（{d.get('done_on')} 完成）{_note(d, '：')}",
        lambda d: (
            f"Submitted the {d.get('occurrence')} deadline for sign-off (done {d.get('done_on')})"
            + _note(d, ": ")
        ),
    ),
    event_name(PlanItem.OccurrenceConfirmed): (
        lambda d: f"确认办结 {d.get('occurrence')} 时限",
        lambda d: f"Signed off the {d.get('occurrence')} deadline",
    ),
    event_name(PlanItem.OccurrenceReturned): (
        lambda d: f"退回 {d.get('occurrence')} 时限的办结：{d.get('reason') or ''}",
        lambda d: f"Returned the {d.get('occurrence')} deadline: {d.get('reason') or ''}",
    ),
    event_name(PlanItem.ExtensionRequested): (
        lambda d: f"申请将 {d.get('occurrence')} 时限延期至 {d.get('to')}：{d.get('reason') or ''}",
        lambda d: (
            f"Asked to move the {d.get('occurrence')} deadline to {d.get('to')}: "
            f"{d.get('reason') or ''}"
        ),
    ),
    event_name(PlanItem.ExtensionApproved): (
        lambda d: f"批准延期：{d.get('occurrence')} 时限延至 {d.get('to')}",
        lambda d: f"Approved the extension: {d.get('occurrence')} moved to {d.get('to')}",
    ),
    event_name(PlanItem.ExtensionRejected): (
        lambda d: f"驳回 {d.get('occurrence')} 时限的延期申请：{d.get('reason') or ''}",
        lambda d: (
            f"Rejected the extension request for {d.get('occurrence')}: {d.get('reason') or ''}"
        ),
    ),
    event_name(PlanItem.ExtensionSuperseded): (
        lambda d: f"{d.get('occurrence')} 时限已调整，其延期申请随之关闭",
        lambda d: f"Closed the extension request for {d.get('occurrence')}: the deadline was moved",
    ),
    event_name(PlanItem.ReminderIssued): (
        lambda d: f"发出提醒（{d.get('kind')}，{d.get('occurrence')}）",
        lambda d: f"Sent a reminder ({d.get('kind')}, {d.get('occurrence')})",
    ),
    event_name(FederationTask.Sent): (
        lambda d: f"下达任务“{d.get('title')}”",
        lambda d: f"Sent down the task “{d.get('title')}”",
    ),
    event_name(FederationTask.CopiesMade): (
        lambda d: f"任务下达至 {len(d.get('copies') or {})} 个工会",
        lambda d: f"Task copied to {count_of(len(d.get('copies') or {}), 'union')}",
    ),
    event_name(FederationTask.ScheduleAdjusted): (
        lambda d: "上级调整任务时限为 " + _dates(d, "、", "至"),
        lambda d: "The federation moved the task's deadlines to " + _dates(d, ", ", " to "),
    ),
    event_name(Organisation.Registered): (
        lambda d: (
            f"登记组织“{d.get('name')}”" + (f"，隶属 {d['parent']}" if d.get("parent") else "")
        ),
        lambda d: (
            f"Registered organisation “{d.get('name')}”"
            + (f", under {d['parent']}" if d.get("parent") else "")
        ),
    ),
    event_name(Organisation.Reparented): (
        lambda d: f"组织改为隶属 {d.get('parent') or '（无）'}",
        lambda d: f"Moved under {d.get('parent') or '(none)'}",
    ),
    event_name(Organisation.DigestIssued): (
        lambda d: (
            f"发出 {d.get('week')} 督办周报（{_behind(d)} 个工会滞后），" + _digest_to(d, "zh")
        ),
        lambda d: (
            f"Issued the {d.get('week')} laggard digest ({count_of(_behind(d), 'union')} behind), "
            + _digest_to(d, "en")
        ),
    ),
    event_name(Organisation.ChairAppointed): (
        lambda d: f"工会主席改为 {d.get('chair') or '（无）'}",
        lambda d: f"Chair changed to {d.get('chair') or '(none)'}",
    ),
    event_name(Organisation.Retired): (lambda d: "注销组织", lambda d: "Retired the organisation"),
    # People: the sentence names the person, never their contact details.
    event_name(Person.Registered): (
        lambda d: f"登记人员 {d.get('name')}（{d.get('org')}，{d.get('role')}）",
        lambda d: f"Registered {d.get('name')} ({d.get('org')}, {d.get('role')})",
    ),
    event_name(Person.Changed): (
        lambda d: "修改人员信息：" + "、".join(sorted(d.get("changes", {}))),
        lambda d: "Changed the person's " + ", ".join(sorted(d.get("changes", {}))),
    ),
    event_name(Person.Retired): (lambda d: "停用人员", lambda d: "Retired the person"),
}

#: language → event type → its sentence
SUMMARIES = {
    language: {kind: pair[n] for kind, pair in _WORDING.items()}
    for n, language in enumerate(("zh", "en"))
}


def summarise(event_type: str, d: dict[str, Any], language: str = "zh") -> str:
    """One readable sentence for an event (its type name if none is known)."""
    summary = SUMMARIES.get(language, SUMMARIES["zh"]).get(event_type)
    return summary(d) if summary is not None else event_type.rpartition(".")[2]


def summarise_history(aggregate: type, entry: dict[str, Any], language: str = "zh") -> str:
    """One sentence for an entry of an aggregate's history (`PlanlogApp.history`), whose
    `type` is the event class's own name within `aggregate`."""
    kind = getattr(aggregate, entry["type"], None)
    name = event_name(kind) if isinstance(kind, type) else entry["type"]
    return summarise(name, entry, language)
