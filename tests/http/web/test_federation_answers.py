"""A federation's rollup and ranking are computed once for every door while the read
models stay put."""

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

    def counted(conn: Any, org: str, today: Any, cache: Any = None) -> Any:
        computed.append(org)
        return ranking(conn, org, today, cache)

    monkeypatch.setattr(deps, "ranking", counted)
    token = web.tokens["city_chair"]
    api = web.client.get(
        f"/api/v1/orgs/{CITY}/rollup?rank=true&depth=1",  # a ranking lists every union
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200, api.text
    page = web.login("city_chair").get(f"/orgs/{CITY}/rollup")
    assert page.status_code == 200, page.text
    assert HOSPITAL in page.text
    assert computed == [CITY]


def test_the_federation_page_reads_the_rollup_the_api_computed(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[str | None] = []
    rollup = deps.rollup

    def counted(
        conn: Any, org: str | None, today: Any, depth: int | None = None, cache: Any = None
    ) -> Any:
        computed.append(org)
        return rollup(conn, org, today, depth, cache)

    monkeypatch.setattr(deps, "rollup", counted)
    token = web.tokens["city_chair"]
    api = web.client.get(
        f"/api/v1/orgs/{CITY}/rollup", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200, api.text
    page = web.login("city_chair").get("/orgs")
    assert page.status_code == 200, page.text
    assert HOSPITAL in page.text
    assert computed == [CITY]
