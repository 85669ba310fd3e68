"""时限 (deadline) text of annual work plans read into a schedule. Pure functions, no I/O."""

from planlog.deadlines.festivals import FESTIVALS, Festival
from planlog.deadlines.normalise import normalise
from planlog.deadlines.parser import DeadlineError, ParsedDeadline, parse_deadline

__all__ = [
    "FESTIVALS",
    "DeadlineError",
    "Festival",
    "ParsedDeadline",
    "normalise",
    "parse_deadline",
]
