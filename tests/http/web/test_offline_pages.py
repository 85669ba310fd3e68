"""Nothing planlog serves loads from the internet: union offices often run on intranets.

A signed-in chair walks every link from the demo board (pages, the print page, the
exports), plus /docs, /redoc and /openapi.json, on a real uvicorn server on loopback;
every HTML page, stylesheet and script it reaches is searched for a reference to another
host (an http(s):// URL or a protocol-relative //host).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import uvicorn
from tests.http.web.test_browser import _free_port

from planlog.auth.tokens import create_token
from planlog.config import Settings
from planlog.demo import DEMO_ORG, load_demo
from planlog.http.app import create_app

#: a reference to a host: scheme-qualified, or protocol-relative (`//cdn.example/x.js`)
URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>)]*""")
#: what a browser fetches by itself from a stylesheet or a vendored script
LOADS_IN_CSS = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")
#: the demo's recorded evidence links point at the union's own OA system: what a person
#: recorded, shown back as a link to follow, never loaded by the page
EVIDENCE_HOST = "oa.example.org"
CDN_HOSTS = re.compile(r"cdn|unpkg|googleapis|gstatic|bootstrapcdn|cloudflare|jsdelivr", re.I)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('offline') / 'planlog.db'}"
    load_demo(url, date.today())
    app = create_app(Settings(database_url=url), background=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    token = create_token(app.state.services.engine, DEMO_ORG, "chair", "王主席")[1]
    yield f"http://127.0.0.1:{port}", token
    server.should_exit = True
    thread.join(10)


def _signed_in(base: str, token: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
    confirm = client.get(f"/login?token={token}")
    assert confirm.status_code == 200
    fields = {
        name: re.search(rf'name="{name}" value="([^"]*)"', confirm.text)
        for name in ("token", "next", "csrf")
    }
    data = {name: (m.group(1) if m else "") for name, m in fields.items()}
    signed_in = client.post("/login", data=data)
    assert signed_in.status_code == 200 and "/login" not in str(signed_in.url)
    return client


def _external(text: str, own: str) -> list[str]:
    found = []
    for match in URL.finditer(text):
        ref = match.group(0)
        host = urlsplit(ref if ref.startswith("http") else "http:" + ref).netloc
        if host not in (own, EVIDENCE_HOST):
            found.append(ref)
    found += re.findall(rf"""src=["']?[^"'>]*{re.escape(EVIDENCE_HOST)}[^"'>]*""", text)
    return found


def test_no_page_or_document_refers_to_another_host(server: tuple[str, str]) -> None:
    base, token = server
    own = urlsplit(base).netloc
    client = _signed_in(base, token)
    queue = ["/", "/docs", "/redoc", "/openapi.json"]
    seen: set[str] = set()
    problems: dict[str, list[str]] = {}
    kinds: set[str] = set()
    while queue and len(seen) < 400:
        path = queue.pop(0)
        if path in seen or path.startswith("/logout"):
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code < 400, (path, response.status_code)
        kind = response.headers.get("content-type", "").split(";")[0]
        kinds.add(kind)
        if not (kind.startswith("text/") or kind.endswith(("javascript", "json"))):
            continue  # xlsx, pdf: no page a browser renders
        text = response.text
        path = response.url.path + (f"?{response.url.query.decode()}" if response.url.query else "")
        seen.add(path)
        if kind == "text/css":  # an inline SVG names its XML namespace: not a load
            text = re.sub(r"url\(\s*['\"]?data:[^)]*\)", "url()", text)
        if path.startswith(("/docs-assets/", "/docs-redoc/")) and kind != "text/css":
            # Swagger UI's and ReDoc's bundles quote URLs as data (XML namespaces, JSON
            # Schema ids, spec links in messages): what they load comes from the /docs
            # and /redoc pages checked here, so only a CDN in them counts.
            bad = [u for u in URL.findall(text) if CDN_HOSTS.search(u)]
        else:
            bad = _external(text, own)
        if kind == "text/css":
            bad += [u for u in LOADS_IN_CSS.findall(text) if "//" in u.split("data:")[0]]
        if bad:
            problems[path] = sorted(set(bad))[:5]
        if kind == "text/html":
            parser = Links()
            parser.feed(text)
            for link in parser.links:
                target = urljoin(base + path, link)
                parts = urlsplit(target)
                if parts.netloc == own and parts.scheme in ("http", "https"):
                    queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert not problems, problems
    # The walk reached what it must have: the board, the docs, the print page, exports.
    assert any(p.startswith("/plans/") and p.endswith("/print") for p in seen), sorted(seen)
    assert any("/export/" in p for p in seen), seen
    assert {"/docs", "/redoc", "/openapi.json"} <= seen
    assert any(p.startswith("/docs-assets/") for p in seen), seen
    assert any(p.startswith("/docs-redoc/") for p in seen), seen
    assert {"text/html", "text/css"} <= kinds, kinds
