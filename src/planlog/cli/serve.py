"""`planlog serve`: the API, the web board, projections and the scheduler in one process."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer

from planlog.auth.links import sign_in_url
from planlog.auth.tokens import (
    LEGACY_SIGN_IN_NAME,
    SIGN_IN_MARK,
    create_token,
    list_tokens,
    person_token_ids,
    revoke_token,
)
from planlog.cli.common import State, guarded, out_console, state
from planlog.cli.render import literal
from planlog.config import Settings
from planlog.domain.errors import PlanlogError
from planlog.projections.people import people_in
from planlog.projections.rollup import org_tree


def sign_in_link(st: State, base_url: str) -> str | None:
    """A sign-in link for the top organisation of the first plan.

    When that organisation has a registered chair (a person), the link is a one-time
    link of that person (`planlog.auth.links`): the log then records them by name.
    Otherwise it is a fresh chair token named for the organisation's chair (else the
    administrator). Each start replaces the previous printed token, so old printed
    links stop working; the links and tokens of people are never touched. Opening the
    link asks "以 X 身份登录？" before it signs in.
    """
    plans = st.app().list_plans()
    if not plans:
        return None
    engine = st.read_models()
    with engine.connect() as conn:
        tree = org_tree(conn)
    org: str = plans[0].org
    while (parent := tree.get(org, {}).get("parent")) and parent != org:
        org = str(parent)
    people_tokens = person_token_ids(engine)
    for earlier in list_tokens(engine):
        if earlier["id"] in people_tokens or earlier["revoked_at"] is not None:
            continue
        marked = str(earlier["name"] or "").endswith(SIGN_IN_MARK)
        if marked or earlier["name"] == LEGACY_SIGN_IN_NAME:
            revoke_token(engine, earlier["id"])
    with engine.connect() as conn:
        chairs = [p for p in people_in(conn, [org]) if p.role == "chair"]
    if chairs:
        return sign_in_url(engine, chairs[0].id, base_url, next_path="/")
    found = st.app().find_organisation(org)
    who = (found.chair if found is not None else None) or "管理员"
    _, token = create_token(engine, org, "chair", f"{who}{SIGN_IN_MARK}")
    return f"{base_url}/login?token={token}"


class PortInUse(PlanlogError):
    code = "port_in_use"


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening, or a refusal of a busy port with a
    sentence that names it and the way out (uvicorn would end in a raw `[Errno 98]`).

    Bound before anything else happens, and handed to uvicorn: a second server whose
    port is taken stops here, before it replaces the printed sign-in link, so it never
    revokes a link that the running server handed out."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn binds: a port left in TIME_WAIT by a stopped server is free.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno != errno.EADDRINUSE:
            raise
        raise PortInUse(
            f"端口 {port} 已被占用，请用 --port 换一个端口（make run PORT=8080）"
            f"（port {port} on {host} is in use: choose another with --port, "
            "or make run PORT=8080）",
            port=port,
        ) from None
    return sock


@guarded
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    sign_in: Annotated[
        bool, typer.Option("--sign-in/--no-sign-in", help="Print a chair sign-in link.")
    ] = True,
) -> None:
    """Serve planlog (API, web board, projections, reminders) in one process."""
    import uvicorn

    from planlog.heap import freeze_startup_objects
    from planlog.http import accesslog
    from planlog.http.app import create_app

    sock = listening_socket(host, port)
    st = state(ctx)
    settings = Settings()
    settings.database_url = st.app().store.url
    if not settings.base_url:
        settings.base_url = f"http://{host}:{port}"
    link = sign_in_link(st, settings.base_url) if sign_in else None
    store = st.app().store.display  # never the password: the banner goes to logs
    st.close()  # the server opens its own store in its lifespan
    out_console.print(
        literal(f"planlog 已启动 serving: {settings.base_url} · 数据库 store: {store}")
    )
    if link:
        out_console.print(f"登录 sign in: [bold]{link}[/]")
    else:
        out_console.print("登录令牌 tokens: planlog token create --org ORG --role chair")
    out_console.print(f"接口文档 API docs: {settings.base_url}/docs")
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="info")
    # After uvicorn has set up its loggers: the sign-in link's token (and any feed
    # token) must not be written to the access log when the link is opened.
    accesslog.install()
    freeze_startup_objects()  # last before serving (planlog.heap)
    uvicorn.Server(config).run(sockets=[sock])
