"""What a person does in the browser, end to end, on a real platform: real NATS, SQLite, training on
real MNIST, real inference replicas. Each step is checked on the page as the user sees it."""

from __future__ import annotations

import gzip
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from ml import samples
from tests.web.conftest import Platform, look, sign_in

pytestmark = pytest.mark.slow


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
    look(page, artifacts, "dashboard-empty")
    succeeded_before = stat(page, "succeeded")

    page.get_by_role("link", name="New workflow").click()
    expect(page).to_have_url(re.compile(r"/workflows/new$"))
    page.get_by_role("textbox", name="Model type").click()
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
    expect(page.get_by_role("progressbar", name="Training progress")).to_be_visible()
    look(page, artifacts, "run-training", a11y=False)
    expect(chart).to_have_attribute("data-epochs", "1", timeout=180_000)
    expect(page.get_by_text("succeeded").first).to_be_visible(timeout=120_000)
    assert page.evaluate("window.__sameDocument === true"), "the run page reloaded"
    expect(page.get_by_label("Run log")).to_contain_text("epoch", ignore_case=True)
    look(page, artifacts, "run-succeeded")

    page.get_by_role("link", name="Registry").click()
    expect(page.get_by_role("link", name="digits")).to_be_visible()
    look(page, artifacts, "registry")

    page.get_by_role("link", name="Deployments").click()
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

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("stat-succeeded")).to_contain_text(str(int(succeeded_before) + 1))
    # The replica's count reaches the dashboard with the next collection (every 5 s), live.
    expect(page.get_by_test_id("stat-requests")).not_to_have_text(re.compile(r"^\D*0\D*$"), timeout=30_000)
    assert stat(page, "requests") >= 1
    look(page, artifacts, "dashboard")
