"""Evidence in a real browser (Chromium, uvicorn on loopback): a person reports a note with
a photo on the item page and sees its thumbnail; the history names the file and its hash.

The site and the browser are test_browser.py's fixtures (a demo plan, Debian's Chromium).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from tests import evidence_files as files
from tests.http.web.test_browser import (  # noqa: F401 (fixtures)
    PHONE,
    Site,
    _page,
    _shot,
    browser,
    site,
)


def test_a_person_reports_a_note_with_a_photo_and_sees_its_thumbnail(
    browser: Any,  # noqa: F811
    site: Site,  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    photo = tmp_path / "活动现场.jpg"
    photo.write_bytes(files.jpeg(color="orange", size=(1600, 1200)))
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    item_id, _, _ = site.open_item()

    page = _page(browser, site, "editor", PHONE)
    page.goto(f"{site.base}/items/{item_id}")
    form = page.locator("form[action$='/progress']")
    form.get_by_label("说明").fill("已组织会员参加活动，附现场照片")
    form.get_by_label(re.compile("佐证文件")).set_input_files(str(photo))
    form.get_by_role("button", name="报告进度").click()

    expect(page.get_by_text("进度已记录。")).to_be_visible()
    thumb = page.locator(f'img.evidence-thumb[src="/evidence/{sha}/thumbnail"]')
    expect(thumb).to_be_visible()
    # The thumbnail loads lazily: scrolled to, it is decoded (a real picture, not a
    # broken-image box).
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    expect(page.locator("#evidence")).to_contain_text("活动现场.jpg")
    history = page.locator(".timeline li")
    expect(history.nth(0)).to_contain_text("上传佐证材料“活动现场.jpg”")
    expect(history.nth(0)).to_contain_text(sha)
    expect(history.nth(1)).to_contain_text("已组织会员参加活动，附现场照片")
    page.locator("#evidence").scroll_into_view_if_needed()
    _shot(page, "evidence-thumbnail")

    download = page.request.get(f"{site.base}/evidence/{sha}")
    assert download.ok and download.body() == photo.read_bytes()
    assert download.headers["x-content-type-options"] == "nosniff"
    page.context.close()
