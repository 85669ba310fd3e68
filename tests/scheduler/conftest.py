"""Real local servers for delivery tests: an SMTP server (aiosmtpd) and an HTTP receiver.

Both listen on 127.0.0.1 only and stop at teardown.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpServer:
    host: str
    port: int
    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = cast(EmailMessage, message_from_bytes(content, policy=policy.default))
        self.received.append(
            ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), message)
        )
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server without TLS or auth on a free loopback port."""
    # aiosmtpd's Controller cannot listen on port 0 (it connects to the port to check
    # readiness), so pick a free port; another process may grab it in between: retry.
    last_error: Exception | None = None
    for _ in range(5):
        server = SmtpServer("127.0.0.1", free_port())
        controller = Controller(server, hostname=server.host, port=server.port, ready_timeout=5)
        try:
            controller.start()
        except Exception as exc:  # port taken between free_port() and start()
            last_error = exc
            continue
        try:
            yield server
        finally:
            controller.stop()
        return
    raise RuntimeError(f"could not start the SMTP server: {last_error}")


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records every request; answers with `status` after `delay` seconds, or 500 to a
    request whose path contains one of `refused` (one channel of several failing); its
    body a byte every `trickle` seconds when that is set."""

    port: int = 0
    status: int = 200
    delay: float = 0.0
    trickle: float = 0.0
    requests: list[ReceivedRequest] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)

    def url(self, scheme: str, path: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            receiver.requests.append(
                ReceivedRequest(self.command, self.path, dict(self.headers.items()), body)
            )
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.status
            if any(part in self.path for part in receiver.refused):
                status = 500
            payload = b"{}" if status < 400 else b'{"error": "boom"}'
            if receiver.trickle:
                payload = b" " * 10 + payload
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if receiver.trickle:
                    for byte in payload:  # each read is answered within a socket timeout
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(receiver.trickle)
                else:
                    self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timeout test); nothing to answer to

        do_POST = _record
        do_PUT = _record
        do_GET = _record

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # A handler still sleeping for the timeout test must not hold up teardown.
    server.block_on_close = False
    receiver.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused at once."""
    return free_port()
