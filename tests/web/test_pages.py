"""Every page, in the light and the dark theme and at a phone's width: a screenshot for people to
look at, and no serious accessibility violation (axe-core)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.web.conftest import DESKTOP, PHONE, Platform, look, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def pages(platform: Platform, cancer: list[dict[str, Any]]) -> dict[str, str]:
    deployments = platform.api.get("/api/deployments?model_name=cancer").json()["items"]
    if not deployments:
        answer = platform.api.post(
            "/api/mlops/deploy_model", json={"model_id": cancer[0]["model_id"], "replicas": 1}
        )
        assert answer.status_code in (200, 202), answer.text
        deployments = platform.wait_for(
            "/api/deployments?model_name=cancer", lambda p: p["items"], 30, "the deployment"
        )["items"]
    first, second = (run["model_id"] for run in cancer)
    return {
        "dashboard": "/",
        "new-workflow": "/workflows/new",
        "runs": "/runs",
        "run": f"/runs/{cancer[0]['job_id']}",
        "registry": "/models",
        "model": "/models/cancer",
        "compare": f"/models/compare?ids={first},{second}",
        "deployments": "/deployments",
        "deployment": f"/deployments/{deployments[0]['deployment_id']}",
        "alerts": "/alerts",
        "settings": "/settings",
        "my-tokens": "/tokens",
        "users": "/admin/users",
        "admin-tokens": "/admin/tokens",
    }


@pytest.mark.parametrize(
    ("theme", "viewport"),
    [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE)],
    ids=["light", "dark", "phone"],
)
def test_every_page_is_readable_and_accessible(
    browser: Browser, platform: Platform, pages: dict[str, str], artifacts: Path, theme: str, viewport: Any
) -> None:
    suffix = theme if viewport == DESKTOP else "phone"
    context = browser.new_context(base_url=platform.url, viewport=viewport, color_scheme=theme)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto("/signin")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        look(page, artifacts, f"signin-{suffix}")
        sign_in(page)
        for name, path in pages.items():
            page.goto(path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            look(page, artifacts, f"{name}-{suffix}")
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
