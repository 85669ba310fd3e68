"""Issue 16 at the command line: `--value inf`, a NUL in a title or note, a YAML plan with a
`.nan` target. Each is refused in one line (exit 1), nothing is recorded, and the board,
a rebuild and `audit verify` keep working for everyone."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from planlog.domain.model import Target
from planlog.service.app import NewItem, PlanlogApp

ORG = "某医院工会"


def _plan(planlog: Any) -> str:
    made = planlog("plan", "create", "--org", ORG, "--year", "2026", "--title", "计划", "--json")
    return str(made["id"])


def _item_with_a_target(store_url: str, plan_id: str) -> str:
    app = PlanlogApp(store_url)
    try:
        spec = NewItem(
            title="发展会员",
            dues=[date(2026, 6, 30)],
            targets=[Target(text="新增会员800名", value=800, unit="名")],
        )
        return str(app.add_item(UUID(plan_id), spec, actor="王主席").id)
    finally:
        app.close()


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def _still_serving(planlog: Any, plan_id: str) -> None:
    assert planlog("board", plan_id, "--json")["plan"]["id"] == plan_id
    assert planlog("projections", "rebuild", "--lanes", "1", "--json") is not None
    assert planlog("audit", "verify", "--json")["ok"] is True


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", "1e16"])
def test_nan_or_infinite_target_value_through_cli_value_is_refused(
    planlog: Any, store_url: str, value: str
) -> None:
    plan_id = _plan(planlog)
    item_id = _item_with_a_target(store_url, plan_id)
    before = planlog("item", "show", item_id, "--json")["version"]
    output = planlog("item", "progress", item_id, "--target", "1", "--value", value, expect_exit=1)
    line = _one_line(output)
    assert "指标数值" in line and "target value" in line
    refused = planlog(
        "item", "progress", item_id, "--target", "1", "--value", value, "--json", expect_exit=1
    )
    assert (refused["error"]["code"], refused["error"]["field"]) == (
        "invalid_value",
        "target_value",
    )
    assert planlog("item", "show", item_id, "--json")["version"] == before
    _still_serving(planlog, plan_id)


def test_nul_in_a_title_through_the_cli_is_refused(planlog: Any) -> None:
    plan_id = _plan(planlog)
    line = _one_line(
        planlog(
            "item", "add", plan_id, "--title", "半年\x00报告", "--due", "2026-06-30", expect_exit=1
        )
    )
    assert "U+0000" in line and "标题" in line
    assert planlog("plan", "show", plan_id, "--json")["items"] == 0
    refused = planlog(
        "plan",
        "create",
        "--org",
        ORG,
        "--year",
        "2026",
        "--title",
        "计\x00划",
        "--json",
        expect_exit=1,
    )
    assert refused["error"]["field"] == "title"
    assert len(planlog("plan", "list", "--json")) == 1
    _still_serving(planlog, plan_id)


def test_nul_in_a_progress_note_through_the_cli_is_refused(planlog: Any) -> None:
    plan_id = _plan(planlog)
    item = planlog("item", "add", plan_id, "--title", "换届", "--due", "2026-06-30", "--json")
    refused = planlog(
        "item",
        "progress",
        item["id"],
        "--percent",
        "40",
        "--note",
        "已起草\x00",
        "--json",
        expect_exit=1,
    )
    assert refused["error"]["field"] == "note" and "U+0000" in refused["error"]["message"]
    assert planlog("item", "show", item["id"], "--json")["version"] == item["version"]
    _still_serving(planlog, plan_id)


YAML_NAN = """\
sections:
  - title: 发展会员
    items:
      - title: 新增会员
        deadline: 年底前
        targets: [{value: .nan, unit: 名}]
      - title: 建会率
        deadline: 年底前
        targets: [{value: .inf, unit: "%"}]
"""


def test_yaml_plan_with_a_nan_target_is_refused_on_import(planlog: Any, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(YAML_NAN, encoding="utf-8")
    refused = planlog("import", str(plan), "--org", ORG, "--year", "2026", "--json", expect_exit=1)
    message = refused["error"]["message"]
    assert "sections[0].items[0].targets[0].value" in message and "nan" in message
    assert "sections[0].items[1].targets[0].value" in message and "inf" in message
    assert planlog("plan", "list", "--json") == []
    other = _plan(planlog)
    _still_serving(planlog, other)


def test_an_undecodable_parent_name_is_refused_not_a_traceback(planlog: Any) -> None:
    """Bytes that are not UTF-8 reach Python's argv as lone surrogates (\\udcff); hashing
    one into an organisation id used to raise UnicodeEncodeError."""
    line = _one_line(planlog("org", "create", "某工会", "--parent", "\udcff", expect_exit=1))
    assert "0xFF" in line and "UTF-8" in line
    assert "某工会" not in planlog("org", "list")
