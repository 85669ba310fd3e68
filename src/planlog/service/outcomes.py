"""What a refusal means, once for every door: an error becomes an outcome kind.

Each door maps the kind to what it shows in one small table: the API to an HTTP status
(planlog.http.problems), the web to a page status (planlog.http.web), the CLI to an
exit code (planlog.cli.common). A new error class needs no door change when its `code`
is one of those below (or it subclasses NotFound / ConcurrencyConflict); anything else
is a refusal.
"""

from __future__ import annotations

from enum import StrEnum

from planlog.domain.errors import ConcurrencyConflict, NotFound, PlanlogError


class Outcome(StrEnum):
    NOT_FOUND = "not_found"  # no such thing, or not the caller's to see
    CONFLICT = "conflict"  # someone else changed it first, or it was done before
    STALE = "stale"  # the caller's precondition (If-Match) no longer holds
    REFUSED = "refused"  # a rule refused it (or anything not named here)
    INVALID = "invalid"  # a value is not acceptable (field named)
    TOO_LARGE = "too_large"  # more than planlog takes in at once
    UNAUTHORIZED = "unauthorized"  # who is asking is not known
    FORBIDDEN = "forbidden"  # known, but their role may not


#: By `PlanlogError.code`: the errors of adapters and doors (auth, HTTP plumbing, the
#: importer) are named by code so that this layer does not import them.
_BY_CODE = {
    "not_found": Outcome.NOT_FOUND,
    "conflict": Outcome.CONFLICT,
    "already_imported": Outcome.CONFLICT,
    "precondition_failed": Outcome.STALE,
    "too_large": Outcome.TOO_LARGE,
    "invalid_value": Outcome.INVALID,
    "invalid_id": Outcome.INVALID,
    "ambiguous_id": Outcome.INVALID,
    "unauthorized": Outcome.UNAUTHORIZED,
    "forbidden": Outcome.FORBIDDEN,
}


def outcome(error: PlanlogError) -> Outcome:
    if isinstance(error, ConcurrencyConflict):
        return Outcome.CONFLICT
    if isinstance(error, NotFound):
        return Outcome.NOT_FOUND
    return _BY_CODE.get(error.code, Outcome.REFUSED)
