"""Deliver a rendered reminder to notification channels through apprise URLs.

Each URL is sent on its own apprise.Apprise() so the outbox learns which channel failed
and retries only that one. Delivery failures never raise: a broken channel must not stop
the scheduler or the other channels; the caller records the Attempt and retries later
(next_retry_delay), for as long as it takes: a reminder is never given up on.

Supported URLs are whatever apprise supports, for example
json://host:port/path and jsons:// (webhooks), mailto:// and mailtos:// (e-mail),
wecombot://KEY (企业微信群机器人), dingtalk://[secret@]TOKEN (钉钉), feishu://TOKEN (飞书).

A message for one person (`Mention`: their mobile numbers and WeCom/DingTalk user ids)
@mentions them in a WeCom or DingTalk group robot. apprise cannot mention in WeCom at
all, and in DingTalk only by mobile number, so those two robots' JSON is posted here
(`post_robot`), to the robots' own endpoints or, on an intranet, to the gateway named by
PLANLOG_WECOM_ROBOT_API / PLANLOG_DINGTALK_ROBOT_API.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, cast
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

import apprise

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


@functools.lru_cache(maxsize=4096)  # looked up per row, recipient and channel, as mask is
def channel_key(url: str) -> str:
    """The key a delivery to this channel is recorded under: the first 16 hex digits of
    the SHA-256 of the full URL. Never the mask: masks collide (every DingTalk robot masks
    to the same URL, its token hidden), so one robot's success would count for the other;
    and a fingerprint names the channel without storing its secret."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def by_channel(urls: list[str], attempts: list[Attempt]) -> list[tuple[str, Attempt]]:
    """Each URL with its attempt (a sender answers one per URL, in order). A URL the
    sender gave no attempt for failed: counting it done could lose a message."""
    found = list(zip(urls, attempts, strict=False))
    found.extend((u, Attempt(mask(u), False, "no attempt reported")) for u in urls[len(found) :])
    return found


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


@functools.lru_cache(maxsize=4096)
def mask(url: str) -> str:
    """The URL with passwords, tokens and robot keys hidden, for display and records.

    Cached: delivery masks each channel once per row and recipient, and apprise parses
    the URL anew each time (most of a digest's cost before this cache)."""
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


@dataclass(frozen=True)
class Mention:
    """Whom a work-chat robot message should notify: mobile numbers and user ids."""

    mobiles: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.mobiles or self.user_ids)


def send(
    urls: list[str],
    title: str,
    body: str,
    *,
    timeout: float = 10.0,
    mention: Mention | None = None,
) -> list[Attempt]:
    """Send title and body (plain text) to each URL; one Attempt per URL, in order.
    WeCom and DingTalk robots @mention `mention`'s people when there are any."""
    attempts = []
    for url in urls:
        if mention and _robot_kind(url) is not None:
            # urlopen's timeout is per socket operation: the deadline is the whole post's.
            post = functools.partial(post_robot, url, title, body, mention, timeout=timeout)
            try:
                attempts.append(_within(timeout, post))
            except _Late:
                attempts.append(_timed_out(url, timeout))
        else:
            attempts.append(_send_one(url, title, body, timeout))
    return attempts


WECOM_API = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
DINGTALK_API = "https://oapi.dingtalk.com/robot/send"
#: WeCom refuses a text message over 2048 bytes, DingTalk (in practice) over 20000.
_ROBOT_LIMIT = {"wecombot": 2048, "dingtalk": 20000}


def _robot_kind(url: str) -> str | None:
    match = _SCHEME.match(url)
    scheme = match["scheme"].lower() if match else ""
    return scheme if scheme in _ROBOT_LIMIT else None


def post_robot(
    url: str, title: str, body: str, mention: Mention, *, timeout: float = 10.0
) -> Attempt:
    """Post a text message that @mentions `mention` to the WeCom (wecombot://KEY) or
    DingTalk (dingtalk://[SECRET@]TOKEN) group robot the apprise URL names."""
    shown = mask(url)
    kind = _robot_kind(url)
    service: Any = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if kind is None or service is None:
        return Attempt(shown, False, "invalid notification URL")
    content = _fit(f"{title}\n{body}", _ROBOT_LIMIT[kind])
    if kind == "wecombot":
        endpoint = os.environ.get("PLANLOG_WECOM_ROBOT_API") or WECOM_API
        target = f"{endpoint}?{urlencode({'key': service.key})}"
        text: dict[str, Any] = {"content": content}
        if mention.user_ids:
            text["mentioned_list"] = list(mention.user_ids)
        if mention.mobiles:
            text["mentioned_mobile_list"] = list(mention.mobiles)
        payload: dict[str, Any] = {"msgtype": "text", "text": text}
    else:
        endpoint = os.environ.get("PLANLOG_DINGTALK_ROBOT_API") or DINGTALK_API
        query = {"access_token": service.token}
        if service.secret:
            query.update(_dingtalk_signature(service.secret))
        target = f"{endpoint}?{urlencode(query)}"
        at = {"atMobiles": list(mention.mobiles), "atUserIds": list(mention.user_ids)}
        payload = {"msgtype": "text", "text": {"content": content}, "at": {**at, "isAtAll": False}}
    request = urllib.request.Request(
        target,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(65536)
    except (OSError, urllib.error.URLError) as exc:  # HTTPError is one too
        return Attempt(shown, False, _short(f"{kind} robot: {exc}"))
    try:
        code = json.loads(answer or b"{}").get("errcode", 0)
    except (ValueError, AttributeError):
        code = None
    if code not in (0, None):
        return Attempt(shown, False, _short(f"{kind} robot refused the message: {answer!r}"))
    return Attempt(shown, True, None)


def _dingtalk_signature(secret: str) -> dict[str, str]:
    """DingTalk's signed-robot check: HMAC-SHA256 of "timestamp\nsecret" (in ms)."""
    timestamp = str(round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return {"timestamp": timestamp, "sign": base64.b64encode(digest.digest()).decode()}


def _fit(text: str, limit: int) -> str:
    """The text cut to `limit` UTF-8 bytes (robots refuse longer ones), marked as cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def _send_one(url: str, title: str, body: str, timeout: float) -> Attempt:
    shown = mask(url)

    def notify() -> apprise.AppriseResult | None:
        notifier = _notifier(url, timeout)
        if notifier is None:
            return None
        return notifier.notify(
            body=body,
            title=title,
            # The body is plain text: e-mail then goes out as text/plain with its line
            # breaks, and HTML-only channels get it escaped.
            body_format=apprise.NotifyFormat.TEXT,
        )

    try:
        result = _within(timeout, notify)
    except _Late:
        return _timed_out(url, timeout)
    except Exception as exc:  # a channel must never take the scheduler down
        return Attempt(shown, False, _short(f"{type(exc).__name__}: {exc}"))
    if result is None:
        return Attempt(shown, False, "invalid notification URL")
    if result:
        return Attempt(shown, True, None)
    return Attempt(shown, False, _reason(result, timeout))


#: apprise sends a message that has a deadline (a `timeout`, or its asset's 60 s
#: `service_timeout`) on its own process-wide pool of cpu+4 threads: six on two cores,
#: whatever our pool of WORKERS threads, so a busy day's digests went out six at a time
#: (bench/delivery.py --latency). Without a deadline it sends in the calling thread, so
#: the deadline is ours (`_within`): the socket timeouts below only cut off a channel
#: that stops answering, not one that trickles a byte at a time, and a send that
#: outlasts the dispatcher's lease on its batch gets the batch claimed and sent again.
_IN_THIS_THREAD = apprise.AppriseAsset(service_timeout=0)

_R = TypeVar("_R")


def _timed_out(url: str, timeout: float) -> Attempt:
    late = apprise.AppriseResult(apprise.AppriseResultStatus.TIMEOUT, elapsed=timeout)
    return Attempt(mask(url), False, _reason(late, timeout))


class _Late(Exception):
    """The channel had not answered when the message's deadline came."""


#: Per sending thread, one helper thread that does the sending, so that the sending
#: thread can stop waiting for it at the deadline.
_helper = threading.local()


def _within(seconds: float, work: Callable[[], _R]) -> _R:
    """work's answer, or _Late once `seconds` have passed without one.

    Python cannot stop a thread, so a late send goes on in its helper until its sockets
    give up; the helper is abandoned (the message is recorded as failed and retried
    later, never as sent) and the next message gets a new one. One helper per sending
    thread keeps as many messages in flight as there are sending threads, and keeps the
    helper's cache of apprise objects (`_reusable`) from one message to the next."""
    pool: ThreadPoolExecutor | None = getattr(_helper, "pool", None)
    if pool is None:
        pool = _helper.pool = ThreadPoolExecutor(1, thread_name_prefix="planlog-channel")
    future = pool.submit(work)
    try:
        return future.result(timeout=seconds)
    except FuturesTimeout:
        pool.shutdown(wait=False)
        _helper.pool = None
        raise _Late from None


#: Per sending thread, the apprise objects of webhook-like channels, reused: parsing the
#: URL and building the plugin was a third of a digest's cost. Only channels apprise does
#: not rate-limit are kept; a robot's own object keeps its throttle, so it is built anew.
_reusable = threading.local()
_REUSABLE_PER_THREAD = 256


def _notifier(url: str, timeout: float) -> apprise.Apprise | None:
    cache: dict[tuple[str, float], apprise.Apprise] = getattr(_reusable, "by_url", None) or {}
    _reusable.by_url = cache
    found = cache.get((url, timeout))
    if found is not None:
        return found
    notifier = apprise.Apprise(asset=_IN_THIS_THREAD)
    if not notifier.add(url):
        return None
    services: list[Any] = list(notifier)
    for service in services:
        # The URL's own cto=/rto= may be longer than the caller allows for a whole send.
        service.socket_connect_timeout = min(float(service.socket_connect_timeout), timeout)
        service.socket_read_timeout = min(float(service.socket_read_timeout), timeout)
    unthrottled = all(float(service.request_rate_per_sec) <= 0 for service in services)
    if unthrottled and len(cache) < _REUSABLE_PER_THREAD:
        cache[(url, timeout)] = notifier
    return notifier


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
