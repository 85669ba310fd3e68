"""A federation's task on its pages: the plan's board says the item was sent down (and
links its task), and the task page calls a copy neither done nor overdue 未到期."""

from __future__ import annotations

import re
from datetime import UTC, date
from uuid import UUID

from tests.http.web.conftest import CITY, DISTRICT, Web

from planlog.projections.tasks import org_parents
from planlog.service.app import NewItem


def _sent(web: Web) -> tuple[str, str, str]:
    """A city item sent down to the district's union: (plan id, item id, task id)."""
    app = web.services.app
    plan = app.create_plan(org=CITY, year=2026, title="市总计划", actor="张主席")
    item = app.add_item(
        plan.id, NewItem(title="安全生产月", dues=[date(2026, 6, 30)]), actor="张主席"
    )
    with web.services.fresh().connect() as conn:
        parents = org_parents(conn)
    sent = app.send_task(item.id, [DISTRICT], parents=parents, actor="张主席")
    return str(plan.id), str(item.id), str(sent.task_id)


def test_the_board_says_a_sent_item_was_sent_down_and_links_its_task(web: Web) -> None:
    plan_id, item_id, task_id = _sent(web)
    client = web.login("city_chair")
    page = client.get(f"/plans/{plan_id}", params={"now": "2026-07-01"})
    assert page.status_code == 200, page.text
    assert f'href="/tasks/{task_id}"' in page.text and "下达 1 个工会" in page.text
    assert f'class="item item-sent" data-item="{item_id}"' in page.text
    assert "item-overdue" not in page.text


def test_the_board_filters_to_the_items_sent_down(web: Web) -> None:
    plan_id, item_id, _ = _sent(web)
    kept = web.services.app.add_item(
        UUID(plan_id), NewItem(title="职工书屋", dues=[date(2026, 9, 30)]), actor="张主席"
    )
    client = web.login("city_chair")
    page = client.get(f"/plans/{plan_id}", params={"now": "2026-07-01", "status": "sent"})
    assert page.status_code == 200, page.text
    assert '<option value="sent" selected>已下达</option>' in page.text
    assert f'data-item="{item_id}"' in page.text
    assert f'data-item="{kept.id}"' not in page.text


def test_the_start_page_shows_a_plan_sent_down_whole_as_sent_not_0_percent(web: Web) -> None:
    plan_id, _, _ = _sent(web)
    page = web.login("city_chair").get("/")
    assert page.status_code == 200, page.text
    card = page.text.split(f'href="/plans/{plan_id}"', 1)[1].split("</li>", 1)[0]
    assert "完成率 <strong>—</strong>" in card and "已下达 <strong>1</strong>" in card


def test_the_board_and_ledger_of_a_plan_sent_down_whole_show_no_completion(web: Web) -> None:
    plan_id, _, _ = _sent(web)
    client = web.login("city_chair")
    board = client.get(f"/plans/{plan_id}").text
    assert '<strong>—</strong> <span class="muted small">本级没有计入完成率的时限</span>' in board
    printed = client.get(f"/plans/{plan_id}/print").text
    assert "完成率 —" in printed and "完成率 0%" not in printed


def test_the_item_page_s_history_shows_the_send_of_its_task(web: Web) -> None:
    _, item_id, task_id = _sent(web)
    client = web.login("city_chair")
    page = client.get(f"/items/{item_id}").text
    assert "下达任务“安全生产月”" in page and "任务下达至 1 个工会" in page
    assert page.count(f'<a href="/tasks/{task_id}">下达任务</a>') == 2  # marked as the task's


def test_the_plan_history_download_files_a_task_s_events_under_the_task(web: Web) -> None:
    from planlog.http.downloads import plan_history

    plan_id, item_id, task_id = _sent(web)
    entries = plan_history(web.services.app, UUID(plan_id))
    task = [e for e in entries if e.get("sent_as")]
    assert [(e["aggregate_id"], e["version"]) for e in task] == [(task_id, 1), (task_id, 2)]
    assert all(e["aggregate_id"] == item_id for e in entries if e["type"] == "Planned")


def test_a_replayed_board_and_the_ledger_light_and_count_a_sent_item_as_the_live_one(
    web: Web,
) -> None:
    from datetime import datetime

    from planlog.projections.queries import board_document, ledger_document

    plan_id, item_id, task_id = _sent(web)
    app, now = web.services.app, datetime.now(UTC)
    live = board_document(app, web.services.fresh(), UUID(plan_id))
    for replayed in (
        ledger_document(app, UUID(plan_id)),
        board_document(app, web.services.engine, UUID(plan_id), as_of=now),
    ):
        (row,) = [r for r in replayed["items"] if r["id"] == item_id]
        assert (row["status"], row["sent"]["task_id"], row["sent"]["copies"]) == (
            "sent",
            task_id,
            1,
        )
        for figure in ("percent_done", "counted", "sent", "overdue"):
            assert replayed["totals"][figure] == live["totals"][figure], figure
    planned = datetime.fromisoformat(app.history(UUID(item_id))[0]["recorded_at"])
    assert app.tasks_sent([UUID(item_id)], as_of=planned) == {}  # not sent down by then
    assert str(app.tasks_sent([UUID(item_id)])[UUID(item_id)].id) == task_id


def test_the_task_page_calls_an_open_copy_not_due_yet(web: Web) -> None:
    _, _, task_id = _sent(web)
    client = web.login("city_chair")
    page = client.get(f"/tasks/{task_id}", params={"now": "2026-05-01"})
    assert page.status_code == 200, page.text
    # not 进行中: the copy may not be started, and its union's board says so
    assert "未到期 1" in page.text and "进行中" not in page.text


def test_a_copy_offers_no_form_the_federation_alone_may_use(web: Web) -> None:
    _, _, task_id = _sent(web)
    app = web.services.app
    (copy_id,) = app.get_task(UUID(task_id)).copies.values()
    plan = app.get_plan(app.get_item(copy_id).plan_id)
    own = app.add_item(
        plan.id, NewItem(title="会员实名制", dues=[date(2026, 9, 30)]), actor="王主席"
    )
    client = web.login("hospital_chair")
    for item_id, offered in ((own.id, True), (copy_id, False)):
        page = client.get(f"/items/{item_id}", params={"now": "2026-05-01"}).text
        # moving a deadline and asking for more time: the federation's to decide
        assert (f'action="/items/{item_id}/move"' in page) is offered
        assert ('id="request-extension"' in page) is offered
        assert f'action="/items/{item_id}/progress"' in page  # reporting stays the union's


def test_a_unions_board_marks_its_copy_as_sent_down(web: Web) -> None:
    _, _, task_id = _sent(web)
    app = web.services.app
    (copy_id,) = app.get_task(UUID(task_id)).copies.values()
    plan_id = app.get_item(copy_id).plan_id
    own = app.add_item(
        plan_id, NewItem(title="会员实名制", dues=[date(2026, 9, 30)]), actor="王主席"
    )
    api = {"Authorization": f"Bearer {web.tokens['hospital_chair']}"}
    board = web.client.get(f"/api/v1/plans/{plan_id}/board", headers=api).json()
    marks = {i["id"]: i["from_task"] for i in board["items"]}
    client = web.login("hospital_chair")
    assert marks.pop(str(copy_id)) == task_id
    replayed = web.client.get(
        f"/api/v1/plans/{plan_id}/board", params={"as_of": "2099-01-01T00:00:00+08:00"}, headers=api
    ).json()  # the board as recorded, replayed from the log, says so too
    assert {i["id"]: i["from_task"] for i in replayed["items"]}[str(copy_id)] == task_id
    assert str(own.id) in marks and set(marks.values()) == {None}  # the union's own
    page = client.get(f"/plans/{plan_id}").text
    assert page.count('class="tag task-copy"') == 1
    assert f'<a href="/tasks/{task_id}">上级下达</a>' in page
    assert client.get(f"/tasks/{task_id}").status_code == 200  # the link leads somewhere


def test_a_refused_request_on_a_copy_says_why_in_words(web: Web) -> None:
    _, _, task_id = _sent(web)
    app = web.services.app
    (copy_id,) = app.get_task(UUID(task_id)).copies.values()
    client = web.login("hospital_chair")
    csrf = web.csrf(web.board + "/settings")
    refused = client.post(
        f"/items/{copy_id}/extension-requests",
        data={"csrf": csrf, "occurrence": "2026-06-30", "to": "2026-07-31", "reason": "人手不足"},
    )  # the page offers no such form on a copy: a hand-made request is refused all the same
    assert refused.status_code == 422, refused.text
    alert = refused.text.split('role="alert">', 1)[1].split("</p>", 1)[0]
    assert "是上级下达的任务，时限由上级调整，请向上级工会申请" in alert
    assert "rule:" not in refused.text and str(copy_id) not in alert


def test_sending_a_task_past_its_deadline_says_the_copies_start_overdue(web: Web) -> None:
    app = web.services.app
    plan = app.create_plan(org=CITY, year=2026, title="市总计划", actor="张主席")
    item = app.add_item(plan.id, NewItem(title="安全月", dues=[date(2026, 1, 31)]), actor="张主席")
    client = web.login("city_chair")
    csrf = web.csrf(f"/items/{item.id}/send")
    sent = client.post(f"/items/{item.id}/send", data={"csrf": csrf, "to": [DISTRICT]})
    assert sent.status_code == 200, sent.text  # followed to the task's page
    assert "注意：时限 2026-01-31 已过，各工会的副本一收到即已逾期" in sent.text
    later = client.get(str(sent.url).split("?")[0])  # the page itself, not just sent
    assert 'id="past-due"' not in later.text


def test_a_federations_board_tiles_count_its_sent_deadlines(web: Web) -> None:
    plan_id, _, _ = _sent(web)
    page = web.login("city_chair").get(f"/plans/{plan_id}", params={"now": "2026-07-01"}).text
    section = page.split('<section class="totals"', 1)[1].split("</section>", 1)[0]
    tiles = {
        label: int(n)
        for n, label in re.findall(r'<span class="n">(\d+)</span><span class="k">([^<]+)<', section)
    }
    # its one deadline is the union's to meet: 已下达, not 0 of 1 under every light
    assert tiles["时限"] == tiles["已下达"] == 1, tiles


def test_a_union_with_nobody_below_is_offered_no_send(web: Web) -> None:
    item_id = next(iter(web.seeded.items.values()))  # the hospital's: nobody below it
    client = web.login("hospital_chair")
    page = client.get(f"/items/{item_id}")
    assert page.status_code == 200, page.text
    assert f'href="/items/{item_id}/edit"' in page.text  # the chair may manage it …
    assert f'href="/items/{item_id}/send"' not in page.text  # … but has nobody to send to
    form = client.get(f"/items/{item_id}/send")
    assert form.status_code == 200, form.text
    assert 'id="nobody-below"' in form.text and 'id="send-task"' not in form.text
    # the city, with a district below it, is offered the send
    app = web.services.app
    plan = app.create_plan(org=CITY, year=2026, title="市总计划", actor="张主席")
    item = app.add_item(plan.id, NewItem(title="普法", dues=[date(2026, 9, 30)]), actor="张主席")
    city = web.login("city_chair").get(f"/items/{item.id}")
    assert f'href="/items/{item.id}/send"' in city.text
