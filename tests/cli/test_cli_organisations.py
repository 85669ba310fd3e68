"""The administrator's CLI registers organisations with the plans that name them and is
the only door that places or moves an existing one (issue 16), on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planlog.domain.model import Plan
from planlog.domain.registry import PlanRegistry
from planlog.service.app import PlanlogApp

PLAN_TEXT = "一、健全女工组织\n1、组织健全。\n时限：3月25日前\n责任人：工会女工\n"


def orgs(planlog: Any) -> dict[str, str | None]:
    return {o["org"]: o["parent"] for o in planlog("org", "list", "--json")}


def plan_create(planlog: Any, org: str, *extra: str, expect_exit: int = 0) -> Any:
    return planlog(
        "plan",
        "create",
        "--org",
        org,
        "--year",
        "2026",
        "--title",
        "计划",
        *extra,
        "--json",
        expect_exit=expect_exit,
    )


def record_legacy_plan(store_url: str, org: str) -> None:
    """A plan as recorded before organisations had to be registered: its organisation
    is named in the plan registry and registered nowhere."""
    app = PlanlogApp(store_url)
    try:
        registry = PlanRegistry.start("planlog")
        plan = Plan.create(org=org, year=2026, title="旧计划", actor="c", reason=None, source=None)
        registry.register(
            plan_id=plan.id, org=org, year=2026, title="旧计划", fingerprint=None, actor="c"
        )
        app.save(registry, plan)
    finally:
        app.close()


def test_cli_plan_create_registers_a_missing_organisation_with_the_plan(planlog: Any) -> None:
    planlog("org", "create", "市总工会")
    made = plan_create(planlog, "某医院工会", "--parent", "市总工会")
    assert made["org_registered"] is True
    assert orgs(planlog)["某医院工会"] == "市总工会"
    again = plan_create(planlog, "某医院工会")
    assert again["org_registered"] is False and orgs(planlog)["某医院工会"] == "市总工会"
    top = planlog("plan", "create", "--org", "某工会", "--year", "2026", "--title", "计划")
    assert "已登记组织" in top and "顶层" in top
    assert orgs(planlog)["某工会"] is None


def test_cli_plan_create_never_moves_an_existing_organisation(planlog: Any) -> None:
    planlog("org", "create", "市总工会")
    planlog("org", "create", "外市总工会")
    planlog("org", "create", "某医院工会", "--parent", "市总工会")
    refused = plan_create(planlog, "某医院工会", "--parent", "外市总工会", expect_exit=1)
    assert refused["error"]["rule"] == "organisation_parent"
    assert "planlog org move" in refused["error"]["message"]
    assert planlog("plan", "list", "--json") == []
    assert orgs(planlog)["某医院工会"] == "市总工会"
    planlog("org", "move", "某医院工会", "--parent", "外市总工会", "--reason", "划转")
    assert orgs(planlog)["某医院工会"] == "外市总工会"


def test_cli_plan_create_under_a_parent_nobody_registered_records_nothing(planlog: Any) -> None:
    refused = plan_create(planlog, "某医院工会", "--parent", "无此上级", expect_exit=1)
    assert refused["error"]["code"] == "not_found"
    assert planlog("plan", "list", "--json") == [] and orgs(planlog) == {}


def test_cli_import_registers_a_missing_organisation_and_a_dry_run_records_nothing(
    planlog: Any, tmp_path: Path
) -> None:
    document = tmp_path / "计划.txt"
    document.write_text(PLAN_TEXT, encoding="utf-8")
    planlog("org", "create", "市总工会")
    args = ("import", str(document), "--org", "某医院工会", "--year", "2026")
    dry = planlog(*args, "--parent", "市总工会", "--dry-run", "--json")
    assert dry["org_registered"] is True and dry["plan_id"] is None
    assert "某医院工会" not in orgs(planlog)
    shown = planlog(*args, "--parent", "市总工会", "--dry-run")
    assert "试运行" in shown and "已登记组织" in shown
    made = planlog(*args, "--parent", "市总工会", "--json")
    assert made["org_registered"] is True and made["plan_id"]
    assert orgs(planlog)["某医院工会"] == "市总工会"
    again = planlog(*args, "--json")
    assert again["already_imported"] is True and again["org_registered"] is False


def test_the_administrator_places_an_organisation_named_only_by_older_plans(
    planlog: Any, store_url: str
) -> None:
    record_legacy_plan(store_url, "老工会")
    planlog("org", "create", "市总工会")
    placed = planlog("org", "create", "老工会", "--parent", "市总工会", "--json")
    assert placed["parent"] == "市总工会"
    refused = planlog("org", "create", "老工会", "--json", expect_exit=1)
    assert refused["error"]["rule"] == "organisation_unique"


def test_cli_plan_create_registers_an_organisation_named_only_by_older_plans(
    planlog: Any, store_url: str
) -> None:
    record_legacy_plan(store_url, "老工会")
    made = plan_create(planlog, "老工会")
    assert made["org_registered"] is True and orgs(planlog)["老工会"] is None


def test_a_plan_for_a_new_organisation_named_like_an_existing_one_warns_of_a_typo(
    planlog: Any,
) -> None:
    planlog("org", "create", "东城区机械厂工会", "--json")
    made = planlog(
        "plan", "create", "--org", "东城机械厂工会", "--year", "2026", "--title", "计划", "--json"
    )
    assert made["org_registered"] and made["similar_orgs"] == ["东城区机械厂工会"]
    other = planlog(
        "plan", "create", "--org", "西郊医院工会", "--year", "2026", "--title", "计划", "--json"
    )
    assert other["similar_orgs"] == []


def test_a_short_name_one_character_off_an_existing_one_warns_of_a_typo(planlog: Any) -> None:
    planlog("org", "create", "甲厂工会", "--json")
    made = planlog(
        "plan", "create", "--org", "甲厂公会", "--year", "2026", "--title", "计划", "--json"
    )
    assert made["similar_orgs"] == ["甲厂工会"]
    other = planlog(
        "plan", "create", "--org", "乙校工会", "--year", "2026", "--title", "计划", "--json"
    )
    assert other["similar_orgs"] == []


def test_org_list_prints_the_tree_each_organisation_under_its_parent(planlog: Any) -> None:
    planlog("org", "create", "市总工会", "--json")
    planlog("org", "create", "东区总工会", "--parent", "市总工会", "--json")
    planlog("org", "create", "东一工会", "--parent", "东区总工会", "--chair", "李主席", "--json")
    lines = [line for line in planlog("org", "list").splitlines() if line.strip()]
    names = ["市总工会", "东区总工会", "东一工会"]
    found = [next(i for i, line in enumerate(lines) if name in line) for name in names]
    assert found == sorted(found)  # parent before child
    indents = [lines[i].index(name) for i, name in zip(found, names, strict=True)]
    assert indents == sorted(indents) and len(set(indents)) == 3  # each deeper
    assert "李主席" in lines[found[2]]


def test_appointing_a_chair_and_moving_an_organisation_say_what_they_did(planlog: Any) -> None:
    planlog("org", "create", "市总工会", "--json")
    planlog("org", "create", "东区总工会", "--json")
    appointed = planlog("org", "chair", "东区总工会", "李主席")
    assert "东区总工会" in appointed and "李主席" in appointed
    moved = planlog("org", "move", "东区总工会", "--parent", "市总工会", "--reason", "划转")
    assert "东区总工会 ← 市总工会" in moved


def test_a_misspelt_organisation_is_retired_and_leaves_the_tree(planlog: Any) -> None:
    planlog("org", "create", "市总工会", "--json")
    planlog("org", "create", "东城区总公会", "--parent", "市总工会", "--json")  # 公 for 工
    retired = planlog("org", "retire", "东城区总公会", "--reason", "名称录错", "--json")
    assert retired["retired"] is True and retired["parent"] == "市总工会"
    assert orgs(planlog) == {"市总工会": None}
    assert "东城区总公会" not in planlog("org", "list")
    history = planlog("history", retired["id"], "--json")
    assert any(change.get("reason") == "名称录错" for change in history)
    planlog("projections", "rebuild")  # replayed, it stays out of the tree
    assert orgs(planlog) == {"市总工会": None}


@pytest.mark.parametrize(
    "args",
    [
        ("org", "create", "东城区总公会"),
        ("org", "create", "东一工会", "--parent", "东城区总公会"),
        ("org", "move", "东一工会", "--parent", "东城区总公会"),
        ("org", "chair", "东城区总公会", "李主席"),
        ("plan", "create", "--org", "东城区总公会", "--year", "2026", "--title", "计划"),
        ("person", "add", "--org", "东城区总公会", "--name", "李四"),
        ("token", "create", "--org", "东城区总公会", "--role", "chair"),
    ],
    ids=["register_again", "place_under", "move_under", "chair", "plan", "person", "token"],
)
def test_a_retired_organisation_takes_nothing_new(planlog: Any, args: tuple[str, ...]) -> None:
    planlog("org", "create", "东城区总公会", "--json")
    planlog("org", "create", "东一工会", "--json")
    planlog("org", "retire", "东城区总公会", "--reason", "名称录错", "--json")
    refused = planlog(*args, "--json", expect_exit=1)
    assert refused["error"]["rule"] == "organisation_retired", refused
    assert "已注销" in refused["error"]["message"]
    assert orgs(planlog) == {"东一工会": None}
    assert planlog("plan", "list", "--json") == []


def test_retiring_an_organisation_with_members_or_plans_is_refused_naming_them(
    planlog: Any,
) -> None:
    planlog("org", "create", "市总工会", "--json")
    planlog("org", "create", "东区总工会", "--parent", "市总工会", "--json")
    plan_create(planlog, "东一工会", "--parent", "东区总工会")
    for name, named in (("市总工会", "东区总工会"), ("东一工会", "1份计划")):
        refused = planlog("org", "retire", name, "--reason", "撤并", "--json", expect_exit=1)
        assert refused["error"]["rule"] == "organisation_in_use"
        assert named in refused["error"]["message"]
    assert orgs(planlog) == {"市总工会": None, "东区总工会": "市总工会", "东一工会": "东区总工会"}


def test_an_organisation_is_retired_once_its_people_are(planlog: Any) -> None:
    planlog("org", "create", "东城区总公会", "--json")
    person = planlog("person", "add", "--org", "东城区总公会", "--name", "李四", "--json")
    args = ("org", "retire", "东城区总公会", "--reason", "名称录错", "--json")
    refused = planlog(*args, expect_exit=1)
    assert "1名人员" in refused["error"]["message"]
    planlog("person", "retire", person["id"], "--json")
    assert planlog(*args)["retired"] is True


def test_a_union_with_no_deadline_ranks_with_a_dash_not_zero_percent(planlog: Any) -> None:
    planlog("org", "create", "市总工会", "--json")
    planlog("org", "create", "东区总工会", "--parent", "市总工会", "--json")
    planlog("org", "create", "东一工会", "--parent", "东区总工会", "--json")
    row = next(
        line for line in planlog("rollup", "市总工会", "--rank").splitlines() if "东一" in line
    )
    assert "—" in row and "0%" not in row
    tree = next(line for line in planlog("rollup", "市总工会").splitlines() if "东一" in line)
    assert "—" in tree and "0%" not in tree


def test_an_organisation_nobody_registered_is_named_in_the_refusal(planlog: Any) -> None:
    refused = planlog("org", "retire", "无此工会", "--reason", "录错", "--json", expect_exit=1)
    assert refused["error"]["code"] == "not_found"
    assert "没有名为“无此工会”的组织" in refused["error"]["message"]
    assert "no organisation named '无此工会'" in refused["error"]["message"]


def test_history_takes_an_organisations_name(planlog: Any) -> None:
    planlog("org", "create", "东城区总公会", "--json")
    planlog("org", "retire", "东城区总公会", "--reason", "名称录错", "--json")
    history = planlog("history", "东城区总公会", "--json")
    assert [change.get("reason") for change in history] == [None, "名称录错"]
    unknown = planlog("history", "无此工会", "--json", expect_exit=1)
    assert unknown["error"]["code"] == "invalid_id"


def test_an_organisation_named_like_an_existing_one_is_registered_with_a_warning(
    planlog: Any,
) -> None:
    planlog("org", "create", "甲厂工会", "--json")
    made = planlog("org", "create", "甲厂公会", "--json")
    assert made["similar_orgs"] == ["甲厂工会"] and made["retired"] is False
    shown = planlog("org", "create", "甲厂工合")
    assert "是否写错" in shown and "planlog org retire" in shown
    assert planlog("org", "create", "乙校工会", "--json")["similar_orgs"] == []


def test_history_takes_a_name_that_looks_like_the_start_of_an_id(planlog: Any) -> None:
    planlog("org", "create", "2024", "--json")
    assert len(planlog("history", "2024", "--json")) == 1
    unknown = planlog("history", "无此工会", "--json", expect_exit=1)
    assert "organisation's name" in unknown["error"]["message"]


def test_a_union_with_no_deadline_ranks_after_those_with_some(planlog: Any) -> None:
    planlog("org", "create", "市总工会", "--json")
    planlog("org", "create", "东一工会", "--parent", "市总工会", "--json")  # no plan
    plan = plan_create(planlog, "东二工会", "--parent", "市总工会")
    planlog("item", "add", plan["id"], "--title", "年底总结", "--due", "2026-12-31", "--json")
    ranked = planlog("rollup", "市总工会", "--rank", "--now", "2026-07-01", "--json")
    assert [u["org"] for u in ranked["unions"]] == ["东二工会", "东一工会"]
