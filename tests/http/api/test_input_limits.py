"""The longest text each API body field takes is part of the contract: a client that was
refused a 600-character reason yesterday is refused it today. The web's forms use the
same limits (planlog.domain.values TYPED_*)."""

from __future__ import annotations

from typing import Any

from planlog.http.app import create_app
from planlog.http.web.items import EVIDENCE_MAX, NOTE_MAX, REASON_MAX

LIMITS = {
    "Backfill.evidence": 1000,
    "Backfill.note": 2000,
    "Complete.evidence": 1000,
    "Complete.note": 2000,
    "FeedCreate.target": 200,
    "ItemCreate.deadline": 200,
    "ItemCreate.goal": 5000,
    "ItemCreate.measures": 5000,
    "ItemCreate.number": 20,
    "ItemCreate.responsible": 200,
    "ItemCreate.rrule": 300,
    "ItemCreate.section": 200,
    "ItemCreate.title": 300,
    "Move.reason": 500,
    "OrgCreate.chair": 100,
    "OrgCreate.name": 200,
    "OrgCreate.parent": 200,
    "OrgRetire.reason": 500,
    "PlanCreate.org": 200,
    "PlanCreate.title": 200,
    "PlanRename.reason": 500,
    "PlanRename.title": 200,
    "Progress.evidence": 1000,
    "Progress.note": 2000,
    "Reason.reason": 500,
    "Reassign.reason": 500,
    "Reassign.responsible": 200,
    "Reopen.reason": 500,
    "Reschedule.reason": 500,
    "Reschedule.rrule": 300,
    "Revise.goal": 5000,
    "Revise.helpers": 200,
    "Revise.measures": 5000,
    "Revise.number": 20,
    "Revise.reason": 500,
    "Revise.section_id": 16,
    "Revise.title": 300,
    "SectionOrder.reason": 500,
    "TargetIn.text": 300,
    "TargetIn.unit": 200,
    # this session: people, extension requests, sign-off, federation tasks
    "AdjustBody.reason": 500,
    "Decision.reason": 500,
    "ExtensionRequestIn.reason": 500,
    "LinkRequest.next": 500,
    "PersonChange.name": 100,
    "PersonChange.department": 200,
    "PersonChange.mobile": 20,
    "PersonChange.email": 254,
    "PersonChange.im_id": 64,
    "PersonChange.reason": 500,
    "PersonCreate.org": 200,
    "PersonCreate.name": 100,
    "PersonCreate.department": 200,
    "PersonCreate.mobile": 20,
    "PersonCreate.email": 254,
    "PersonCreate.im_id": 64,
    "SignOffIn.reason": 500,
}


def _max_lengths(document: dict[str, Any]) -> dict[str, int]:
    found = {}
    for name, schema in document["components"]["schemas"].items():
        for field, spec in schema.get("properties", {}).items():
            for variant in (spec, *spec.get("anyOf", [])):
                if "maxLength" in variant:
                    found[f"{name}.{field}"] = variant["maxLength"]
    return found


def test_api_bodies_keep_their_text_limits() -> None:
    found = _max_lengths(create_app(background=False).openapi())
    assert {k: v for k, v in found.items() if not k.startswith("Body_")} == LIMITS


def test_web_forms_take_the_same_text_limits_as_the_api() -> None:
    assert (
        LIMITS["Progress.note"],
        LIMITS["Progress.evidence"],
        LIMITS["Reason.reason"],
    ) == (NOTE_MAX, EVIDENCE_MAX, REASON_MAX)
