"""The background service: projections kept current, reminders issued and delivered.

APScheduler 3 runs two interval jobs, the reminder pass and the delivery run.
It is started by `Service.start()` — from the web server's lifespan or from
`planlog worker` — never at import. One scheduler is active per database: the
service that holds the scheduler lock (a PostgreSQL advisory lock, or a lock
file beside the SQLite file) runs the jobs; others stand by and try again. Even
two active schedulers could not issue a reminder twice (the item aggregate
refuses it), but one active scheduler avoids the wasted work.

Jobs live in memory (MemoryJobStore) and are added afresh each time a service
becomes active, so nothing about them is ever read back from the database. Earlier
versions kept them pickled in the table planlog_scheduler_jobs, which meant anyone
who could write to the database could make the worker unpickle, that is run, code of
their choosing; that table is dropped, never read. To add a job, add it in
`Service._add_jobs`: a module-level function taking the database URL.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from planlog.audit.anchor import Anchor, anchor_dir_warning, write_anchor
from planlog.config import Settings
from planlog.domain.errors import PlanlogError
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.dispatch import Delivery, deliver_pending
from planlog.scheduler.laggards import DigestRun, weekly_digest
from planlog.scheduler.reminders import FailedPlan, IssuedReminder, ReminderIssuer
from planlog.scheduler.workdays import calendar_for
from planlog.service.app import PlanlogApp
from planlog.service.store import StoreSettings, try_store_lock
from planlog.stages import Stages

log = logging.getLogger("planlog.scheduler")

#: Explicit job settings (APScheduler's defaults silently drop a run that starts more
#: than a second late): a late run within ten minutes still runs, several missed runs
#: collapse into one, and a job never overlaps itself.
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 600, "max_instances": 1}
REMINDER_JOB, DELIVERY_JOB = "planlog-reminders", "planlog-delivery"
#: The daily signed chain head (planlog.audit.anchor), written after midnight China time
#: so that each anchor closes a whole business day.
ANCHOR_JOB = "planlog-anchor"
#: hourly: the first run of an ISO week issues its laggard digests, later runs retry sending
DIGEST_JOB = "planlog-laggard-digest"
#: Where earlier versions pickled their jobs (APScheduler's SQLAlchemyJobStore).
OLD_JOB_TABLE = "planlog_scheduler_jobs"

_services: dict[str, Service] = {}


@dataclass
class PassResult:
    issued: list[IssuedReminder]
    delivered: list[Delivery] = field(default_factory=list)
    #: plans the pass could not handle (logged too); every other plan was handled
    failed: list[FailedPlan] = field(default_factory=list)
    #: seconds the pass spent in each stage: the read models caught up ("catch_up",
    #: before and after issuing), the reminders found and recorded ("issue"), the
    #: outbox sent ("deliver"); the worker logs them, so a slow pass says which part
    stages: Stages = field(default_factory=Stages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "issued": [r.to_dict() for r in self.issued],
            # every row the delivery run handled, whatever became of it: `delivery`
            # counts them by status, so that "sent" is not read into the list's name
            "delivered": [d.to_dict() for d in self.delivered],
            "delivery": dict(Counter(d.status for d in self.delivered)),
            "failed": [f.to_dict() for f in self.failed],
            "stages": self.stages.rounded(),
        }


def reminder_pass(
    app: PlanlogApp,
    runner: ReadModelRunner,
    now: datetime,
    *,
    settings: Settings,
    issuer: ReminderIssuer | None = None,
    dry_run: bool = False,
) -> PassResult:
    """Issue what is due at `now`, then deliver (nothing is recorded or sent on a dry run)."""
    stages = Stages()
    with stages.timed("catch_up"):
        runner.catch_up()
    issuer = issuer or ReminderIssuer(app, runner.engine, calendar_for(settings.workdays))
    with stages.timed("issue"):
        run = issuer.run(now, dry_run=dry_run)
    if dry_run:
        return PassResult(run.issued, failed=run.failed, stages=stages)
    with stages.timed("catch_up"):
        runner.catch_up()
    with stages.timed("deliver"):
        delivered = deliver_pending(
            runner.engine, now, link_base=settings.base_url, lang=settings.lang
        )
    return PassResult(run.issued, delivered, run.failed, stages=stages)


def drop_old_job_table(engine: Engine) -> None:
    """Drop the table of pickled jobs that earlier versions kept (see the module
    docstring). It is never read; dropping it also keeps an older worker pointed at this
    database from unpickling what was planted there."""
    try:
        if not inspect(engine).has_table(OLD_JOB_TABLE):
            return  # the usual case: no write, no lock taken
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {OLD_JOB_TABLE}"))
        log.info("dropped the old pickled job table %s", OLD_JOB_TABLE)
    except SQLAlchemyError as exc:  # no right to drop: harmless, as nothing reads it
        log.warning("could not drop the old job table %s: %s", OLD_JOB_TABLE, exc)


class SchedulerLock:
    """At most one active scheduler per database: the store lock "scheduler"
    (`try_store_lock`), held from a successful try until `release`."""

    def __init__(self, store: StoreSettings) -> None:
        self.store = store
        self._held: ExitStack | None = None

    def try_acquire(self) -> bool:
        if self._held is not None:
            return True
        stack = ExitStack()
        if not stack.enter_context(try_store_lock(self.store, "scheduler")):
            stack.close()
            return False
        self._held = stack
        return True

    def release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.close()

    @property
    def held(self) -> bool:
        return self._held is not None


class Service:
    """Projections on a thread, and (while holding the lock) the reminder scheduler."""

    def __init__(self, settings: Settings, *, lock_retry_seconds: int = 30) -> None:
        self.settings = settings
        self.app = PlanlogApp(settings.database_url)
        self.runner = ReadModelRunner(self.app)
        self.issuer = ReminderIssuer(self.app, self.runner.engine, calendar_for(settings.workdays))
        self.lock = SchedulerLock(self.app.store)
        self.lock_retry_seconds = lock_retry_seconds
        self._stop = threading.Event()
        self._projections: threading.Thread | None = None
        self.scheduler: BackgroundScheduler | None = None
        self._standby: threading.Thread | None = None

    @property
    def key(self) -> str:
        return self.app.store.url

    def start(self) -> None:
        _services[self.key] = self
        # Not a refusal: anchors in the current directory are still anchors, but on
        # PostgreSQL they should live where the database's administrators cannot write.
        unplaced = anchor_dir_warning(self.app.store)
        if unplaced is not None:
            log.warning("%s", unplaced)
        self._projections = threading.Thread(
            target=self.runner.run_forever,
            args=(self._stop,),
            name="planlog-projections",
            daemon=True,
        )
        self._projections.start()
        if not self._become_active():
            self._standby = threading.Thread(
                target=self._stand_by, name="planlog-standby", daemon=True
            )
            self._standby.start()

    def _stand_by(self) -> None:
        while not self._stop.wait(self.lock_retry_seconds):
            if self._become_active():
                return

    def _become_active(self) -> bool:
        if not self.lock.try_acquire():
            log.info("another scheduler is active for %s; standing by", self.app.store.display)
            return False
        drop_old_job_table(self.runner.engine)
        scheduler = BackgroundScheduler(
            # Jobs are re-added below at every start: nothing needs to outlive the process,
            # and a store that unpickles what it reads from the database would run whatever
            # someone with write access put there.
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults=JOB_DEFAULTS,
            timezone=ZoneInfo("Asia/Shanghai"),
        )
        self._add_jobs(scheduler)
        scheduler.start()
        self.scheduler = scheduler
        log.info("scheduler active for %s", self.app.store.display)
        return True

    def _add_jobs(self, scheduler: BackgroundScheduler) -> None:
        """The jobs of the active scheduler: module-level functions given the database
        URL, which find this service in `_services`."""
        scheduler.add_job(
            run_reminders,
            "interval",
            seconds=self.settings.reminder_interval,
            args=[self.key],
            id=REMINDER_JOB,
            replace_existing=True,
            next_run_time=datetime.now(ZoneInfo("Asia/Shanghai")),
        )
        scheduler.add_job(
            run_delivery,
            "interval",
            seconds=self.settings.delivery_interval,
            args=[self.key],
            id=DELIVERY_JOB,
            replace_existing=True,
        )
        scheduler.add_job(
            run_anchor,
            "cron",
            hour=0,
            minute=30,
            timezone=ZoneInfo("Asia/Shanghai"),
            args=[self.key],
            id=ANCHOR_JOB,
            replace_existing=True,
        )
        scheduler.add_job(
            run_digest,
            "interval",
            hours=1,
            args=[self.key],
            id=DIGEST_JOB,
            replace_existing=True,
            # A minute after start, not an hour: a worker restarted more often than
            # hourly would otherwise never send a digest.
            next_run_time=datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(minutes=1),
        )

    @property
    def active(self) -> bool:
        return self.scheduler is not None

    def stop(self) -> None:
        self._stop.set()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        self.lock.release()
        if self._projections is not None:
            self._projections.join(10)
        _services.pop(self.key, None)
        self.runner.close()
        self.app.close()

    def remind(self) -> PassResult:
        return reminder_pass(
            self.app, self.runner, self.app.now(), settings=self.settings, issuer=self.issuer
        )

    def anchor(self) -> Anchor | None:
        """Verify the chain and append its signed head outside the database."""
        self.runner.catch_up()
        return write_anchor(self.app, None, engine=self.runner.engine)

    def digest(self) -> DigestRun:
        """This week's laggard digests to the district chairs (once), and their sending."""
        return weekly_digest(
            self.app, self.runner, self.app.now(), link_base=self.settings.base_url
        )

    def deliver(self) -> list[Delivery]:
        self.runner.catch_up()
        return deliver_pending(
            self.runner.engine,
            self.app.now(),
            link_base=self.settings.base_url,
            lang=self.settings.lang,
        )


def run_reminders(database_url: str) -> None:
    """Scheduler job: one reminder pass of the service running for `database_url`."""
    service = _services.get(database_url)
    if service is not None:
        result = service.remind()
        if result.issued or result.delivered:
            log.info(
                "reminder pass: issued %d, delivered %d (%s)",
                len(result.issued),
                len(result.delivered),
                ", ".join(f"{stage} {took:.2f} s" for stage, took in result.stages.items()),
            )
        if result.failed:
            log.error(
                "reminder pass: %d plan(s) failed: %s",
                len(result.failed),
                ", ".join(f.plan_id for f in result.failed),
            )


def run_anchor(database_url: str) -> None:
    """Scheduler job: the day's anchor. A chain that no longer verifies is not anchored;
    that is the loudest thing the worker can report, so it is an error in the log."""
    service = _services.get(database_url)
    if service is None:
        return
    try:
        anchor = service.anchor()
    except PlanlogError as error:
        log.error("audit anchor refused: %s", error)
        return
    if anchor is not None:
        log.info("audit anchor written: #%s %s", anchor["position"], anchor["hash"])


def run_delivery(database_url: str) -> None:
    service = _services.get(database_url)
    if service is not None:
        service.deliver()


def run_digest(database_url: str) -> None:
    """Scheduler job: the weekly laggard digests of the service for `database_url`."""
    service = _services.get(database_url)
    if service is not None:
        service.digest()
