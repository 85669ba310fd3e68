"""Refusals of the sign-in and scope rules.

They are raised by `planlog.auth` (no or a revoked credential, a role that may not do
something), not by a door, so every door reports them: the HTTP doors map their codes to
401 and 403 (`planlog.http.problems`), the web shows the sign-in or a refusal page.
"""

from __future__ import annotations

from planlog.domain.errors import PlanlogError


class Unauthorized(PlanlogError):
    """No credential, or one that is unknown, expired or revoked."""

    code = "unauthorized"


class Forbidden(PlanlogError):
    """A known caller whose role or organisation does not allow the action."""

    code = "forbidden"
