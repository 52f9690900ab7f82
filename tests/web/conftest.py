"""Browser journeys: Debian's Chromium, driven by Playwright, against a real ``mlops up``.

One platform (embedded NATS, SQLite, the five services, the built UI) and one browser for this
package, both gone before the next package's tests (the sync Playwright driver holds an event loop
that pytest-asyncio's tests cannot share); a fresh browser context per test. Screenshots of every page land in ``$MLOPS_TEST_ARTIFACTS`` (default
``test-artifacts/web``); every page is checked with axe-core for serious accessibility violations.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from ml import samples
from services.cli.ports import free_port

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("MLOPS_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_PASSWORD = "journey-admin-password"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass
class Platform:
    """A running ``mlops up`` and an admin API client for setting the scene."""

    url: str
    home: Path
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    csrf: str = ""
    api: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.api = httpx.Client(base_url=self.url, timeout=30)
        answer = self.api.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        answer.raise_for_status()
        self.csrf = answer.json()["csrf_token"]
        self.api.headers["X-CSRF-Token"] = self.csrf

    def train_table(self, model_name: str, params: dict[str, Any]) -> dict[str, Any]:
        """A finished run of the table classifier on the breast-cancer sample (seconds)."""
        body = {
            "workflow_params": {
                "model_type": "tabular_sklearn_classifier",
                "model_name": model_name,
                "training": {"epochs": 1, "params": params},
            }
        }
        answer = self.api.post("/api/mlops/execute_workflow", json=body)
        assert answer.status_code == 200, answer.text
        job_id = answer.json()["job_id"]
        run: dict[str, Any] = self.wait_for(
            f"/api/workflows/runs/{job_id}",
            lambda r: (
                r["status"] in ("failed", "cancelled") or (r["status"] == "succeeded" and r["model_id"])
            ),
            240,
            f"run {job_id} to finish",
        )
        assert run["status"] == "succeeded", run
        return run

    def wait_for(self, path: str, check: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = self.api.get(path).json()
            if check(last):
                return last
            time.sleep(0.3)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; last answer: {last}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("MLOPS_TEST_ARTIFACTS", REPO / "test-artifacts" / "web"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="package")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    if not (REPO / "web" / "dist" / "index.html").is_file():
        pytest.fail("the web UI is not built: run scripts/setup (it runs npm ci and npm run build in web/)")
    home = tmp_path_factory.mktemp("web-home")
    samples.install(home)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env |= {"MLOPS_HOME": str(home), "MLOPS_ADMIN_PASSWORD": ADMIN_PASSWORD}
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=home,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "ready at" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(90):
            raise AssertionError("mlops up did not become ready:\n" + "".join(lines))
        yield Platform(url=f"http://127.0.0.1:{port}", home=home, process=process, output=lines)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="package")
def cancer(platform: Platform) -> list[dict[str, Any]]:
    """Two finished runs, so two versions, of the table model ``cancer``."""
    return [
        platform.train_table("cancer", {"estimator": "logistic_regression"}),
        platform.train_table("cancer", {"estimator": "random_forest", "n_estimators": 20}),
    ]


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/install-chromium.sh installs Debian's chromium")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, platform: Platform) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=platform.url, viewport=DESKTOP, color_scheme="light")
    context.set_default_timeout(20_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"uncaught errors in the page: {errors}"


def sign_in(page: Page, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    page.goto("/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "open")


def settle(page: Page) -> None:
    """Wait until no query is loading (no spinner labelled 'Loading …' is left)."""
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label(re.compile(r"^Loading"))).to_have_count(0)


def axe_violations(page: Page) -> list[tuple[str, str, int, str]]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[Any] = page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations
              .filter(v => v.impact === "serious" || v.impact === "critical")
              .map(v => [v.id, v.help, v.nodes.length, v.nodes[0].html.slice(0, 200)]);
        }"""
    )
    return [tuple(v) for v in found]  # type: ignore[misc]


def look(page: Page, artifacts: Path, name: str, *, a11y: bool = True) -> None:
    """Screenshot the page (full length) and fail on serious accessibility violations."""
    settle(page)
    page.mouse.move(0, 0)  # no hover state left from the last click in the picture
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    if a11y:
        violations = axe_violations(page)
        assert not violations, f"{name}: serious accessibility violations: {violations}"
