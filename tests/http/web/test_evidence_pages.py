"""Evidence on the item page: a photo with the progress form, its thumbnail, downloads."""

from __future__ import annotations

import hashlib
from typing import Any

from tests import evidence_files as files
from tests.http.web.conftest import Web


def _report(web: Web, item: Any, upload: tuple[str, bytes, str] | None, **fields: str) -> Any:
    data = {"csrf": web.csrf(f"/items/{item}"), "version": str(web.version(item)), **fields}
    sent = {"file": upload} if upload else None
    return web.client.post(f"/items/{item}/progress", data=data, files=sent, follow_redirects=False)


def test_a_note_with_a_photo_lists_the_photo_with_its_thumbnail(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["report"]
    photo = files.jpeg(size=(1200, 900))
    sha = hashlib.sha256(photo).hexdigest()
    done = _report(web, item, ("会场.jpg", photo, "image/jpeg"), note="已召开会议")
    assert done.status_code == 303, done.text
    page = web.client.get(done.headers["location"]).text
    assert f'src="/evidence/{sha}/thumbnail"' in page and "会场.jpg" in page
    assert f"上传佐证材料“会场.jpg”（2026-06-30 时限） SHA-256 {sha}" in page  # the history
    thumb = web.client.get(f"/evidence/{sha}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.headers["x-content-type-options"] == "nosniff"
    web.login("hospital_auditor")
    got = web.client.get(f"/evidence/{sha}")
    assert got.status_code == 200 and got.content == photo
    web.login("other_chair")
    assert web.client.get(f"/evidence/{sha}").status_code == 404
    assert web.client.get(f"/evidence/{sha}/thumbnail").status_code == 404


def test_a_note_alone_is_a_report_through_the_form(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["report"]
    assert _report(web, item, None, note="正在起草").status_code == 303
    assert web.services.app.history(item)[-1]["note"] == "正在起草"


def test_a_program_named_like_a_photo_is_refused_on_the_page(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["report"]
    before = web.version(item)
    refused = _report(web, item, ("photo.jpg", files.exe(), "image/jpeg"), note="见附件")
    assert refused.status_code == 422
    assert "类型不受支持" in refused.text and "见附件" in refused.text
    assert web.version(item) == before


def test_a_refused_report_keeps_no_file_it_brought(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["report"]
    photo = files.jpeg(color="purple")
    sha = hashlib.sha256(photo).hexdigest()
    stale = str(web.version(item) - 1)  # someone changed the item meanwhile: refused
    refused = _report(web, item, ("会场.jpg", photo, "image/jpeg"), note="见附件", version=stale)
    assert refused.status_code == 409, refused.text
    assert not web.services.evidence.has(sha)


def test_a_refused_report_from_my_tasks_keeps_no_file_it_brought(web: Web) -> None:
    from tests.http.web.test_people_pages import register

    from planlog.auth.links import create_link, redeem

    person_id = register(web)
    session_id = redeem(web.services.engine, create_link(web.services.engine, person_id))
    assert session_id is not None
    web.client.cookies.clear()
    web.client.cookies.set("planlog_session", session_id[0])
    photo = files.jpeg(color="maroon")
    sha = hashlib.sha256(photo).hexdigest()
    data = {
        "csrf": web.csrf("/me"),
        "item_id": str(web.seeded.items["report"]),
        "occurrence": "2020-02-02",  # not a due date of the item: refused
        "note": "见附件",
    }
    sent = {"file": ("会场.jpg", photo, "image/jpeg")}
    refused = web.client.post("/me/progress", data=data, files=sent, follow_redirects=False)
    assert refused.status_code >= 400, refused.text
    assert not web.services.evidence.has(sha)
