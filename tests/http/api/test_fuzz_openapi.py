"""schemathesis against the app's own OpenAPI document, over a real HTTP server on
loopback: whatever the generated request, no server error (5xx)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from planlog.auth.tokens import create_token
from planlog.config import Settings
from planlog.http.app import create_app
from planlog.service.app import NewItem, PlanlogApp


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'planlog.db'}"
    seed = PlanlogApp(url)
    seed.register_organisation("某医院工会", actor="admin", chair="王主席")
    plan = seed.create_plan(org="某医院工会", year=2026, title="计划", actor="chair")
    seed.add_item(plan.id, NewItem(title="报送", dues=[seed.today()]), actor="chair")
    seed.close()
    app = create_app(Settings(database_url=url), background=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    _, token = create_token(app.state.services.engine, "某医院工会", "chair", "fuzzer")
    yield f"http://127.0.0.1:{port}", token
    server.should_exit = True
    thread.join(10)


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_request_makes_a_server_error(live_server: tuple[str, str], mode: str) -> None:
    base_url, token = live_server
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(GenerationMode(mode)))
        @settings(
            max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def call(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=20)
            if response.status_code >= 500:
                errors.append(
                    f"{case.method} {case.formatted_path} → {response.status_code}: "
                    f"{response.text[:300]}"
                )

        # Some operations admit no request of a mode (no invalid form of an upload, say).
        with suppress(Unsatisfiable):
            call()
    assert operations > 20
    assert errors == []
