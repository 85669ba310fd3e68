"""What every CLI command shares: the open application, the actor, output and refusals."""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy import Engine

from planlog.cli.render import literal
from planlog.domain.errors import NotFound, PlanlogError
from planlog.i18n import t
from planlog.projections.ids import KINDS, SHORTEST, ids_starting_with, is_id_prefix
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp
from planlog.service.outcomes import Outcome, outcome

P = ParamSpec("P")
R = TypeVar("R")

err_console = Console(stderr=True)
out_console = Console()

JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")

#: The CLI's one table: what a refusal means (planlog.service.outcomes) as an exit code.
#: Every refusal exits 1 today (the contract scripts rely on it).
EXIT_CODES = dict.fromkeys(Outcome, 1)


@dataclass
class State:
    db: str | None = None
    actor: str = field(default_factory=getpass.getuser)
    _app: PlanlogApp | None = None
    _runner: ReadModelRunner | None = None

    def app(self) -> PlanlogApp:
        if self._app is None:
            self._app = PlanlogApp(self.db or os.environ.get("PLANLOG_DATABASE_URL"))
        return self._app

    def runner(self) -> ReadModelRunner:
        if self._runner is None:
            self._runner = ReadModelRunner(self.app())
        return self._runner

    def read_models(self) -> Engine:
        """The read models, caught up with everything recorded so far (read-your-writes)."""
        runner = self.runner()
        runner.catch_up()
        return runner.engine

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None
        if self._app is not None:
            self._app.close()
            self._app = None


#: the running command's State (set by the root callback): what an id given as its first
#: characters is looked up in (`parse_id`), without handing the State to every parse
CURRENT_STATE: ContextVar[State | None] = ContextVar("planlog_cli_state", default=None)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):
        obj = State()
        ctx.find_root().obj = obj
    return obj


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def refuse(error: PlanlogError, as_json: bool) -> None:
    """A refused command: one line on stderr (or a JSON error on stdout) and exit 1
    (EXIT_CODES)."""
    if as_json:
        emit_json({"error": error.to_dict()})
    else:
        rule = error.details.get("rule") or error.code
        label = t(rule)
        prefix = f"{t('refused')}: {label}" if label != rule else t("refused")
        # The message often quotes what the user typed or what the log holds.
        line = Text.assemble((prefix, "bold red"), " — ", literal(error.message))
        err_console.print(line, soft_wrap=True)
    raise typer.Exit(EXIT_CODES[outcome(error)])


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn planlog errors into refusals, honouring the command's --json flag."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        as_json = bool(kwargs.get("json_out", False))
        try:
            return fn(*args, **kwargs)
        except PlanlogError as error:
            refuse(error, as_json)
            raise  # unreachable: refuse() exits

    return wrapper


#: what an id names, in Chinese (parse_id's `what`)
_ID_WORDS = {
    "item id": "事项编号",
    "plan id": "计划编号",
    "person id": "人员编号",
    "task id": "任务编号",
}


#: what an id names → the kinds of id a prefix of it is looked up among
_ID_KINDS = {
    "item id": ("item",),
    "plan id": ("plan",),
    "person id": ("person",),
    "task id": ("task",),
    "id": KINDS,  # `history`: any record's (a plan, an item, a task, a person)
}


def parse_id(text: str, what: str = "id") -> UUID:
    """A whole id, or the one id starting with `text` (its first characters, as in a
    listing: `plan show 3f2a9c`)."""
    cleaned = text.strip().lower()
    try:
        return UUID(cleaned)
    except ValueError:
        pass
    word = _ID_WORDS.get(what, "编号")
    current = CURRENT_STATE.get()
    if current is not None and is_id_prefix(cleaned):
        kinds = _ID_KINDS.get(what, ("plan", "item"))
        # caught up first: an id recorded a moment ago may share the prefix
        with current.read_models().connect() as conn:
            found = ids_starting_with(conn, cleaned, kinds)
            # none of the kind asked: say so if it starts an id of another kind
            elsewhere = [] if found else [k for k in KINDS if k not in kinds]
            other = next((k for k in elsewhere if ids_starting_with(conn, cleaned, (k,))), None)
        if len(found) == 1:
            return UUID(found[0])
        if found:
            listed = ", ".join(found)
            raise AmbiguousId(
                f"以“{text}”开头的{word}不止一个：{listed}，请多输入几位"
                f"（{text!r} is the start of several {what}s: {listed}; type more of it）",
                id=text,
                matches=found,
            )
        if other is not None:
            kind = f"{other} id"  # the name _ID_WORDS and the messages use
            raise NotFound(
                f"以“{text}”开头的是{_ID_WORDS[kind]}，不是{word}"
                f"（{text!r} starts {kind}s, not {what}s）",
                id=text,
                kind=kind,
            )
        raise NotFound(f"没有以“{text}”开头的{word}（no {what} starts with {text!r}）", id=text)
    raise InvalidId(
        f"“{text}”不是有效的{word}（{text!r} is not a valid {what} (a UUID or its first "
        f"{SHORTEST} or more characters)）",
        id=text,
    )


class InvalidId(PlanlogError):
    """Text that is neither an id nor the start of one (JSON code `invalid_id`)."""

    code = "invalid_id"


class AmbiguousId(PlanlogError):
    """The start of more than one id: the refusal lists them (`matches`)."""

    code = "ambiguous_id"


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PlanlogError(f"{what} {text!r} is not a date (YYYY-MM-DD)") from None


def parse_window(text: str) -> tuple[date, date]:
    start, sep, end = text.partition("..")
    if not sep:
        raise PlanlogError(f"window {text!r} must look like YYYY-MM-DD..YYYY-MM-DD")
    opens, due = parse_date(start, "window start"), parse_date(end, "window end")
    if opens > due:
        raise PlanlogError(f"window {text!r} closes before it opens")
    return opens, due
