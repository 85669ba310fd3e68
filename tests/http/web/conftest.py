"""The web board in-process (TestClient) on a real SQLite store, with a small federation:

某市总工会 (city) ⊃ 某区总工会 (district) ⊃ 某医院工会 (hospital); 外市总工会 is another root.
The hospital's plan is recorded on a simulated clock in early 2026, so that the board
"as of" February shows the state before anything done through the pages today.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from tests.signin import form_value, sign_in

from planlog.auth.tokens import create_token
from planlog.config import Settings
from planlog.domain.model import Target
from planlog.http.app import create_app
from planlog.service.app import NewItem, PlanlogApp

CITY, DISTRICT, HOSPITAL, OTHER = "某市总工会", "某区总工会", "某医院工会", "外市总工会"
SEEDED_AT = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@dataclass
class Seeded:
    plan: UUID
    other_plan: UUID
    items: dict[str, UUID] = field(default_factory=dict)


def seed(url: str) -> Seeded:
    """Organisations, the hospital's plan (one of each kind of item) and another city's plan."""
    app = PlanlogApp(url, clock=Clock(SEEDED_AT))
    try:
        app.register_organisation(CITY, actor="admin", chair="张主席")
        app.register_organisation(DISTRICT, actor="admin", parent=CITY, chair="刘主席")
        app.register_organisation(HOSPITAL, actor="admin", parent=DISTRICT, chair="王主席")
        app.register_organisation(OTHER, actor="admin")
        plan = app.create_plan(org=HOSPITAL, year=2026, title="2026年工会工作计划", actor="王主席")
        specs = {
            "report": NewItem(
                title="向上级工会报告工作",
                section="健全工会组织",
                number="1",
                goal="每半年报告一次",
                responsible="工会办公室",
                dues=[date(2026, 6, 30), date(2026, 12, 31)],
                deadline_text="6月;12月",
            ),
            "apply": NewItem(
                title="各科室工会申报模范职工之家",
                section="建设职工之家",
                number="1",
                responsible="工会主席",
                windows=[(date(2026, 6, 1), date(2026, 8, 31))],
                deadline_text="六月至八月",
            ),
            "members": NewItem(
                title="发展会员",
                section="建设职工之家",
                number="2",
                responsible="工会女工委员会",
                dues=[date(2026, 3, 31)],
                targets=[Target(text="新增会员40名", value=40, unit="名")],
            ),
            "race": NewItem(
                title="组织元旦长跑",
                section="建设职工之家",
                number="3",
                responsible="工会文体委员",
                dues=[date(2026, 1, 1)],
            ),
        }
        items = {key: app.add_item(plan.id, spec, actor="王主席").id for key, spec in specs.items()}
        app.complete(items["race"], actor="孙强", done_on=date(2026, 1, 1), note="已举办")
        other = app.create_plan(org=OTHER, year=2026, title="外市计划", actor="外市主席")
        app.add_item(other.id, NewItem(title="外市事项", dues=[date(2026, 5, 1)]), actor="外市主席")
        return Seeded(plan.id, other.id, items)
    finally:
        app.close()


@dataclass
class Web:
    client: TestClient
    tokens: dict[str, str]
    services: Any
    seeded: Seeded

    def login(self, who: str) -> TestClient:
        """Sign the one test client in as `who` (replacing any earlier session)."""
        self.client.cookies.clear()
        response = sign_in(self.client, self.tokens[who])
        assert response.status_code == 303, response.text
        return self.client

    def sign_in(self, token: str, next: str | None = None, base: str = "") -> Any:
        return sign_in(self.client, token, next, base)

    form_value = staticmethod(form_value)

    def csrf(self, path: str) -> str:
        """The form token as a page hands it out."""
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.client.get(path).text)
        assert found, f"no form on {path}"
        return found.group(1)

    def version(self, item: UUID) -> int:
        return int(self.services.app.get_item(item).version)

    @property
    def board(self) -> str:
        return f"/plans/{self.seeded.plan}"


SignIn = Callable[..., Any]


@pytest.fixture(name="sign_in")
def sign_in_fixture() -> SignIn:
    """`sign_in(client, token, next=None, base="")` for tests with their own clients."""
    return sign_in


@pytest.fixture
def web(sqlite_url: str) -> Iterator[Web]:
    seeded = seed(sqlite_url)
    app = create_app(Settings(database_url=sqlite_url), background=False)
    with TestClient(app) as client:
        svc = app.state.services
        tokens = {
            name: create_token(svc.engine, org, role, actor)[1]
            for name, org, role, actor in [
                ("city_chair", CITY, "chair", "张主席"),
                ("hospital_chair", HOSPITAL, "chair", "王主席"),
                ("hospital_editor", HOSPITAL, "editor", "李明"),
                ("hospital_auditor", HOSPITAL, "auditor", "周审"),
                ("other_chair", OTHER, "chair", "外市主席"),
            ]
        }
        yield Web(client, tokens, svc, seeded)
