"""Event type names come from the domain classes, and match what the read side decodes."""

from __future__ import annotations

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from planlog.domain.events import event_name
from planlog.domain.model import Plan, PlanItem
from planlog.domain.organisation import Organisation
from planlog.domain.person import Person
from planlog.domain.registry import ImportedDocument, PlanIndex, PlanIndexOrigin, PlanRegistry
from planlog.domain.task import FederationTask


def _events() -> list[type]:
    return [
        value
        for aggregate in (
            Plan,
            PlanItem,
            Organisation,
            PlanRegistry,
            ImportedDocument,
            PlanIndex,
            PlanIndexOrigin,
            Person,
            FederationTask,
        )
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, Aggregate.Event)
    ]


def test_event_name_is_the_stored_topic_after_its_colon() -> None:
    # planlog.projections.changes reads Change.type as topic.rpartition(":")[2]
    events = _events()
    assert len(events) > 15
    for event in events:
        assert event_name(event) == get_topic(event).rpartition(":")[2]
    assert event_name(PlanItem.Planned) == "PlanItem.Planned"


def test_every_type_a_read_model_names_is_a_domain_event() -> None:
    from planlog.projections.runner import default_projections
    from planlog.service.summaries import SUMMARIES

    known = {event_name(e) for e in _events()}
    for projection in default_projections():
        assert set(projection.types or ()) <= known, projection.name
        assert set(projection.payloads) <= known, projection.name
    assert set(SUMMARIES["zh"]) <= known
