"""Commands are checked once when built, and every command has exactly one handler."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from planlog.domain.errors import PlanlogError
from planlog.domain.values import InvalidValue
from planlog.service import commands, handlers

ITEM = uuid4()


def _command_classes() -> set[type]:
    found = {
        value
        for value in vars(commands).values()
        if isinstance(value, type)
        and issubclass(value, commands.Command)
        and value not in (commands.Command, commands.ItemCommand)
    }
    return found


def test_every_command_has_a_handler() -> None:
    assert _command_classes() <= set(handlers._HANDLERS)


def test_nothing_to_revise_is_one_check_for_every_door() -> None:
    with pytest.raises(PlanlogError, match="nothing to revise"):
        commands.ReviseItem(item_id=ITEM, actor="chair", changes={})


def test_occurrence_and_to_go_together() -> None:
    with pytest.raises(PlanlogError, match="go together"):
        commands.schedule_change(item_id=ITEM, actor="chair", reason="x", occurrence="2026-06-30")
    moved = commands.schedule_change(
        item_id=ITEM, actor="chair", reason="x", occurrence=date(2026, 6, 30), to=date(2026, 7, 1)
    )
    assert isinstance(moved, commands.MoveOccurrence) and moved.occurrence == "2026-06-30"
    replaced = commands.schedule_change(
        item_id=ITEM, actor="chair", reason="x", dues=[date(2026, 9, 30)]
    )
    assert isinstance(replaced, commands.ChangeSchedule)


def test_text_is_checked_with_the_domain_limits_and_normalised() -> None:
    with pytest.raises(InvalidValue) as refused:
        commands.Complete(item_id=ITEM, actor="li", note="长" * 20_001)
    assert refused.value.details["field"] == "note"
    assert commands.Cancel(item_id=ITEM, actor="chair", reason="  延期\r\n").reason == "延期"


def test_a_person_must_give_an_item_a_deadline() -> None:
    spec = commands.NewItem(title="发展会员")
    with pytest.raises(PlanlogError, match="needs a deadline"):
        commands.AddItem.typed(plan_id=uuid4(), spec=spec, actor="chair")
    assert commands.AddItem.typed(plan_id=uuid4(), spec=spec, actor="chair", deadline="6月")
