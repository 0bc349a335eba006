"""The dashboard in a real browser: headless Chromium (Debian's, driven by selenium) against a live fake.

A task submitted by a client shows up and reaches success when the clock is advanced from the page; another
is failed from the page and its callback attempts appear. Every wait is on the page's state, never a sleep;
the fake's clock is manual, so nothing depends on real time passing.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from mock_server import LiveServer, MockConfig, TopviewMock
from mock_server.contract.openapi import Contract

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# The machine's network is closed: without these Chromium stalls on connections it will never get.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1400",
)
WAIT_SECONDS = 30.0  # a loaded 2-core CI machine; the page polls every second
SUBMIT = "/v1/scraper/task/submit"


def chromium() -> tuple[str, str]:
    """Debian's chromium and chromium-driver (.ci/run installs them); skipped outside CI when absent."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    message = "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """A headless Chromium with a fresh profile."""
    binary, driver_path = chromium()
    options = Options()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def server() -> Iterator[LiveServer]:
    """A live fake on a manual clock (tasks: 1 s in init, 3 s running)."""
    live = LiveServer(TopviewMock(MockConfig(), contract=Contract.load())).start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def refusing_url() -> Iterator[str]:
    """A loopback URL whose port is bound but never listens: each callback attempt is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hooks/topview"


def submit(server: LiveServer, **extra: str) -> str:
    """A scraper task of the test account, submitted as a client would; its taskId."""
    body = {"productLink": "https://shop.example.com/p/1", **extra}
    response = httpx.post(server.url + SUBMIT, json=body, headers=server.headers, timeout=10)
    return str(response.json()["result"]["taskId"])


def shown(css: str) -> Callable[[WebDriver], bool]:
    """Wait condition: an element matching ``css`` is on the page."""
    return lambda driver: bool(driver.find_elements(By.CSS_SELECTOR, css))


def clicked(css: str) -> Callable[[WebDriver], bool]:
    """Wait condition: the element was found and clicked (the page re-renders rows as data changes)."""

    def click(driver: WebDriver) -> bool:
        try:
            driver.find_element(By.CSS_SELECTOR, css).click()
        except (StaleElementReferenceException, LookupError):
            return False
        return True

    return click


def text_of(driver: WebDriver, css: str) -> str:
    """The visible text of the first element matching ``css``."""
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def test_a_task_reaches_success_and_a_failed_one_shows_its_callback_attempts(
    browser: WebDriver, server: LiveServer, refusing_url: str
) -> None:
    wait = WebDriverWait(
        browser, WAIT_SECONDS, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
    )
    browser.get(server.url + "/_mock/ui")
    wait.until(shown("#live:not(:empty)"))

    first = submit(server)
    row = f'tr.task[data-task-id="{first}"]'
    wait.until(shown(row + '[data-status="init"]'))
    assert text_of(browser, "#account-uid") == server.uid
    wait.until(clicked("#advance-5"))  # the page moves the fake's clock: 5 virtual seconds
    wait.until(shown(row + '[data-status="success"]'))
    assert server.task(first)["status"] == "success"
    assert text_of(browser, "#clock-now").endswith("00:00:05")

    second = submit(server, noticeUrl=refusing_url)
    other = f'tr.task[data-task-id="{second}"]'
    wait.until(shown(other + '[data-status="init"]'))
    browser.find_element(By.ID, "fail-message").clear()
    browser.find_element(By.ID, "fail-message").send_keys("Out of stock")
    wait.until(clicked(other + " button.fail"))
    wait.until(shown(other + '[data-status="fail"]'))
    assert server.task(second)["errorMsg"] == "Out of stock"

    attempt = f'.delivery[data-task-id="{second}"] tr.attempt'
    wait.until(shown(attempt))  # refused at once: journalled with its error and the next retry
    assert "no answer" in text_of(browser, attempt)
    assert "next attempt" in text_of(browser, f'.delivery[data-task-id="{second}"]')
    [delivery] = server.callbacks(task_id=second)
    assert delivery.attempts and delivery.next_attempt_at is not None

    wait.until(clicked('tr.exchange[data-seq="1"] details summary'))  # the request journal, with bodies
    wait.until(lambda driver: "shop.example.com/p/1" in text_of(driver, 'tr.exchange[data-seq="1"]'))
    # The page only used the control API: the journal holds the two submits of this test and nothing else.
    assert [entry.operation_id for entry in server.journal.entries()] == ["scraperSubmit", "scraperSubmit"]


def test_faults_are_cleared_and_an_account_reset_from_the_page(browser: WebDriver, server: LiveServer) -> None:
    wait = WebDriverWait(browser, WAIT_SECONDS, poll_frequency=0.1)
    server.add_fault(operation="scraperQuery", code="5003", times=2)
    task_id = submit(server)
    browser.get(server.url + "/_mock/ui")
    wait.until(shown("li.fault"))
    assert "scraperQuery" in text_of(browser, "li.fault") and 'code="5003"' in text_of(browser, "li.fault")
    wait.until(clicked("#clear-faults"))
    wait.until(lambda driver: not driver.find_elements(By.CSS_SELECTOR, "li.fault"))
    assert server.faults.rules() == []

    wait.until(shown(f'tr.task[data-task-id="{task_id}"]'))
    assert text_of(browser, "dd.credit-balance") == "1000"
    wait.until(clicked("#reset-account"))
    wait.until(lambda driver: not driver.find_elements(By.CSS_SELECTOR, "tr.task"))
    assert server.tasks() == [] and server.accounts() == []
