"""Event type names as the read side knows them.

A stored event's topic is `module:QualifiedName` (`planlog.domain.model:PlanItem.Planned`)
and read models key on the part after the colon (`planlog.projections.changes.Change.type`).
Read models and summaries name an event type through its class, never as a string
literal: renaming a class then fails at import time instead of silently leaving its
events out of a read model. The name itself is stored (tracking, timeline rows), so an
event class keeps its name and its module for good (see `planlog.domain.model`).
"""

from __future__ import annotations


def event_name(event_class: type) -> str:
    """ "PlanItem.Planned" for `PlanItem.Planned`: the class's qualified name, which is the
    stored topic after its colon."""
    return event_class.__qualname__
