"""Who may verify the whole log.

The chain covers every organisation's events, and a report names the first bad event
(its aggregate, type, position) whichever organisation it belongs to. A token sees its
organisation and those below it only, so verifying the whole log is for the chair or
auditor of a top-level organisation (one without a parent); a verification limited to
one organisation is not offered, since the chain cannot be checked in part.

The organisation is read from the log itself, not from the read models, and the check
fails closed: an organisation the rollup has not projected yet, or whose registration it
quarantined, must not pass for one without a parent. An organisation the log does not
hold (a token naming a union nobody registered, or a name only an older store's plans
carry) or whose record cannot be read is refused too.
"""

from __future__ import annotations

import logging

from planlog.service.app import PlanlogApp

log = logging.getLogger(__name__)


def _refusal(zh: str, en: str) -> str:
    return (
        f"只有顶级组织（无上级组织）的主席或审计可校验整个日志；{zh} / the audit chain "
        "covers every organisation's events: only the chair or auditor of a top-level "
        f"organisation (one without a parent) may verify it, and {en}"
    )


def whole_log_refusal(app: PlanlogApp, org: str) -> str | None:
    """Why `org` may not verify the whole log, or None when it may: the log holds its
    registration and, as the log has it now, it has no parent."""
    try:
        found = app.find_organisation(org)
    except Exception:  # fail closed: an unreadable record vouches for nothing
        log.exception("reading organisation %r to decide who may verify the log failed", org)
        return _refusal(
            f"无法从日志读取组织“{org}”的登记记录",
            f"the record of organisation {org!r} cannot be read from the log",
        )
    if found is None:
        return _refusal(
            f"日志中没有登记名为“{org}”的组织（管理员可用 planlog org create 登记）",
            f"no organisation named {org!r} is registered in the log (the administrator "
            "registers it with planlog org create)",
        )
    if found.parent:
        return _refusal(f"“{org}”隶属于“{found.parent}”", f"{org!r} is under {found.parent!r}")
    return None
