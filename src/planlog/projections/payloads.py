"""What a projection reads of each event's payload: whether a failure is the event's fault.

A projection that fails on an event may be failing because of the event (an older
planlog recorded a field under another name, or of another type) or because of its own
code (a refactor broke it). Only the first may quarantine the event
(`planlog.projections.quarantine`): the second must stop the read model loudly, or a bug
would quietly set aside every event of a type.

So each projection declares, per event type, the shape of what it reads of the payload
(`ReadModel.payloads`): the fields, whether each may be missing, and their types. When
it fails on a batch, the runner checks the batch against those shapes; an event that
does not have its shape is at fault, and the failure is a `PayloadError` naming the
field. If every event has it, the failure is the code's. Checking only after a failure
keeps the cost off every batch that applies (bench/rebuild_rate.py).

Shapes are strict: "40" is not a number and 1 is not true, as a projection would treat
them. Fields a projection reads with `.get()` have a default; extra fields are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from planlog.projections.changes import Change, PayloadError, UnreadablePayload, UnreadPayload


class Shape(BaseModel):
    """The fields a projection reads of one event type's payload."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


#: event type → the shape of what a projection reads of its payload
Shapes = Mapping[str, type[Shape]]


def iso_time(value: str) -> str:
    """A time a projection parses with `datetime.fromisoformat` (for `AfterValidator`)."""
    datetime.fromisoformat(value)
    return value


def fault(changes: Sequence[Change], shapes: Shapes, projection: str) -> PayloadError | None:
    """The first event of `changes` whose payload is not what `projection` reads, as the
    error to quarantine it with; None if every one is (a failure is then the code's)."""
    for change in changes:
        found = _fault(change, shapes, projection)
        if found is not None:
            return found
    return None


def _fault(change: Change, shapes: Shapes, projection: str) -> PayloadError | None:
    data: Any = change.data
    at = f"#{change.position}（{change.type}）"
    at_en = f"#{change.position} ({change.type})"
    if isinstance(data, UnreadablePayload):
        return PayloadError(
            f"事件 {at} 的内容无法读取 / the payload of event {at_en} is unreadable: " + data.reason
        )
    try:
        datetime.fromisoformat(change.recorded_at)
    except (TypeError, ValueError):
        return PayloadError(
            f"事件 {at} 的记录时间无法读取 / event {at_en} has no readable recorded time: "
            f"{change.recorded_at!r}"
        )
    shape = shapes.get(change.type)
    if shape is None or isinstance(data, UnreadPayload):  # nothing of it is read
        return None
    try:
        shape.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "payload"
        missing = first["type"] == "missing"
        zh = f"缺少字段 {field}" if missing else f"字段 {field} 的类型或取值不对"
        return PayloadError(
            f"事件 {at} 的内容不是 {projection} 所读的格式：{zh} / the payload of event "
            f"{at_en} is not what {projection} reads: {field}: {first['msg']}"
        )
    return None
