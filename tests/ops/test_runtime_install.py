"""`make run` needs only the runtime dependencies: a fresh virtualenv with `pip install
<repo>` (no extras, so no test tooling) serves the demo board.

One test, about one to two minutes (pip resolves and installs from the registry); it runs
in `make test` (marker `install` to leave it out locally: -m "not install"). The size of
the runtime virtualenv goes to test-artifacts/install.json.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest

from planlog.demo import DEMO_ORG

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
TEST_TOOLING = ("pytest", "playwright", "schemathesis", "mypy", "ruff", "hypothesis")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.mark.install
def test_runtime_dependencies_alone_serve_the_board(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    python = str(bin_dir / "python")
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment["PLANLOG_DATABASE_URL"] = f"sqlite:///{tmp_path / 'planlog.db'}"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(REPO)],
        check=True,
        env=environment,
        cwd=tmp_path,
        timeout=900,
    )
    installed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    names = {p["name"].lower() for p in json.loads(installed.stdout)}
    assert "planlog" in names and not names & set(TEST_TOOLING), names & set(TEST_TOOLING)

    planlog = str(bin_dir / "planlog")
    subprocess.run(
        [planlog, "demo", "--if-empty"],
        check=True,
        env=environment,
        cwd=tmp_path,
        capture_output=True,
    )
    token = json.loads(
        subprocess.run(
            [planlog, "token", "create", "--org", DEMO_ORG, "--role", "chair", "--json"],
            check=True,
            env=environment,
            cwd=tmp_path,
            capture_output=True,
            text=True,
        ).stdout
    )["token"]
    port = _free_port()
    server = subprocess.Popen(
        [planlog, "serve", "--port", str(port), "--no-sign-in"],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        headers = {"Authorization": f"Bearer {token}"}
        plans = httpx.get(f"{base}/api/v1/plans", headers=headers, timeout=30)
        assert plans.status_code == 200, plans.text
        plan = plans.json()[0] if isinstance(plans.json(), list) else plans.json()["plans"][0]
        board = httpx.get(f"{base}/api/v1/plans/{plan['id']}/board", headers=headers, timeout=30)
        assert board.status_code == 200, board.text
        assert board.json()["plan"]["org"] == DEMO_ORG
        assert board.json()["items"]
        docs = httpx.get(f"{base}/docs", timeout=30)
        assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert b"Traceback" not in output, output.decode(errors="replace")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "install.json").write_text(
        json.dumps(
            {
                "runtime_venv_mib": round(_size(env_dir) / 2**20, 1),
                "python": sys.version.split()[0],
            },
            indent=2,
        )
    )
