"""Onboarding mid-year in the browser door: tick the deadlines already met, each with the
day it was done and a note; each row is its own Backfill, and every row is reported."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from planlog.domain.model import DONE

if TYPE_CHECKING:
    from conftest import Web


def _page(web: Web) -> str:
    return f"{web.board}/backfill"


def _rows(html: str) -> list[str]:
    return re.findall(r'name="row" value="([^"]+)"', html)


def _post(web: Web, **fields: Any) -> Any:
    data = {"csrf": web.csrf(_page(web)), **fields}
    return web.client.post(_page(web), data=data, follow_redirects=False)


def test_the_page_lists_past_due_open_deadlines_and_is_linked_from_the_board(web: Web) -> None:
    web.login("hospital_chair")
    assert f'href="{_page(web)}"' in web.client.get(web.board).text
    page = web.client.get(_page(web))
    assert page.status_code == 200 and "补录已完成的工作" in page.text
    keys = _rows(page.text)
    members, report = web.seeded.items["members"], web.seeded.items["report"]
    assert f"{members}|2026-03-31" in keys and f"{report}|2026-06-30" in keys
    assert f"{report}|2026-12-31" not in keys  # not due yet: only on request
    assert not any(k.startswith(str(web.seeded.items["race"])) for k in keys)  # done already
    assert 'value="2026-03-31"' in page.text  # "done on" defaults to the due date
    everything = web.client.get(_page(web) + "?all=1").text
    assert f"{report}|2026-12-31" in _rows(everything)


def test_ticked_rows_are_recorded_each_as_a_backfill_with_its_day_and_note(web: Web) -> None:
    web.login("hospital_chair")
    keys = _rows(web.client.get(_page(web)).text)
    members, report = web.seeded.items["members"], web.seeded.items["report"]
    picked = [f"{members}|2026-03-31", f"{report}|2026-06-30"]
    days = {picked[0]: "2026-03-20", picked[1]: "2026-06-28"}
    notes = {picked[0]: "已发展42名", picked[1]: "已书面报告"}
    answer = _post(
        web,
        pick=picked,
        row=keys,
        done_on=[days.get(k, "") for k in keys],
        note=[notes.get(k, "") for k in keys],
    )
    assert answer.status_code == 200, answer.text
    assert "已补录 2 项，未能补录 0 项" in answer.text
    item = web.services.app.get_item(members)
    occ = item.occurrences["2026-03-31"]
    assert occ.status == DONE and occ.done_on.isoformat() == "2026-03-20"
    last = web.services.app.history(members)[-1]
    assert last["type"] == "OccurrenceBackfilled" and last["actor"] == "王主席"
    assert last["note"] == "已发展42名"
    report_occ = web.services.app.get_item(report).occurrences["2026-06-30"]
    assert report_occ.done_on.isoformat() == "2026-06-28"
    assert picked[0] not in _rows(answer.text)  # done rows leave the list
    assert "补录" in web.client.get(f"/items/{members}").text  # marked in the history


def test_refused_rows_are_reported_with_the_reason_and_the_others_recorded(web: Web) -> None:
    web.login("hospital_chair")
    keys = _rows(web.client.get(_page(web)).text)
    members, report = web.seeded.items["members"], web.seeded.items["report"]
    good, future = f"{members}|2026-03-31", f"{report}|2026-06-30"
    days = {good: "2026-03-31", future: "2099-01-01"}  # not done yet: refused by the item
    done = f"{web.seeded.items['race']}|2026-01-01"  # a forged row, already done
    answer = _post(
        web,
        pick=[good, future, done, "not-an-item|2026-01-01"],
        row=keys,
        done_on=[days.get(k, "") for k in keys],
        note=["" for _ in keys],
    )
    assert answer.status_code == 200
    assert "已补录 1 项，未能补录 3 项" in answer.text
    assert answer.text.count('class="result-bad"') == 3
    assert "2099-01-01" in answer.text  # the reason names the day refused
    assert web.services.app.get_item(members).occurrences["2026-03-31"].status == DONE
    assert web.services.app.get_item(report).occurrences["2026-06-30"].status != DONE
    nothing = _post(web, row=keys, done_on=["" for _ in keys], note=["" for _ in keys])
    assert nothing.status_code == 422 and "请至少勾选一行" in nothing.text


def test_backfill_needs_the_form_token_and_a_chair(web: Web) -> None:
    web.login("hospital_chair")
    row = f"{web.seeded.items['members']}|2026-03-31"
    forged = web.client.post(
        _page(web), data={"csrf": "0" * 32, "pick": row, "row": row}, follow_redirects=False
    )
    assert forged.status_code == 403
    for who in ("hospital_editor", "hospital_auditor"):
        web.login(who)
        assert web.client.get(_page(web)).status_code == 403
        assert f'href="{_page(web)}"' not in web.client.get(web.board).text
        csrf = web.csrf(web.board)
        refused = web.client.post(
            _page(web), data={"csrf": csrf, "pick": row, "row": row}, follow_redirects=False
        )
        assert refused.status_code == 403
    web.login("other_chair")
    assert web.client.get(_page(web)).status_code == 404
    occ = web.services.app.get_item(web.seeded.items["members"]).occurrences["2026-03-31"]
    assert occ.status != DONE
