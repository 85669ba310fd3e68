"""Issue 16 at the web form: a NaN or infinite target value, or a NUL in a note, is refused
by the domain and the page shows the domain's own message (not a second set of limits)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Web


def _progress(web: Web, item: Any, **fields: str) -> Any:
    data = {"csrf": web.csrf(f"/items/{item}"), "version": str(web.version(item)), **fields}
    return web.client.post(f"/items/{item}/progress", data=data, follow_redirects=False)


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "1e400"])
def test_nan_or_infinite_target_value_through_the_form_shows_the_domains_message(
    web: Web, value: str
) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["members"]
    before = web.version(item)
    refused = _progress(web, item, target="1", value=value)
    assert refused.status_code == 422
    assert "指标数值必须是有限的数字" in refused.text and "must be finite" in refused.text
    assert web.version(item) == before
    assert web.client.get(web.board).status_code == 200


def test_nul_in_a_progress_note_through_the_form_is_refused(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["members"]
    before = web.version(item)
    refused = _progress(web, item, percent="40", note="已起草\x00")
    assert refused.status_code == 422 and "U+0000" in refused.text and "备注" in refused.text
    assert web.version(item) == before
    assert web.client.get(web.board).status_code == 200
