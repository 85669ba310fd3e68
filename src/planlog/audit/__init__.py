"""Audit evidence: a hash chain over the event log that shows the record was not altered."""

from planlog.audit.chain import (
    ChainHead,
    ChainProjection,
    ChainReport,
    audit_chain,
    head,
    links,
    still_contains,
    verify,
)

__all__ = [
    "ChainHead",
    "ChainProjection",
    "ChainReport",
    "audit_chain",
    "head",
    "links",
    "still_contains",
    "verify",
]
