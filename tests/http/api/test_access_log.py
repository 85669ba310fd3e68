"""No token in the access log: real servers, real requests, the log they write.

`planlog serve` prints a sign-in link `/login?token=pl_…`; opening it used to write the
token into uvicorn's access log. Both ways of serving are run here as the
administrator runs them (`planlog serve`, `uvicorn planlog.http.asgi:app`) and their
output is read back.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from planlog.auth.tokens import create_token
from planlog.http.accesslog import redact
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp

ORG = "某医院工会"
#: a sign-in link's code has no prefix to recognise it by: only its parameter name
LINK_CODE = "Qm7r" * 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database(tmp_path: Path) -> str:
    """A store with one plan (so that `planlog serve` prints a sign-in link) and its
    read-model tables."""
    url = f"sqlite:///{tmp_path / 'planlog.db'}"
    app = PlanlogApp(url)
    try:
        app.register_organisation(ORG, actor="admin")
        app.create_plan(org=ORG, year=2026, title="计划", actor="admin")
        ReadModelRunner(app).close()
    finally:
        app.close()
    return url


def _serve(command: list[str], url: str, port: int, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PLANLOG_DATABASE_URL": url, "COLUMNS": "400"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    with out.open("wb") as sink:
        proc = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return proc
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.terminate()
    proc.wait(20)
    pytest.fail(f"the server did not start:\n{out.read_text()}")


def _requests_with_tokens(port: int, token: str) -> None:
    base = f"http://127.0.0.1:{port}"
    assert requests.get(f"{base}/login", params={"token": token}).status_code == 200
    requests.get(f"{base}/login?next=/orgs&TOKEN={token}&lang=en")
    requests.get(f"{base}/api/v1/plans", params={"token": token})
    requests.get(f"{base}/feeds/cal_{'A' * 32}.ics")  # feed tokens are in the path
    requests.get(f"{base}/login/link", params={"code": LINK_CODE})  # a person's link


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(30)


def _access_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if re.search(r'"(GET|POST) /', line)]


def test_the_token_never_appears_in_the_access_log_of_planlog_serve(tmp_path: Path) -> None:
    url = _database(tmp_path)
    port, out = _free_port(), tmp_path / "serve.log"
    command = [sys.executable, "-m", "planlog", "--db", url, "serve", "--port", str(port)]
    proc = _serve(command, url, port, out)
    try:
        printed = re.search(r"/login\?token=(pl_[A-Za-z0-9_-]+)", out.read_text())
        assert printed, out.read_text()
        token = printed.group(1)
        _requests_with_tokens(port, token)
    finally:
        _stop(proc)
    log = out.read_text()
    access = _access_lines(log)
    assert any('"GET /login?token=[redacted] HTTP/1.1" 200' in line for line in access), log
    assert any("/feeds/cal_[redacted].ics" in line for line in access), log
    # The link is printed once for the administrator; the log of requests never has it.
    elsewhere = [line for line in log.splitlines() if "sign in:" not in line]
    assert not [line for line in elsewhere if token in line or "A" * 32 in line]
    assert LINK_CODE not in log


def test_the_token_never_appears_in_the_access_log_of_the_asgi_workers(tmp_path: Path) -> None:
    url = _database(tmp_path)
    app = PlanlogApp(url)
    try:
        runner = ReadModelRunner(app)
        token = create_token(runner.engine, ORG, "chair", "王主席")[1]
        runner.close()
    finally:
        app.close()
    port, out = _free_port(), tmp_path / "asgi.log"
    command = [sys.executable, "-m", "uvicorn", "planlog.http.asgi:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "info"]
    proc = _serve(command, url, port, out)
    try:
        _requests_with_tokens(port, token)
    finally:
        _stop(proc)
    log = out.read_text()
    access = _access_lines(log)
    assert len(access) >= 5, log  # the requests were logged…
    assert any("TOKEN=[redacted]" in line for line in access), log
    assert any("/login/link?code=[redacted]" in line for line in access), log
    assert token not in log and "A" * 32 not in log  # …without their tokens
    assert LINK_CODE not in log


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /login?token=pl_abc-DEF_123", "GET /login?token=[redacted]"),
        ("/login?next=/x&token=pl_abc&lang=en", "/login?next=/x&token=[redacted]&lang=en"),
        ("/x?Token=anything%20else#top", "/x?Token=[redacted]#top"),
        ("/feeds/cal_" + "x" * 32 + ".ics", "/feeds/cal_[redacted].ics"),
        ("Bearer pl_" + "y" * 43, "Bearer pl_[redacted]"),
        ("GET /login/link?code=Zx9-abc_DEF", "GET /login/link?code=[redacted]"),
        ("/login/link?next=/me&CODE=Zx9&lang=en", "/login/link?next=/me&CODE=[redacted]&lang=en"),
        ("/plans/3f2a?as_of=2026-01-01", "/plans/3f2a?as_of=2026-01-01"),  # nothing else
    ],
)
def test_tokens_are_redacted_from_log_text(line: str, expected: str) -> None:
    assert redact(line) == expected
