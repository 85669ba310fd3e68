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

from collections.abc import Mapping

REPLACEMENT = "\ufffd"


def _table() -> Mapping[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        # C0 controls become their Unicode "control picture": ESC shows as ␛.
        table[code] = chr(0x2400 + code)
    for keep in "\t\n":
        del table[ord(keep)]
    table[0x7F] = "\u2421"  # ␡ DEL
    for code in range(0x80, 0xA0):  # C1 controls: no pictures exist for them
        table[code] = REPLACEMENT
    for code in range(0xD800, 0xE000):  # lone surrogates cannot be encoded as UTF-8
        table[code] = REPLACEMENT
    for code in (0xFFFE, 0xFFFF):  # not characters: XML (hence XLSX) refuses them
        table[code] = REPLACEMENT
    return table


_PRINTABLE = _table()


def printable(text: str) -> str:
    """`text` with every control character (but tab and newline) shown as a symbol.

    Line ends become LF first, as the domain stores them today, so a CR recorded
    earlier neither moves a terminal's cursor nor shows as a stray symbol.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_PRINTABLE)
