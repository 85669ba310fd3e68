"""`planlog serve` on a port that is already taken says so in one line, before it starts."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from planlog.cli import app


def test_serve_on_a_busy_port_names_the_port_and_the_option(sqlite_url: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app, ["--db", sqlite_url, "serve", "--port", str(port), "--no-sign-in"]
        )
    assert result.exit_code == 1, result.output
    assert f"端口 {port} 已被占用" in result.output and "--port" in result.output
    assert "Errno" not in result.output and "Traceback" not in result.output
