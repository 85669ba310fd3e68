"""Extension requests (延期申请) and sign-off (办结审核) from the command line:
`planlog item request-extension|confirm|return …` and `planlog request approve|reject …`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from planlog.cli.common import (
    JsonOption,
    emit_json,
    guarded,
    out_console,
    parse_date,
    parse_id,
    state,
)
from planlog.cli.items import IfVersionOpt, item_cli, show_item
from planlog.cli.render import literal
from planlog.service.commands import DecideExtension, RequestExtension, SignOff
from planlog.service.views import item_view

request_cli = typer.Typer(
    help="Extension requests (延期申请): approve or reject.", no_args_is_help=True
)

OccurrenceArg = Annotated[
    str, typer.Option("--occurrence", help="Due date (YYYY-MM-DD) of the deadline.")
]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (理由).")]


def _request_line(request: dict[str, Any]) -> Text:
    return Text.assemble(
        f"{request['id']}  {request['occurrence']} → {request['to']}  [{request['status']}]  ",
        literal(request["reason"]),
    )


@item_cli.command("request-extension")
@guarded
def request_extension(
    ctx: typer.Context,
    item_id: str,
    occurrence: OccurrenceArg,
    to: Annotated[str, typer.Option("--to", help="The proposed new due date (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the deadline should move.")],
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Ask the chair to move one deadline later (延期申请); prints the request's id."""
    st = state(ctx)
    command = RequestExtension(
        item_id=parse_id(item_id, "item id"),
        occurrence=occurrence,
        to=parse_date(to, "--to"),
        reason=reason,
        actor=st.actor,
        expected_version=if_version,
    )
    item = st.app().handle(command)
    request = item.open_request_on(command.occurrence).to_dict() | {"item_id": str(item.id)}
    if json_out:
        emit_json(request)
    else:
        out_console.print(_request_line(request))


def _decide(
    ctx: typer.Context,
    request_id: str,
    approve: bool,
    reason: str | None,
    json_out: bool,
    if_version: int | None,
) -> None:
    st = state(ctx)
    app = st.app()
    command = DecideExtension.of(
        request_id, approve=approve, actor=st.actor, reason=reason, expected_version=if_version
    )
    item = app.handle(command)
    request = item.extension_requests[command.request_id].to_dict()
    if json_out:
        emit_json(item_view(item, app.today(), app.get_plan(item.plan_id)) | {"request": request})
    else:
        out_console.print(_request_line(request))


@request_cli.command("approve")
@guarded
def approve(
    ctx: typer.Context,
    request_id: str,
    reason: ReasonOpt = None,
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Approve an extension request: the deadline moves to the date asked for."""
    _decide(ctx, request_id, True, reason, json_out, if_version)


@request_cli.command("reject")
@guarded
def reject(
    ctx: typer.Context,
    request_id: str,
    reason: ReasonOpt = None,
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Reject an extension request, with a reason (--reason): the deadline stays."""
    _decide(ctx, request_id, False, reason, json_out, if_version)


def _sign_off(
    ctx: typer.Context,
    item_id: str,
    occurrence: str,
    confirm: bool,
    reason: str | None,
    json_out: bool,
    if_version: int | None,
) -> None:
    st = state(ctx)
    app = st.app()
    command = SignOff(
        item_id=parse_id(item_id, "item id"),
        occurrence=occurrence,
        confirm=confirm,
        reason=reason,
        actor=st.actor,
        expected_version=if_version,
    )
    show_item(app, app.handle(command), json_out)


@item_cli.command("confirm")
@guarded
def confirm(
    ctx: typer.Context,
    item_id: str,
    occurrence: OccurrenceArg,
    reason: ReasonOpt = None,
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Sign off a submitted deadline (确认办结): it is done."""
    _sign_off(ctx, item_id, occurrence, True, reason, json_out, if_version)


@item_cli.command("return")
@guarded
def return_submission(
    ctx: typer.Context,
    item_id: str,
    occurrence: OccurrenceArg,
    reason: ReasonOpt = None,
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Return a submitted deadline with a reason (退回): it is open again."""
    _sign_off(ctx, item_id, occurrence, False, reason, json_out, if_version)
