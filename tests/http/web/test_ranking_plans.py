"""The ranking page (督办) of an organisation lists that organisation's own plans."""

from __future__ import annotations

from tests.http.web.conftest import DISTRICT, HOSPITAL, Web


def test_the_ranking_page_lists_the_organisations_own_plans(web: Web) -> None:
    client = web.login("city_chair")
    page = client.get(f"/orgs/{HOSPITAL}/rollup")
    assert page.status_code == 200, page.text
    assert f'href="/plans/{web.seeded.plan}"' in page.text
    assert "2026年工会工作计划" in page.text
    assert f"/plans/{web.seeded.other_plan}" not in page.text


def test_a_union_with_no_deadline_ranks_with_a_dash_not_zero_percent(web: Web) -> None:
    web.services.app.register_organisation("新建工会", actor="admin", parent=DISTRICT)
    client = web.login("city_chair")
    page = client.get(f"/orgs/{DISTRICT}/rollup?rank=true")
    assert page.status_code == 200, page.text
    row = next(line for line in page.text.splitlines() if "新建工会" in line and "<td>" in line)
    assert row.endswith("<td>—</td></tr>") and "<td>0%</td>" not in row


def test_the_federation_tree_shows_a_union_with_no_deadline_with_a_dash(web: Web) -> None:
    web.services.app.register_organisation("新建工会", actor="admin", parent=DISTRICT)
    page = web.login("city_chair").get("/orgs")
    assert page.status_code == 200, page.text
    card = page.text.split('<strong class="org-name">新建工会</strong>')[1].split("</div>\n")[1]
    assert "<strong>—</strong>" in card and 'role="progressbar"' not in card
