"""Who may verify the whole log over HTTP: the chair or auditor of a top-level organisation.

The chain covers every organisation's events, so an auditor lower in the tree (whose token
sees its own organisation only) is refused with a message saying why. The chain's head
comes with the latest anchor written outside the database, and so do history exports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planlog.audit.anchor import write_anchor
from planlog.auth.tokens import create_token
from planlog.projections.rollup import org_tree, organisations

from .conftest import DISTRICT

WHOLE_LOG = ("/api/v1/audit/verify", "/api/v1/audit/head", "/api/v1/audit/prove")


def _prove_params(api: Any) -> dict[str, Any]:
    top = api.get("/api/v1/audit/head", "city_chair").json()["head"]
    return {"position": top["position"], "hash": top["hash"]}


@pytest.mark.parametrize("who", ["hospital_auditor", "hospital_chair", "district_chair"])
def test_an_auditor_below_the_top_level_cannot_verify_the_whole_log(api: Any, who: str) -> None:
    api.new_item(api.new_plan())
    params = _prove_params(api)
    for path in WHOLE_LOG:
        answer = api.get(path, who, params=params if path.endswith("prove") else None)
        assert answer.status_code == 403, (path, answer.text)
        problem = answer.json()
        assert problem["code"] == "forbidden"
        assert "top-level organisation" in problem["detail"]
        assert "顶级组织" in problem["detail"]


def test_the_chair_or_auditor_of_a_top_level_organisation_verifies_the_whole_log(
    api: Any,
) -> None:
    api.new_item(api.new_plan())
    _, token = create_token(api.services.engine, "某市总工会", "auditor", "city_auditor")
    api.tokens["city_auditor"] = token
    for who in ("city_chair", "city_auditor"):
        report = api.get("/api/v1/audit/verify", who).json()
        assert report["ok"] is True and report["checked"] > 0
        proof = api.get("/api/v1/audit/prove", who, params=_prove_params(api)).json()
        assert proof["unchanged"] is True
    # a top-level editor is still refused by role
    _, editor = create_token(api.services.engine, "某市总工会", "editor", "city_editor")
    api.tokens["city_editor"] = editor
    assert api.get("/api/v1/audit/verify", "city_editor").status_code == 403


def test_the_head_and_history_exports_carry_the_latest_anchor(
    api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANLOG_ANCHOR_DIR", str(tmp_path))
    plan_id = api.new_plan()
    api.new_item(plan_id)
    assert api.get("/api/v1/audit/head", "city_chair").json()["anchor"] is None
    svc = api.services
    written = write_anchor(svc.app, None, engine=svc.fresh())
    assert written is not None
    answer = api.get("/api/v1/audit/head", "city_chair").json()
    assert answer["anchor"] == dict(written)
    assert answer["head"] == {"position": written["position"], "hash": written["hash"]}
    history = api.get(f"/api/v1/plans/{plan_id}/history.jsonl", "hospital_auditor")
    last = json.loads(history.text.splitlines()[-1])
    assert last["chain_head"]["position"] == written["position"]
    assert last["anchor"]["signature"] == written["signature"]


def _token(api: Any, org: str, role: str, name: str) -> str:
    api.tokens[name] = create_token(api.services.engine, org, role, name)[1]
    return name


def _refused(api: Any, who: str, reason: str) -> None:
    params = _prove_params(api)
    for path in WHOLE_LOG:
        answer = api.get(path, who, params=params if path.endswith("prove") else None)
        assert answer.status_code == 403, (path, answer.text)
        detail = answer.json()["detail"]
        assert "顶级组织" in detail and "top-level organisation" in detail
        assert reason in detail, detail


def test_an_unknown_organisation_may_not_verify_the_whole_log(api: Any) -> None:
    """D2: an organisation nobody registered used to count as top-level (fail open)."""
    api.new_item(api.new_plan())
    for role in ("chair", "auditor"):
        who = _token(api, "无名工会", role, f"nobody_{role}")
        _refused(api, who, "no organisation named '无名工会' is registered")


def test_an_organisation_the_read_models_lack_is_judged_by_the_log(api: Any) -> None:
    """D2: a member union whose registration the rollup has not applied (quarantined, or
    not projected yet) is not taken for a top-level one: the log says it has a parent."""
    svc = api.services
    svc.app.register_organisation("某街道工会", actor="admin", parent=DISTRICT)
    svc.fresh()
    with svc.engine.begin() as conn:  # as if the rollup had set its registration aside
        conn.execute(organisations.delete().where(organisations.c.name == "某街道工会"))
    with svc.engine.connect() as conn:
        assert "某街道工会" not in org_tree(conn)
    api.new_item(api.new_plan())
    who = _token(api, "某街道工会", "auditor", "street_auditor")
    _refused(api, who, f"'某街道工会' is under '{DISTRICT}'")


def test_an_older_stores_unregistered_organisation_is_refused_until_registered(
    api: Any,
) -> None:
    """D2: a name only an older store's plans carry has no registration, so no recorded
    place in the tree: refused, saying how to register it; registered at the top, allowed."""
    api.legacy_plan("旧总工会")
    who = _token(api, "旧总工会", "chair", "legacy_chair")
    _refused(api, who, "planlog org create")
    api.services.app.register_organisation("旧总工会", actor="admin")
    assert api.get("/api/v1/audit/verify", who).json()["ok"] is True
