"""The plan's settings page: sections, the reminder policy, channels (with a test
message), calendar feeds; chairs only."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from planlog.domain.policy import INT_RANGES
from planlog.scheduler.dispatch import list_channels

if TYPE_CHECKING:
    from conftest import Web


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        _Hook.received.append(self.rfile.read(length))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    """A channel that answers: a JSON webhook on loopback."""
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received = []
    yield f"json://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def _settings(web: Web) -> str:
    return f"{web.board}/settings"


def _post(web: Web, path: str, **fields: Any) -> Any:
    data = {"csrf": web.csrf(_settings(web)), **fields}
    return web.client.post(f"{web.board}{path}", data=data, follow_redirects=False)


def test_the_settings_page_is_for_chairs_only_in_their_language(web: Web) -> None:
    web.login("hospital_chair")
    page = web.client.get(_settings(web))
    assert page.status_code == 200
    for heading in ("计划部分", "提醒规则", "提醒渠道", "日历订阅"):
        assert heading in page.text
    assert f'href="{_settings(web)}"' in web.client.get(web.board).text
    for who in ("hospital_editor", "hospital_auditor"):
        web.login(who)
        assert f'href="{_settings(web)}"' not in web.client.get(web.board).text
        refused = web.client.get(_settings(web))
        assert refused.status_code == 403 and "您的角色无权执行此操作" in refused.text
        english = web.client.get(_settings(web) + "?lang=en")
        assert english.status_code == 403 and "Your role may not do this." in english.text
    web.login("other_chair")
    assert web.client.get(_settings(web)).status_code == 404


def test_the_policy_form_says_each_number_field_s_bounds(web: Web) -> None:
    web.login("hospital_chair")
    page = web.client.get(_settings(web)).text
    for name, (low, high) in INT_RANGES.items():
        if name != "lead_days":  # typed as a list, checked on saving
            assert f'name="{name}" min="{low}" max="{high}"' in page


def test_sections_are_added_and_renamed_with_a_reason(web: Web) -> None:
    web.login("hospital_chair")
    added = _post(web, "/sections", title="加强自身建设")
    assert added.status_code == 303
    plan = web.services.app.get_plan(web.seeded.plan)
    section = plan.section_by_title("加强自身建设")
    assert section is not None
    renamed = _post(
        web, f"/sections/{section.section_id}", title="加强工会自身建设", reason="按上级文件"
    )
    assert renamed.status_code == 303
    assert web.services.app.get_plan(web.seeded.plan).section_by_title("加强工会自身建设")
    empty = _post(web, f"/sections/{section.section_id}", title=" ")
    assert empty.status_code == 422


def test_the_reminder_policy_form_records_the_policy_and_refuses_bad_values(web: Web) -> None:
    web.login("hospital_chair")
    page = web.client.get(_settings(web)).text
    assert 'name="lead_days"' in page and 'value="7,1"' in page
    fields = {"lead_days": "10,3", "on_due_day": "1", "overdue_every_days": "2"}
    fields |= {"escalate_after_days": "5", "max_chases": "4", "send_at": "09:00"}
    saved = _post(web, "/settings/policy", **fields, reason="提前提醒")
    assert saved.status_code == 303
    policy = web.services.app.get_plan(web.seeded.plan).reminder_policy
    assert policy["lead_days"] == [10, 3] and policy["max_chases"] == 4
    assert policy["on_due_day"] is True and policy["opens_notice"] is False
    assert 'value="10,3"' in web.client.get(_settings(web)).text
    bad = _post(web, "/settings/policy", lead_days="7,abc", max_chases="1000")
    assert bad.status_code == 422 and 'value="7,abc"' in bad.text
    assert web.services.app.get_plan(web.seeded.plan).reminder_policy["lead_days"] == [10, 3]


def test_channels_are_set_listed_masked_and_tested(web: Web, webhook: str) -> None:
    web.login("hospital_chair")
    none = _post(web, "/settings/channels/test", person="")
    assert none.status_code == 200 and "没有可测试的渠道" in none.text
    saved = _post(web, "/settings/channels", person="", urls=webhook)
    assert saved.status_code == 303
    ok = _post(web, "/settings/channels/test", person="")
    assert "发送成功" in ok.text and len(_Hook.received) == 1
    assert "测试消息" in json.loads(_Hook.received[0])["title"]
    broken = "json://127.0.0.1:9/nothing-listens"
    assert _post(web, "/settings/channels", person="工会办公室", urls=broken).status_code == 303
    failed = _post(web, "/settings/channels/test", person="工会办公室")
    assert "发送成功" in failed.text and "发送失败" in failed.text
    rows = [c for c in list_channels(web.services.engine) if c["person"] == "工会办公室"]
    assert rows and rows[0]["org"] == "某医院工会"
    refused = _post(web, "/settings/channels", person="", urls="nonsense://x")
    assert refused.status_code == 422 and "nonsense" in refused.text
    assert "该渠道地址无法使用" in refused.text


def test_calendar_feeds_are_created_shown_once_and_revoked(web: Web) -> None:
    web.login("hospital_chair")
    created = _post(web, "/settings/feeds", kind="plan")
    assert created.status_code == 200
    found = re.search(r'value="(http://testserver/feeds/cal_[^"]+\.ics)"', created.text)
    assert found, created.text
    link = found.group(1).removeprefix("http://testserver")
    calendar = web.client.get(link)
    assert calendar.status_code == 200 and "BEGIN:VCALENDAR" in calendar.text
    page = web.client.get(_settings(web)).text
    assert "cal_" not in page  # shown once only
    feed_id = re.search(r"/settings/feeds/(\d+)/revoke", page)
    assert feed_id
    revoked = _post(web, f"/settings/feeds/{feed_id.group(1)}/revoke")
    assert revoked.status_code == 303
    assert web.client.get(link).status_code == 404
    person = _post(web, "/settings/feeds", kind="person", person="")
    assert person.status_code == 422 and "请填写责任人" in person.text
