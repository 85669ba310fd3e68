"""Delivery through apprise against real servers on 127.0.0.1 (see conftest.py)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from planlog.scheduler.delivery import (
    Attempt,
    Mention,
    mask,
    next_retry_delay,
    parse_urls,
    send,
)

TITLE = "【工作提醒】组织健全 · 3月25日到期"
BODY = "「组织健全」将于3月25日到期，还有7天，请按时完成。\n\n责任人：工会女工\n抄送：工会主席 张三"

pytestmark = pytest.mark.timeout(20)


def mailto(server: Any, **extra: str) -> str:
    # mailto:// (not mailtos://) is plain SMTP without TLS; with an explicit host:port
    # apprise skips its provider templates and talks to that server directly.
    query = "&".join(
        f"{key}={value}"
        for key, value in {
            "from": "planlog@example.org",
            "to": "chair@example.org",
            **extra,
        }.items()
    )
    return f"mailto://{server.host}:{server.port}?{query}"


# -- parse_urls --------------------------------------------------------------------------


def test_parse_urls_splits_on_spaces_and_commas() -> None:
    text = (
        " json://127.0.0.1:8080/hook, jsons://hooks.example.org/a\n"
        " mailto://smtp.example.org?from=p@example.org&to=a@example.org,b@example.org,"
        "json://127.0.0.1/b "
    )
    assert parse_urls(text) == [
        "json://127.0.0.1:8080/hook",
        "jsons://hooks.example.org/a",
        # commas inside a URL list its targets; they only separate URLs before a scheme
        "mailto://smtp.example.org?from=p@example.org&to=a@example.org,b@example.org",
        "json://127.0.0.1/b",
    ]


@pytest.mark.parametrize("text", [None, "", "  ,  \n"])
def test_parse_urls_empty(text: str | None) -> None:
    assert parse_urls(text) == []


def test_parse_urls_accepts_chinese_work_chat_robots() -> None:
    robots = [
        "wecombot://0123456789abcdef0123456789abcdef",
        "dingtalk://abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789/",
        "dingtalk://SECabcdef@abcdef0123456789abcdef0123456789abcdef/",
        "feishu://0123abcd-4567-89ef-0123-456789abcdef/",
    ]
    assert parse_urls(", ".join(robots)) == robots


def test_parse_urls_rejects_an_unknown_scheme_naming_it() -> None:
    with pytest.raises(ValueError, match="'bogus'"):
        parse_urls("json://127.0.0.1/hook bogus://example.org")


def test_parse_urls_rejects_a_value_without_scheme() -> None:
    with pytest.raises(ValueError, match="no scheme"):
        parse_urls("json://127.0.0.1/hook, hooks.example.org")


def test_parse_urls_rejects_an_unusable_url_without_leaking_its_password() -> None:
    with pytest.raises(ValueError, match="not a valid mailto://") as error:
        parse_urls("mailto://user:s3cret@")
    assert "s3cret" not in str(error.value)


# -- mask --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "secrets", "kept"),
    [
        (
            "mailto://planlog:s3cretPW@smtp.example.org?from=planlog@example.org&to=chair@example.org",
            ["s3cretPW"],
            ["mailto://planlog:", "smtp.example.org", "planlog@example.org"],
        ),
        ("json://user:hunter2@127.0.0.1:8080/hook", ["hunter2"], ["user:", "127.0.0.1:8080/hook"]),
        (
            "jsons://hooks.example.org/in?+Authorization=Bearer%20tok123&-access_token=tok456",
            ["tok123", "tok456"],
            ["hooks.example.org/in", "+Authorization=", "-access_token="],
        ),
        (
            "wecombot://0123456789abcdef0123456789abcdef",
            ["0123456789abcdef0123456789abcdef"],
            ["wecombot://"],
        ),
        (
            "dingtalk://SECsecretsecret@abcdef0123456789abcdef0123456789abcdef/",
            ["SECsecretsecret", "abcdef0123456789abcdef0123456789abcdef"],
            ["dingtalk://"],
        ),
        (
            "feishu://0123abcd-4567-89ef-0123-456789abcdef/",
            ["0123abcd-4567-89ef-0123-456789abcdef"],
            ["feishu://"],
        ),
        # not an apprise URL at all: still no password or token in the record
        ("bogus://user:pa55@example.org/x?token=t0k", ["pa55", "t0k"], ["bogus://user:", "token="]),
    ],
)
def test_mask_hides_passwords_and_tokens(url: str, secrets: list[str], kept: list[str]) -> None:
    masked = mask(url)
    for secret in secrets:
        assert secret not in masked
    for part in kept:
        assert part in masked, masked


def test_mask_shows_only_what_was_written() -> None:
    masked = mask("json://127.0.0.1:8080/hook")
    assert masked.startswith("json://127.0.0.1:8080/hook")
    assert "retry=" not in masked
    assert "overflow=" not in masked


# -- send: e-mail ------------------------------------------------------------------------


def test_email_arrives_with_chinese_title_and_body(smtp_server: Any) -> None:
    url = mailto(smtp_server)
    attempts = send([url], TITLE, BODY, timeout=5)

    assert attempts == [Attempt(url=mask(url), ok=True, error=None)]
    assert len(smtp_server.received) == 1
    mail = smtp_server.received[0]
    assert mail.mail_from == "planlog@example.org"
    assert mail.rcpt_tos == ["chair@example.org"]
    message = mail.message
    assert message["Subject"] == TITLE
    assert "chair@example.org" in message["To"]
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert text.get_content().replace("\r\n", "\n").strip() == BODY


def test_email_to_several_recipients(smtp_server: Any) -> None:
    url = mailto(smtp_server, to="chair@example.org,women@example.org")
    assert send([url], TITLE, BODY, timeout=5)[0].ok
    recipients = sorted(r for mail in smtp_server.received for r in mail.rcpt_tos)
    assert recipients == ["chair@example.org", "women@example.org"]


# -- send: webhook -----------------------------------------------------------------------


def test_json_webhook_receives_title_and_body(http_receiver: Any) -> None:
    url = http_receiver.url("json", "/hook")
    attempts = send([url], TITLE, BODY, timeout=5)

    assert attempts == [Attempt(url=mask(url), ok=True, error=None)]
    assert len(http_receiver.requests) == 1
    request = http_receiver.requests[0]
    assert request.method == "POST"
    assert request.path == "/hook"
    payload = request.json()
    assert payload["title"] == TITLE
    assert payload["message"] == BODY


def test_webhook_answering_500_is_a_failed_attempt(http_receiver: Any) -> None:
    http_receiver.status = 500
    url = http_receiver.url("json", "/hook")
    [attempt] = send([url], TITLE, BODY, timeout=5)
    assert attempt.ok is False
    assert attempt.error is not None
    assert "500" in attempt.error
    assert len(http_receiver.requests) == 1


def test_closed_port_is_a_failed_attempt(closed_port: int) -> None:
    [attempt] = send([f"json://127.0.0.1:{closed_port}/hook"], TITLE, BODY, timeout=5)
    assert attempt.ok is False
    assert attempt.error


def test_smtp_server_not_listening_is_a_failed_attempt(closed_port: int) -> None:
    url = f"mailto://127.0.0.1:{closed_port}?from=planlog@example.org&to=chair@example.org"
    [attempt] = send([url], TITLE, BODY, timeout=5)
    assert attempt.ok is False
    assert attempt.error


def test_slow_receiver_is_cut_off_by_the_timeout(http_receiver: Any) -> None:
    http_receiver.delay = 3.0
    started = time.monotonic()
    [attempt] = send([http_receiver.url("json", "/slow")], TITLE, BODY, timeout=1)
    assert time.monotonic() - started < 2.5
    assert attempt.ok is False
    assert attempt.error


def test_a_channel_trickling_its_answer_is_cut_off_by_the_overall_deadline(
    http_receiver: Any,
) -> None:
    # Every byte comes within the socket timeout; the whole answer takes 4 s.
    http_receiver.trickle = 0.3
    started = time.monotonic()
    [attempt] = send([http_receiver.url("json", "/trickle")], TITLE, BODY, timeout=1)
    assert time.monotonic() - started < 2.0
    assert attempt.ok is False
    assert attempt.error == "timed out after 1s"


def test_as_many_messages_are_in_flight_as_there_are_sending_threads(
    http_receiver: Any,
) -> None:
    # apprise used to send every message with a deadline on its own pool of cpu+4
    # threads: six at a time on two cores, whatever the dispatcher's pool.
    http_receiver.delay = 2.0
    threads = [
        threading.Thread(target=send, args=([http_receiver.url("json", f"/{n}")], TITLE, BODY))
        for n in range(12)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.2)  # every message has arrived; none has been answered yet
    in_flight = len(http_receiver.requests)
    for thread in threads:
        thread.join(10)
    assert in_flight == 12


def test_each_url_gets_its_own_attempt(
    smtp_server: Any, http_receiver: Any, closed_port: int
) -> None:
    urls = [
        http_receiver.url("json", "/first"),
        f"json://127.0.0.1:{closed_port}/down",
        "bogus://nowhere",
        mailto(smtp_server),
    ]
    attempts = send(urls, TITLE, BODY, timeout=5)
    assert [a.ok for a in attempts] == [True, False, False, True]
    assert [a.url for a in attempts] == [mask(u) for u in urls]
    assert attempts[0].error is None
    assert attempts[2].error == "invalid notification URL"
    assert [r.path for r in http_receiver.requests] == ["/first"]
    assert len(smtp_server.received) == 1


def test_attempt_records_the_masked_url(http_receiver: Any) -> None:
    url = f"json://planlog:hunter2@127.0.0.1:{http_receiver.port}/hook"
    [attempt] = send([url], TITLE, BODY, timeout=5)
    assert attempt.ok
    assert "hunter2" not in attempt.url
    assert http_receiver.requests[0].headers["Authorization"].startswith("Basic ")


def test_send_to_nobody() -> None:
    assert send([], TITLE, BODY) == []


# -- retries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "delay"),
    [
        (1, timedelta(minutes=1)),
        (2, timedelta(minutes=2)),
        (3, timedelta(minutes=4)),
        (7, timedelta(minutes=64)),
        (9, timedelta(minutes=256)),
        (10, timedelta(hours=6)),
        (1000, timedelta(hours=6)),
    ],
)
def test_next_retry_delay(failures: int, delay: timedelta) -> None:
    assert next_retry_delay(failures) == delay


@pytest.mark.parametrize("failures", [0, -1])
def test_next_retry_delay_needs_a_failure(failures: int) -> None:
    with pytest.raises(ValueError, match="attempts"):
        next_retry_delay(failures)


# -- work-chat robots that @mention a person ----------------------------------------------

WECOM_KEY = "0123456789abcdef0123456789abcdef"
DING_TOKEN = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"


def test_a_wecom_robot_message_mentions_the_person(http_receiver: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv(
        "PLANLOG_WECOM_ROBOT_API", http_receiver.url("http", "/cgi-bin/webhook/send")
    )
    mention = Mention(mobiles=("13800000000",), user_ids=("zhangsan",))
    [attempt] = send([f"wecombot://{WECOM_KEY}"], TITLE, BODY, mention=mention, timeout=5)

    assert attempt.ok and WECOM_KEY not in attempt.url
    (request,) = http_receiver.requests
    assert request.path == f"/cgi-bin/webhook/send?key={WECOM_KEY}"
    assert request.json() == {
        "msgtype": "text",
        "text": {
            "content": f"{TITLE}\n{BODY}",
            "mentioned_list": ["zhangsan"],
            "mentioned_mobile_list": ["13800000000"],
        },
    }


def test_a_signed_dingtalk_robot_message_mentions_the_person(
    http_receiver: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PLANLOG_DINGTALK_ROBOT_API", http_receiver.url("http", "/robot/send"))
    mention = Mention(mobiles=("13800000000",))
    url = f"dingtalk://SECsecret0123@{DING_TOKEN}/"
    [attempt] = send([url], TITLE, BODY, mention=mention, timeout=5)

    assert attempt.ok
    (request,) = http_receiver.requests
    assert request.path.startswith(f"/robot/send?access_token={DING_TOKEN}&timestamp=")
    assert "&sign=" in request.path
    payload = request.json()
    assert payload["at"] == {"atMobiles": ["13800000000"], "atUserIds": [], "isAtAll": False}
    assert payload["text"]["content"] == f"{TITLE}\n{BODY}"


def test_a_robot_that_refuses_the_message_is_a_failed_attempt(
    http_receiver: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PLANLOG_WECOM_ROBOT_API", http_receiver.url("http", "/send"))
    http_receiver.status = 500
    [attempt] = send(
        [f"wecombot://{WECOM_KEY}"], TITLE, BODY, mention=Mention(("13800000000",)), timeout=5
    )
    assert attempt.ok is False and "500" in (attempt.error or "")
    assert WECOM_KEY not in (attempt.error or "")


def test_a_long_digest_is_cut_to_what_a_wecom_robot_accepts(
    http_receiver: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PLANLOG_WECOM_ROBOT_API", http_receiver.url("http", "/send"))
    body = "组织健全、" * 1000
    send([f"wecombot://{WECOM_KEY}"], TITLE, body, mention=Mention(("13800000000",)), timeout=5)
    content = http_receiver.requests[0].json()["text"]["content"]
    assert len(content.encode()) <= 2048 and content.endswith("…")
