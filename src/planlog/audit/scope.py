"""Who may verify the whole log.

The chain covers every organisation's events, and a report names the first bad event
(its aggregate, type, position) whichever organisation it belongs to. A token sees its
organisation and those below it only, so verifying the whole log is for the chair or
auditor of a top-level organisation (one without a parent); a verification limited to
one organisation is not offered, since the chain cannot be checked in part.
"""

from __future__ import annotations

from sqlalchemy import Engine

from planlog.projections.rollup import org_tree


def whole_log_refusal(engine: Engine, org: str) -> str | None:
    """Why `org` may not verify the whole log, or None when it may (it has no parent)."""
    with engine.connect() as conn:
        node = org_tree(conn).get(org)
    parent = node["parent"] if node else None
    if not parent:
        return None
    return (
        f"只有顶级组织（无上级组织）的主席或审计可校验整个日志；{org} 隶属于 {parent} / "
        "the audit chain covers every organisation's events: only the chair or auditor of "
        f"a top-level organisation (one without a parent) may verify it, and {org} is "
        f"under {parent}"
    )
