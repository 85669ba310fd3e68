"""Settings from the environment (PLANLOG_*)."""

from __future__ import annotations

import getpass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from planlog.service.store import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLANLOG_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    actor: str = Field(default_factory=getpass.getuser)
    #: default reminder channels (apprise URLs, spaces or commas), used where an
    #: organisation or person has none of its own
    notify_urls: str = ""
    #: which days reminders go out on: "china" (statutory holidays, 调休), "weekdays", "all"
    workdays: str = "china"
    #: public address of the web board, for links in reminders
    base_url: str | None = None
    lang: str = "zh"
    #: seconds between reminder passes and between delivery runs of the scheduler
    #: where evidence files are kept (PLANLOG_EVIDENCE_DIR); default beside a SQLite
    #: store (`<db stem>-evidence/`), else ./planlog-evidence (planlog.service.evidence)
    evidence_dir: str | None = None
    reminder_interval: int = 300
    delivery_interval: int = 60


def settings() -> Settings:
    return Settings()
