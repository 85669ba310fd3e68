"""Reminders from the command line: one pass, the record, channels, policy, the worker."""

from __future__ import annotations

import signal
import threading
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from planlog.cli.common import JsonOption, emit_json, guarded, out_console, parse_id, state
from planlog.cli.render import literal
from planlog.config import Settings
from planlog.domain.errors import PlanlogError
from planlog.heap import freeze_startup_objects
from planlog.i18n import delivery_status
from planlog.projections.outbox import reminders_report
from planlog.scheduler.dispatch import list_channels, set_channels
from planlog.scheduler.laggards import weekly_digest
from planlog.scheduler.policy import ReminderPolicy, stored_overrides
from planlog.scheduler.service import Service, reminder_pass
from planlog.service.app import parse_moment
from planlog.service.commands import SetReminderPolicy

notify_cli = typer.Typer(help="Where reminders go (apprise URLs).", no_args_is_help=True)


def _settings(db: str | None) -> Settings:
    settings = Settings()
    if db:
        settings.database_url = db
    return settings


@guarded
def remind(
    ctx: typer.Context,
    now: Annotated[str | None, typer.Option("--now", help="Run the pass as at this time.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be issued; record and send nothing.")
    ] = False,
    json_out: bool = JsonOption,
) -> None:
    """One reminder pass: issue the reminders due now, then deliver them."""
    st = state(ctx)
    app = st.app()
    moment = parse_moment(now) if now else app.now()
    result = reminder_pass(app, st.runner(), moment, settings=_settings(st.db), dry_run=dry_run)
    if json_out:
        emit_json({"now": moment.isoformat(), "dry_run": dry_run, **result.to_dict()})
        return
    table = Table(
        "截止 due",
        "类型 kind",
        "事项 item",
        "接收人 recipients",
        title=f"提醒 reminders · {moment.isoformat()[:16]}",
    )
    for r in result.issued:
        table.add_row(r.occurrence, r.kind, literal(r.title), literal("、".join(r.recipients)))
    out_console.print(table)
    if dry_run:
        out_console.print("试运行，未记录、未发送 / dry run: nothing recorded or sent")
    for d in result.delivered:
        said = f"{delivery_status(d.status)} ({d.status})"  # the stored word, to search by
        out_console.print(f"{said}: {d.item_id} {d.occurrence} {d.kind}")
    for f in result.failed:
        out_console.print(
            literal(f"计划失败 plan failed: {f.plan_id} {f.org} {f.plan_title}: {f.error}")
        )


@guarded
def digest(
    ctx: typer.Context,
    now: Annotated[str | None, typer.Option("--now", help="Run as at this time.")] = None,
    json_out: bool = JsonOption,
) -> None:
    """This week's laggard digests (督办周报): issue each district's once, then send what
    is waiting — what the scheduler does every hour, run now."""
    st = state(ctx)
    app = st.app()
    moment = parse_moment(now) if now else app.now()
    settings = _settings(st.db)
    run = weekly_digest(app, st.runner(), moment, link_base=settings.base_url)
    if json_out:
        emit_json({"now": moment.isoformat(), **asdict(run)})
        return
    issued = "、".join(run.issued) or "无 none"
    out_console.print(literal(f"督办周报 digest {run.week}: 本次发出 issued: {issued}"))
    out_console.print(f"已送达 sent: {run.sent}")


@guarded
def reminders(
    ctx: typer.Context,
    undelivered: Annotated[
        bool,
        typer.Option("--undelivered", help="Only those not delivered yet (no channel, failing)."),
    ] = False,
    json_out: bool = JsonOption,
) -> None:
    """Issued reminders and their delivery status; undelivered ones are counted first."""
    rows = reminders_report(state(ctx).read_models())
    if undelivered:
        rows = [r for r in rows if r["undelivered"]]
    if json_out:
        emit_json(rows)
        return
    waiting = sum(1 for r in rows if r["undelivered"])
    if waiting:
        out_console.print(
            f"未送达 undelivered: {waiting} 条提醒尚未送达，渠道可用后自动补发 "
            "(they go out once a channel works)"
        )
    table = Table(
        "发出 issued", "截止 due", "类型 kind", "事项 item", "状态 status", "次数", "错误"
    )
    table.columns[4].no_wrap = True  # a few words: the title and the error give way first
    for r in rows:
        table.add_row(
            r["issued_at"][:16],
            r["occurrence"],
            r["kind"],
            literal(r["title"]),
            delivery_status(r["status"]),
            str(r["attempts"]),
            literal(r["last_error"]),  # a channel's answer, as it came back
        )
    out_console.print(table)


@notify_cli.command("set")
@guarded
def notify_set(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="The organisation whose reminders go there.")],
    # none removes them, as the help says: a required argument refused that
    urls: Annotated[list[str] | None, typer.Argument(help="apprise URLs (none: remove).")] = None,
    person: Annotated[
        str | None, typer.Option("--person", help="责任人; omit for the org.")
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """Set the channels of an organisation or of one responsible person."""
    try:
        set_channels(state(ctx).read_models(), org, person, urls or [])
    except ValueError as bad:
        raise PlanlogError(str(bad)) from None
    if json_out:
        emit_json(list_channels(state(ctx).read_models()))
        return
    who = f"{org} · {person}" if person else org
    if urls:  # waiting reminders of the organisation are due again at once (set_channels)
        out_console.print(
            literal(
                f"已设置提醒渠道 channels set: {who}；待发提醒将随下次发送补发"
                "（waiting reminders go out with the next delivery）"
            )
        )
    else:
        out_console.print(literal(f"已删除提醒渠道 channels removed: {who}"))


@notify_cli.command("list")
@guarded
def notify_list(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """Configured channels (secrets masked)."""
    channels = list_channels(state(ctx).read_models())
    if json_out:
        emit_json(channels)
        return
    for c in channels:
        line = f"{c['org']} {c['person'] or '(全体)'}: {' '.join(c['channels'])}"
        out_console.print(literal(line))


@guarded
def policy(
    ctx: typer.Context,
    plan_id: str,
    lead_days: Annotated[
        str | None, typer.Option("--lead-days", help="Days before due, e.g. 7,1")
    ] = None,
    overdue_every: Annotated[int | None, typer.Option("--overdue-every")] = None,
    escalate_after: Annotated[int | None, typer.Option("--escalate-after")] = None,
    max_chases: Annotated[int | None, typer.Option("--max-chases")] = None,
    send_at: Annotated[str | None, typer.Option("--send-at", help="HH:MM, China time")] = None,
    sign_off: Annotated[
        bool | None,
        typer.Option(
            "--sign-off/--no-sign-off", help="Completions wait for the chair's sign-off (办结审核)."
        ),
    ] = None,
    widen_after: Annotated[int | None, typer.Option("--widen-after")] = None,
    later_every: Annotated[int | None, typer.Option("--later-every")] = None,
    escalate_parent_after: Annotated[int | None, typer.Option("--escalate-parent-after")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Show or change a plan's reminder policy (defaults: 7 and 1 days before, on the day,
    then until done every 3 days overdue, weekly from 14 days overdue; the chair told
    from 7 days, the chair of the union above from 30)."""
    st = state(ctx)
    app = st.app()
    pid = parse_id(plan_id, "plan id")
    changes: dict[str, object] = {
        k: v
        for k, v in {
            "lead_days": _days(lead_days) if lead_days else None,
            "overdue_every_days": overdue_every,
            "escalate_after_days": escalate_after,
            "max_chases": max_chases,
            "send_at": send_at,
            "sign_off": sign_off,
            "widen_after_days": widen_after,
            "overdue_later_every_days": later_every,
            "escalate_parent_after_days": escalate_parent_after,
        }.items()
        if v is not None
    }
    # A policy stored before the bounds existed is read clamped, so a chair can still
    # change one field of it; the plan checks the result (InvalidValue).
    current = stored_overrides(app.get_plan(pid).reminder_policy, plan=str(pid))
    if changes:
        policy = SetReminderPolicy(plan_id=pid, policy={**current, **changes}, actor=st.actor)
        current = app.handle(policy).reminder_policy
    effective = ReminderPolicy.from_dict(current).to_dict()
    if json_out:
        emit_json(effective)
        return
    table = Table("规则 setting", "值 value")
    for key, value in effective.items():
        table.add_row(key, literal(_policy_value(value)))
    out_console.print(table)


def _policy_value(value: object) -> str:
    """A policy value as a person reads it: a list as "7, 1", none as "—", yes or no."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _days(text: str) -> list[object]:
    """'7,1' as numbers; a piece that is not a whole number is passed on as text, for
    the policy check to refuse by name."""
    pieces = [piece.strip() for piece in text.split(",")]
    return [int(piece) if piece.isdecimal() and len(piece) <= 6 else piece for piece in pieces]


@guarded
def worker(ctx: typer.Context) -> None:
    """Run projections and the reminder scheduler without the web server (until stopped)."""
    st = state(ctx)
    service = Service(_settings(st.db or st.app().store.url))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    freeze_startup_objects()  # planlog.heap: before its threads fold or issue anything
    service.start()
    scheduler = "提醒调度运行中 active" if service.active else "提醒调度待命 standing by"
    out_console.print(
        literal(
            f"planlog worker 已启动: 读模型更新中 projections running · {scheduler}"
            f" · 数据库 store: {service.app.store.display}"
        )
    )
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
