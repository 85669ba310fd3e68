"""The ranking page (督办) of an organisation lists that organisation's own plans."""

from __future__ import annotations

from tests.http.web.conftest import HOSPITAL, Web


def test_the_ranking_page_lists_the_organisations_own_plans(web: Web) -> None:
    client = web.login("city_chair")
    page = client.get(f"/orgs/{HOSPITAL}/rollup")
    assert page.status_code == 200, page.text
    assert f'href="/plans/{web.seeded.plan}"' in page.text
    assert "2026年工会工作计划" in page.text
    assert f"/plans/{web.seeded.other_plan}" not in page.text
