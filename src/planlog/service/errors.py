"""Refusals of the service layer itself (the domain's are in planlog.domain.errors)."""

from __future__ import annotations

from planlog.domain.errors import PlanlogError


class UnknownOrganisation(PlanlogError):
    """A plan for an organisation nobody registered, through a door that may not register
    one (the API): the administrator registers organisations (`planlog org create`).
    Not a `NotFound`: the caller named it as their own, and every door shows this
    message as it is rather than a generic "not found"."""

    code = "unknown_organisation"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"组织“{name}”尚未登记，请管理员先登记（planlog org create）"
            f"（no organisation named {name!r} is registered: the administrator registers it "
            "with planlog org create）",
            org=name,
        )


class TooLarge(PlanlogError):
    """More than planlog takes in at once (an uploaded document over the limit)."""

    code = "too_large"
