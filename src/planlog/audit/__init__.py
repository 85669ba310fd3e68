"""Audit evidence: a hash chain over the event log that shows the record was not altered,
and signed anchors of its head kept outside the database."""

from planlog.audit.anchor import (
    AnchorReport,
    check_anchors,
    default_anchor_dir,
    export_head,
    latest_anchor,
    write_anchor,
)
from planlog.projections.chain import (
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
    "AnchorReport",
    "ChainHead",
    "ChainProjection",
    "ChainReport",
    "audit_chain",
    "check_anchors",
    "default_anchor_dir",
    "export_head",
    "head",
    "latest_anchor",
    "links",
    "still_contains",
    "verify",
    "write_anchor",
]
