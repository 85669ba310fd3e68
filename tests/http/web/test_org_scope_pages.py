"""The web pages that take an organisation name (import) reveal nothing about names
outside the caller's scope, and refuse an unregistered one clearly (issue 16)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planlog.auth.tokens import create_token

if TYPE_CHECKING:
    from conftest import Web

CITY, OTHER = "某市总工会", "外市总工会"


def test_the_import_page_answers_alike_for_organisations_outside_scope_that_exist_or_not(
    web: Web,
) -> None:
    client = web.login("hospital_chair")
    csrf = web.csrf("/import")
    plans = len(web.services.app.list_plans())

    def preview(org: str) -> tuple[int, str]:
        form = {"csrf": csrf, "org": org, "year": "2026", "text": "一、组织\n1、换届。\n"}
        answer = client.post("/import/preview", data=form)
        return answer.status_code, answer.text.replace(org, "NAME")

    missing = preview("无此工会")
    assert missing[0] == 422
    for existing in (CITY, OTHER):
        assert preview(existing) == missing, existing
    assert len(web.services.app.list_plans()) == plans


def test_the_import_page_refuses_an_unregistered_organisation_by_name(web: Web) -> None:
    web.tokens["unregistered"] = create_token(web.services.engine, "未登记工会", "chair")[1]
    client = web.login("unregistered")
    form = {"csrf": web.csrf("/import"), "org": "未登记工会", "year": "2026", "text": "1、换届。\n"}
    answer = client.post("/import/preview", data=form)
    assert answer.status_code == 422
    assert "尚未登记" in answer.text and "planlog org create" in answer.text
