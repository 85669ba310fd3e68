"""Signing in as a person does it, for any test with its own web client: open the
sign-in link, then confirm on the page (the link alone never signs anyone in)."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient


def form_value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} field in the page"
    return html.unescape(found.group(1))


def sign_in(client: TestClient, token: str, next: str | None = None, base: str = "") -> Any:
    """What a person does with a sign-in link: open it, then confirm on the page."""
    query = f"?token={token}" + (f"&next={next}" if next else "")
    confirm = client.get(f"{base}/login{query}", follow_redirects=False)
    assert confirm.status_code == 200, confirm.text
    data = {name: form_value(confirm.text, name) for name in ("token", "next", "csrf")}
    return client.post(f"{base}/login", data=data, follow_redirects=False)
