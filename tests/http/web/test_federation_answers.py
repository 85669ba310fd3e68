"""A federation's ranking is computed once for every door while the read models stay put."""

from __future__ import annotations

from typing import Any

import pytest
from tests.http.web.conftest import CITY, HOSPITAL, Web

from planlog.http import deps


def test_the_ranking_page_reads_the_ranking_the_api_computed(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[str] = []
    ranking = deps.ranking

    def counted(conn: Any, org: str, today: Any) -> Any:
        computed.append(org)
        return ranking(conn, org, today)

    monkeypatch.setattr(deps, "ranking", counted)
    token = web.tokens["city_chair"]
    api = web.client.get(
        f"/api/v1/orgs/{CITY}/rollup?rank=true", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200, api.text
    page = web.login("city_chair").get(f"/orgs/{CITY}/rollup")
    assert page.status_code == 200, page.text
    assert HOSPITAL in page.text
    assert computed == [CITY]
