"""`planlog demo`: load the demo plan (with simulated history) and show its board."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from planlog.cli.common import JsonOption, emit_json, guarded, out_console, state
from planlog.cli.render import print_board
from planlog.demo import DEMO_ORG, StoreNotEmpty, load_demo
from planlog.projections.queries import board_document


@guarded
def demo_command(
    ctx: typer.Context,
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty",
            help="Load only into an empty store; leave a store that holds events as it is "
            "(showing its demo plan's board, if any) instead of refusing it.",
        ),
    ] = False,
    json_out: bool = JsonOption,
) -> None:
    """Load a realistic sample plan with half a year of history into an empty store, then
    print its board. A store that already holds events is refused: the simulated history
    would be recorded after them with earlier times, and fail the audit chain for ever."""
    st = state(ctx)
    app = st.app()
    recorded = int(app.recorder.max_notification_id() or 0)
    if recorded and not if_empty:
        raise StoreNotEmpty(recorded)
    if recorded:
        plans = app.list_plans()
        if not plans:  # nothing to load into it, nothing to show: `make run` goes on
            if json_out:
                emit_json(None)
            else:
                out_console.print(
                    "该存储已有记录，未载入示例计划 / the store already holds events: "
                    "the demo was not loaded",
                    soft_wrap=True,
                )
            return
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
