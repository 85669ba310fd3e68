"""Event summaries: one readable sentence per event type, in Chinese and in English."""

from __future__ import annotations

import pytest
from eventsourcing.domain import DomainEvent

from planlog.domain.model import Plan, PlanItem
from planlog.domain.organisation import Organisation
from planlog.domain.registry import ImportedDocument, PlanIndex, PlanIndexOrigin, PlanRegistry
from planlog.domain.task import FederationTask
from planlog.service.summaries import SUMMARIES, summarise

#: eventsourcing's default creation classes these aggregates never record: items are
#: created by Planned, organisations by Registered, tasks by Sent, imported
#: documents by their own creation event
_NEVER_RECORDED = {
    "PlanItem.Created",
    "Organisation.Created",
    "FederationTask.Created",
    "ImportedDocument.Created",
    "PlanIndex.Created",
    "PlanIndexOrigin.Created",
}


def _recorded_event_types() -> set[str]:
    return {
        f"{aggregate.__name__}.{name}"
        for aggregate in (
            Plan,
            PlanItem,
            Organisation,
            PlanRegistry,
            ImportedDocument,
            PlanIndex,
            PlanIndexOrigin,
            FederationTask,
        )
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, DomainEvent) and name != "Event"
    } - _NEVER_RECORDED


@pytest.mark.parametrize("language", sorted(SUMMARIES))
def test_every_event_the_domain_records_has_a_summary(language: str) -> None:
    assert _recorded_event_types() - set(SUMMARIES[language]) == set()


def test_english_summaries_word_the_event_in_english() -> None:
    progress = {"percent": 60, "target_index": 0, "target_value": 3, "note": "已开两次"}
    assert summarise("PlanItem.ProgressReported", progress, "en") == (
        "Reported progress 60% (target 1: 3): 已开两次"
    )
    planned = {
        "title": "职工之家申报",
        "occurrences": [{"opens": "2026-06-01", "due": "2026-08-31"}],
    }
    assert summarise("PlanItem.Planned", planned, "en") == (
        "Added item “职工之家申报”, due 2026-06-01 to 2026-08-31"
    )
    assert (
        summarise("PlanItem.Planned", planned)
        == "新增事项“职工之家申报”，时限 2026-06-01至2026-08-31"
    )


def test_an_unknown_language_or_event_type_still_gives_a_summary() -> None:
    assert summarise("PlanItem.Cancelled", {}, "fr") == "取消事项"
    assert summarise("Plan.Archived", {}, "en") == "Archived"


def test_a_revision_names_the_changed_details_in_chinese() -> None:
    changes = {"changes": {"title": "新标题", "targets": [], "helpers": "组织部"}}
    assert summarise("PlanItem.Revised", changes) == "修改事项：标题、量化指标、协办单位"


_LAGGING = [{"org": "东一工会", "overdue": 2, "percent_done": 0}]


def test_a_digest_to_registered_chairs_names_them_in_both_languages() -> None:
    issued = {
        "week": "2026-W29",
        "lagging": _LAGGING,
        "more": 2,
        "chairs": [
            {"person_id": "4f9c1a52-0000-4000-8000-000000000001", "name": "刘主席"},
            {"person_id": "4f9c1a52-0000-4000-8000-000000000002", "name": "张副主席"},
        ],
        "addressed_to": "chairs",
    }
    assert summarise("Organisation.DigestIssued", issued) == (
        "发出 2026-W29 督办周报（3 个工会滞后），致 刘主席、张副主席"
    )
    assert summarise("Organisation.DigestIssued", issued, "en") == (
        "Issued the 2026-W29 laggard digest (3 unions behind), to 刘主席, 张副主席"
    )


def test_a_digest_without_a_registered_chair_says_it_went_to_the_organisation() -> None:
    issued = {"week": "2026-W29", "lagging": _LAGGING, "chairs": [], "addressed_to": "unit"}
    assert summarise("Organisation.DigestIssued", issued) == (
        "发出 2026-W29 督办周报（1 个工会滞后），未登记主席，发至本组织的通知渠道"
    )
    assert summarise("Organisation.DigestIssued", issued, "en") == (
        "Issued the 2026-W29 laggard digest (1 union behind), "
        "to the organisation's channels: no chair is registered"
    )


def test_a_version_1_digest_names_whom_it_greeted_without_claiming_no_chair_was_registered() -> (
    None
):
    # Version 1 recorded neither chairs nor addressed_to: whether a chair was registered
    # is unknown, whom it greeted is known.
    issued = {"week": "2026-W29", "lagging": _LAGGING, "more": 0, "recipients": ["刘主席"]}
    assert summarise("Organisation.DigestIssued", issued) == (
        "发出 2026-W29 督办周报（1 个工会滞后），致 刘主席"
    )
    assert summarise("Organisation.DigestIssued", issued, "en") == (
        "Issued the 2026-W29 laggard digest (1 union behind), to 刘主席"
    )
