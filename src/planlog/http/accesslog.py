"""Keep tokens out of the access log.

uvicorn logs every request line with its query string, so the sign-in link
(`/login?token=pl_…`), a person's one-time link (`/login/link?code=…`, a bare
random code with no prefix to recognise) and calendar-feed addresses
(`/feeds/cal_….ics`) would leave
live credentials in log files, which are read, shipped and kept by more people and
for longer than the tokens table. A filter on uvicorn's access logger rewrites them
before any handler sees the record.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"

#: the query parameters that carry credentials — `token=` (a bearer token, `/login`)
#: and `code=` (a sign-in link's code, `/login/link`) — any case, up to the next parameter
_QUERY_TOKEN = re.compile(r"(?i)([?&](?:token|code)=)[^&#\s\"']+")
#: planlog's own token formats, wherever they appear (feed tokens are in the path)
_BARE_TOKEN = re.compile(r"\b(pl|cal)_[A-Za-z0-9_-]{16,}")


def redact(text: str) -> str:
    text = _QUERY_TOKEN.sub(rf"\g<1>{REDACTED}", text)
    return _BARE_TOKEN.sub(rf"\g<1>_{REDACTED}", text)


class RedactTokens(logging.Filter):
    """Rewrites the message and its string arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install(logger_name: str = ACCESS_LOGGER) -> None:
    """Attach the filter to the access logger (once). A logger's filters survive
    uvicorn's later `dictConfig`, which replaces handlers but not filters."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
