"""The web board: server-rendered pages for chairs, responsible people and auditors.

Pages are rendered on the server (FastAPI + Jinja2), Chinese first with an English
switch, and read and write through the same application, queries and role rules as
the REST API. A browser signs in once with an API token and then holds only a
server-side session id in an HttpOnly cookie (`planlog.http.web.session`); signing out or
revoking the token ends the session.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

__all__ = ["STATIC_DIR", "TEMPLATES_DIR"]
