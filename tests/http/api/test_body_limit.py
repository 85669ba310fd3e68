"""The 6 MB request-body limit holds on the stream, before authentication.

The old check read only the Content-Length header: a chunked body has none, so an
unauthenticated client could make the server read (and keep) any amount — 760 MB on
one request. These tests send such bodies to a real uvicorn server on loopback and
watch the server process's memory; the in-process ones cover the framing cases.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from planlog.http.app import MAX_BODY
from planlog.http.limits import BodyLimit

MB = 1024 * 1024
CHUNK = 64 * 1024
PROBLEM = "application/problem+json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory_kb(pid: int, field: str) -> int:
    """VmHWM is the peak resident set: it catches a body read and freed again."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def _chunks(total: int, block: bytes = b"x" * CHUNK) -> Iterator[bytes]:
    """A body generated on the fly: requests sends it chunked, with no Content-Length."""
    for _ in range(total // len(block)):
        yield block


#: form fields of 64 KB each: under the form parser's own 1 MB-per-field limit, so
#: only the body limit stands between them and the server's memory
FORM_FIELD = b"f=" + b"x" * (CHUNK - 3) + b"&"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`uvicorn planlog.http.asgi:app`, as production web workers run it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('limit') / 'planlog.db'}"
    port = _free_port()
    env = {**os.environ, "PLANLOG_DATABASE_URL": url}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    command = [sys.executable, "-m", "uvicorn", "planlog.http.asgi:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not start")
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.mark.parametrize(
    ("path", "media", "block"),
    [
        # a JSON body, which FastAPI reads whole before the bearer check
        ("/api/v1/plans", "application/json", b"x" * CHUNK),
        # a web form, before any session
        ("/login", "application/x-www-form-urlencoded", FORM_FIELD),
    ],
)
def test_an_unauthenticated_chunked_body_over_the_limit_is_413_without_memory_growth(
    server: tuple[str, int], path: str, media: str, block: bytes
) -> None:
    base, pid = server
    headers = {"Content-Type": media}
    # Warm up the same route (imports, caches) so that the figure is the body's alone.
    requests.post(f"{base}{path}", data=_chunks(4 * CHUNK, block), headers=headers)
    before = _memory_kb(pid, "VmHWM")
    sent = 50 * MB
    answer = requests.post(f"{base}{path}", data=_chunks(sent, block), headers=headers, timeout=120)
    grown_mb = (_memory_kb(pid, "VmHWM") - before) / 1024
    # -s shows the figure: `pytest -s -k chunked_body_over_the_limit`
    print(f"\n{path}: {sent // MB} MB chunked → {answer.status_code}, peak RSS +{grown_mb:.1f} MB")
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["code"] == "too_large" and "6 MB" in problem["detail"]
    # At most the limit is ever held (plus the framework's one copy of it while it
    # joins the chunks): far less than the 50 MB sent.
    assert grown_mb < 3 * MAX_BODY / MB, f"the server grew by {grown_mb:.1f} MB"


def test_a_declared_length_over_the_limit_is_refused_before_the_body(
    server: tuple[str, int],
) -> None:
    base, _ = server
    with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=10) as s:
        head = (
            "POST /api/v1/plans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {MAX_BODY + 1}\r\n\r\n"
        )
        s.sendall(head.encode())  # and not one byte of the body
        answer = s.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413")
    assert PROBLEM in answer


# --------------------------------------------------------------------------- in-process


def test_a_chunked_body_under_the_limit_still_reaches_the_route(api: Any) -> None:
    body = b'{"org": "\xe6\x9f\x90\xe5\x8c\xbb\xe9\x99\xa2\xe5\xb7\xa5\xe4\xbc\x9a", '
    body += b'"year": 2026, "title": "' + b"x" * 100 + b'"}'
    parts = iter([body[:10], body[10:50], body[50:]])
    made = api.client.post(
        "/api/v1/plans",
        content=parts,
        headers={**api.headers("hospital_chair"), "Content-Type": "application/json"},
    )
    assert made.status_code == 201, made.text


def test_a_chunked_body_over_the_limit_is_refused_in_process(api: Any) -> None:
    answer = api.client.post(
        "/api/v1/plans",
        content=_chunks(MAX_BODY + 2 * CHUNK),
        headers={**api.headers("hospital_chair"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413 and answer.headers["content-type"] == PROBLEM


def test_the_limit_is_counted_across_messages_and_stops_reading() -> None:
    """The application never receives a message that takes it over the limit, and no
    further message is read from the client after that."""
    import asyncio

    delivered: list[int] = []
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            delivered.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 400, "more_body": pulled < 100}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    asyncio.run(BodyLimit(app, limit=1000)(scope, receive, send))
    assert sum(delivered) <= 1000 and pulled == 3
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
