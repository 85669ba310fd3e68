"""时限 (deadline) text of annual work plans read into a schedule. Pure functions, no I/O."""

from planlog.deadlines.festivals import FESTIVALS, Festival
from planlog.deadlines.normalise import normalise
from planlog.deadlines.parser import (
    FLAGS,
    DeadlineError,
    ParsedDeadline,
    next_year_limit,
    parse_deadline,
)

__all__ = [
    "FESTIVALS",
    "FLAGS",
    "DeadlineError",
    "Festival",
    "ParsedDeadline",
    "next_year_limit",
    "normalise",
    "parse_deadline",
]
