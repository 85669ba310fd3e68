"""A calendar feed lives only as long as the feed and the API token that made it (issue 16)."""

from __future__ import annotations

from typing import Any

from icalendar import Calendar
from sqlalchemy import delete

from planlog.auth.tokens import create_token, feed_issuers, list_tokens, revoke_token

HOSPITAL = "某医院工会"


def feed_path(api: Any, who: str) -> tuple[int, str]:
    made = api.post("/api/v1/feeds", who, json={"kind": "person", "target": "工会女工"})
    assert made.status_code == 201, made.text
    return int(made.json()["id"]), made.json()["url"].split("testserver", 1)[1]


def subscribed(api: Any, path: str) -> int:
    """The status a calendar app gets; a 200 must be a calendar with the deadlines."""
    answer = api.client.get(path)
    if answer.status_code == 200:
        assert len(Calendar.from_ical(answer.content).walk("VEVENT")) == 2
    else:
        assert answer.headers["content-type"] == "application/problem+json"
    return int(answer.status_code)


def new_chair(api: Any, name: str) -> int:
    token_id, token = create_token(api.services.engine, HOSPITAL, "chair", name)
    api.tokens[name] = token
    return token_id


def test_a_calendar_feed_stops_when_the_token_that_made_it_is_revoked(api: Any) -> None:
    api.new_item(api.new_plan(), responsible="工会女工")
    temporary = new_chair(api, "临时主席")
    _, path = feed_path(api, "临时主席")
    _, kept = feed_path(api, "hospital_chair")
    assert subscribed(api, path) == 200
    revoke_token(api.services.engine, temporary)
    assert subscribed(api, path) == 404
    assert subscribed(api, kept) == 200  # a feed made by a token still active goes on


def test_a_revoked_feed_stops_while_the_token_that_made_it_stays_active(api: Any) -> None:
    api.new_item(api.new_plan(), responsible="工会女工")
    feed_id, path = feed_path(api, "hospital_chair")
    assert subscribed(api, path) == 200
    gone = api.client.delete(f"/api/v1/feeds/{feed_id}", headers=api.headers("hospital_chair"))
    assert gone.status_code == 204
    assert subscribed(api, path) == 404
    assert api.get("/api/v1/plans", "hospital_chair").status_code == 200


def test_a_feed_made_before_issuers_were_recorded_stops_with_the_chairs_tokens(api: Any) -> None:
    api.new_item(api.new_plan(), responsible="工会女工")
    earlier = new_chair(api, "前任主席")
    feed_id, path = feed_path(api, "前任主席")
    with api.services.engine.begin() as conn:  # as stored by an older planlog
        conn.execute(delete(feed_issuers).where(feed_issuers.c.feed_id == feed_id))
    assert subscribed(api, path) == 200
    revoke_token(api.services.engine, earlier)
    assert subscribed(api, path) == 200  # hospital_chair existed then and may have made it
    for token in list_tokens(api.services.engine):
        if token["org"] == HOSPITAL and token["role"] == "chair" and not token["revoked_at"]:
            revoke_token(api.services.engine, token["id"])
    new_chair(api, "新任主席")  # a token made after the feed never keeps it alive
    assert subscribed(api, path) == 404
