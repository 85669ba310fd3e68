"""The reminder policy through every door (application, API, CLI), on both stores.

One check (planlog.scheduler.policy.validate_policy) guards every door; a policy stored
before the bounds existed is read clamped, so showing or using it never fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from planlog.auth.tokens import create_token
from planlog.cli import app as cli_app
from planlog.config import Settings
from planlog.domain.model import Plan
from planlog.domain.values import InvalidValue
from planlog.http.app import create_app
from planlog.service.app import PlanlogApp

ORG = "某医院工会"


@dataclass
class Doors:
    app: PlanlogApp
    client: TestClient
    token: str
    store_url: str
    plan_id: UUID

    def put(self, body: Any) -> Any:
        return self.client.put(
            f"/api/v1/plans/{self.plan_id}/policy",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def get(self) -> Any:
        return self.client.get(
            f"/api/v1/plans/{self.plan_id}/policy",
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def cli(self, *args: str) -> tuple[int, Any]:
        command = ["plan", "policy", str(self.plan_id), *args, "--json"]
        result = CliRunner().invoke(
            cli_app, ["--db", self.store_url, "--actor", "王主席", *command]
        )
        return result.exit_code, json.loads(result.stdout)

    def policy_events(self) -> list[Any]:
        return [
            e for e in self.app.events.get(self.plan_id) if type(e).__name__ == "ReminderPolicySet"
        ]


@pytest.fixture
def doors(store_url: str) -> Iterator[Doors]:
    api = create_app(Settings(database_url=store_url), background=False)
    with TestClient(api) as client:
        svc = api.state.services
        svc.app.register_organisation(ORG, actor="admin", chair="王主席")
        token = create_token(svc.engine, ORG, "chair", "王主席")[1]
        plan = svc.app.create_plan(org=ORG, year=2026, title="2026年工作计划", actor="王主席")
        yield Doors(svc.app, client, token, store_url, plan.id)


def store_as_an_old_version_did(app: PlanlogApp, plan_id: UUID, policy: dict[str, Any]) -> None:
    """Record a policy without the check, as versions before the bounds did."""
    plan = app.get_plan(plan_id)
    # Straight to the event: Plan.set_reminder_policy checks the bounds today.
    plan.trigger_event(Plan.ReminderPolicySet, policy=policy, actor="old version", reason=None)
    app.save(plan)


BAD_POLICIES = [
    ({"max_chases": 10**30}, "max_chases"),
    ({"max_chases": 1e30}, "max_chases"),
    ({"max_chases": True}, "max_chases"),
    ({"overdue_every_days": 10**6}, "overdue_every_days"),
    ({"escalate_after_days": 0}, "escalate_after_days"),
    ({"lead_days": list(range(1, 30))}, "lead_days"),
    ({"lead_days": [7, 10**30]}, "lead_days"),
    ({"send_at": "08:30" * 100}, "send_at"),
    ({"timezone": "Mars/Base"}, "timezone"),
]


@pytest.mark.parametrize(("body", "field"), BAD_POLICIES)
def test_reminder_policy_out_of_bounds_is_refused_on_every_door(
    doors: Doors, body: dict[str, Any], field: str
) -> None:
    # Before: max_chases=10**30 was accepted, and every reminder pass for every union
    # then looped for 110 s and crashed.
    with pytest.raises(InvalidValue) as refused:
        doors.app.set_reminder_policy(doors.plan_id, body, actor="王主席")
    assert refused.value.field == field

    response = doors.put(body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "invalid_value" and problem["field"] == field
    assert f"（{field}: " in problem["detail"]

    option = {
        "max_chases": "--max-chases",
        "overdue_every_days": "--overdue-every",
        "escalate_after_days": "--escalate-after",
        "lead_days": "--lead-days",
        "send_at": "--send-at",
    }.get(field)
    if option is not None and not isinstance(body[field], bool | float):
        value = body[field]
        text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        code, out = doors.cli(option, text)
        assert code == 1
        assert out["error"]["field"] == field and field in out["error"]["message"]

    assert doors.policy_events() == []  # nothing recorded by any door
    assert doors.get().json()["max_chases"] is None  # the default: never give up


def test_a_valid_policy_is_recorded_normalised_through_every_door(doors: Doors) -> None:
    response = doors.put({"lead_days": [1, 14], "max_chases": 100})
    assert response.status_code == 200, response.text
    assert response.json()["lead_days"] == [14, 1] and response.json()["max_chases"] == 100
    code, out = doors.cli("--lead-days", "3,30", "--send-at", "09:00:00")
    assert code == 0 and out["lead_days"] == [30, 3] and out["send_at"] == "09:00"
    assert doors.app.get_plan(doors.plan_id).reminder_policy == {
        "lead_days": [30, 3],
        "max_chases": 100,
        "send_at": "09:00",
    }


def test_cli_lead_days_that_are_not_numbers_are_refused_by_name(doors: Doors) -> None:
    code, out = doors.cli("--lead-days", "7,x")
    assert code == 1 and out["error"]["field"] == "lead_days"


def test_a_stored_policy_out_of_bounds_is_shown_clamped_not_a_500(
    doors: Doors, caplog: pytest.LogCaptureFixture
) -> None:
    # Before: a stored lead_days of [0] made GET /policy a 500 and `plan policy` a crash.
    store_as_an_old_version_did(
        doors.app, doors.plan_id, {"max_chases": 2**53, "lead_days": [0, 7], "send_at": "25:00"}
    )
    with caplog.at_level("WARNING", logger="planlog.reminders"):
        response = doors.get()
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["max_chases"] == 100 and shown["lead_days"] == [7, 1]
    assert shown["send_at"] == "08:30"
    assert any(str(doors.plan_id) in r.getMessage() for r in caplog.records)

    # A chair can still change one field; the clamped values are recorded with it.
    code, out = doors.cli("--overdue-every", "5")
    assert code == 0 and out["overdue_every_days"] == 5 and out["max_chases"] == 100
    assert doors.app.get_plan(doors.plan_id).reminder_policy == {
        "lead_days": [7, 1],
        "overdue_every_days": 5,
        "max_chases": 100,
    }
