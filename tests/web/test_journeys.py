"""What a person does in the browser, end to end, on a real platform: real NATS, SQLite, training on
real MNIST, real inference replicas. Each step is checked on the page as the user sees it."""

from __future__ import annotations

import gzip
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from ml import samples
from tests.web.conftest import Platform, look, settle, sign_in

pytestmark = pytest.mark.slow


def nav(page: Page, name: str) -> Locator:
    """A link of the main navigation."""
    return page.get_by_role("navigation", name="Main navigation").get_by_role("link", name=name, exact=True)


def stat(page: Page, name: str) -> float:
    """The number shown on a dashboard card (``data-testid=stat-<name>``)."""
    text = page.get_by_test_id(f"stat-{name}").inner_text()
    numbers = re.findall(r"\d[\d,]*(?:\.\d+)?", text)
    assert numbers, f"no number on the {name} card: {text!r}"
    return float(numbers[0].replace(",", ""))


def mnist_digit(home: Path, tmp: Path) -> tuple[Path, int]:
    """A real MNIST test digit as a 28x28 PNG (white on black, as MNIST stores it) and its label."""
    with gzip.open(home / samples.MNIST_PATH, "rb") as handle:
        _, _, (images, labels) = pickle.load(handle, encoding="latin1")
    index = 3  # any test digit; this one is a 0
    pixels = np.round(images[index].reshape(28, 28) * 255).astype(np.uint8)
    path = tmp / f"digit-{int(labels[index])}.png"
    Image.fromarray(pixels, mode="L").save(path)
    return path, int(labels[index])


def test_train_watch_register_deploy_and_predict(
    page: Page, platform: Platform, artifacts: Path, tmp_path: Path
) -> None:
    sign_in(page)
    look(page, artifacts, "dashboard-first")
    if page.get_by_role("heading", name="Get started").is_visible():
        succeeded_before = 0.0  # a new platform shows the way in instead of zeros
    else:
        succeeded_before = stat(page, "succeeded")

    nav(page, "New workflow").click()
    expect(page).to_have_url(re.compile(r"/workflows/new$"))
    page.get_by_role("combobox", name="Model type").click()
    page.get_by_role("option", name=re.compile("Handwritten digits")).click()
    page.get_by_label("Epochs").fill("1")
    page.get_by_label("Model name").fill("digits")
    page.get_by_label("Deploy if training succeeds").check()
    page.get_by_label("Replicas").fill("1")
    look(page, artifacts, "create-workflow")
    page.get_by_role("button", name="Run now").click()

    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"), timeout=15_000)
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
    chart = page.get_by_test_id("epoch-chart")
    progress = page.get_by_role("progressbar", name="Training progress")
    expect(progress).to_be_attached()  # 0 % wide at first
    look(page, artifacts, "run-training", a11y=False)
    expect(chart).to_have_attribute("data-epochs", "1", timeout=180_000)
    expect(page.get_by_text("succeeded").first).to_be_visible(timeout=120_000)
    expect(progress).to_have_attribute("aria-valuenow", "100")
    assert page.evaluate("window.__sameDocument === true"), "the run page reloaded"
    expect(page.get_by_label("Run log")).to_contain_text("epoch", ignore_case=True)
    look(page, artifacts, "run-succeeded")

    nav(page, "Registry").click()
    expect(page.get_by_role("link", name="digits")).to_be_visible()
    look(page, artifacts, "registry")

    nav(page, "Deployments").click()
    row = page.get_by_role("row").filter(has_text="digits")
    expect(row.get_by_text("ready")).to_be_visible(timeout=90_000)
    look(page, artifacts, "deployments")
    row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/deployments/[0-9a-f]+$"))

    digit, label = mnist_digit(platform.home, tmp_path)
    page.get_by_label("Upload an image").set_input_files(digit)
    page.get_by_role("button", name="Predict").click()
    expect(page.get_by_test_id("prediction-result")).to_contain_text(f"Prediction: {label}")
    look(page, artifacts, "deployment-detail")

    nav(page, "Dashboard").click()
    expect(page.get_by_test_id("stat-succeeded")).to_contain_text(str(int(succeeded_before) + 1))
    # The replica's count reaches the dashboard with the next collection (every 5 s), live.
    expect(page.get_by_test_id("stat-requests")).not_to_have_text(re.compile(r"^\D*0\D*$"), timeout=30_000)
    assert stat(page, "requests") >= 1
    look(page, artifacts, "dashboard")


def choose(page: Page, label: str, option: str | re.Pattern[str]) -> None:
    """Pick an option of a select box inside the open dialog."""
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(re.compile(f"^{label}")).click()
    page.get_by_role("option", name=option).click()


def deployment_of(platform: Platform, model_name: str) -> dict[str, Any]:
    found = platform.wait_for(
        f"/api/deployments?model_name={model_name}",
        lambda page: page["items"],
        30,
        f"a deployment of {model_name}",
    )
    return found["items"][0]  # type: ignore[no-any-return]


def test_promote_and_roll_back_in_the_registry_and_the_deployment_follows(
    page: Page, platform: Platform, cancer: list[dict[str, Any]], artifacts: Path
) -> None:
    sign_in(page)
    page.goto("/models/cancer")
    expect(page.get_by_role("heading", level=1)).to_contain_text("cancer")

    page.get_by_role("button", name="Promote", exact=True).click()
    choose(page, "Version", re.compile(r"^Version 1 "))
    choose(page, "New status", "Production")
    page.get_by_role("dialog").get_by_role("button", name="Promote", exact=True).click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    platform.wait_for("/api/models/cancer", lambda m: m["production_version"] == 1, 20, "v1 in production")

    page.get_by_role("button", name="Deploy", exact=True).click()
    choose(page, "Version", re.compile(r"^Version 1 "))
    page.get_by_role("dialog").get_by_label("Replicas").fill("1")
    expect(page.get_by_role("dialog").get_by_label("Follow production")).to_be_checked()
    page.get_by_role("dialog").get_by_role("button", name="Deploy version").click()
    deployment = deployment_of(platform, "cancer")
    page.goto(f"/deployments/{deployment['deployment_id']}")
    header = page.get_by_role("heading", level=1)
    expect(page.get_by_text("ready").first).to_be_visible(timeout=60_000)
    expect(header).to_contain_text("1")
    page.evaluate("window.__sameDocument = true")
    look(page, artifacts, "deployment-v1")

    # Promote v2 in another tab; this page follows the deployment live, without a reload.
    registry = page.context.new_page()
    registry.goto("/models/cancer")
    registry.get_by_role("button", name="Promote", exact=True).click()
    choose(registry, "Version", re.compile(r"^Version 2 "))
    choose(registry, "New status", "Production")
    registry.get_by_role("dialog").get_by_role("button", name="Promote", exact=True).click()
    expect(registry.get_by_role("dialog")).to_have_count(0)
    expect(header).to_contain_text("2", timeout=60_000)
    platform.wait_for(
        f"/api/deployments/{deployment['deployment_id']}",
        lambda d: d["model_version"] == 2 and d["status"] == "ready",
        60,
        "the deployment to serve v2",
    )

    registry.get_by_role("button", name="Rollback", exact=True).click()
    choose(registry, "Target version", re.compile(r"^Version 1 "))
    registry.get_by_role("dialog").get_by_role("button", name="Roll back").click()
    expect(registry.get_by_role("dialog")).to_have_count(0)
    look(registry, artifacts, "model-detail-after-rollback")
    expect(header).to_contain_text("1", timeout=60_000)
    platform.wait_for(
        f"/api/deployments/{deployment['deployment_id']}",
        lambda d: d["model_version"] == 1 and d["status"] == "ready",
        60,
        "the deployment back on v1",
    )
    assert page.evaluate("window.__sameDocument === true"), "the deployment page reloaded"
    look(page, artifacts, "deployment-after-rollback")


def test_a_viewer_sees_no_edit_buttons_and_the_api_refuses_them_anyway(
    page: Page, platform: Platform, cancer: list[dict[str, Any]], artifacts: Path
) -> None:
    created = platform.api.post(
        "/api/users", json={"username": "vera", "password": "viewer-password-1", "role": "viewer"}
    )
    assert created.status_code in (200, 201), created.text
    sign_in(page, "vera", "viewer-password-1")
    expect(nav(page, "Runs")).to_be_visible()
    expect(nav(page, "New workflow")).to_have_count(0)
    expect(nav(page, "Users")).to_have_count(0)

    page.goto("/models/cancer")
    expect(page.get_by_role("heading", level=1)).to_contain_text("cancer")
    settle(page)
    for name in ("Deploy", "Promote", "Rollback", "Set alias"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    look(page, artifacts, "viewer-model-detail")

    page.goto(f"/runs/{cancer[0]['job_id']}")
    settle(page)
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
    page.goto("/workflows/new")
    expect(page.get_by_text("You cannot open this page")).to_be_visible()
    page.goto("/admin/users")
    expect(page.get_by_text("You cannot open this page")).to_be_visible()

    csrf = page.request.get("/api/auth/me").json()["csrf_token"]
    refused = page.request.post(
        "/api/mlops/promote_model",
        headers={"X-CSRF-Token": csrf},
        data={"model_id": cancer[1]["model_id"], "new_status": "staging"},
    )
    assert refused.status == 403, refused.text()
    refused = page.request.post(
        "/api/mlops/execute_workflow",
        headers={"X-CSRF-Token": csrf},
        data={"workflow_params": {"model_type": "tabular_sklearn_classifier"}},
    )
    assert refused.status == 403, refused.text()
