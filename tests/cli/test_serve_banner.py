"""`planlog serve` says where it serves in both languages, and never prints the store's
password: its first lines go to the service's log (journald, a terminal recorder)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests
from tests.http.api.test_access_log import _free_port


@pytest.mark.postgres
def test_the_serve_banner_names_the_store_without_its_password(pg_url: str) -> None:
    # trust authentication on the test server accepts (and ignores) any password
    url = pg_url.replace("postgresql://postgres@", "postgresql://postgres:s3cret-pw@")
    port = _free_port()
    env = {**os.environ, "COLUMNS": "400", "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "planlog", "--db", url, "serve", "--port", str(port)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert "planlog 已启动 serving: http://127.0.0.1:" in output, output
    assert f"数据库 store: {pg_url}" in output  # the URL as given, without the password
    assert "s3cret-pw" not in output
