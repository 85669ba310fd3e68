"""`planlog demo`: load the demo plan (with simulated history) and show its board."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from planlog.cli.common import JsonOption, emit_json, guarded, out_console, state
from planlog.demo import DEMO_ORG, load_demo
from planlog.queries import board_document
from planlog.render import print_board


@guarded
def demo_command(
    ctx: typer.Context,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Load only into a store with no plans yet.")
    ] = False,
    json_out: bool = JsonOption,
) -> None:
    """Load a realistic sample plan with half a year of history, then print its board."""
    st = state(ctx)
    app = st.app()
    plans = app.list_plans()
    if if_empty and plans:
        chosen = next((p for p in plans if p.org == DEMO_ORG), plans[0])
        plan_id = chosen.plan_id
    else:
        if not json_out:
            out_console.print("正在载入示例计划及模拟历史 / loading the demo plan and its history…")
        plan_id = load_demo(st.db or app.store.url, app.today())
    document = board_document(app, st.read_models(), UUID(str(plan_id)))
    if json_out:
        emit_json(document)
    else:
        print_board(document)
        out_console.print(
            f"\n计划 plan id: {plan_id}\n"
            f"试试 try: planlog history ITEM_ID · planlog diff {plan_id} --from … --to … · "
            f"planlog board {plan_id} --as-of {app.today().replace(month=6, day=30)}"
        )
