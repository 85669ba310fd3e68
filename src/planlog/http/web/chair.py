"""The chair corrects the plan in the browser: add an item, edit one, read a 时限 first.

Each save is one or more of the commands every door uses (AddItem, ReviseItem, Reassign,
ChangeSchedule, AddSection), so each change is an event with who and why in the item's
history. As on the item page, the form's hidden `version` stands for the API's If-Match,
a refusal re-renders the form with the reason and what was typed, and success redirects
(303). Only chairs (MANAGE) get these forms; anyone else gets a 403 page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from planlog.auth.caller import MANAGE
from planlog.deadlines import DeadlineError, parse_deadline
from planlog.domain.errors import PlanlogError
from planlog.domain.model import Plan, PlanItem, Target
from planlog.domain.values import (
    NAME_MAX,
    TYPED_DEADLINE_MAX,
    TYPED_ITEM_TITLE_MAX,
    TYPED_LONG_TEXT_MAX,
    TYPED_NUMBER_MAX,
    TYPED_REASON_MAX,
)
from planlog.http.deps import ServicesDep
from planlog.http.web.items import FormError, form_text, form_version
from planlog.http.web.page_models import DeadlineReading, parse_dates, read_deadline
from planlog.http.web.pages import WebRoute, explain, form_status, page
from planlog.http.web.session import SessionDep, WebSession, language
from planlog.http.web.text import tr
from planlog.service import commands
from planlog.service.commands import NewItem

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
#: Empty target lines offered under the filled ones, for adding targets without JS.
SPARE_TARGETS = 2
#: The domain's limits on typed input (planlog.domain.values), as the API's: every door
#: refuses the same input.
TITLE_MAX, NUMBER_MAX, LONG_MAX = TYPED_ITEM_TITLE_MAX, TYPED_NUMBER_MAX, TYPED_LONG_TEXT_MAX
DEADLINE_MAX, REASON_MAX = TYPED_DEADLINE_MAX, TYPED_REASON_MAX
LIMITS = {"title": TITLE_MAX, "number": NUMBER_MAX, "name": NAME_MAX, "long": LONG_MAX}
LIMITS |= {"deadline": DEADLINE_MAX, "reason": REASON_MAX}
MANAGE_ITEMS = "change plan items"
#: In the edit form's changes: the title of a section to add before revising.
NEW_SECTION = "new_section"


def plan_head(plan: Plan) -> dict[str, Any]:
    return {"id": str(plan.id), "title": plan.title, "org": plan.org, "year": plan.year}


@dataclass
class ItemForm:
    """What the chair typed, as the form fields hold it (for re-rendering a refusal)."""

    title: str = ""
    number: str = ""
    section: str = ""  # an existing section's id, or "" for none
    new_section: str = ""
    goal: str = ""
    measures: str = ""
    responsible: str = ""
    helpers: str = ""  # 协办单位; only an edit sets it (AddItem has no such field)
    deadline: str = ""
    dates: str = ""
    reason: str = ""
    targets: list[dict[str, str]] = field(default_factory=list)

    def target_lines(self) -> list[dict[str, str]]:
        spare = [{"label": "", "value": "", "unit": ""} for _ in range(SPARE_TARGETS)]
        return [*self.targets, *spare]


def _targets_typed(labels: list[str], values: list[str], units: list[str]) -> list[dict[str, str]]:
    rows = []
    for n in range(max(len(labels), len(values), len(units))):
        row = {
            "label": labels[n] if n < len(labels) else "",
            "value": values[n] if n < len(values) else "",
            "unit": units[n] if n < len(units) else "",
        }
        if any(v.strip() for v in row.values()):
            rows.append(row)
    return rows


def _targets(rows: list[dict[str, str]], before: list[Target], lang: str) -> list[Target]:
    """The typed target lines as targets; a line keeps the current value (and comparator)
    of the target it replaces, so editing a label does not erase what was reported."""
    targets = []
    for n, row in enumerate(rows):
        label, amount = form_text(row["label"], TITLE_MAX, lang), row["value"].strip()
        unit = form_text(row["unit"], NAME_MAX, lang) or ""
        if not label or not amount:
            raise FormError(tr("target_incomplete", lang, n=n + 1))
        try:
            value = float(amount)
        except ValueError:
            raise FormError(tr("value_invalid", lang)) from None
        earlier = before[n] if n < len(before) else None
        targets.append(
            Target(
                text=label,
                value=value,
                unit=unit,
                comparator=earlier.comparator if earlier else ">=",
                current=earlier.current if earlier else None,
            )
        )
    return targets


def _schedule(form: ItemForm, lang: str) -> tuple[list[Any], list[Any], str | None]:
    """Dates typed (dues, windows) and the 时限 text; the text is read by the handler."""
    if len(form.deadline.strip()) > DEADLINE_MAX:
        raise FormError(f"{tr('bad_input', lang)} ≤ {DEADLINE_MAX}")
    dues, windows, bad_line = parse_dates(form.dates)
    if bad_line is not None:
        raise FormError(tr("dates_invalid", lang, n=bad_line))
    return dues, windows, form.deadline.strip() or None


def _reading(form: ItemForm, year: int) -> DeadlineReading | None:
    return read_deadline(form.deadline, year) if form.deadline.strip() else None


def _section_title(plan: Plan, form: ItemForm) -> str | None:
    if form.new_section.strip():
        return form.new_section.strip()
    chosen = next((s for s in plan.sections if s.section_id == form.section), None)
    return chosen.title if chosen else None


def _render_form(
    request: Request,
    session: WebSession,
    plan: Plan,
    name: str,
    form: ItemForm,
    *,
    item: PlanItem | None = None,
    error: str | None = None,
    reading: DeadlineReading | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "plan": plan_head(plan),
        "tab": "board",
        "sections": plan.sections,
        "f": form,
        "item": item,
        "error": error,
        "reading": reading if reading is not None else _reading(form, plan.year),
        "limits": LIMITS,
    }
    return page(request, name, context, session=session, status_code=status_code)


def _explain(refused: PlanlogError, lang: str) -> str:
    """A refusal in the page's language; the 时限 reader words its reasons in English
    only, so the page says first, in the reader's language, what to do about it."""
    if isinstance(refused, DeadlineError):
        return f"{tr('deadline_unreadable', lang)} {refused.message}"
    return explain(refused, lang)


def _chair(session: WebSession, csrf: str | None = None) -> None:
    if csrf is not None:
        session.check_csrf(csrf)
    session.caller.require(MANAGE, MANAGE_ITEMS)


# ------------------------------------------------------------------ reading a 时限


@router.get("/plans/{plan_id}/deadline-preview")
def deadline_preview(
    request: Request, plan_id: UUID, svc: ServicesDep, session: SessionDep, text: str = ""
) -> Response:
    """How a 时限 reads in this plan's year, as an HTML fragment (the form's script puts
    it under the field as the chair types; the same template renders it without script)."""
    plan = session.caller.plan(svc.app, plan_id)
    context = {"reading": read_deadline(text[:DEADLINE_MAX], plan.year)}
    return page(request, "deadline_reading.html", context, session=session)


# ------------------------------------------------------------------ adding an item


@router.get("/plans/{plan_id}/items/new")
def new_item_form(
    request: Request, plan_id: UUID, svc: ServicesDep, session: SessionDep, section: str = ""
) -> Response:
    _chair(session)
    plan = session.caller.plan(svc.app, plan_id)
    return _render_form(request, session, plan, "item_new.html", ItemForm(section=section))


@router.post("/plans/{plan_id}/items/new")
def add_item(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    action: FormText = "save",
    title: FormText = "",
    number: FormText = "",
    section: FormText = "",
    new_section: FormText = "",
    goal: FormText = "",
    measures: FormText = "",
    responsible: FormText = "",
    deadline: FormText = "",
    dates: FormText = "",
    target_label: FormList = [],  # noqa: B006 - FastAPI copies the default per request
    target_value: FormList = [],  # noqa: B006
    target_unit: FormList = [],  # noqa: B006
) -> Response:
    _chair(session, csrf)
    who = session.caller
    plan = who.plan(svc.app, plan_id)
    lang = language(request)
    form = ItemForm(
        title=title,
        number=number,
        section=section,
        new_section=new_section,
        goal=goal,
        measures=measures,
        responsible=responsible,
        deadline=deadline,
        dates=dates,
        targets=_targets_typed(target_label, target_value, target_unit),
    )
    if action == "preview":  # the reading without script: nothing is saved
        return _render_form(request, session, plan, "item_new.html", form)
    try:
        name = form_text(title, TITLE_MAX, lang)
        if not name:
            raise FormError(tr("title_needed", lang))
        dues, windows, typed = _schedule(form, lang)
        if not (dues or windows or typed):
            raise FormError(tr("deadline_needed", lang))
        spec = NewItem(
            title=name,
            section=_section_title(plan, form),
            number=form_text(number, NUMBER_MAX, lang),
            goal=form_text(goal, LONG_MAX, lang),
            measures=form_text(measures, LONG_MAX, lang),
            responsible=form_text(responsible, NAME_MAX, lang),
            dues=dues,
            windows=windows,
            targets=_targets(form.targets, [], lang),
        )
        command = commands.AddItem.typed(
            plan_id=plan_id, spec=spec, actor=who.actor, deadline=typed
        )
        item = svc.app.handle(command)
    except PlanlogError as refused:
        return _render_form(
            request,
            session,
            plan,
            "item_new.html",
            form,
            error=_explain(refused, lang),
            status_code=form_status(refused),
        )
    return RedirectResponse(f"/items/{item.id}?done=add#top", status_code=303)


# ------------------------------------------------------------------ editing an item


def _form_of(item: PlanItem) -> ItemForm:
    d = item.details
    return ItemForm(
        title=d.title,
        number=d.number or "",
        section=item.section_id or "",
        goal=d.goal or "",
        measures=d.measures or "",
        responsible=d.responsible or "",
        helpers=d.helpers or "",
        deadline=item.deadline_text or "",
        targets=[{"label": t.text, "value": _plain(t.value), "unit": t.unit} for t in d.targets],
    )


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@router.get("/items/{item_id}/edit")
def edit_item_form(
    request: Request, item_id: UUID, svc: ServicesDep, session: SessionDep
) -> Response:
    _chair(session)
    item, plan = session.caller.item(svc.app, item_id)
    return _render_form(request, session, plan, "item_edit.html", _form_of(item), item=item)


def _revisions(item: PlanItem, plan: Plan, form: ItemForm, lang: str) -> dict[str, Any]:
    """The REVISABLE fields that differ from the item now (ReviseItem refuses no change).
    A section that does not exist yet is named by its title under NEW_SECTION: it is
    added only when the revision is about to be recorded."""
    d = item.details
    section_id: str | None = form.section or None
    new_title = form.new_section.strip()
    found = plan.section_by_title(new_title) if new_title else None
    if found is not None:
        section_id = found.section_id
    now = {"title": d.title, "number": d.number, "section_id": item.section_id}
    now |= {"goal": d.goal, "measures": d.measures, "helpers": d.helpers}

    def edited(name: str, value: str, limit: int) -> str | None:
        # Text left as it was passes even when longer than a person may type: imported
        # documents carry longer measures, and correcting the title must not refuse them.
        if value.strip() == (now[name] or ""):
            return now[name]
        return form_text(value, limit, lang)

    wanted: dict[str, Any] = {
        "title": edited("title", form.title, TITLE_MAX),
        "number": edited("number", form.number, NUMBER_MAX),
        "section_id": section_id,
        "goal": edited("goal", form.goal, LONG_MAX),
        "measures": edited("measures", form.measures, LONG_MAX),
        "helpers": edited("helpers", form.helpers, NAME_MAX),
    }
    if not wanted["title"]:
        raise FormError(tr("title_needed", lang))
    changes = {k: v for k, v in wanted.items() if v != now[k]}
    if new_title and found is None:
        changes.pop("section_id", None)
        changes[NEW_SECTION] = new_title
    targets = _targets(form.targets, list(d.targets), lang)
    if [t.to_dict() for t in targets] != [t.to_dict() for t in d.targets]:
        changes["targets"] = targets
    return changes


@router.post("/items/{item_id}/edit")
def edit_item(
    request: Request,
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    action: FormText = "save",
    version: FormText = "",
    title: FormText = "",
    number: FormText = "",
    section: FormText = "",
    new_section: FormText = "",
    goal: FormText = "",
    measures: FormText = "",
    responsible: FormText = "",
    helpers: FormText = "",
    deadline: FormText = "",
    dates: FormText = "",
    reason: FormText = "",
    target_label: FormList = [],  # noqa: B006 - FastAPI copies the default per request
    target_value: FormList = [],  # noqa: B006
    target_unit: FormList = [],  # noqa: B006
) -> Response:
    """Up to three commands, in this order: ReviseItem (what the item says), Reassign
    (who answers for it), ChangeSchedule (its deadlines). Each is checked against the
    version the form was read at, the later ones against the version the earlier left."""
    _chair(session, csrf)
    who = session.caller
    item, plan = who.item(svc.app, item_id)
    lang = language(request)
    form = ItemForm(
        title=title,
        number=number,
        section=section,
        new_section=new_section,
        goal=goal,
        measures=measures,
        responsible=responsible,
        helpers=helpers,
        deadline=deadline,
        dates=dates,
        reason=reason,
        targets=_targets_typed(target_label, target_value, target_unit),
    )
    if action == "preview":
        return _render_form(request, session, plan, "item_edit.html", form, item=item)
    expected = form_version(version)
    try:
        why = form_text(reason, REASON_MAX, lang)
        dues, windows, typed = _schedule(form, lang)
        retimed = bool(dues or windows) or (typed or None) != (item.deadline_text or None)
        if retimed and not (dues or windows or typed):
            raise FormError(tr("deadline_needed", lang))
        if retimed and not why:
            raise FormError(tr("reason_needed", lang))
        changes = _revisions(item, plan, form, lang)
        person = form_text(responsible, NAME_MAX, lang)
        steps: list[Callable[[int | None], commands.ItemCommand]] = []
        if changes:

            def revise(v: int | None) -> commands.ItemCommand:
                if NEW_SECTION in changes:
                    title = changes.pop(NEW_SECTION)
                    add = commands.AddSection(plan_id=plan.id, title=title, actor=who.actor)
                    added = svc.app.handle(add).section_by_title(title)
                    changes["section_id"] = added.section_id if added else None
                return commands.ReviseItem(
                    item_id=item_id,
                    actor=who.actor,
                    changes=changes,
                    reason=why,
                    expected_version=v,
                )

            steps.append(revise)
        if person != (item.details.responsible or None):
            steps.append(
                lambda v: commands.Reassign(
                    item_id=item_id,
                    actor=who.actor,
                    responsible=person,
                    reason=why,
                    expected_version=v,
                )
            )
        if retimed:
            steps.append(
                lambda v: _change_schedule(
                    item_id, who.actor, why or "", dues, windows, typed, plan.year, v
                )
            )
        if not steps:
            raise FormError(tr("nothing_changed", lang))
        for step in steps:
            expected = svc.app.handle(step(expected)).version
    except PlanlogError as refused:
        return _render_form(
            request,
            session,
            plan,
            "item_edit.html",
            form,
            item=svc.app.get_item(item_id),
            error=_explain(refused, lang),
            status_code=form_status(refused),
        )
    return RedirectResponse(f"/items/{item_id}?done=edit#top", status_code=303)


def _change_schedule(
    item_id: UUID,
    actor: str,
    reason: str,
    dues: list[Any],
    windows: list[Any],
    typed: str | None,
    year: int,
    expected: int | None,
) -> commands.ChangeSchedule:
    """A new schedule from dates, or from the 时限 as the importer and AddItem read it."""
    spec = NewItem(title="", dues=dues, windows=windows)
    if typed and not (dues or windows):
        spec.apply_deadline(typed, parse_deadline(typed, year))
    return commands.ChangeSchedule.of(
        spec, item_id=item_id, actor=actor, reason=reason, expected_version=expected
    )
