"""The API in-process (ASGI) on real stores, with tokens for a small federation:

某市总工会 (city) ⊃ 某区总工会 (district) ⊃ 某医院工会 (hospital); 外市总工会 is another root.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eventsourcing.application import AggregateNotFoundError
from fastapi.testclient import TestClient

from planlog.auth.tokens import create_token
from planlog.config import Settings
from planlog.domain.model import Plan
from planlog.domain.registry import REGISTRY_ID, PlanRegistry
from planlog.http.app import create_app

CITY, DISTRICT, HOSPITAL, OTHER = "某市总工会", "某区总工会", "某医院工会", "外市总工会"


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    services: Any

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    def get(self, path: str, who: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(who, **kw.pop("headers", {})), **kw)

    def post(self, path: str, who: str, **kw: Any) -> Any:
        return self.client.post(path, headers=self.headers(who, **kw.pop("headers", {})), **kw)

    def new_plan(self, who: str = "hospital_chair", org: str = HOSPITAL) -> str:
        made = self.post("/api/v1/plans", who, json={"org": org, "year": 2026, "title": "计划"})
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def legacy_plan(self, org: str) -> str:
        """A plan as recorded before organisations had to be registered: its
        organisation is named in the plan registry and registered nowhere."""
        app = self.services.app
        try:
            registry = app.repository.get(REGISTRY_ID)
        except AggregateNotFoundError:
            registry = PlanRegistry.start("planlog")
        plan = Plan.create(
            org=org, year=2026, title="旧计划", actor="chair", reason=None, source=None
        )
        registry.register(
            plan_id=plan.id, org=org, year=2026, title=plan.title, fingerprint=None, actor="chair"
        )
        app.save(registry, plan)
        return str(plan.id)

    def new_item(self, plan_id: str, who: str = "hospital_chair", **body: Any) -> str:
        payload = {"title": "半年报告", "dues": ["2026-06-30", "2026-12-31"], **body}
        made = self.post(f"/api/v1/plans/{plan_id}/items", who, json=payload)
        assert made.status_code == 201, made.text
        return str(made.json()["id"])


@pytest.fixture
def api(store_url: str) -> Iterator[Api]:
    app = create_app(Settings(database_url=store_url), background=False)
    with TestClient(app) as client:
        svc = app.state.services
        svc.app.register_organisation(CITY, actor="admin", chair="张主席")
        svc.app.register_organisation(DISTRICT, actor="admin", parent=CITY)
        svc.app.register_organisation(HOSPITAL, actor="admin", parent=DISTRICT, chair="王主席")
        svc.app.register_organisation(OTHER, actor="admin")
        tokens = {
            name: create_token(svc.engine, org, role, name)[1]
            for name, org, role in [
                ("city_chair", CITY, "chair"),
                ("district_chair", DISTRICT, "chair"),
                ("hospital_chair", HOSPITAL, "chair"),
                ("hospital_editor", HOSPITAL, "editor"),
                ("hospital_auditor", HOSPITAL, "auditor"),
                ("other_chair", OTHER, "chair"),
            ]
        }
        yield Api(client, tokens, svc)
