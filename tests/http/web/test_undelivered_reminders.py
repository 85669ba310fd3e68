"""The board warns about reminders that could not be delivered yet, and names them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from tests.scheduler.conftest import http_receiver  # noqa: F401  (a real webhook receiver)

from planlog.scheduler.dispatch import deliver_pending, set_channels
from planlog.scheduler.service import reminder_pass


def at(day: date) -> datetime:
    return datetime.combine(day, time(9), ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def test_the_board_lists_undelivered_reminders_until_a_channel_takes_them(
    web: Any,
    http_receiver: Any,  # noqa: F811  (the fixture imported above)
    monkeypatch: Any,
) -> None:
    monkeypatch.delenv("PLANLOG_NOTIFY_URLS", raising=False)
    svc = web.services
    reminder_pass(svc.app, svc.runner, at(date(2026, 6, 23)), settings=svc.settings)
    client = web.login("hospital_chair")

    page = client.get(web.board).text
    assert "有 3 条提醒尚未送达" in page  # of this plan; another city's is not shown
    # what became of it in words, and where the chair sets a channel
    assert "向上级工会报告工作 · 2026-06-30 · 工会办公室 · 未设渠道" in page
    assert f'href="{web.board}/settings">设置提醒渠道</a>' in page
    assert "外市事项" not in page

    set_channels(svc.engine, "某医院工会", None, [http_receiver.url("json", "/hook")])
    # the chair above is told through the district's channel, not the union's
    set_channels(svc.engine, "某区总工会", None, [http_receiver.url("json", "/district")])
    deliver_pending(svc.engine, at(date(2026, 6, 23)))
    # a digest for each unit or person named responsible, and each chair
    assert len(http_receiver.requests) == 5
    assert [r.path for r in http_receiver.requests].count("/district") == 1  # 刘主席
    assert "尚未送达" not in client.get(web.board).text
