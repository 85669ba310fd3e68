"""`planlog serve`: the API, the web board, projections and the scheduler in one process."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer

from planlog.auth.tokens import create_token, list_tokens, revoke_token
from planlog.cli.common import State, guarded, out_console, state
from planlog.config import Settings
from planlog.domain.errors import PlanlogError
from planlog.projections.rollup import org_tree

#: The printed link's token is named for whom the log records (its chair, else the
#: administrator) with this mark, so the next start finds and replaces it.
SIGN_IN_MARK = "（本机登录链接 sign-in link）"


def sign_in_link(st: State, base_url: str) -> str | None:
    """A fresh chair token for the top organisation of the first plan, shown as a link.

    Each start replaces the previous link's token, so old links stop working (and the
    browser sessions opened with them end: a session lives only as long as its token).
    Opening the link asks "以 X 身份登录？" before it signs in.
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
    for earlier in list_tokens(engine):
        marked = str(earlier["name"] or "").endswith(SIGN_IN_MARK)
        earlier_version = earlier["name"] == "serve sign-in link"  # printed before the mark
        if (marked or earlier_version) and earlier["revoked_at"] is None:
            revoke_token(engine, earlier["id"])
    found = st.app().find_organisation(org)
    who = (found.chair if found is not None else None) or "管理员"
    _, token = create_token(engine, org, "chair", f"{who}{SIGN_IN_MARK}")
    return f"{base_url}/login?token={token}"


class PortInUse(PlanlogError):
    code = "port_in_use"


def ensure_port_free(host: str, port: int) -> None:
    """Refuse a busy port with a sentence that names it and the way out, before anything
    starts (uvicorn would end in a raw `[Errno 98]` after the sign-in link was printed)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise PortInUse(
                f"端口 {port} 已被占用，请用 --port 换一个端口（make run PORT=8080）"
                f"（port {port} on {host} is in use: choose another with --port, "
                "or make run PORT=8080）",
                port=port,
            ) from None


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

    from planlog.http import accesslog
    from planlog.http.app import create_app

    ensure_port_free(host, port)
    st = state(ctx)
    settings = Settings()
    settings.database_url = st.app().store.url
    if not settings.base_url:
        settings.base_url = f"http://{host}:{port}"
    link = sign_in_link(st, settings.base_url) if sign_in else None
    st.close()  # the server opens its own store in its lifespan
    out_console.print(f"planlog serving {settings.database_url} on {settings.base_url}")
    if link:
        out_console.print(f"登录 sign in: [bold]{link}[/]")
    else:
        out_console.print("tokens: planlog token create --org ORG --role chair")
    out_console.print(f"API docs: {settings.base_url}/docs")
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="info")
    # After uvicorn has set up its loggers: the sign-in link's token (and any feed
    # token) must not be written to the access log when the link is opened.
    accesslog.install()
    uvicorn.Server(config).run()
