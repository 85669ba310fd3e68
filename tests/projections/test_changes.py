"""Reading the log as projections do: payloads decoded only where some projection reads them."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from planlog.projections.chain import ChainProjection
from planlog.projections.changes import UNREAD, ChangeReader, _Decoder
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import NewItem, PlanlogApp


def _no_payload(event_type: str) -> bool:
    return False


def test_an_undecoded_payload_keeps_the_recorded_time_and_the_raw_bytes(app: PlanlogApp) -> None:
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="chair")
    app.add_item(plan.id, NewItem(title="职工之家申报"), actor="chair")
    reader = ChangeReader(app.recorder, app.store)
    rows = reader.rows(0, 1_000, 1_000)
    reader.close()

    decoded = _Decoder()(rows)
    skipped = _Decoder(_no_payload)(rows)

    assert [c.recorded_at for c in skipped] == [c.recorded_at for c in decoded]
    assert [c.raw for c in skipped] == [row[4] for row in rows]
    assert all(c.data is UNREAD for c in skipped)
    assert "chair" in {c.data.get("actor") for c in decoded}


@pytest.mark.parametrize(
    "use",
    [
        lambda d: d["plan_id"],
        lambda d: d.get("actor"),
        lambda d: "actor" in d,
        lambda d: list(d),
        lambda d: bool(d),
        lambda d: d.items(),
        lambda d: d.setdefault("actor", "someone"),
        lambda d: d.update(actor="someone"),
    ],
)
def test_an_undecoded_payload_refuses_every_use(use: Any) -> None:
    with pytest.raises(LookupError, match="was not decoded"):
        use(UNREAD)


def test_a_payload_laid_out_otherwise_is_decoded_even_when_unread() -> None:
    state = orjson.dumps(
        {
            "actor": "li",
            "timestamp": {"_type_": "datetime_iso", "_data_": "2026-03-01T00:00:00+00:00"},
        }
    )
    topic = "planlog.domain.model:PlanItem.Cancelled"
    [change] = _Decoder(_no_payload)([(7, "0" * 32, 3, topic, state)])
    assert change.recorded_at == "2026-03-01T00:00:00+00:00"
    assert change.data == {"actor": "li"}
    assert change.type == "PlanItem.Cancelled"


def test_a_runner_decodes_the_payloads_of_its_projections_only(app: PlanlogApp) -> None:
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="chair")
    app.add_item(plan.id, NewItem(title="职工之家申报"), actor="chair")
    chain_only = ReadModelRunner(app, [ChainProjection()])
    everything = ReadModelRunner(app)
    try:
        assert all(c.data is UNREAD for c in chain_only.reader.read(0, 1_000, 1_000))
        changes = everything.reader.read(0, 1_000, 1_000)
        decoded = {c.type for c in changes if c.data is not UNREAD}
        assert decoded == {
            c.type for c in changes if any(p.reads_payload(c.type) for p in everything.projections)
        }
        assert {"Plan.Created", "PlanItem.Planned"} <= decoded
        assert "Plan.ItemAttached" not in decoded  # no read model needs what it says
    finally:
        chain_only.close()
        everything.close()
