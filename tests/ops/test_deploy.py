"""The production recipe in deploy/ is real: systemd accepts the units, each command they
start is a planlog command or the ASGI app, and nginx forwards to routes planlog serves."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from planlog.cli import app as cli_app
from planlog.http.app import create_app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
VENV_BIN = "/opt/planlog/.venv/bin/"
UNITS = sorted(p for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def _commands() -> list[list[str]]:
    found = []
    for path in UNITS:
        unit = _unit(path)
        if unit.has_section("Service"):
            for key in ("ExecStart", "ExecStartPost"):
                if unit.has_option("Service", key):
                    found.append(shlex.split(unit.get("Service", key).replace("%%", "%")))
    return found


def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the units are parsed by the next tests")
    for path in UNITS:
        # the units name the installed venv; here it is the one running the tests
        text = path.read_text().replace(VENV_BIN, str(Path(sys.executable).parent) + "/")
        (tmp_path / path.name).write_text(text)
    run = subprocess.run(
        [analyze, "verify", *(str(tmp_path / p.name) for p in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    mentions = [line for line in run.stderr.splitlines() if "planlog" in line]
    assert run.returncode == 0 and not mentions, run.stderr


def test_each_unit_starts_a_real_planlog_command() -> None:
    commands = typer.main.get_command(cli_app).commands  # type: ignore[attr-defined]
    started = {"worker": False, "asgi": False, "backup": False}
    for argv in _commands():
        joined = " ".join(argv)
        for found in re.finditer(rf"{re.escape(VENV_BIN)}planlog (\S+)", joined):
            assert found.group(1) in commands, joined
            started[found.group(1)] = True
        if f"{VENV_BIN}uvicorn" in joined:
            target = argv[argv.index(f"{VENV_BIN}uvicorn") + 1]
            module, _, attribute = target.partition(":")
            assert (module, attribute) == ("planlog.http.asgi", "app")
            assert "--workers" in argv
            started["asgi"] = True
    assert all(started.values()), started
    timer = _unit(DEPLOY / "planlog-backup.timer")
    assert timer.get("Timer", "OnCalendar")


def _paths(routes: list[Any]) -> set[str]:
    """Every route's path, those of included routers (the web board, the API) too."""
    found = set()
    for route in routes:
        found.add(getattr(route, "path", ""))
        included = getattr(route, "original_router", None)  # FastAPI's included router
        if included is not None:
            found |= _paths(list(included.routes))
    return found


def test_nginx_forwards_to_the_web_workers_and_real_routes() -> None:
    conf = (DEPLOY / "nginx-planlog.conf").read_text()
    web = _unit(DEPLOY / "planlog-web.service").get("Service", "ExecStart")
    port = re.search(r"--port (\d+)", web)
    assert port is not None
    upstream = re.search(r"upstream planlog \{\s*server ([\d.]+):(\d+);", conf)
    assert upstream is not None and upstream.group(2) == port.group(1)
    api = create_app(background=False)
    served = _paths(api.routes)
    for location in re.findall(r"location\s+(?:=\s+)?(\S+)\s*\{", conf):
        prefix = location.rstrip("/")
        assert prefix == "" or any(p == prefix or p.startswith(prefix + "/") for p in served), (
            location
        )
    assert conf.count("proxy_pass http://planlog;") == len(re.findall(r"location ", conf))


def _env(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if re.match(r"^[A-Z_]+=", line))
    return {key: value for key, value in pairs}


def test_the_backup_unit_and_the_cron_example_name_the_evidence_directory() -> None:
    """With PostgreSQL the evidence directory is not beside the store: a backup run
    without PLANLOG_EVIDENCE_DIR would back up ./planlog-evidence instead."""
    backup = _unit(DEPLOY / "planlog-backup.service")
    env_file = backup.get("Service", "EnvironmentFile").lstrip("-")
    assert env_file == "/etc/planlog/planlog.env"
    env = _env((DEPLOY / "planlog.env.example").read_text())
    assert env["PLANLOG_DATABASE_URL"].startswith("postgresql://")
    assert env["PLANLOG_EVIDENCE_DIR"].startswith("/")
    readme = (DEPLOY.parent / "README.md").read_text()
    crons = [line for line in readme.splitlines() if re.match(r"^[\d*].*planlog backup ", line)]
    assert crons, "the README shows a cron line for planlog backup"
    for line in crons:
        assert "PLANLOG_DATABASE_URL=postgresql://" in line
        assert "PLANLOG_EVIDENCE_DIR=/" in line


@pytest.mark.parametrize("location", ["/login/link", "/feeds/"])
def test_nginx_never_logs_an_address_that_carries_a_credential(location: str) -> None:
    conf = (DEPLOY / "nginx-planlog.conf").read_text()
    block = re.search(rf"location\s+(?:=\s+)?{re.escape(location)}\s*\{{([^}}]*)\}}", conf)
    assert block is not None, f"no location for {location}"
    assert re.search(r"^\s*access_log off;", block.group(1), re.M), block.group(1)


def test_nginx_logs_no_query_string_or_referrer() -> None:
    """A token passed as `?token=` (a sign-in link) would be in `$request`, `$args` or,
    on the next page, in the referrer."""
    conf = (DEPLOY / "nginx-planlog.conf").read_text()
    found = re.search(r"log_format planlog ((?:'[^']*'\s*)+);", conf)
    assert found is not None, "no planlog log format"
    for variable in ("$request ", '$request"', "$request_uri", "$args", "$query_string"):
        assert variable not in found.group(1), variable
    assert "$http_referer" not in found.group(1)
    logs = re.findall(r"^\s*access_log (\S+)(?: (\S+))?;", conf, re.M)
    assert all(path == "off" or fmt == "planlog" for path, fmt in logs), logs


def test_nginx_lets_an_evidence_file_of_the_largest_size_through() -> None:
    from planlog.domain.evidence import EVIDENCE_MAX_BYTES

    conf = (DEPLOY / "nginx-planlog.conf").read_text()
    size = re.search(r"^\s*client_max_body_size (\d+)m;", conf, re.M)
    assert size is not None
    assert int(size.group(1)) * 1024 * 1024 > EVIDENCE_MAX_BYTES
