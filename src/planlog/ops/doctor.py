"""`planlog doctor`: the checks a server owner runs — is the store reachable, are the read
models current and whole, who runs the scheduler, when was the last backup, does the
holiday calendar (chinesecalendar) cover this year and the next."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import chinese_calendar
from sqlalchemy import inspect

from planlog.ops.backup import last_backup
from planlog.projections.base import outdated_tables
from planlog.projections.runner import ReadModelRunner, default_projections
from planlog.service.app import PlanlogApp
from planlog.service.store import StoreSettings, pg_connect

OK, WARN, FAIL = "ok", "warn", "fail"
#: a backup older than this is worth a warning (the recipe takes one a day)
BACKUP_AGE = timedelta(days=2)


@dataclass
class Check:
    name: str
    status: str
    zh: str  # what it found, in Chinese
    en: str
    data: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "message": f"{self.zh}（{self.en}）",
            "data": self.data,
        }


def diagnose(url: str | None, today: date | None = None) -> list[Check]:
    today = today or datetime.now(UTC).date()
    try:
        app = PlanlogApp(url)
    except Exception as error:  # the one check that stops the others
        return [Check("store", FAIL, "无法打开事件库", f"cannot open the store: {error}")]
    try:
        store = app.store
        events = int(app.recorder.max_notification_id() or 0)
        checks = [
            Check(
                "store",
                OK,
                f"事件库 {store.display}，共 {events} 个事件",
                f"store {store.display}, {events} events",
                {"kind": store.kind, "url": store.display, "head_position": events},
            )
        ]
        runner = ReadModelRunner(app, setup=False)
        try:
            checks.append(_schema(runner))
            checks += _projections(runner)
        finally:
            runner.close()
        checks.append(_scheduler(store))
        checks.append(_backup(store))
        checks.append(_calendar(today))
        return checks
    finally:
        app.close()


def _version() -> str:
    try:
        return version("planlog")
    except PackageNotFoundError:
        return "unknown"


def _schema(runner: ReadModelRunner) -> Check:
    with runner.engine.connect() as conn:
        tables = [t for p in default_projections() for t in p.tables]
        missing = [t.name for t in tables if not inspect(conn).has_table(t.name)]
        outdated = outdated_tables(conn, tuple(tables))
    data = {"planlog": _version(), "missing": missing, "outdated": outdated}
    if missing or outdated:
        return Check(
            "schema",
            WARN,
            "读模型表缺失或为旧格式，启动服务时将重建",
            f"read-model tables missing {missing} or outdated {outdated}: the next start "
            "rebuilds them",
            data,
        )
    return Check(
        "schema",
        OK,
        f"读模型表为当前格式（planlog {_version()}）",
        f"read-model tables current (planlog {_version()})",
        data,
    )


def _projections(runner: ReadModelRunner) -> list[Check]:
    try:
        status = runner.status()
    except Exception as error:  # no tracking table yet: never served
        return [Check("projections", WARN, "读模型尚未建立", f"no read models yet: {error}")]
    lag = {s.name: s.lag for s in status}
    behind = {k: v for k, v in lag.items() if v > 0}
    checks = [
        Check(
            "projections",
            WARN if behind else OK,
            f"读模型落后：{behind}" if behind else "读模型均已追上事件日志",
            f"read models behind the log: {behind}" if behind else "every read model is current",
            {"lag": lag},
        )
    ]
    held = {s.name: s.quarantined for s in status if s.quarantined}
    checks.append(
        Check(
            "quarantine",
            WARN if held else OK,
            f"有被隔离的事件：{held}（planlog projections quarantine）"
            if held
            else "无被隔离的事件",
            f"quarantined events: {held}" if held else "no quarantined events",
            {"quarantined": held},
        )
    )
    return checks


def _scheduler(store: StoreSettings) -> Check:
    owner = _pg_lock_owner(store) if store.kind == "postgresql" else _file_lock_owner(store)
    if owner is None:
        return Check(
            "scheduler",
            WARN,
            "没有进程持有提醒调度锁：提醒不会发出（请运行 planlog worker 或 planlog serve）",
            "no process holds the scheduler lock: no reminders go out (run planlog worker "
            "or planlog serve)",
        )
    return Check(
        "scheduler",
        OK,
        f"提醒调度由 {owner} 运行",
        f"the scheduler runs in {owner}",
        {"owner": owner},
    )


def _file_lock_owner(store: StoreSettings) -> str | None:
    """Who holds the lock file beside the SQLite file (Linux: /proc/locks names the pid)."""
    lock = Path(f"{store.sqlite_path}.scheduler.lock")
    if not lock.exists():
        return None
    inode = os.stat(lock).st_ino
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"
        if len(fields) >= 6 and fields[5].rsplit(":", 1)[-1] == str(inode):
            return f"pid {fields[4]}"
    return None


def _pg_lock_owner(store: StoreSettings) -> str | None:
    key = f"planlog-scheduler:{store.pg_schema or 'public'}"
    with pg_connect(store) as conn:
        row = conn.execute(
            "SELECT a.pid, a.client_addr, a.application_name, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = "
            "(hashtext(%s)::bigint & 4294967295)::oid",
            (key,),
        ).fetchone()
    if row is None:
        return None
    return f"pid {row[0]} {row[1] or 'local'} since {row[3]:%Y-%m-%d %H:%M}"


def _backup(store: StoreSettings) -> Check:
    last = last_backup(store)
    if last is None:
        return Check("backup", WARN, "尚无备份（planlog backup FILE）", "no backup yet")
    taken = datetime.fromisoformat(last["taken_at"])
    old = datetime.now(UTC) - taken > BACKUP_AGE
    return Check(
        "backup",
        WARN if old else OK,
        f"最近备份 {last['taken_at']}：{last['file']}，{last['events']} 个事件",
        f"last backup {last['taken_at']}: {last['file']}, {last['events']} events"
        + (" (older than two days)" if old else ""),
        last,
    )


def _calendar(today: date) -> Check:
    def covered(year: int) -> bool:
        try:
            chinese_calendar.is_workday(date(year, 12, 31))
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    this, following = covered(today.year), covered(today.year + 1)
    data = {
        str(today.year): this,
        str(today.year + 1): following,
        "chinesecalendar": getattr(chinese_calendar, "__version__", None),
    }
    if not this:
        return Check(
            "calendar",
            FAIL,
            f"chinesecalendar 没有 {today.year} 年的节假日数据：提醒按周一至周五计算，请升级",
            f"chinesecalendar has no {today.year} holidays: reminders fall back to "
            "Monday–Friday; upgrade it (pip install -U chinesecalendar)",
            data,
        )
    if not following:
        return Check(
            "calendar",
            WARN,
            f"chinesecalendar 尚无 {today.year + 1} 年的节假日数据"
            "（国务院通常在年底公布），届时请升级",
            f"chinesecalendar has no {today.year + 1} holidays yet (published late in the "
            "year): upgrade it once they are",
            data,
        )
    return Check(
        "calendar",
        OK,
        f"节假日数据覆盖 {today.year}–{today.year + 1} 年",
        f"holidays known for {today.year} and {today.year + 1}",
        data,
    )
