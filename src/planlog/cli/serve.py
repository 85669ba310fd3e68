"""`planlog serve`: the API, the web board, projections and the scheduler in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from planlog.cli.common import guarded, out_console, state
from planlog.config import Settings


@guarded
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Serve planlog on SQLite (or PostgreSQL) in one process."""
    import uvicorn

    from planlog.api.app import create_app

    st = state(ctx)
    settings = Settings()
    settings.database_url = st.app().store.url
    if not settings.base_url:
        settings.base_url = f"http://{host}:{port}"
    st.close()  # the server opens its own store in its lifespan
    out_console.print(
        f"planlog serving {settings.database_url} on {settings.base_url}\n"
        f"API docs: {settings.base_url}/docs · tokens: planlog token create --org ORG --role chair"
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
