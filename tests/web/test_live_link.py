"""The live link in the browser: a banner while it is down, and live again by itself afterwards."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Platform, look, sign_in

pytestmark = pytest.mark.slow


def test_a_banner_shows_while_the_gateway_is_gone_and_the_page_comes_back_live(
    page: Page, platform: Platform, cancer: list[dict[str, Any]], artifacts: Path
) -> None:
    sign_in(page)
    page.goto("/models/cancer")
    expect(page.get_by_role("heading", level=1)).to_contain_text("cancer")
    page.evaluate("window.__sameDocument = true")
    state = json.loads((platform.home / "run" / "state.json").read_text())
    os.kill(state["children"]["gateway"]["pid"], signal.SIGKILL)  # the supervisor starts a new one

    banner = page.get_by_test_id("link-banner")
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text("Live updates are paused")
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "down")
    look(page, artifacts, "link-down", a11y=False)

    expect(banner).to_have_count(0, timeout=60_000)
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")
    # Live again: a change made now reaches the open page without a reload.
    platform.wait_for("/readyz", lambda ready: ready.get("ready") is True, 30, "the gateway")
    answer = platform.api.put("/api/models/cancer/aliases/challenger", json={"version": 2})
    assert answer.status_code in (200, 202), answer.text
    expect(page.get_by_text("challenger").first).to_be_visible(timeout=15_000)
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
