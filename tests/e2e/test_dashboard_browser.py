"""The dashboard page in a real browser, fed by a real broker: sign in with an API key, see
decisions produced after the page loaded appear in the table, the approval rate and the
decline reasons.

Needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``); without
them the test fails and says so. Selenium is pointed at both binaries, so Selenium Manager
never tries to download a browser.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver as Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.notifier.dashboard_live import API_KEY, produce_decisions, running_dashboard
from tests.integration.runtime.support import make_topics
from tests.unit.notifier.dashboard.support import DECLINE_REASONS, decision

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 90


def _executable(path: Path, package: str) -> str:
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"{path} is missing: the dashboard browser test needs Chromium and its driver "
            f"(Debian/Ubuntu: apt-get install {package}).",
            pytrace=False,
        )
    return str(path)


@pytest.fixture
def browser() -> Iterator[Chrome]:
    binary = _executable(CHROMIUM, "chromium")
    driver_path = _executable(CHROMEDRIVER, "chromium-driver")
    profile = tempfile.mkdtemp(prefix="dashboard-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--window-size=1400,1800",
        "--lang=en-US",  # the page formats numbers for the browser's locale
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to sandbox as root
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _by_testid(driver: WebDriver, testid: str) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')]


def test_the_page_signs_in_and_renders_live_decisions(
    kafka_bootstrap: str, unique_name: str, browser: Chrome
) -> None:
    topic = f"{unique_name}.decisions"
    make_topics(kafka_bootstrap, topic, partitions=2)
    with running_dashboard(kafka_bootstrap, topic) as dashboard:
        browser.get(dashboard.url + "/")
        wait = WebDriverWait(browser, WAIT_S)
        credential = wait.until(lambda d: d.find_element(By.ID, "credential"))
        assert browser.find_element(By.ID, "dashboard").is_displayed() is False
        credential.send_keys(API_KEY)
        browser.find_element(By.CSS_SELECTOR, '[data-testid="sign-in-button"]').click()
        wait.until(
            lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == "live"
        )
        assert browser.find_element(By.ID, "dashboard").is_displayed()
        # The key stays in this tab's session storage, never in local storage or a cookie.
        assert browser.execute_script("return window.localStorage.length") == 0
        assert browser.get_cookies() == []
        assert browser.find_elements(By.CSS_SELECTOR, '[data-testid="latest-row"]') == []

        now = datetime.now(UTC)
        live = [
            decision(101, decided_at=now, probability=0.04),
            decision(102, decided_at=now, outcome="counter_offered", product="Home"),
            decision(103, decided_at=now, outcome="declined", reasons=DECLINE_REASONS),
            decision(104, decided_at=now, outcome="referred", product="Personal"),
        ]
        produce_decisions(kafka_bootstrap, topic, live)
        wanted = {str(d.application_id) for d in live}

        def rows_shown(driver: WebDriver) -> bool:
            rows = driver.find_elements(By.CSS_SELECTOR, '[data-testid="latest-row"]')
            return wanted <= {row.get_attribute("data-application-id") for row in rows}

        wait.until(rows_shown)
        # approved 101 and counter-offered 102 of four decisions
        wait.until(lambda d: d.find_element(By.ID, "approval-rate").text == "50 %")
        assert browser.find_element(By.ID, "decision-count").text == "4"

        declined_row = browser.find_element(
            By.CSS_SELECTOR, f'[data-testid="latest-row"][data-application-id="{UUID(int=103)}"]'
        )
        assert "declined" in declined_row.text and "DTI_TOO_HIGH" in declined_row.text
        approved_row = browser.find_element(
            By.CSS_SELECTOR, f'[data-testid="latest-row"][data-application-id="{UUID(int=101)}"]'
        )
        assert "13.6 %" in approved_row.text  # the first offer's rate

        reasons = _by_testid(browser, "decline-reason-row")
        assert any(
            DECLINE_REASONS[0]["code"] in row and DECLINE_REASONS[0]["text"] in row
            for row in reasons
        ), reasons
        assert "1 scored, 3 without" in browser.find_element(By.ID, "pd-detail").text
        bars = browser.find_elements(By.CSS_SELECTOR, "#chart-outcomes rect")
        assert bars, "no bar in the decisions-per-minute chart"

        # Nothing was refused by the content security policy or failed to load.
        entries = browser.execute("getLog", {"type": "browser"})["value"]
        problems = [entry["message"] for entry in entries if entry["level"] == "SEVERE"]
        assert problems == []
