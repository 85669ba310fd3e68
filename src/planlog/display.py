"""User text made safe to show: in a terminal, a spreadsheet or a calendar.

New events refuse control characters (`planlog.domain.values`), but events recorded
before that check may still hold them, and an event is never rewritten. So every
output that shows stored text passes it through `printable` on its own: an ESC byte
must not reach a terminal (it starts escape sequences: clearing the screen, OSC-8
hyperlinks, retitling the window), and a workbook cannot hold C0 controls at all.

The characters are replaced by visible symbols rather than dropped, so a reader sees
that something odd was recorded; the exact text stays in the event log and in the
JSON outputs, which escape it.
"""

from __future__ import annotations

from planlog.domain.values import BAD_CHARACTERS

REPLACEMENT = "\ufffd"

#: C0 controls become their Unicode "control picture" (ESC shows as ␛), DEL shows as ␡;
#: tab and newline stay.
_PICTURES = {code: chr(0x2400 + code) for code in range(0x20) if chr(code) not in "\t\n"}
_PICTURES[0x7F] = "\u2421"


def printable(text: str) -> str:
    """`text` with every control character (but tab and newline) shown as a symbol.

    Line ends become LF first, as the domain stores them today, so a CR recorded
    earlier neither moves a terminal's cursor nor shows as a stray symbol.
    """
    pictured = text.replace("\r\n", "\n").replace("\r", "\n").translate(_PICTURES)
    # Whatever else the domain refuses (C1 controls, lone surrogates, noncharacters) has
    # no picture: one definition of what is refused, one symbol for the rest.
    return BAD_CHARACTERS.sub(REPLACEMENT, pictured)
