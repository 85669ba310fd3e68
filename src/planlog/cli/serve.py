"""`planlog serve`: the API, the web board, projections and the scheduler in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from planlog.api.tokens import create_token, list_tokens, revoke_token
from planlog.cli.common import State, guarded, out_console, state
from planlog.config import Settings
from planlog.projections.rollup import org_tree

SIGN_IN_TOKEN = "serve sign-in link"


def sign_in_link(st: State, base_url: str) -> str | None:
    """A fresh chair token for the top organisation of the first plan, shown as a link.

    Each start replaces the previous link's token, so old links stop working.
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
        if earlier["name"] == SIGN_IN_TOKEN and earlier["revoked_at"] is None:
            revoke_token(engine, earlier["id"])
    _, token = create_token(engine, org, "chair", SIGN_IN_TOKEN)
    return f"{base_url}/login?token={token}"


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

    from planlog.api.app import create_app

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
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
