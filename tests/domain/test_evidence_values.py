"""Evidence references as events record them, and the item's rules about them."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from planlog.domain.errors import RuleViolation
from planlog.domain.evidence import DOCX, EVIDENCE_MAX_BYTES, EvidenceFile
from planlog.domain.model import ItemDetails, PlanItem
from planlog.domain.schedule import Occurrence
from planlog.domain.values import InvalidValue

SHA = "ab" * 32


def photo(**changes: object) -> EvidenceFile:
    fields: dict[str, object] = {
        "sha256": SHA,
        "size": 1000,
        "content_type": "image/jpeg",
        "name": "活动.jpg",
    }
    return EvidenceFile(**(fields | changes))  # type: ignore[arg-type]


def item() -> PlanItem:
    return PlanItem.plan(
        plan_id=uuid4(),
        details=ItemDetails(title="女工活动"),
        occurrences=[Occurrence(due=date(2026, 6, 30)), Occurrence(due=date(2026, 12, 31))],
        actor="chair",
    )


def test_an_evidence_reference_keeps_hash_size_type_and_name() -> None:
    ref = photo(sha256=SHA.upper())
    assert ref.to_dict() == {
        "sha256": SHA,
        "size": 1000,
        "content_type": "image/jpeg",
        "name": "活动.jpg",
    }
    assert EvidenceFile.from_dict(ref.to_dict()) == ref


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"sha256": "xyz"}, "not_sha256"),
        ({"size": 0}, "empty"),
        ({"size": EVIDENCE_MAX_BYTES + 1}, "too_large"),
        ({"size": True}, "not_integer"),
        ({"content_type": "text/html"}, "unsupported_type"),
        ({"name": "a\x00b.jpg"}, "control_character"),
    ],
)
def test_an_evidence_reference_refuses_bad_values(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        photo(**changes)
    assert refused.value.problem == problem
    assert "（" in str(refused.value)  # Chinese first, English in parentheses


def test_an_evidence_name_is_its_last_path_part_or_a_default() -> None:
    assert photo(name="../../etc/passwd.jpg").name == "passwd.jpg"
    assert photo(name="C:\\Users\\王\\活动.jpg").name == "活动.jpg"
    assert photo(name="").name == "evidence.jpg"
    assert photo(content_type=DOCX, name=None).name == "evidence.docx"
    long = photo(name="长" * 500 + ".jpg").name
    assert len(long) <= 200 and long.endswith(".jpg")


def test_attaching_evidence_records_its_reference_in_an_event() -> None:
    task = item()
    task.attach_evidence(photo(), actor="王五", occurrence="2026-06-30", note="现场照片")
    (event,) = [e for e in task.collect_events() if isinstance(e, PlanItem.EvidenceAttached)]
    assert event.file == photo().to_dict()
    assert (event.occurrence, event.note, event.actor) == ("2026-06-30", "现场照片", "王五")
    assert task.evidence_files[0]["sha256"] == SHA


def test_attaching_evidence_to_an_unknown_occurrence_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        item().attach_evidence(photo(), actor="王五", occurrence="2026-05-01")
    assert refused.value.details["rule"] == "occurrence_exists"


def test_a_note_alone_is_a_progress_report() -> None:
    task = item()
    task.report_progress(actor="王五", note="已召开筹备会")
    assert task.occurrences["2026-06-30"].note == "已召开筹备会"
    assert task.occurrences["2026-06-30"].percent == 0


def test_a_report_with_nothing_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        item().report_progress(actor="王五", note="  ")
    assert refused.value.details["rule"] == "progress_value"


def test_a_report_attaches_new_and_already_attached_files_to_its_occurrence() -> None:
    task = item()
    task.attach_evidence(photo(), actor="王五")
    other = photo(sha256="cd" * 32, name="签到表.jpg")
    task.report_progress(actor="王五", note="完成", files=[other], evidence_sha256=[SHA])
    attached = [e for e in task.collect_events() if isinstance(e, PlanItem.EvidenceAttached)]
    assert [(e.file["sha256"], e.occurrence) for e in attached] == [
        (SHA, None),
        ("cd" * 32, "2026-06-30"),
        (SHA, "2026-06-30"),
    ]


def test_a_report_naming_a_file_the_item_does_not_hold_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        item().report_progress(actor="王五", note="完成", evidence_sha256=[SHA])
    assert refused.value.details["rule"] == "evidence_attached"


def test_a_report_attaches_at_most_twenty_files() -> None:
    many = [photo(sha256=f"{n:064x}") for n in range(21)]
    with pytest.raises(InvalidValue) as refused:
        item().report_progress(actor="王五", note="很多照片", files=many)
    assert refused.value.problem == "too_many"
