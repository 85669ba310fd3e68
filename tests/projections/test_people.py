"""The people read model and "whose task is this", on both stores."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from planlog.projections.people import people_for, people_in, person_row, tasks_for
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import ChangePerson, RegisterPerson, RetirePerson


def setup_people(app: PlanlogApp) -> dict[str, Any]:
    app.register_organisation("市总工会", actor="admin")
    app.register_organisation("区总工会", actor="admin", parent="市总工会")
    zhang = app.handle(RegisterPerson(org="市总工会", name="张三", department="组织部", actor="a"))
    li = app.handle(RegisterPerson(org="市总工会", name="李四", department="宣传部", actor="a"))
    other = app.handle(RegisterPerson(org="区总工会", name="张三", department="组织部", actor="a"))
    return {"zhang": str(zhang.id), "li": str(li.id), "other": str(other.id)}


def test_people_follow_registration_change_and_retirement(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    ids = setup_people(app)
    app.handle(ChangePerson(person_id=ids["li"], changes={"mobile": "13900139000"}, actor="a"))
    app.handle(RetirePerson(person_id=ids["zhang"], actor="a"))
    runner.catch_up()
    with runner.engine.connect() as conn:
        li = person_row(conn, ids["li"])
        assert li is not None and li.mobile == "13900139000" and not li.retired
        zhang = person_row(conn, ids["zhang"])
        assert zhang is not None and zhang.retired
        assert [p.name for p in people_in(conn, ["市总工会"])] == ["李四"]
        assert len(people_in(conn, ["市总工会"], include_retired=True)) == 2


def test_a_responsible_text_maps_to_people_of_that_organisation_only(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    ids = setup_people(app)
    runner.catch_up()
    with runner.engine.connect() as conn:
        found = people_for(conn, "市总工会", ["组织部、李四"])
        assert sorted(p.id for p in found) == sorted([ids["zhang"], ids["li"]])
        # the same department of another union is another union's people
        assert [p.id for p in people_for(conn, "区总工会", ["组织部"])] == [ids["other"]]
        assert people_for(conn, "市总工会", ["财务部"]) == []


def my_tasks(engine: Engine, person_id: str, today: date) -> list[Any]:
    with engine.connect() as conn:
        person = person_row(conn, person_id)
        assert person is not None
        return tasks_for(conn, person, today)


def test_my_tasks_are_the_open_deadlines_i_answer_for_overdue_first(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    ids = setup_people(app)
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="a")
    late = app.add_item(
        plan.id, NewItem(title="迟交", responsible="组织部", dues=[date(2026, 1, 2)]), actor="a"
    )
    soon = app.add_item(
        plan.id, NewItem(title="将到", responsible="张三", dues=[date(2026, 3, 1)]), actor="a"
    )
    app.add_item(
        plan.id, NewItem(title="别人的", responsible="李四", dues=[date(2026, 2, 1)]), actor="a"
    )
    helped = app.add_item(
        plan.id, NewItem(title="协办", responsible="宣传部", dues=[date(2026, 4, 1)]), actor="a"
    )
    app.revise(helped.id, actor="a", helpers="组织部、财务部")
    done = app.add_item(
        plan.id, NewItem(title="已完成", responsible="组织部", dues=[date(2026, 2, 2)]), actor="a"
    )
    app.complete(done.id, actor="a")
    runner.catch_up()
    tasks = my_tasks(runner.engine, ids["zhang"], date(2026, 1, 10))
    assert [t.title for t in tasks] == ["迟交", "将到", "协办"]
    assert [t.item_id for t in tasks] == [str(late.id), str(soon.id), str(helped.id)]
    assert tasks[0].days_left == -8 and tasks[0].occurrence == "2026-01-02"
    # a person of another union with the same name and department sees none of them
    assert my_tasks(runner.engine, ids["other"], date(2026, 1, 10)) == []


def test_a_deadline_submitted_for_sign_off_leaves_my_tasks(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    ids = setup_people(app)
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="a")
    app.set_reminder_policy(plan.id, {"sign_off": True}, actor="a")
    item = app.add_item(
        plan.id, NewItem(title="待审核", responsible="组织部", dues=[date(2026, 3, 1)]), actor="a"
    )
    runner.catch_up()
    assert [t.title for t in my_tasks(runner.engine, ids["zhang"], date(2026, 1, 10))] == ["待审核"]
    app.complete(item.id, actor="张三")  # submitted: the chair's to confirm, not mine
    runner.catch_up()
    assert my_tasks(runner.engine, ids["zhang"], date(2026, 1, 10)) == []


def test_helping_units_of_an_imported_item_come_from_its_source(
    app: PlanlogApp, runner: ReadModelRunner
) -> None:
    ids = setup_people(app)
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="a")
    app.add_item(
        plan.id,
        NewItem(
            title="导入的",
            responsible="办公室",
            dues=[date(2026, 5, 1)],
            source={"text": "导入的", "helpers": "宣传部"},
        ),
        actor="a",
    )
    runner.catch_up()
    assert [t.title for t in my_tasks(runner.engine, ids["li"], date(2026, 1, 10))] == ["导入的"]
