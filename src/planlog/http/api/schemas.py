"""Request and response bodies of the HTTP API, with examples for the OpenAPI document."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from planlog.domain.schedule import RRULE_MAX
from planlog.domain.values import (
    NAME_MAX,
    TYPED_CHAIR_MAX,
    TYPED_DEADLINE_MAX,
    TYPED_EVIDENCE_MAX,
    TYPED_ITEM_TITLE_MAX,
    TYPED_LONG_TEXT_MAX,
    TYPED_NOTE_MAX,
    TYPED_NUMBER_MAX,
    TYPED_PLAN_TITLE_MAX,
    TYPED_REASON_MAX,
)

# Text limits are the domain's limits on typed input (planlog.domain.values), the same
# for the web's forms, so the two doors refuse the same input.
NOTE = Field(default=None, max_length=TYPED_NOTE_MAX, examples=["已报送上级工会"])
EVIDENCE = Field(default=None, max_length=TYPED_EVIDENCE_MAX)
REASON = Field(min_length=1, max_length=TYPED_REASON_MAX, examples=["上级通知延期"])
OPTIONAL_REASON = Field(default=None, max_length=TYPED_REASON_MAX)
TEXT = Field(default=None, max_length=TYPED_LONG_TEXT_MAX)
# Numbers are strict: `"percent": true` is not 1 %, `40.5` is not a whole percent, and
# NaN or Infinity (which Python's JSON reader accepts) is not a value. The domain checks
# them again (planlog.domain.values); here the refusal names the JSON field.


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Created(BaseModel):
    id: str = Field(examples=["5bcd3f1a-ed9f-4de4-8980-95e438cf9752"])


class PlanCreate(Body):
    org: str = Field(min_length=1, max_length=NAME_MAX, examples=["某医院工会"])
    year: StrictInt = Field(ge=2000, le=2100, examples=[2026])
    title: str = Field(
        min_length=1, max_length=TYPED_PLAN_TITLE_MAX, examples=["2026年工会工作计划"]
    )


class Window(Body):
    opens: date = Field(examples=["2026-06-01"])
    due: date = Field(examples=["2026-08-31"])


class ItemCreate(Body):
    title: str = Field(
        min_length=1, max_length=TYPED_ITEM_TITLE_MAX, examples=["向上级报告女职工工作"]
    )
    section: str | None = Field(default=None, max_length=NAME_MAX, examples=["健全女工组织"])
    number: str | None = Field(default=None, max_length=TYPED_NUMBER_MAX, examples=["4"])
    goal: str | None = TEXT
    measures: str | None = TEXT
    responsible: str | None = Field(default=None, max_length=NAME_MAX, examples=["工会女工"])
    dues: list[date] = Field(default_factory=list, max_length=400, examples=[["2026-06-30"]])
    windows: list[Window] = Field(default_factory=list, max_length=50)
    rrule: str | None = Field(
        default=None, max_length=RRULE_MAX, examples=["FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1"]
    )
    deadline: str | None = Field(
        default=None,
        max_length=TYPED_DEADLINE_MAX,
        description="时限 as written",
        examples=["6月;12月"],
    )


class Complete(Body):
    occurrence: date | None = Field(
        default=None, description="Due date; default the earliest open", examples=["2026-06-30"]
    )
    note: str | None = NOTE
    evidence: str | None = EVIDENCE
    done_on: date | None = Field(default=None, description="Default: today (China)")


class Backfill(Body):
    occurrence: date = Field(description="Due date of the occurrence", examples=["2026-06-30"])
    done_on: date = Field(description="The day it was done (not after today)")
    note: str | None = NOTE
    evidence: str | None = EVIDENCE


class PlanRename(Body):
    title: str = Field(
        min_length=1, max_length=TYPED_PLAN_TITLE_MAX, examples=["2026年工会工作要点"]
    )
    reason: str | None = OPTIONAL_REASON


class SectionOrder(Body):
    order: list[str] = Field(
        min_length=1, max_length=200, description="Every section id, in the new order"
    )
    reason: str | None = OPTIONAL_REASON


class Progress(Body):
    percent: StrictInt | None = Field(default=None, ge=0, le=100, examples=[40])
    target: StrictInt | None = Field(default=None, ge=1, description="Target number, 1-based")
    value: float | None = Field(default=None, strict=True, allow_inf_nan=False, examples=[312])
    occurrence: date | None = None
    note: str | None = NOTE
    evidence: str | None = EVIDENCE
    evidence_sha256: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Files uploaded to this item before (POST …/evidence), attached with it",
    )


class Reason(Body):
    reason: str = REASON


class Reopen(Body):
    occurrence: date
    reason: str = REASON


class Reassign(Body):
    responsible: str = Field(min_length=1, max_length=NAME_MAX, examples=["王五"])
    reason: str | None = OPTIONAL_REASON


class Reschedule(Body):
    reason: str = REASON
    occurrence: date | None = Field(default=None, description="Move only this occurrence")
    to: date | None = Field(default=None, description="…to this due date")
    dues: list[date] = Field(default_factory=list, max_length=400)
    windows: list[Window] = Field(default_factory=list, max_length=50)
    rrule: str | None = Field(default=None, max_length=RRULE_MAX)


class Move(Body):
    occurrence: date = Field(description="Due date of the occurrence to move")
    to: date = Field(description="Its new due date")
    reason: str = REASON


class ExtensionRequestIn(Body):
    occurrence: date = Field(
        description="Due date of the deadline to move", examples=["2026-06-30"]
    )
    to: date = Field(description="The proposed new due date", examples=["2026-07-31"])
    reason: str = REASON


class ExtensionRequestOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(examples=["5bcd3f1a-ed9f-4de4-8980-95e438cf9752-r1"])


class Decision(Body):
    reason: str | None = OPTIONAL_REASON


class SignOffIn(Body):
    occurrence: date = Field(description="Due date of the submitted deadline")
    reason: str | None = OPTIONAL_REASON


class TargetIn(Body):
    text: str = Field(max_length=TYPED_ITEM_TITLE_MAX, examples=["新建基层工会"])
    value: float = Field(strict=True, allow_inf_nan=False, examples=[50])
    unit: str = Field(default="", max_length=NAME_MAX, examples=["家"])
    comparator: Literal[">=", "<=", "="] = ">="
    current: float | None = Field(default=None, strict=True, allow_inf_nan=False)


class Revise(Body):
    title: str | None = Field(default=None, min_length=1, max_length=TYPED_ITEM_TITLE_MAX)
    goal: str | None = TEXT
    measures: str | None = TEXT
    section_id: str | None = Field(default=None, max_length=16, examples=["s2"])
    helpers: str | None = Field(default=None, max_length=NAME_MAX, examples=["组织部、宣传部"])
    targets: list[TargetIn] | None = Field(default=None, max_length=50)
    number: str | None = Field(default=None, max_length=TYPED_NUMBER_MAX)
    reason: str | None = OPTIONAL_REASON


class OrgCreate(Body):
    name: str = Field(min_length=1, max_length=NAME_MAX, examples=["某区总工会"])
    parent: str | None = Field(default=None, max_length=NAME_MAX, examples=["某市总工会"])
    chair: str | None = Field(default=None, max_length=TYPED_CHAIR_MAX, examples=["刘主席"])


class OrgRetire(Body):
    reason: str = REASON


class FeedCreate(Body):
    kind: Literal["plan", "org", "person"]
    target: str = Field(min_length=1, max_length=200, description="Plan id, organisation or 责任人")


class FeedCreated(BaseModel):
    id: int
    url: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class OccurrenceOut(BaseModel):
    opens: str | None
    due: str
    status: str
    light: str
    percent: int
    done_on: str | None
    days_overdue: int = 0
    note: str | None
    evidence: str | None


class ItemOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    plan_id: str
    version: int
    title: str
    section: str | None
    responsible: str | None
    status: str
    percent: int
    next_due: str | None
    occurrences: list[OccurrenceOut]


class BoardOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    plan: dict[str, Any]
    today: str
    totals: dict[str, int]
    sections: list[dict[str, Any]]
    items: list[dict[str, Any]]


PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No or bad token"},
    403: {"model": Problem, "description": "The token's role may not do this"},
    404: {"model": Problem, "description": "Not found (or outside the token's organisations)"},
    422: {"model": Problem, "description": "Refused by a rule, or invalid input"},
}
WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    409: {"model": Problem, "description": "Someone else changed the item meanwhile"},
    412: {"model": Problem, "description": "If-Match names an older version"},
}
