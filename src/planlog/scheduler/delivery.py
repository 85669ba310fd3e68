"""Deliver a rendered reminder to notification channels through apprise URLs.

Each URL is sent on its own apprise.Apprise() so the outbox learns which channel failed
and retries only that one. Delivery failures never raise: a broken channel must not stop
the scheduler or the other channels; the caller records the Attempt and retries later
(next_retry_delay) up to MAX_ATTEMPTS.

Supported URLs are whatever apprise supports, for example
json://host:port/path and jsons:// (webhooks), mailto:// and mailtos:// (e-mail),
wecombot://KEY (企业微信群机器人), dingtalk://[secret@]TOKEN (钉钉), feishu://TOKEN (飞书).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import apprise

MAX_ATTEMPTS = 8

_FIRST_RETRY = timedelta(minutes=1)
_LONGEST_RETRY = timedelta(hours=6)

# Long enough for a reason, short enough for a table cell and a log line.
_MAX_ERROR_CHARS = 300

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
# A comma separates two URLs only when another URL follows it; inside one URL commas
# list targets (mailto://…?to=a@x.org,b@x.org) and must stay.
_COMMA_BEFORE_URL = re.compile(r",(?=[A-Za-z][A-Za-z0-9+.-]*://)")
# Query keys whose values are credentials; apprise masks its own secret fields but
# passes custom headers (+Name) and GET parameters (-name) through unmasked.
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key|auth|sig|sign|cred|session|cookie", re.I)
_SECRET_PAIR = re.compile(
    r"(?P<key>[\w+-]*(?:pass|pwd|secret|token|key|auth|sig|sign|cred|session|cookie)[\w-]*)"
    r"=(?P<value>[^&\s'\"]+)",
    re.I,
)
_USERINFO_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@/\s]*(?=@)")
_MASK = "****"


@dataclass(frozen=True)
class Attempt:
    url: str
    ok: bool
    error: str | None


def parse_urls(text: str | None) -> list[str]:
    """The URLs in a PLANLOG_NOTIFY_URLS value, separated by spaces and/or commas.

    Raises ValueError naming the (masked) URL or scheme apprise cannot use.
    """
    if not text:
        return []
    urls: list[str] = []
    for token in text.split():
        for part in _COMMA_BEFORE_URL.split(token):
            url = part.strip(",")
            if url:
                urls.append(url)
    for url in urls:
        _validate(url)
    return urls


def _validate(url: str) -> None:
    match = _SCHEME.match(url)
    if match is None:
        raise ValueError(
            f"notification URL {mask(url)!r} has no scheme (like json:// or mailto://)"
        )
    scheme = match["scheme"]
    # apprise's plugin manager is untyped; it is a singleton answering `scheme in manager`.
    manager: Any = cast(Any, apprise.NotificationManager)()
    if scheme.lower() not in manager:
        raise ValueError(f"notification URL scheme {scheme!r} is unknown to apprise")
    if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
        raise ValueError(f"notification URL {mask(url)!r} is not a valid {scheme}:// URL")


def mask(url: str) -> str:
    """The URL with passwords, tokens and robot keys hidden, for display and records."""
    service: Any
    try:
        service = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    except Exception:
        service = None
    if service is None:
        return _mask_query(_USERINFO_PASSWORD.sub(rf"\g<head>{_MASK}", url))
    private = str(service.url(privacy=True))
    return _mask_query(_only_params_of(private, url))


def _only_params_of(rebuilt: str, original: str) -> str:
    """Drop the default parameters apprise adds (retry=0&wait=0.5…) that nobody wrote."""
    written = {key.lower() for key, _ in _query_pairs(urlsplit(original).query)}
    parts = urlsplit(rebuilt)
    kept = [(key, value) for key, value in _query_pairs(parts.query) if key.lower() in written]
    return urlunsplit(parts._replace(query=_query_string(kept)))


def _mask_query(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [
        (key, _MASK if key.startswith("+") or _SECRET_KEY.search(key) else value)
        for key, value in _query_pairs(parts.query)
    ]
    return urlunsplit(parts._replace(query=_query_string(pairs)))


def _query_pairs(query: str) -> list[tuple[str, str]]:
    # Not parse_qsl: apprise's query keys start with "+" (headers), which form decoding
    # would turn into a space.
    pairs = []
    for field in query.split("&"):
        if field:
            key, _, value = field.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def _query_string(pairs: list[tuple[str, str]]) -> str:
    return "&".join(
        f"{quote(key, safe='+-:')}={quote(value, safe='@:/,*')}" for key, value in pairs
    )


def send(urls: list[str], title: str, body: str, *, timeout: float = 10.0) -> list[Attempt]:
    """Send title and body (plain text) to each URL; one Attempt per URL, in order."""
    return [_send_one(url, title, body, timeout) for url in urls]


def _send_one(url: str, title: str, body: str, timeout: float) -> Attempt:
    shown = mask(url)
    try:
        notifier = apprise.Apprise()
        if not notifier.add(url):
            return Attempt(shown, False, "invalid notification URL")
        for service in notifier:
            # The URL's own cto=/rto= may be longer than the caller allows for a whole send.
            service.socket_connect_timeout = min(float(service.socket_connect_timeout), timeout)
            service.socket_read_timeout = min(float(service.socket_read_timeout), timeout)
        result = notifier.notify(
            body=body,
            title=title,
            # The body is plain text: e-mail then goes out as text/plain with its line
            # breaks, and HTML-only channels get it escaped.
            body_format=apprise.NotifyFormat.TEXT,
            timeout=timeout,
        )
    except Exception as exc:  # a channel must never take the scheduler down
        return Attempt(shown, False, _short(f"{type(exc).__name__}: {exc}"))
    if result:
        return Attempt(shown, True, None)
    return Attempt(shown, False, _reason(result, timeout))


def _reason(result: apprise.AppriseResult, timeout: float) -> str:
    if result.status == apprise.AppriseResultStatus.TIMEOUT:
        return f"timed out after {timeout:g}s"
    messages = [
        entry.message
        for entry in result.logs()
        if entry.level in ("WARNING", "ERROR", "CRITICAL") and entry.message
    ]
    if not messages:
        return f"delivery failed ({result.status.name.lower()})"
    # The last warning is apprise's verdict; earlier ones are usually its symptoms.
    return _short(messages[-1])


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    hidden = _SECRET_PAIR.sub(rf"\g<key>={_MASK}", one_line)
    if len(hidden) <= _MAX_ERROR_CHARS:
        return hidden
    return hidden[: _MAX_ERROR_CHARS - 1] + "…"


def next_retry_delay(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: 1 min, 2, 4 … at most 6 h."""
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ValueError(f"attempts: expected a failure count >= 1, got {attempts!r}")
    # Clamp the exponent first so a huge count cannot build a huge integer.
    exponent = min(attempts - 1, 32)
    return min(_FIRST_RETRY * (1 << exponent), _LONGEST_RETRY)
