"""A federation's chair on the start and federation pages when the scope is large: their
own plans and the next level, each organisation below reached through its ranking, not
every union's plan on one page."""

from __future__ import annotations

import pytest
from tests.http.web.conftest import CITY, DISTRICT, HOSPITAL, Web

from planlog.http.web import routes


def test_the_start_page_past_its_plans_lists_the_chair_s_own_and_points_to_the_ranking(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = web.services.app.create_plan(org=CITY, year=2026, title="市总工会计划", actor="张主席")
    monkeypatch.setattr(routes, "HOME_PLANS", 1)
    page = web.login("city_chair").get("/")
    assert page.status_code == 200, page.text
    assert f'href="/plans/{own.id}"' in page.text
    assert f'href="/plans/{web.seeded.plan}"' not in page.text  # the hospital's
    assert "下属 1 个组织的 1 个计划不在此逐一列出" in page.text
    assert 'href="/orgs/%E6%9F%90%E5%B8%82%E6%80%BB%E5%B7%A5%E4%BC%9A/rollup"' in page.text


def test_the_federation_page_past_its_organisations_shows_the_next_level_with_rankings(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "TREE_ORGS", 2)  # the city's scope: city, district, hospital
    page = web.login("city_chair").get("/orgs")
    assert page.status_code == 200, page.text
    assert "此处只列到下一级" in page.text
    assert DISTRICT in page.text and HOSPITAL not in page.text
    assert f'href="/plans/{web.seeded.plan}"' not in page.text
    district = "%E6%9F%90%E5%8C%BA%E6%80%BB%E5%B7%A5%E4%BC%9A"
    assert f'href="/orgs/{district}/rollup?rank=true"' in page.text
